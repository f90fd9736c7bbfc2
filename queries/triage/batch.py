"""Batch triage: presentations streamed from JSON Lines or CSV, one result a line, constant memory.

Input, one presentation a line:
- JSON Lines: ``{"id": ..., "findings": [...], "absent": [...], "duration": "6w", "trend": "unchanged"}``
- CSV with a header: ``id,findings,absent,duration,trend`` where findings and absent are separated by ``;``.

Each good line gives a ``TriageResult`` (written by ``mskg triage --batch`` as the ``mskg triage`` JSON
shape plus ``id`` and ``line``); each bad line gives a :class:`BadLine` (its number and what is wrong)
and the run goes on.
"""
from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, Any

from ...kg.resolve import ResolutionError
from .records import Presentation, PresentationError, Reported, TriageResult, parse_duration, parse_trend


@dataclass(frozen=True)
class BadLine:
    """A line that could not be triaged."""

    line: int
    message: str


def _as_list(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise PresentationError(f"{field!r} must be a list of strings")


def read_records(stream: IO[str], fmt: str) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """Yield (line number, record or BadLine) from a JSON Lines or CSV stream, one at a time."""
    if fmt == "csv":
        reader = csv.DictReader(stream)
        missing = {"findings"} - set(reader.fieldnames or [])
        if missing:
            yield 1, BadLine(1, "the CSV header needs a 'findings' column (and optionally id, absent, duration, trend)")
            return
        for row in reader:
            yield reader.line_num, dict(row)
        return
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            yield number, BadLine(number, f"not valid JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(record, dict):
            yield number, BadLine(number, "a line must be a JSON object")
            continue
        yield number, record


class BatchTriage:
    """Triage records one by one with an engine, resolving inputs through a bounded cache."""

    def __init__(self, engine, resolver, explain: bool):
        self.engine = engine
        self.explain = explain
        self.resolve = lru_cache(maxsize=20_000)(resolver.resolve)

    def presentation(self, record: dict[str, Any]) -> Presentation:
        findings = _as_list(record.get("findings"), "findings")
        absent = _as_list(record.get("absent"), "absent")
        if not findings:
            raise PresentationError("no findings given")
        present = {}
        for text in findings:
            concept = self.resolve(text)
            present.setdefault(concept.id, Reported(text, concept))
        missing = {}
        for text in absent:
            concept = self.resolve(text)
            missing.setdefault(concept.id, Reported(text, concept))
        clash = set(present) & set(missing)
        if clash:
            raise PresentationError(f"reported both present and absent: {', '.join(sorted(clash))}")
        duration = record.get("duration") or None
        trend = record.get("trend") or None
        return Presentation(tuple(present.values()), tuple(missing.values()),
                            parse_duration(str(duration)) if duration is not None else None,
                            parse_trend(str(trend)) if trend is not None else None)

    def run(self, number: int, record: dict[str, Any]) -> "TriageResult | BadLine":
        try:
            presentation = self.presentation(record)
        except ResolutionError as exc:
            close = ", ".join(m.concept.label for m in exc.candidates[:3])
            return BadLine(number, f"{exc.reason}: {exc.text!r}" + (f" (closest: {close})" if close else ""))
        except PresentationError as exc:
            return BadLine(number, str(exc))
        return self.engine.triage(presentation, explain=self.explain)
