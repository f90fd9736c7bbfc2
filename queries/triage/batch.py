"""Batch triage: presentations streamed from JSON Lines or CSV, one result a line, constant memory.

Input, one presentation a line:
- JSON Lines: ``{"id": ..., "findings": [...], "absent": [...], "duration": "6w", "trend": "unchanged"}``
- CSV with a header: ``id,findings,absent,duration,trend`` where findings and absent are separated by ``;``.

Each good line gives a ``TriageResult`` (written by ``mskg triage --batch`` as the ``mskg triage`` JSON
shape plus ``id`` and ``line``), partial when some of its inputs were not understood (they are listed in
``unresolved``); each bad line gives a :class:`BadLine` (its number and what is wrong) and the run goes on.
No input — invalid UTF-8, deep nesting, over-long lines or fields, wrong types — stops the run.
"""
from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, Any

from ...kg.resolve import Match, ResolutionError
from .records import (Presentation, PresentationError, Reported, TriageResult, Unresolved, UnresolvedInputs,
                      parse_duration, parse_trend, read_together, readings_of, unique_findings)


@dataclass(frozen=True)
class BadLine:
    """A line that could not be triaged."""

    line: int
    message: str


#: Bounds on one line, so no input can take unbounded time or memory.
MAX_LINE = 100_000  # characters
MAX_ITEMS = 50  # findings (or absent findings) on one line
MAX_ID = 200  # characters of an id


def _as_list(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        items = [part.strip() for part in value.split(";") if part.strip()]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = value
    else:
        raise PresentationError(f"{field!r} must be a list of strings")
    if len(items) > MAX_ITEMS:
        raise PresentationError(f"{field!r} has {len(items)} items; at most {MAX_ITEMS}")
    return items


def _as_text(value: Any, field: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise PresentationError(f"{field!r} must be a string")


def _lines(stream: IO[str]) -> Iterator[tuple[int, str | None]]:
    """(number, line) with bounded reads; an over-long line is skipped to its end and given as None."""
    number = 0
    while True:
        line = stream.readline(MAX_LINE + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE and not line.endswith("\n"):
            while True:  # skip the rest of the line without holding it
                rest = stream.readline(MAX_LINE)
                if not rest or rest.endswith("\n"):
                    break
            yield number, None
            continue
        yield number, line


_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, kept as lone surrogates


def read_records(stream: IO[str], fmt: str) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """Yield (line number, record or BadLine) from a JSON Lines or CSV stream, one at a time.

    The stream should be decoded with ``errors="surrogateescape"``: a line that is not UTF-8 is then a
    bad line, not the end of the run.
    """
    if fmt == "csv":
        yield from _read_csv(stream)
        return
    for number, text in _lines(stream):
        if text is None:
            yield number, BadLine(number, f"line too long (more than {MAX_LINE:,} characters)")
            continue
        if _NOT_UTF8.search(text):
            yield number, BadLine(number, "not valid UTF-8")
            continue
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            yield number, BadLine(number, f"not valid JSON: {exc.msg} at column {exc.colno}")
            continue
        except RecursionError:
            yield number, BadLine(number, "not valid JSON here: nested too deeply")
            continue
        if not isinstance(record, dict):
            yield number, BadLine(number, "a line must be a JSON object")
            continue
        yield number, record


def _read_csv(stream: IO[str]) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    reader = csv.DictReader(stream)
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error as exc:
        yield 1, BadLine(1, f"the CSV header cannot be read: {exc}")
        return
    if "findings" not in fieldnames:
        yield 1, BadLine(1, "the CSV header needs a 'findings' column (and optionally id, absent, duration, trend)")
        return
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # DictReader copies line_num only after a row parses: the raw reader's count is this line's
            number = reader.reader.line_num
            yield number, BadLine(number, f"not valid CSV: {exc}")
            continue
        text = "".join(v for v in row.values() if isinstance(v, str))
        if _NOT_UTF8.search(text):
            yield reader.line_num, BadLine(reader.line_num, "not valid UTF-8")
            continue
        yield reader.line_num, dict(row)


class BatchTriage:
    """Triage records one by one with an engine, resolving inputs through a bounded cache."""

    def __init__(self, engine, resolver, explain: bool, strict: bool = False):
        self.engine = engine
        self.explain = explain
        self.strict = strict
        self._resolver = resolver
        self.resolve = lru_cache(maxsize=20_000)(self._resolve)

    def _resolve(self, text: str) -> "Match | ResolutionError":
        try:
            return self._resolver.resolve_match(text)
        except ResolutionError as exc:
            return exc

    def presentation(self, record: dict[str, Any]) -> Presentation:
        findings = _as_list(record.get("findings"), "findings")
        absent = _as_list(record.get("absent"), "absent")
        identifier = record.get("id")
        if isinstance(identifier, bool) or not isinstance(identifier, (str, int, type(None))):
            raise PresentationError("'id' must be a string or a number")
        if isinstance(identifier, str) and len(identifier) > MAX_ID:
            raise PresentationError(f"'id' is longer than {MAX_ID} characters")
        if not findings:
            raise PresentationError("no findings given")
        duration, trend = _as_text(record.get("duration"), "duration"), _as_text(record.get("trend"), "trend")
        duration_days = parse_duration(duration) if duration is not None else None
        trend_id = parse_trend(trend) if trend is not None else None
        resolved: tuple[list[Reported], list[Reported]] = ([], [])
        unresolved: list[Unresolved] = []
        for is_absent, texts in ((False, findings), (True, absent)):
            for text in texts:
                match = self.resolve(text)
                if isinstance(match, ResolutionError):
                    unresolved.append(Unresolved.from_error(match, is_absent))
                else:  # a wording naming several findings keeps each, and asks what it asks (HAZ-35, HAZ-36)
                    read, asked = readings_of(self._resolver, text, match, is_absent)
                    resolved[is_absent].extend(read)
                    unresolved.extend(asked)
        # one leg's finding on both legs, a leg said to be well, and where a site-less input is, are read from the
        # whole line, so after every input resolved
        kept, kept_absent, together = read_together(self._resolver, resolved[0], resolved[1], unresolved)
        unresolved = list(together)
        present = {item.concept.id: item for item in unique_findings(kept)}
        missing = {item.concept.id: item for item in unique_findings(kept_absent)}
        if unresolved and self.strict:
            raise UnresolvedInputs(unresolved, "not understood (--strict): ")
        if not present:
            raise UnresolvedInputs(unresolved, "no finding was understood, so there is nothing to triage: ")
        clash = set(present) & set(missing)
        if clash:
            raise PresentationError(f"reported both present and absent: {', '.join(sorted(clash))}")
        return Presentation(tuple(present.values()), tuple(missing.values()), duration_days, trend_id,
                            tuple(unresolved))

    def run(self, number: int, record: dict[str, Any]) -> "TriageResult | BadLine":
        try:
            presentation = self.presentation(record)
        except PresentationError as exc:
            return BadLine(number, str(exc))
        return self.engine.triage(presentation, explain=self.explain)
