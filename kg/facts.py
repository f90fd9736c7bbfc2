"""The curated facts file (``kg/facts.yaml``): loading, its schema, and a walk over every quote it makes."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import yaml

FACTS_FILE = "facts.yaml"

Facts = dict[str, Any]

#: Sections of the facts file that hold lists of facts, in file order.
FACT_LISTS = (
    "evidence_sources",
    "regions",
    "urgency_levels",
    "concepts",
    "timeframes",
    "actions",
    "progress_checks",
    "statistics",
    "rules",
    "differentials",
    "pathways",
)

#: Allowed keys of each kind of entry, in canonical order (the curate tool writes them in this order).
KEYS: dict[str, tuple[str, ...]] = {
    "source": ("id", "file", "sha256", "title", "publisher", "series", "language", "disclaimer"),
    "sections": ("id", "heading"),
    "evidence_sources": ("id", "label", "definition", "evidence"),
    "regions": ("id", "label", "definition", "sections", "evidence", "interpretations"),
    "urgency_levels": ("id", "rank", "label", "definition", "without_safety_net", "evidence", "interpretations"),
    "concepts": (
        "id", "parent", "label", "alt", "hidden", "definition", "region", "screens_every_region", "sites", "features",
        "presents_with", "aggravated_by", "course", "evidence", "interpretations",
    ),
    "timeframes": ("id", "label", "value", "upper", "unit", "bound", "approximate", "vague", "evidence"),
    "actions": (
        "id", "type", "label", "definition", "region", "timeframe", "activity", "first_line_for", "later_option_for",
        "mentioned_for", "superseded_by", "recommended_for", "attributed_to", "evidence", "interpretations",
    ),
    "progress_checks": ("id", "type", "label", "definition", "actions", "attributed_to", "evidence", "interpretations"),
    "statistics": (
        "id", "label", "value", "unit", "approximate", "measures", "population", "about", "attributed_to", "evidence",
    ),
    "rules": (
        "id", "type", "label", "region", "needs_region_finding", "criteria", "min_duration_days", "threshold_timeframe",
        "trend", "urgency", "actions",
        "concern", "attributed_to", "note", "evidence", "interpretations",
    ),
    "differentials": ("id", "label", "favours", "versus", "findings", "attributed_to", "evidence"),
    "pathways": ("id", "label", "evidence", "stages"),
    "stages": ("id", "label", "actions"),
    "interpretations": ("property", "note", "evidence"),
    "evidence": ("quote", "for", "section", "start", "end"),
}

#: Keys every entry of a kind must have.
REQUIRED: dict[str, tuple[str, ...]] = {
    "evidence_sources": ("id", "label", "evidence"),
    "regions": ("id", "label", "definition", "evidence"),
    "urgency_levels": ("id", "rank", "label", "definition", "evidence"),
    "concepts": ("id", "parent", "label"),
    "timeframes": ("id", "label", "unit", "bound", "evidence"),
    "actions": ("id", "type", "label", "evidence"),
    "progress_checks": ("id", "type", "label", "actions", "evidence"),
    "statistics": ("id", "label", "value", "unit", "measures", "population", "attributed_to", "evidence"),
    "rules": ("id", "type", "label", "region", "criteria", "urgency", "actions", "evidence"),
    "differentials": ("id", "label", "favours", "versus", "findings", "evidence"),
    "pathways": ("id", "label", "evidence", "stages"),
    "stages": ("id", "label", "actions"),
    "interpretations": ("note",),
    "evidence": ("quote",),
}


class FactsError(ValueError):
    """The facts file is malformed; the message names the fact."""


@dataclass(frozen=True)
class EvidenceRef:
    """One quote in the facts file, with the fact that makes it (``kind`` is the facts-file section)."""

    kind: str
    fact_id: str
    where: str
    entry: dict[str, Any]

    @property
    def label(self) -> str:
        """A human-readable name of the fact and the place of the quote in it."""
        return f"{self.fact_id!r} ({self.kind}, {self.where})"


def facts_text() -> str:
    """Return the packaged facts file as text."""
    return files("mskg.kg").joinpath(FACTS_FILE).read_text(encoding="utf-8")


def parse_facts(text: str) -> Facts:
    """Parse facts YAML and check its shape (known keys, required keys, unique ids)."""
    facts = yaml.safe_load(text)
    if not isinstance(facts, dict):
        raise FactsError("facts file must be a mapping")
    check_shape(facts)
    return facts


def load_facts() -> Facts:
    """Load and shape-check the packaged facts file."""
    return parse_facts(facts_text())


def _check_entry(kind: str, entry: Any, name: str) -> None:
    if not isinstance(entry, dict):
        raise FactsError(f"{name}: expected a mapping, got {type(entry).__name__}")
    unknown = set(entry) - set(KEYS[kind])
    if unknown:
        raise FactsError(f"{name}: unknown key(s) {sorted(unknown)}; allowed: {', '.join(KEYS[kind])}")
    missing = [key for key in REQUIRED.get(kind, ()) if entry.get(key) in (None, "", [])]
    if missing:
        raise FactsError(f"{name}: missing required key(s) {missing}")


def check_shape(facts: Facts) -> None:
    """Fail, naming the fact, on unknown or missing keys and on duplicate ids."""
    _check_entry("source", facts.get("source"), "source")
    for i, section in enumerate(facts.get("sections") or []):
        _check_entry("sections", section, f"sections[{i}]")
    seen: dict[str, str] = {}
    for kind in FACT_LISTS:
        for i, entry in enumerate(facts.get(kind) or []):
            name = f"{kind}[{i}] {entry.get('id')!r}" if isinstance(entry, dict) else f"{kind}[{i}]"
            _check_entry(kind, entry, name)
            fact_id = entry["id"]
            if fact_id in seen:
                raise FactsError(f"{name}: id {fact_id!r} is already used in {seen[fact_id]}")
            seen[fact_id] = kind
            for j, ev in enumerate(entry.get("evidence") or []):
                _check_entry("evidence", ev, f"{name} evidence[{j}]")
            for j, interp in enumerate(entry.get("interpretations") or []):
                _check_entry("interpretations", interp, f"{name} interpretations[{j}]")
                for k, ev in enumerate(interp.get("evidence") or []):
                    _check_entry("evidence", ev, f"{name} interpretations[{j}] evidence[{k}]")
            for j, stage in enumerate(entry.get("stages") or []):
                _check_entry("stages", stage, f"{name} stages[{j}]")
    _check_entry("evidence", facts["source"]["disclaimer"], "source disclaimer")


def iter_evidence(facts: Facts) -> Iterator[EvidenceRef]:
    """Yield every quote in the facts file with the fact it belongs to, in file order."""
    yield EvidenceRef("source", facts["source"]["id"], "disclaimer", facts["source"]["disclaimer"])
    for kind in FACT_LISTS:
        for entry in facts.get(kind) or []:
            for i, ev in enumerate(entry.get("evidence") or []):
                yield EvidenceRef(kind, entry["id"], f"evidence {i + 1}", ev)
            for i, interp in enumerate(entry.get("interpretations") or []):
                for j, ev in enumerate(interp.get("evidence") or []):
                    yield EvidenceRef(kind, entry["id"], f"interpretation {i + 1} evidence {j + 1}", ev)


def section_headings(facts: Facts) -> tuple[tuple[str, str], ...]:
    """Return the ``(id, heading)`` pairs of the article's sections, as the facts file lists them."""
    return tuple((s["id"], s["heading"]) for s in facts["sections"])
