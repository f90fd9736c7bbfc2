"""The README stays true: its test command is CI's, and its example query runs on the graph."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _readme() -> str:
    path = ROOT / "README.md"
    if not path.exists():
        pytest.skip("README.md is not beside the tests (installed tests only)")
    return path.read_text(encoding="utf-8")


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = re.search(r'^TEST_COMMAND="(.+)"$', ci, re.M).group(1)
    blocks = re.findall(r"```bash\n(.+?)\n```", _readme(), re.S)
    assert command in blocks
    assert command == "pip install '.[test]' && python -m pytest"


def test_the_readme_example_query_lists_red_flags_by_urgency(graph):
    query = re.search(r"```sparql\n(.+?)```", _readme(), re.S).group(1)
    rows = list(graph.query(query))
    assert rows[0].rank.toPython() == 4
    assert rows[-1].rank.toPython() == 2
    flags = {str(r.flag) for r in rows}
    assert "New numbness or altered feeling around the saddle area" in flags
    saddle = [r for r in rows if str(r.trigger) == "saddle anaesthesia"]
    assert any("numbness “around your bottom, genitals, or anus”" in str(r.quote) for r in saddle)


def test_the_main_job_is_a_triage_with_its_explanation():
    main_job = re.findall(r"```bash\n(.+?)\n```", _readme(), re.S)[0]
    assert main_job.startswith("pip install . && mskg triage --finding ")
    assert "&& mskg explain " in main_job
