"""The source article: its exact text, checksum and sections, so that quotes can be anchored by offset."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files


@dataclass(frozen=True)
class Section:
    """A headed part of the article; ``start``/``end`` span the heading line, ``body_end`` the whole section."""

    id: str
    heading: str
    order: int
    start: int
    end: int
    body_end: int


@dataclass(frozen=True)
class Article:
    """The article text (UTF-8 decoded, offsets are Python string indices) and its sections."""

    text: str
    sha256: str
    sections: tuple[Section, ...]

    def section_at(self, offset: int) -> Section | None:
        """Return the section whose heading the character at ``offset`` sits under, if any."""
        found = None
        for section in self.sections:
            if section.start <= offset:
                found = section
            else:
                break
        return found if found is not None and offset < found.body_end else None


class ArticleError(ValueError):
    """The article text does not match what the curated facts expect."""


def read_article_text(filename: str) -> tuple[str, str]:
    """Return the article's decoded text and the SHA-256 of its bytes (read as bytes: no newline translation)."""
    data = files("mskg.kg").joinpath("sources", filename).read_bytes()
    return data.decode("utf-8"), hashlib.sha256(data).hexdigest()


def locate_sections(text: str, headings: list[tuple[str, str]]) -> tuple[Section, ...]:
    """Find each ``(id, heading)`` as a whole line of ``text``, in order; fail naming any heading not found once."""
    located: list[tuple[int, str, str]] = []
    for section_id, heading in headings:
        hits = []
        start = 0
        while (pos := text.find(heading, start)) != -1:
            line_start = pos == 0 or text[pos - 1] == "\n"
            line_end = pos + len(heading) == len(text) or text[pos + len(heading)] == "\n"
            if line_start and line_end:
                hits.append(pos)
            start = pos + 1
        if len(hits) != 1:
            raise ArticleError(
                f"section {section_id!r}: heading {heading!r} found as a whole line {len(hits)} times (need exactly 1)"
            )
        located.append((hits[0], section_id, heading))
    ordered = sorted(located)
    if [sid for _, sid, _ in ordered] != [sid for sid, _ in headings]:
        raise ArticleError("sections are not listed in the order they appear in the article")
    sections = []
    for i, (pos, section_id, heading) in enumerate(ordered):
        body_end = ordered[i + 1][0] if i + 1 < len(ordered) else len(text)
        sections.append(Section(section_id, heading, i + 1, pos, pos + len(heading), body_end))
    return tuple(sections)


@lru_cache(maxsize=None)
def load_article(filename: str, headings: tuple[tuple[str, str], ...], sha256: str | None = None) -> Article:
    """Load the packaged article and its sections; fail if its checksum differs from ``sha256``."""
    text, digest = read_article_text(filename)
    if sha256 is not None and digest != sha256:
        raise ArticleError(f"article {filename!r} has SHA-256 {digest}, facts expect {sha256}")
    return Article(text, digest, locate_sections(text, list(headings)))
