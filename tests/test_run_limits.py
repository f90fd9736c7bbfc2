"""The library's query runners keep the limits the README documents, and turn each answer of a query's
worker into the right result or one-line error.

Defaults are written here from the README's command table and "Query layer" section (``mskg query``:
30 s, 64,000,000 bytes; ``mskg load``: 120 s; a worker's memory: 2048 MB), not read from the code."""
from __future__ import annotations

import inspect

import pytest
from rdflib import Graph, Literal, URIRef

from mskg.cli.query import load as load_command
from mskg.cli.query import query as query_command
from mskg.queries import run
from mskg.queries.endpoint import workers
from mskg.queries.engine import QueryError


def _default(function, name):
    return inspect.signature(function).parameters[name].default


def _option(command, name):
    return next(p.default for p in command.params if p.name == name)


def test_the_library_runners_default_to_the_limits_mskg_query_and_load_document():
    assert _default(run.run_remote, "timeout") == 30.0 == _option(query_command, "timeout")
    assert _default(run.run_remote, "max_bytes") == 64_000_000 == run.MAX_RESPONSE_BYTES
    assert _option(query_command, "max_response_bytes") == 64_000_000
    assert _default(run.run_killable, "timeout") == 30.0
    assert _default(run.run_killable, "memory_mb") == 2048
    assert _default(run.load_remote, "timeout") == 120.0 == _option(load_command, "timeout")


class _Pool:
    """A stand-in for the worker pool that answers every query with one fixed answer."""

    answer: workers.Answer
    seen: list = []

    def __init__(self, ntriples, size, timeout, max_rows, memory_mb):
        _Pool.seen.append({"size": size, "timeout": timeout, "memory_mb": memory_mb, "closed": None})
        self.closed = False

    def run(self, text, accept):
        _Pool.seen[-1].update(text=text, accept=accept, closed=self.closed)
        return _Pool.answer

    def close(self):
        _Pool.seen[-1]["shut"] = True


@pytest.fixture
def pool(monkeypatch):
    _Pool.seen = []
    monkeypatch.setattr(workers, "WorkerPool", _Pool)
    return _Pool


def _small_graph() -> Graph:
    graph = Graph()
    graph.add((URIRef("urn:x:s"), URIRef("urn:x:p"), Literal("o")))
    return graph


def test_a_worker_stopped_at_its_time_limit_is_a_timeout_naming_the_limit(pool):
    pool.answer = workers.Answer(503, "text/plain", b"the query ran longer than 7 s and was stopped\n")
    with pytest.raises(run.QueryTimeout) as caught:
        run.run_killable("ASK {}", _small_graph(), timeout=7)
    assert str(caught.value) == "the query ran longer than the limit of 7 s and was stopped (raise it with --timeout)"
    # one worker of the asked size, not replaced, shut afterwards, asked for what can be read back
    assert pool.seen == [{"size": 1, "timeout": 7, "memory_mb": 2048, "closed": True, "shut": True,
                          "text": "ASK {}", "accept": "application/sparql-results+json, application/n-triples;q=0.9"}]


def test_a_worker_that_crashed_is_an_error_that_says_so_not_a_timeout(pool):
    pool.answer = workers.Answer(503, "text/plain", b"the query engine stopped\n")
    with pytest.raises(QueryError) as caught:
        run.run_killable("ASK {}", _small_graph())
    assert type(caught.value) is QueryError
    assert str(caught.value) == "the query engine stopped on this query (it crashed or ran out of memory)"


def test_a_refused_query_is_the_workers_message_without_its_prefix(pool):
    pool.answer = workers.Answer(400, "text/plain", b"Bad query: line 1: expected WHERE\n")
    with pytest.raises(QueryError, match=r"^line 1: expected WHERE$"):
        run.run_killable("SELECT", _small_graph())


def test_a_workers_json_and_ntriples_answers_are_read_back(pool):
    pool.answer = workers.Answer(200, "application/sparql-results+json", b'{"head": {}, "boolean": true}')
    asked = run.run_killable("ASK {}", _small_graph())
    assert (asked.kind, asked.boolean) == ("ask", True)
    pool.answer = workers.Answer(200, "application/n-triples", b'<urn:x:a> <urn:x:b> "1e99999" .\n')
    result = run.run_killable("CONSTRUCT WHERE { ?s ?p ?o }", _small_graph())
    assert result.kind == "graph"
    assert [str(o) for o in result.graph.objects()] == ["1e99999"]


def test_parameters_reach_the_worker_as_a_values_block(pool):
    pool.answer = workers.Answer(200, "application/sparql-results+json", b'{"head": {}, "boolean": true}')
    run.run_killable("ASK WHERE { ?s ?p ?o }", _small_graph(), {"s": URIRef("urn:x:s")})
    assert pool.seen[-1]["text"] == "ASK WHERE { VALUES (?s) { (<urn:x:s>) }  ?s ?p ?o }"
