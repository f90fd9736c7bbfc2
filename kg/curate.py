"""Curation helper: anchor every quote in ``kg/facts.yaml`` to the article and write the file in canonical form.

A curator writes only ``quote:`` (typed on an ordinary keyboard: straight quotes and hyphens are fine).
This tool finds the quote in the article, replaces it with the article's exact characters, fills in
``section``, ``start`` and ``end``, and rewrites the file with keys in canonical order. The build itself
never guesses: it only accepts quotes that are verbatim at their offsets.

    python -m mskg.kg.curate            # anchor and rewrite kg/facts.yaml in the source tree
    python -m mskg.kg.curate --check    # exit 1 if the file is not anchored and canonical
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from .article import Article
from .facts import FACT_LISTS, KEYS, Facts, iter_evidence, parse_facts
from .provenance import article_for, check_entry

#: Typographic characters a curator may type plainly; each maps to one character, so offsets are kept.
_PLAIN = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "‑": "-", "\u00a0": " "})


class CurateError(ValueError):
    """A quote could not be anchored; the message names the fact."""


def _plain(text: str) -> str:
    return text.translate(_PLAIN)


def anchor_entry(entry: dict[str, Any], article: Article, label: str) -> list[str]:
    """Anchor one evidence entry in place; return warnings (e.g. a quote found more than once)."""
    quote = entry["quote"]
    start = entry.get("start")
    if isinstance(start, int) and article.text[start : start + len(quote)] == quote:
        positions = [start]
    else:
        plain_text, plain_quote = _plain(article.text), _plain(quote)
        positions = []
        pos = plain_text.find(plain_quote)
        while pos != -1:
            positions.append(pos)
            pos = plain_text.find(plain_quote, pos + 1)
    if not positions:
        raise CurateError(f"fact {label}: quote not found in the article: {quote!r}")
    warnings = []
    if len(positions) > 1:
        warnings.append(f"fact {label}: quote occurs {len(positions)} times; anchored at the first ({positions[0]})")
    pos = positions[0]
    entry["quote"] = article.text[pos : pos + len(quote)]
    entry["start"], entry["end"] = pos, pos + len(quote)
    section = article.section_at(pos)
    if section is None:
        raise CurateError(f"fact {label}: quote at {pos} is not under any section heading")
    entry["section"] = section.id
    return warnings


def _ordered(kind: str, entry: dict[str, Any]) -> dict[str, Any]:
    out = {key: entry[key] for key in KEYS[kind] if key in entry}
    if "evidence" in out:
        out["evidence"] = [_ordered("evidence", ev) for ev in out["evidence"]]
    if "interpretations" in out:
        out["interpretations"] = [_ordered("interpretations", i) for i in out["interpretations"]]
    if "stages" in out:
        out["stages"] = [_ordered("stages", s) for s in out["stages"]]
    if "disclaimer" in out:
        out["disclaimer"] = _ordered("evidence", out["disclaimer"])
    return out


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # every fact spelled out, no YAML anchors
        return True


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    """Lists of plain values (ids, synonyms) on one line; lists of mappings as blocks."""
    flow = all(isinstance(item, (str, int, float)) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def canonical_text(facts: Facts) -> str:
    """Return the facts in canonical YAML: fixed key order, no aliases, no line folding."""
    ordered: dict[str, Any] = {"source": _ordered("source", facts["source"])}
    ordered["sections"] = [_ordered("sections", s) for s in facts["sections"]]
    for kind in FACT_LISTS:
        ordered[kind] = [_ordered(kind, e) for e in facts.get(kind) or []]
    return yaml.dump(ordered, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100_000)


def anchor(facts: Facts) -> list[str]:
    """Anchor every quote of ``facts`` in place; return warnings. Raises ``CurateError`` on a quote not found."""
    article = article_for(facts)
    warnings: list[str] = []
    for ref in iter_evidence(facts):
        warnings += anchor_entry(ref.entry, article, ref.label)
    return warnings


def source_facts_path() -> Path:
    """The facts file in the source tree (this tool edits the checkout, not an installed copy)."""
    return Path(__file__).resolve().parent / "facts.yaml"


def main(argv: list[str] | None = None) -> int:
    """Anchor and rewrite the facts file, or with ``--check`` only report whether it is canonical."""
    args = sys.argv[1:] if argv is None else argv
    path = source_facts_path()
    text = path.read_text(encoding="utf-8")
    facts = parse_facts(text)
    if "--check" in args:
        for ref in iter_evidence(facts):
            result = check_entry(ref, article_for(facts))
            if not hasattr(result, "quote"):
                print(result, file=sys.stderr)
                return 1
        if canonical_text(facts) != text:
            print(f"{path} is not in canonical form: run `python -m mskg.kg.curate`", file=sys.stderr)
            return 1
        print(f"{path}: anchored and canonical")
        return 0
    try:
        warnings = anchor(facts)
    except CurateError as exc:
        print(exc, file=sys.stderr)
        return 1
    for warning in warnings:
        print("warning:", warning, file=sys.stderr)
    path.write_text(canonical_text(facts), encoding="utf-8")
    print(f"{path}: anchored {sum(1 for _ in iter_evidence(facts))} quotes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
