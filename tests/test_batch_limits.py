"""Batch input at its exact bounds: line length, item count, id length, field types, CSV errors mid-file.

Each bound is tested at the limit and one past it, and each bad line is followed by a good one, so a
reader that stops at the first bad line (or numbers the next line wrongly) fails.
"""
from __future__ import annotations

import dataclasses
import io
import json

import pytest
from click.testing import CliRunner

from mskg.cli.main import cli
from mskg.kg.load import load_compiled
from mskg.queries.triage.batch import BadLine, BatchTriage, read_records
from mskg.queries.triage.compiled import CompiledTriageEngine
from mskg.queries.triage.records import PresentationError, UnresolvedInputs

GOOD = '{"id": "g", "findings": ["fever"]}'


def _padded(width: int) -> str:
    """A valid JSON record exactly ``width`` characters long (without its newline)."""
    head = '{"findings": ["fever"], "pad": "'
    return head + "x" * (width - len(head) - 2) + '"}'


def records(text: str, fmt: str = "jsonl") -> list[tuple[int, object]]:
    return list(read_records(io.StringIO(text, newline=""), fmt))


def test_a_line_of_exactly_100000_characters_is_read_and_one_more_is_too_long():
    at, over = _padded(100_000), _padded(100_001)
    assert len(at) == 100_000 and len(over) == 100_001
    got = records(f"{at}\n{over}\n{GOOD}\n")
    assert [number for number, _ in got] == [1, 2, 3]
    assert got[0][1]["findings"] == ["fever"]
    assert got[1][1] == BadLine(2, "line too long (more than 100,000 characters)")
    assert got[2][1] == json.loads(GOOD)


def test_the_last_line_without_a_newline_may_be_exactly_at_the_limit():
    at = _padded(100_000)
    got = records(f"{GOOD}\n{at}")
    assert [(n, r["findings"]) for n, r in got] == [(1, ["fever"]), (2, ["fever"])]


def test_a_line_that_is_not_utf8_is_bad_and_the_next_line_is_still_read():
    assert records(f'{{"findings": ["fever \udcff"]}}\n{GOOD}\n') == [(1, BadLine(1, "not valid UTF-8")),
                                                                    (2, json.loads(GOOD))]


def test_a_finding_reported_both_present_and_absent_is_a_bad_line(batch):
    assert batch.run(4, {"findings": ["fever"], "absent": ["high temperature"]}) == BadLine(
        4, "reported both present and absent: fever")


def test_a_line_several_times_the_limit_is_skipped_whole_and_the_next_line_keeps_its_number():
    huge = _padded(250_000)
    got = records(f"{huge}\n{GOOD}\n{huge}")
    assert got == [(1, BadLine(1, "line too long (more than 100,000 characters)")), (2, json.loads(GOOD)),
                   (3, BadLine(3, "line too long (more than 100,000 characters)"))]


@pytest.fixture(scope="module")
def batch() -> BatchTriage:
    kb = load_compiled()
    return BatchTriage(CompiledTriageEngine(kb), kb.resolver, explain=False)


def test_fifty_findings_are_accepted_and_fifty_one_refused(batch):
    assert len(batch.presentation({"findings": ["fever"] * 50}).findings) == 1
    with pytest.raises(PresentationError, match=r"^'findings' has 51 items; at most 50$"):
        batch.presentation({"findings": ["fever"] * 51})
    with pytest.raises(PresentationError, match=r"^'absent' has 51 items; at most 50$"):
        batch.presentation({"findings": ["fever"], "absent": ";".join(["trauma"] * 51)})


def test_an_id_of_200_characters_is_accepted_and_201_refused(batch):
    assert batch.run(1, {"id": "i" * 200, "findings": ["fever"]}).presentation.findings[0].concept.id == "fever"
    assert batch.run(1, {"id": "i" * 201, "findings": ["fever"]}) == BadLine(1, "'id' is longer than 200 characters")


@pytest.mark.parametrize("value", [[1], [["fever"]], {"fever": "yes"}, 5, True])
def test_findings_that_are_not_strings_or_a_list_of_strings_are_refused(batch, value):
    assert batch.run(7, {"findings": value}) == BadLine(7, "'findings' must be a list of strings")


@pytest.mark.parametrize("value", [True, False, ["6w"], {"weeks": 6}])
def test_a_duration_or_trend_that_is_not_text_or_a_number_is_refused(batch, value):
    assert batch.run(3, {"findings": ["fever"], "duration": value}) == BadLine(3, "'duration' must be a string")
    assert batch.run(3, {"findings": ["fever"], "trend": value}) == BadLine(3, "'trend' must be a string")


def test_a_numeric_duration_is_read_as_text(batch):
    with pytest.raises(PresentationError, match="invalid duration '6'"):
        batch.presentation({"findings": ["fever"], "duration": 6})


def test_unknown_words_are_partial_by_default_and_remember_whether_they_were_reported_absent(batch):
    p = batch.presentation({"findings": ["saddle numbness", "xyzzy"], "absent": ["qwertyuiop"]})
    assert [f.concept.id for f in p.findings] == ["saddle-anaesthesia"]
    assert [(u.input, u.absent) for u in p.unresolved] == [("xyzzy", False), ("qwertyuiop", True)]
    strict = BatchTriage(batch.engine, batch._resolver, explain=False, strict=True)
    with pytest.raises(UnresolvedInputs, match=r"^not understood \(--strict\): "):
        strict.presentation({"findings": ["saddle numbness", "xyzzy"]})


def test_bad_lines_are_values():
    with pytest.raises(dataclasses.FrozenInstanceError):
        BadLine(1, "x").line = 2  # type: ignore[misc]


# -- CSV ---------------------------------------------------------------------------------------------
def test_a_csv_header_without_findings_is_line_one():
    assert records("id,absent\np1,fever\n", "csv") == [
        (1, BadLine(1, "the CSV header needs a 'findings' column (and optionally id, absent, duration, trend)"))]


def test_an_unreadable_csv_header_is_line_one():
    assert records("a" * 200_000 + ",findings\np1,fever\n", "csv") == [
        (1, BadLine(1, "the CSV header cannot be read: field larger than field limit (131072)"))]


def test_a_bad_csv_row_is_reported_and_the_rows_after_it_are_still_read():
    text = "id,findings\n1,fever\n2," + "a" * 200_000 + "\n3,\udcff fever\n4,fever\n"
    got = records(text, "csv")
    assert got == [(2, {"id": "1", "findings": "fever"}),
                   (3, BadLine(3, "not valid CSV: field larger than field limit (131072)")),
                   (4, BadLine(4, "not valid UTF-8")),
                   (5, {"id": "4", "findings": "fever"})]


def test_a_clean_csv_file_ends_cleanly(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text("id,findings\np1,fever\np2,tennis elbow\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["triage", "--batch", str(path), "--no-explain"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["p1", "p2"]
    assert result.stderr == "mskg: triaged 2 presentation(s) (0 partial); 0 bad line(s)\n"
