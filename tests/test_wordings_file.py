"""tests/data/wordings.tsv is well formed: an independent benchmark of everyday wordings for the resolver.

Only the file's shape is checked here (header, columns, kinds, that every expected id is a finding or condition of
the graph, no repeated phrase, enough rows, enough UNRESOLVED rows, enough wordings per red-flag finding).
Whether the resolver gets them right is measured elsewhere, against this file.
"""
from __future__ import annotations

import collections
from pathlib import Path

import pytest

from mskg.kg.load import load_compiled

WORDINGS = Path(__file__).resolve().parent / "data" / "wordings.tsv"
HEADER = ["phrase", "expected", "kind", "note"]
KINDS = {"article", "lay", "clinical", "first-person", "typo", "spelling", "contraction", "inflection",
         "body-site-trap", "out-of-scope", "ambiguous"}
UNRESOLVED = "UNRESOLVED"
TARGET_ROOTS = ("ClinicalFinding", "Condition")
MIN_ROWS = 260
MIN_UNRESOLVED = 30
MIN_PER_RED_FLAG = 4


def _lines() -> list[str]:
    text = WORDINGS.read_bytes().decode("utf-8")  # raises if the file is not UTF-8
    return text.splitlines()


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    lines = _lines()
    out = []
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        assert len(cells) == 4, f"line {number}: {len(cells)} columns, want 4: {line!r}"
        out.append(dict(zip(HEADER, cells), line=number))
    return out


@pytest.fixture(scope="module")
def compiled():
    return load_compiled()


def test_header():
    assert _lines()[0].split("\t") == HEADER


def test_no_blank_cells_except_note(rows):
    for row in rows:
        for column in ("phrase", "expected", "kind"):
            assert row[column].strip() == row[column] != "", f"line {row['line']}: bad {column} {row[column]!r}"


def test_kinds_are_known(rows):
    unknown = sorted({row["kind"] for row in rows} - KINDS)
    assert not unknown, f"unknown kinds: {unknown}"


def test_expected_ids_are_findings_or_conditions(rows, compiled):
    concepts = compiled.concepts.values() if isinstance(compiled.concepts, dict) else compiled.concepts
    targets = {c.id for c in concepts if c.root in TARGET_ROOTS}
    assert targets, "no findings or conditions in the graph"
    bad = [(row["line"], row["expected"]) for row in rows
           if row["expected"] != UNRESOLVED and row["expected"] not in targets]
    assert not bad, f"expected ids that are not findings or conditions: {bad}"


def test_no_duplicate_phrases(rows):
    counts = collections.Counter(row["phrase"].casefold() for row in rows)
    assert not [p for p, n in counts.items() if n > 1]


def test_enough_rows(rows):
    assert len(rows) >= MIN_ROWS


def test_enough_unresolved(rows):
    assert sum(row["expected"] == UNRESOLVED for row in rows) >= MIN_UNRESOLVED


def test_unresolved_rows_say_why(rows):
    assert all(row["note"].strip() for row in rows if row["expected"] == UNRESOLVED)


def test_every_red_flag_finding_has_enough_wordings(rows, compiled):
    red_flag_ids = {entry[0] for entry in compiled.screen}
    assert red_flag_ids, "the graph lists no red-flag findings"
    counts = collections.Counter(row["expected"] for row in rows)
    short = {fid: counts[fid] for fid in sorted(red_flag_ids) if counts[fid] < MIN_PER_RED_FLAG}
    assert not short, f"red-flag findings with fewer than {MIN_PER_RED_FLAG} wordings: {short}"
