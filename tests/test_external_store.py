"""The same query layer on an external triplestore: a real Oxigraph server (the `oxigraph` package's CLI).

The test starts `oxigraph serve` in memory on a free loopback port, pushes the graph with `mskg load`
(SPARQL 1.1 Graph Store Protocol), runs the whole named library there with `mskg query --endpoint`'s
library function, and requires the golden results of the in-process engine.
"""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import URIRef

from mskg.cli.main import cli
from mskg.queries import TRIAGE_QUERIES, query_names, query_text
from mskg.queries.engine import QueryError, cell
from mskg.kg.load import load_graph
from mskg.queries.run import run_local, run_remote

GOLDEN = Path(__file__).resolve().parent / "golden"


def _oxigraph() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(found).exists():
        pytest.fail("the oxigraph server is missing: pip install '.[test]' installs it")
    return found


@pytest.fixture(scope="module")
def oxigraph():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([_oxigraph(), "serve", "--bind", f"127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/query?query=ASK%7B%7D", timeout=1):
                break
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("oxigraph serve did not start")
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="module")
def loaded(oxigraph):
    result = CliRunner().invoke(cli, ["load", "--endpoint", f"{oxigraph}/store"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("loaded ") and "triples into the default graph" in result.output
    return f"{oxigraph}/query"


@pytest.mark.parametrize("name", [n for n in query_names() if n not in TRIAGE_QUERIES])
def test_the_library_gives_the_golden_results_on_oxigraph_server(loaded, name):
    result = run_remote(query_text(name), loaded)
    golden = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    assert result.variables == golden["variables"]
    assert {tuple(cell(t) for t in row) for row in result.rows} == {tuple(r) for r in golden["rows"]}


def test_parameters_on_an_external_store(loaded):
    result = run_remote(query_text("condition_actions"), loaded,
                        {"condition": URIRef("https://w3id.org/mskg/id/tennis-elbow")})
    assert {str(r[0]) for r in result.rows} == {"https://w3id.org/mskg/id/tennis-elbow"}
    # the same rows as in-process (a bound parameter, not a plain string, reaches the store); and by hand:
    # tennis elbow's recommended actions include relative rest and the strap, never the options "some clinics
    # may discuss" (shockwave, injections)
    local = run_local(query_text("condition_actions"), load_graph(),
                      {"condition": URIRef("https://w3id.org/mskg/id/tennis-elbow")})
    assert sorted(map(tuple, result.rows)) == sorted(map(tuple, local.rows))
    actions = {str(r[3]).rsplit("/", 1)[1] for r in result.rows}
    assert {"elbow-relative-rest", "forearm-strap", "elbow-no-immediate-scan"} <= actions
    assert not actions & {"shockwave-therapy", "corticosteroid-injection", "prp-injection"}
    hierarchy = run_remote(query_text("concept_hierarchy"), loaded,
                           {"root": URIRef("https://w3id.org/mskg/id/serious-spinal-pathology")})
    assert {str(r[1]).rsplit("/", 1)[1] for r in hierarchy.rows} == {
        "cauda-equina-syndrome", "spinal-infection", "metastatic-spinal-disease", "spinal-fracture",
        "spinal-nerve-compression"}


def test_mskg_query_endpoint_from_the_command_line(loaded):
    result = CliRunner().invoke(cli, ["query", "statistics", "--endpoint", loaded, "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "statistic,value,unit,approximate,measures,population,about,source,quote"
    assert len(result.stdout.splitlines()) == 7  # a header and six figures
    forbidden = CliRunner().invoke(cli, ["query", "-e", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
                                         "--endpoint", loaded])
    assert forbidden.exit_code == 2 and "SERVICE (federated query) is not accepted" in forbidden.stderr


@pytest.mark.parametrize("value", ["tennis-elbow", "id:tennis-elbow", "<https://w3id.org/mskg/id/tennis-elbow>"])
def test_a_bare_id_gives_the_same_rows_on_an_external_store_as_in_process(loaded, value):
    """`--param condition=tennis-elbow --endpoint URL` used to send the bare id as a plain string and return
    0 rows (13 in-process then). Every way of naming the condition gives tennis elbow's rows, on both paths:
    its recommended actions (relative rest, the strap, no immediate scan — the article's), the same as in-process."""
    args = ["query", "condition_actions", "--param", f"condition={value}", "--format", "csv"]
    remote = CliRunner().invoke(cli, args + ["--endpoint", loaded])
    local = CliRunner().invoke(cli, args)
    assert remote.exit_code == local.exit_code == 0, remote.output + local.output
    rows = remote.stdout.splitlines()[1:]
    assert rows and all(r.startswith("https://w3id.org/mskg/id/tennis-elbow,") for r in rows)
    actions = {r.split(",")[3].rsplit("/", 1)[1] for r in rows}
    assert {"elbow-relative-rest", "forearm-strap", "elbow-no-immediate-scan"} <= actions
    assert sorted(rows) == sorted(local.stdout.splitlines()[1:])


def test_a_misspelt_value_is_refused_on_an_external_store_before_anything_is_sent(loaded):
    result = CliRunner().invoke(cli, ["query", "condition_actions", "--param", "condition=tenis-elbow",
                                      "--endpoint", loaded])
    assert result.exit_code == 2
    assert result.stderr == ("mskg query: --param condition=tenis-elbow: the mskg graph has no resource of that "
                             "name; closest: id:tennis-elbow, id:section/tennis-elbow, id:medial-elbow\n")


def test_an_unreachable_endpoint_is_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(QueryError, match=f"cannot reach http://127.0.0.1:{port}/query"):
        run_remote("ASK {}", f"http://127.0.0.1:{port}/query", timeout=5)


#: A presentation as an informatician would write it for their own store (README, "A presentation in your
#: own store"): saddle numbness with low back pain.
PRESENTATION = b"""@prefix mskg: <https://w3id.org/mskg/ontology#> .
@prefix id: <https://w3id.org/mskg/id/> .
<urn:example:presentation-1> a mskg:Presentation ;
    mskg:hasFinding id:saddle-anaesthesia, id:low-back-pain .
"""


def _post(url: str, data: bytes, content_type: str) -> int:
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status


def _fired(result) -> set[str]:
    return {str(row[0]).rsplit("/", 1)[1] for row in result.rows if str(row[6]) == "true"}


def _fired_in_process() -> set[str]:
    """The same query in-process, over mskg's graph plus the same triples."""
    from rdflib import Graph

    graph = Graph()
    for triple in load_graph():
        graph.add(triple)
    graph.parse(data=PRESENTATION, format="turtle")
    return _fired(run_local(query_text("triage_rules"), graph))


def test_a_presentation_in_the_stores_default_graph_is_triaged_there(oxigraph, loaded):
    """The triage queries read a presentation written as triples next to the graph in an external store: saddle
    numbness with back pain fires the saddle-anaesthesia red flag (an emergency in the article: "Call 999 / go
    to A&E now: … numbness 'around the bottom/genitals'"), the same rules as in-process."""
    assert _post(f"{oxigraph}/store?default", PRESENTATION, "text/turtle") in (200, 201, 204)
    try:
        rules = run_remote(query_text("triage_rules"), loaded)
        assert "rf-saddle-anaesthesia" in _fired(rules)
        assert {str(r[2]).rsplit("/", 1)[1] for r in rules.rows if str(r[0]).endswith("/rf-saddle-anaesthesia")} \
            == {"emergency"}
        assert _fired(rules) == _fired_in_process()
    finally:
        _post(f"{oxigraph}/update", b"DELETE WHERE { <urn:example:presentation-1> ?p ?o }",
              "application/sparql-update")
    assert run_remote(query_text("triage_rules"), loaded).rows == []  # gone: the store is as it was


def test_a_presentation_in_a_named_graph_is_triaged_with_default_graph_uri(oxigraph):
    """With the graph and the presentation in a named graph, the endpoint URL names it as the query's default
    graph (`?default-graph-uri=…`, SPARQL 1.1 Protocol); without it the store's default graph is queried."""
    graph = "urn:example:mskg-named"
    result = CliRunner().invoke(cli, ["load", "--endpoint", f"{oxigraph}/store", "--graph", graph])
    assert result.exit_code == 0, result.output
    assert _post(f"{oxigraph}/store?graph={graph}", PRESENTATION, "text/turtle") in (200, 201, 204)
    rules = run_remote(query_text("triage_rules"), f"{oxigraph}/query?default-graph-uri={graph}")
    assert "rf-saddle-anaesthesia" in _fired(rules)
    assert _fired(rules) == _fired_in_process()
    cli_rows = CliRunner().invoke(cli, ["query", "triage_rules", "--endpoint",
                                        f"{oxigraph}/query?default-graph-uri={graph}", "--format", "csv"])
    assert cli_rows.exit_code == 0 and "/rf-saddle-anaesthesia," in cli_rows.stdout
