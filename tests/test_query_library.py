"""The named query library: headers, golden results on every engine we trust, parameters, and formats."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef

from mskg.cli.main import cli
from mskg.queries import TRIAGE_QUERIES, query_info, query_names, query_text
from mskg.queries.engine import QueryError, cell, make_engine

from .regenerate_goldens import PRESENTATION, presentation_engine

GOLDEN = Path(__file__).resolve().parent / "golden"
#: red_flags_by_urgency's rows (flag, trigger): its reviewed golden's length
RED_FLAG_ROWS = len(json.loads((GOLDEN / "red_flags_by_urgency.json").read_text(encoding="utf-8"))["rows"])
LIBRARY = [n for n in query_names() if n not in TRIAGE_QUERIES]


def rows_as_set(result) -> set:
    return {tuple(cell(t) for t in row) for row in result.rows}


def golden(name: str) -> tuple[list[str], set]:
    data = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    return data["variables"], {tuple(row) for row in data["rows"]}


def test_the_library_answers_at_least_fifteen_questions():
    assert len(LIBRARY) >= 15
    assert {"red_flags_by_urgency", "findings_of_concern", "condition_actions", "recommendation_evidence",
            "imaging_indications", "training_modifications", "statistics", "timeframes_by_length",
            "sciatica_vs_strain", "concept_hierarchy", "terminology_mappings", "interpretations",
            "section_coverage"} <= set(LIBRARY)


@pytest.mark.parametrize("name", query_names())
def test_every_query_has_a_header_and_a_golden_file(name):
    info = query_info(name)
    assert info.title and info.title != name
    assert len(info.question) > 20
    assert info.columns
    assert (GOLDEN / f"{name}.json").exists(), "run python tests/regenerate_goldens.py and review the diff"


@pytest.fixture(scope="module")
def engines(graph):
    return {name: make_engine(name, graph) for name in ("pyoxigraph", "rdflib")}


@pytest.mark.parametrize("engine_name", ["pyoxigraph", "rdflib"])
@pytest.mark.parametrize("name", LIBRARY)
def test_golden_results(engines, engine_name, name):
    result = engines[engine_name].query(query_text(name))
    variables, rows = golden(name)
    assert result.variables == variables
    assert rows_as_set(result) == rows


@pytest.mark.parametrize("name", sorted(TRIAGE_QUERIES))
def test_golden_results_of_the_triage_queries(name):
    bindings = {"rule": URIRef(PRESENTATION["rule"])} if name == "rule_criteria" else None
    result = presentation_engine().query(query_text(name), bindings)
    assert rows_as_set(result) == golden(name)[1]


def test_golden_spot_checks(engines):
    ox = engines["pyoxigraph"]
    stats = ox.query(query_text("statistics"))
    ces = [r for r in stats.rows if str(r[0]).endswith("stat-cauda-equina-rate")]
    assert len(ces) == 1 and str(ces[0][1]) == "0.04" and "0.04% for cauda equina syndrome" in str(ces[0][8])
    flags = {str(r[2]) for r in ox.query(query_text("red_flags_by_urgency")).rows}
    assert len(flags) == 23  # the article's 15, issue 12's five, the elbow's rapidly worsening pain, swelling after injury, metastatic cancer
    coverage = {str(r[2]): int(r[4]) for r in ox.query(query_text("section_coverage")).rows}
    assert coverage["Free non-medical discussion"] == 0  # the clinic's sales box yields no facts
    assert coverage["Recent Articles & Medical Insights"] == 0
    assert coverage["Back pain with leg symptoms is it sciatica"] > 10


def test_parameters_are_bound_not_pasted(engines, graph):
    text = query_text("condition_actions")
    result = engines["pyoxigraph"].query(text, {"condition": URIRef("https://w3id.org/mskg/id/tennis-elbow")})
    assert {str(r[0]) for r in result.rows} == {"https://w3id.org/mskg/id/tennis-elbow"}
    assert len(result.rows) == 11  # 6 first-line, 1 later option (surgery), 4 other recommendations (issue 12 item 7:
    # the options "some clinics may discuss" are mentioned, not recommended; "rarely needs an immediate scan" added)
    hostile = engines["pyoxigraph"].query(text, {"condition": Literal("x> } ; ?a ?b ?c { <urn:y")})
    assert hostile.rows == []  # a value is a term, never query text
    with pytest.raises(QueryError, match="bad parameter value: Invalid IRI code point '>'"):
        engines["pyoxigraph"].query(text, {"condition": URIRef("urn:x> } ; ?a ?b ?c { <urn:y")})


def test_a_syntax_error_reports_line_and_column(engines):
    with pytest.raises(QueryError) as err:
        engines["pyoxigraph"].query("SELECT * WHERE {\n  ?s ?p }")
    assert (err.value.line, err.value.column) == (2, 10)


def run(*args):
    return CliRunner().invoke(cli, ["query", *args])


def test_query_list_prints_name_title_parameters_and_question():
    lines = run("--list").output.splitlines()
    heads = [line for line in lines if not line.startswith(" ")]
    assert [h.split()[0] for h in heads] == query_names()
    at = lines.index("condition_actions  Actions and timeframes for a condition")
    assert lines[at + 1:at + 3] == [
        "    parameters: --param condition=…",
        "    question: What does the article recommend for a condition — first-line care, later options, other "
        "advice — and when?"]
    at = lines.index("statistics  Statistics with their sources")
    assert lines[at + 1] == "    parameters: none"


def test_query_show_prints_the_text_without_running_it():
    result = run("statistics", "--show")
    assert result.exit_code == 0
    assert result.output == query_text("statistics")
    assert run("statistcs", "--show").exit_code == 2  # an unknown name: the usual error, with the closest


@pytest.mark.parametrize("fmt", ["json", "csv", "tsv", "xml", "table"])
def test_every_format_parses_with_a_standard_parser(fmt):
    result = run("red_flags_by_urgency", "--format", fmt)
    assert result.exit_code == 0, result.output
    out = result.stdout
    if fmt == "json":
        data = json.loads(out)
        assert data["head"]["vars"][:3] == ["rank", "urgency", "flag"]
        assert len(data["results"]["bindings"]) == RED_FLAG_ROWS
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(out)))
        assert rows[0][:3] == ["rank", "urgency", "flag"] and len(rows) == RED_FLAG_ROWS + 1
    elif fmt == "tsv":
        lines = out.splitlines()
        assert lines[0].startswith("?rank\t?urgency") and len(lines) == RED_FLAG_ROWS + 1
    elif fmt == "xml":
        root = ET.fromstring(out.encode())
        ns = "{http://www.w3.org/2005/sparql-results#}"
        assert len(root.find(f"{ns}results").findall(f"{ns}result")) == RED_FLAG_ROWS
    else:
        assert out.splitlines()[-1] == f"({RED_FLAG_ROWS} rows)"
        assert "id:rf-saddle-anaesthesia" in out


@pytest.mark.parametrize("fmt,parser", [("turtle", "turtle"), ("nt", "nt"), ("json-ld", "json-ld")])
def test_graph_results_parse_with_rdflib(fmt, parser):
    result = run("-e", "CONSTRUCT { ?s skos:altLabel ?a } WHERE { BIND(id:saddle-anaesthesia AS ?s) ?s skos:altLabel ?a }",
                 "--format", fmt)
    assert result.exit_code == 0, result.output
    graph = Graph().parse(data=result.stdout, format=parser)
    from mskg.kg.facts import load_facts

    alts = next(c for c in load_facts()["concepts"] if c["id"] == "saddle-anaesthesia")["alt"]
    assert {str(o) for o in graph.objects()} == set(alts)  # every alternative label, as written in the facts


def test_cli_parameter_and_its_checks():
    ok = run("condition_actions", "--param", "condition=tennis-elbow", "--format", "json")
    assert ok.exit_code == 0
    assert len(json.loads(ok.stdout)["results"]["bindings"]) == 11  # issue 12 item 7 (see test_parameters_are_bound_not_pasted)
    unknown = run("statistics", "--param", "condition=x")
    assert unknown.exit_code == 2
    assert unknown.stderr == "mskg query: query 'statistics' has no parameter 'condition'; its parameters: none\n"
    bad = run("condition_actions", "--param", "condition")
    assert bad.exit_code == 2 and "bad --param 'condition'" in bad.stderr


@pytest.mark.parametrize("query,message", [
    ("SELECT * WHERE {\n  ?s ?p }", "mskg query: syntax error: expected one of LATERAL, SERVICE, [_] at line 2, column 10\n"),
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
     "mskg query: SERVICE (federated query) is not accepted: this service makes no outbound connections\n"),
    ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", "mskg query: FROM / FROM NAMED is not accepted"),
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "mskg query: this endpoint is read-only: INSERT"),
    ("LOAD <http://example.org/x>", "mskg query: this endpoint is read-only: LOAD"),
])
def test_bad_or_forbidden_queries_exit_2(query, message):
    result = run("-e", query)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message)


def test_a_graph_format_for_a_table_is_refused():
    result = run("statistics", "--format", "turtle")
    assert result.exit_code == 2 and "a SELECT or ASK result is a table" in result.stderr


def test_an_unknown_query_name_suggests_the_closest():
    result = run("statistcs")
    assert result.exit_code == 2
    assert result.stderr == "mskg query: no query named 'statistcs'; did you mean statistics?\n"


def test_the_golden_script_refuses_to_overwrite_silently(tmp_path, monkeypatch, capsys):
    """A changed golden is shown row by row and written only with --write."""
    import shutil

    from . import regenerate_goldens

    for path in GOLDEN.glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    target = tmp_path / "urgency_levels.json"
    data = json.loads(target.read_text(encoding="utf-8"))
    removed = data["rows"].pop(0)
    target.write_text(json.dumps(data), encoding="utf-8")
    before = target.read_bytes()
    monkeypatch.setattr(regenerate_goldens, "GOLDEN", tmp_path)
    assert regenerate_goldens.main([]) == 1
    out = capsys.readouterr().out
    assert f"urgency_levels.json: {len(data['rows'])} -> {len(data['rows']) + 1} rows" in out
    assert f"  + {json.dumps(removed, ensure_ascii=False)}" in out
    assert "1 golden(s) would change; nothing written" in out
    assert target.read_bytes() == before
    assert regenerate_goldens.main(["--write"]) == 0
    assert json.loads(target.read_text(encoding="utf-8")) == json.loads((GOLDEN / "urgency_levels.json").read_text())
