"""The mutation tester's per-module test commands (benchmarks/mutation/*.toml) name tests that exist: a renamed test
left in a command makes that module's run stop before its first mutant ("the unmutated tests fail"), found only
when someone next measures it."""

import re
import shlex
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "benchmarks" / "mutation").glob("*.toml"))


def test_there_is_a_config_per_safety_critical_module():
    assert {c.stem for c in CONFIGS} >= {
        "triage.policy", "triage.compiled", "triage.sparql", "triage.records", "triage.batch", "triage.explain",
        "kg.resolve", "kg.provenance", "queries.run", "queries.results", "endpoint.protocol", "endpoint.server",
        "endpoint.workers", "endpoint.sandbox"}


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.stem)
def test_every_test_a_mutation_command_names_exists(config):
    settings = tomllib.loads(config.read_text(encoding="utf-8"))["cosmic-ray"]
    assert (ROOT / settings["module-path"]).is_file()
    tokens = shlex.split(settings["test-command"])
    named = [t for t in tokens if t.startswith("tests/")]
    named += [t for i, t in enumerate(tokens) if i and tokens[i - 1] == "--deselect"]
    assert named
    for target in named:
        path, _, name = target.partition("::")
        assert (ROOT / path).is_file(), target
        if name:
            source = (ROOT / path).read_text(encoding="utf-8")
            assert re.search(rf"^def {re.escape(name.split('[')[0])}\(", source, re.M), target
