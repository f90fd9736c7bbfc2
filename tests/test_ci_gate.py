"""On CI a skipped test fails the run unless it is allow-listed (tests/conftest.py): no silent green."""
from __future__ import annotations

import pytest

from .conftest import ALLOWED_CI_SKIPS, ROOT

SKIPPING = """
import pytest

def test_needs_a_tool():
    pytest.skip("the tool is not installed")

def test_runs():
    pass
"""


@pytest.fixture
def project(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest("from tests.conftest import pytest_sessionfinish  # the gate under test\n")
    pytester.makepyfile(test_probe=SKIPPING)
    return pytester


def test_a_skip_fails_a_ci_run(project, monkeypatch):
    monkeypatch.setenv("CI", "true")
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*1 test(s) skipped that must run on CI*", "*test_probe.py::test_needs_a_tool*"])


def test_a_skip_is_only_reported_off_ci(project, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == 0
    result.assert_outcomes(passed=1, skipped=1)


def test_every_allowed_skip_names_a_real_test():
    for nodeid in ALLOWED_CI_SKIPS:
        path, name = nodeid.split("::")
        name = name.split("[")[0]  # a parametrised case: its function
        assert f"def {name}(" in (ROOT / path).read_text(encoding="utf-8"), nodeid
