"""The compiled rules answer exactly as SPARQL evaluation does: every vignette (the whole JSON, explanations
included) and thousands of generated presentations. Plus the cache that serves them."""
from __future__ import annotations

import copy
import dataclasses

import orjson

import pytest
from hypothesis import given, settings

from mskg.cli.render import triage_dict
from mskg.kg import cache as cache_module
from mskg.kg.resolve import PRESENTATION_ROOTS
from mskg.queries.triage.compiled import CompiledKB, CompiledTriageEngine, compile_kb, kb_from_json, kb_to_json
from mskg.queries.triage.records import Presentation, make_presentation
from mskg.queries.triage.sparql import engine_for

from .strategies import presentations
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
        by_compiled, by_sparql = compiled.triage(presentation), sparql.triage(presentation)
        assert triage_dict(by_compiled) == triage_dict(by_sparql), v.name
        assert _answer(by_compiled) == _answer(by_sparql), v.name


def _answer(result) -> tuple:
    return (result.urgency.id, result.training,
            tuple((r.id, r.fires, r.duration_ok, r.trend_ok, r.matches, r.minimal_triggers) for r in result.rules),
            tuple((r.id, r.kind, r.urgency.id, r.timeframe, r.when, r.rules) for r in result.recommendations),
            tuple(result.not_asked))


def _key(p: Presentation) -> tuple:
    return (frozenset(r.concept.id for r in p.findings), frozenset(r.concept.id for r in p.absent),
            p.duration_days, p.trend)


def test_thousands_of_generated_presentations_give_the_same_answer(kb, engines):
    """Compiled and SPARQL agree on thousands of distinct presentations, many with absent findings.

    The strategy draws one small presentation per example (no health check is suppressed), and the test
    counts what was really run, so a strategy that stops generating cannot pass unnoticed.
    """
    compiled, sparql = engines
    concepts = sorted((c for c in kb.concepts if c.root in PRESENTATION_ROOTS), key=lambda c: c.id)
    seen: set[tuple] = set()
    with_absent = fired = 0

    @settings(max_examples=2500, deadline=None, database=None)
    @given(presentations(concepts))
    def check(p: Presentation) -> None:
        nonlocal with_absent, fired
        by_compiled = _answer(compiled.triage(p, explain=False))
        by_sparql = _answer(sparql.triage(p, explain=False))
        assert by_compiled == by_sparql, (
            f"the engines disagree on findings={[f.concept.id for f in p.findings]} "
            f"absent={[a.concept.id for a in p.absent]} duration={p.duration_days} trend={p.trend}\n"
            f"  compiled: {by_compiled}\n  sparql:   {by_sparql}")
        key = _key(p)
        if key not in seen:
            seen.add(key)
            with_absent += bool(p.absent)
            fired += by_compiled[0] != "self-care"

    check()
    print(f"differential: {len(seen)} distinct presentations, {with_absent} with absent findings, {fired} firing")
    assert len(seen) >= 2000, f"only {len(seen)} distinct presentations were generated"
    assert with_absent >= 800, f"only {with_absent} presentations had absent findings"
    assert fired >= 1000, f"only {fired} presentations fired anything above self-care"


def test_the_compiled_form_survives_json(kb, graph):
    """Written as JSON and read back, the compiled form is equal in every part: the explainer's graph (its
    nodes, edges and each node's successor and predecessor order, which path searches follow) and the
    resolver's index included."""
    again = kb_from_json(orjson.loads(orjson.dumps(kb_to_json(kb))))
    for name in ("concepts", "ancestors", "answers", "rules", "by_trigger", "urgencies", "actions",
                 "labels", "regions", "notes", "screen", "trend_implies"):
        assert getattr(again, name) == getattr(kb, name), name
    before, after = kb.view, again.view
    assert list(after.g.nodes(data=True)) == list(before.g.nodes(data=True))
    assert list(after.g.edges(keys=True, data=True)) == list(before.g.edges(keys=True, data=True))
    assert [list(after.g.pred[n]) for n in after.g] == [list(before.g.pred[n]) for n in before.g]
    assert (after.threshold_of, after.timeframe_of) == (before.threshold_of, before.timeframe_of)
    assert after.article_text == before._article()
    private = {k: v for k, v in kb.resolver.__dict__.items() if k != "_reader"}
    assert {k: v for k, v in again.resolver.__dict__.items() if k != "_reader"} == private
    presentation = make_presentation(again.resolver, ["saddle numbness"])
    result = CompiledTriageEngine(again).triage(presentation)
    assert result.urgency.id == "emergency"
    assert result.explanations["rf-saddle-anaesthesia"][0].sources
    assert triage_dict(result) == triage_dict(CompiledTriageEngine(kb).triage(presentation))


def test_a_compiled_form_with_a_wrong_explainer_view_or_resolver_is_refused(kb):
    """Every field has the right type but one: the reader still refuses it (it would fail later, mid-answer)."""
    from mskg.kg.codec import CodecError

    names = [f.name for f in dataclasses.fields(CompiledKB)]
    data = kb_to_json(kb)
    for wrong, right in (("view", "resolver"), ("resolver", "view")):
        bad = copy.deepcopy(data)
        bad["$o"][1][names.index(wrong)] = bad["$o"][1][names.index(right)]
        with pytest.raises(CodecError, match=r"wrong shape \(view, resolver or rules\)"):
            kb_from_json(bad)
    # a list of the right type holding one item of the wrong class: a concept among the rules, and back
    rules, concepts = (data["$o"][1][names.index(n)]["$l"] for n in ("rules", "concepts"))
    for field, item in (("rules", concepts[0]), ("concepts", rules[0])):
        bad = copy.deepcopy(data)
        bad["$o"][1][names.index(field)]["$l"][-1] = item
        with pytest.raises(CodecError, match=r"wrong shape \(view, resolver or rules\)"):
            kb_from_json(bad)
    with pytest.raises(dataclasses.FrozenInstanceError):
        kb.rules[0].urgency = "self-care"  # shared by every answer of the process: never changed by one


def test_the_cache_is_written_once_and_keyed_on_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("MSKG_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("MSKG_NO_CACHE", raising=False)
    calls = []
    value = cache_module.cached("probe", lambda: calls.append(1) or {"built": True})
    again = cache_module.cached("probe", lambda: calls.append(1) or {"built": False})
    assert value == again == {"built": True}
    assert calls == [1]
    key = cache_module.data_key()
    assert (tmp_path / key / "probe.json").exists()
    (tmp_path / key / "probe.json").write_bytes(b"not json")
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
