"""The compiled rules answer exactly as SPARQL evaluation does: every vignette (the whole JSON, explanations
included) and thousands of generated presentations. Plus the cache that serves them."""
from __future__ import annotations

import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mskg.cli.render import triage_dict
from mskg.kg import cache as cache_module
from mskg.kg.resolve import PRESENTATION_ROOTS
from mskg.queries.triage.compiled import CompiledTriageEngine, compile_kb
from mskg.queries.triage.records import Presentation, Reported, make_presentation, parse_duration
from mskg.queries.triage.sparql import engine_for

from .test_triage_vignettes import VIGNETTES


@pytest.fixture(scope="module")
def kb(graph):
    return compile_kb(graph)


@pytest.fixture(scope="module")
def engines(graph, kb):
    return CompiledTriageEngine(kb), engine_for(graph)


def test_every_vignette_gives_the_same_json(graph, engines):
    compiled, sparql = engines
    for v in VIGNETTES:
        presentation = make_presentation(graph, v.findings, v.absent, v.duration, v.trend)
        assert triage_dict(compiled.triage(presentation)) == triage_dict(sparql.triage(presentation)), v.name


def _answer(result) -> tuple:
    return (result.urgency.id, result.training,
            tuple((r.id, r.fires, r.minimal_triggers) for r in result.rules),
            tuple((r.id, r.kind, r.urgency.id, r.timeframe, r.when, r.rules) for r in result.recommendations),
            tuple(result.not_asked))


presentations = st.lists(st.tuples(
    st.lists(st.integers(min_value=0, max_value=62), min_size=1, max_size=6, unique=True),
    st.lists(st.integers(min_value=0, max_value=62), max_size=3, unique=True),
    st.sampled_from([None, "6h", "2d", "6d", "7d", "13d", "14d", "27d", "28d", "41d", "42d", "100d"]),
    st.sampled_from([None, "improving", "unchanged", "worsening"]),
), min_size=500, max_size=500)


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(presentations)
def test_thousands_of_generated_presentations_give_the_same_answer(graph, kb, engines, batch):
    compiled, sparql = engines
    concepts = sorted((c for c in kb.concepts if c.root in PRESENTATION_ROOTS), key=lambda c: c.id)
    for present, absent, duration, trend in batch:
        findings = tuple({concepts[i].id: Reported(concepts[i].id, concepts[i]) for i in present}.values())
        missing = tuple({concepts[i].id: Reported(concepts[i].id, concepts[i]) for i in absent
                         if concepts[i].id not in {f.concept.id for f in findings}}.values())
        p = Presentation(findings, missing, parse_duration(duration) if duration else None, trend)
        by_compiled = _answer(compiled.triage(p, explain=False))
        by_sparql = _answer(sparql.triage(p, explain=False))
        assert by_compiled == by_sparql, (
            f"the engines disagree on findings={[f.concept.id for f in findings]} absent={[a.concept.id for a in missing]}"
            f" duration={duration} trend={trend}\n  compiled: {by_compiled[:3]}\n  sparql:   {by_sparql[:3]}")


def test_the_compiled_form_survives_pickling(kb, graph):
    again = pickle.loads(pickle.dumps(kb))
    presentation = make_presentation(again.resolver, ["saddle numbness"])
    result = CompiledTriageEngine(again).triage(presentation)
    assert result.urgency.id == "emergency"
    assert result.explanations["rf-saddle-anaesthesia"][0].sources


def test_the_cache_is_written_once_and_keyed_on_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("MSKG_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("MSKG_NO_CACHE", raising=False)
    calls = []
    value = cache_module.cached("probe", lambda: calls.append(1) or {"built": True})
    again = cache_module.cached("probe", lambda: calls.append(1) or {"built": False})
    assert value == again == {"built": True}
    assert calls == [1]
    key = cache_module.data_key()
    assert (tmp_path / key / "probe.pickle").exists()
    (tmp_path / key / "probe.pickle").write_bytes(b"not a pickle")
    assert cache_module.cached("probe", lambda: {"rebuilt": True}) == {"rebuilt": True}


def test_the_cache_key_changes_with_the_facts(monkeypatch):
    before = cache_module.data_key()
    cache_module.data_key.cache_clear()
    original = cache_module.files

    class Patched:
        def __init__(self, package):
            self.inner = original(package)

        def iterdir(self):
            for entry in self.inner.iterdir():
                if entry.name == "facts.yaml":
                    yield type("Edited", (), {"name": entry.name, "is_file": lambda self: True,
                                              "read_bytes": lambda self: entry.read_bytes() + b"\n# edited\n"})()
                else:
                    yield entry

    monkeypatch.setattr(cache_module, "files", Patched)
    try:
        assert cache_module.data_key() != before
    finally:
        cache_module.data_key.cache_clear()


def test_no_cache_folder_is_not_an_error(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("a file where a folder should be")
    monkeypatch.setenv("MSKG_CACHE_DIR", str(blocked))
    assert cache_module.cached("probe", lambda: 42) == 42
