"""The provenance check: every quote is verbatim in the article at its offsets, under the section it names."""
from __future__ import annotations

from dataclasses import dataclass

from .article import Article, load_article
from .facts import EvidenceRef, Facts, iter_evidence, section_headings


@dataclass(frozen=True, order=True)
class Excerpt:
    """A verified span of the article: the quote, the section it sits under, and its offsets (end exclusive)."""

    start: int
    end: int
    quote: str
    section: str


@dataclass(frozen=True)
class ProvenanceProblem:
    """One quote that does not hold, with the fact that makes it."""

    ref: EvidenceRef
    message: str

    def __str__(self) -> str:
        return f"fact {self.ref.label}: {self.message}"


class ProvenanceError(ValueError):
    """One or more quotes do not hold; the message names every fact concerned."""

    def __init__(self, problems: list[ProvenanceProblem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} quote(s) do not match the article:\n{lines}")


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_entry(ref: EvidenceRef, article: Article) -> Excerpt | ProvenanceProblem:
    """Check one evidence entry against the article and return its ``Excerpt`` or the problem."""
    entry = ref.entry
    quote = entry.get("quote")
    if not isinstance(quote, str) or not quote.strip():
        return ProvenanceProblem(ref, "empty quote")
    start, end, section = entry.get("start"), entry.get("end"), entry.get("section")
    hint = "run `python -m mskg.kg.curate` to anchor it"
    if quote not in article.text:
        return ProvenanceProblem(ref, f"quote is not verbatim in the article: {_short(quote)!r}")
    if not isinstance(start, int) or not isinstance(end, int):
        return ProvenanceProblem(ref, f"quote has no character offsets ({hint}): {_short(quote)!r}")
    if article.text[start:end] != quote:
        actual = article.text[start:end] if 0 <= start <= end <= len(article.text) else "<out of range>"
        where = article.text.find(quote)
        return ProvenanceProblem(
            ref,
            f"offsets {start}–{end} do not hold the quote {_short(quote)!r}; the article has {_short(actual)!r} there"
            f" (the quote is at {where}–{where + len(quote)})",
        )
    located = article.section_at(start)
    if located is None or end > located.body_end:
        return ProvenanceProblem(ref, f"quote at {start}–{end} does not sit inside one section")
    if section != located.id:
        return ProvenanceProblem(ref, f"quote is under section {located.id!r}, not {section!r}")
    return Excerpt(start, end, quote, located.id)


def verify(facts: Facts, article: Article | None = None) -> dict[int, Excerpt]:
    """Check every quote of ``facts``; return the excerpts keyed by ``id(entry)`` or raise ``ProvenanceError``."""
    if article is None:
        article = article_for(facts)
    problems: list[ProvenanceProblem] = []
    excerpts: dict[int, Excerpt] = {}
    for ref in iter_evidence(facts):
        result = check_entry(ref, article)
        if isinstance(result, ProvenanceProblem):
            problems.append(result)
        else:
            excerpts[id(ref.entry)] = result
    if problems:
        raise ProvenanceError(problems)
    return excerpts


def article_for(facts: Facts) -> Article:
    """Load the article the facts file names, checking its checksum."""
    source = facts["source"]
    return load_article(source["file"], section_headings(facts), source.get("sha256"))
