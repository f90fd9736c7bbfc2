"""Terminology: only confirmed codes, each SNOMED CT id with a valid Verhoeff check digit."""
from __future__ import annotations

import pytest

from mskg.kg.terminology import Binding, TerminologyError, load_bindings, parse_bindings, verhoeff_valid
from mskg.ontology.namespaces import ID

from .conftest import SHARED


@pytest.mark.parametrize("sctid", ["192970008", "23056005", "202855006", "91251008", "2304001"])
def test_verhoeff_accepts_real_snomed_ids(sctid):
    assert verhoeff_valid(sctid)


@pytest.mark.parametrize("sctid", ["192970007", "23056050", "202585006", "", "12a4"])
def test_verhoeff_rejects_a_wrong_check_digit_or_transposition(sctid):
    assert not verhoeff_valid(sctid)


def test_every_snomed_id_in_the_graph_passes_verhoeff(sparql):
    codes = [str(r[0]).rsplit("/", 1)[1] for r in sparql(
        "SELECT DISTINCT ?code WHERE { ?c ?p ?code . FILTER(STRSTARTS(STR(?code), 'http://snomed.info/id/')) }")]
    assert len(codes) == 29
    assert all(verhoeff_valid(code) for code in codes), [c for c in codes if not verhoeff_valid(c)]


def test_a_binding_with_a_bad_check_digit_is_refused():
    table = "concept\tsystem\tcode\tmatch\tsource_row\nsciatica\tsnomed\t23056006\texact\tSciatica\n"
    with pytest.raises(TerminologyError, match="row 2: SNOMED CT id 23056006 fails its Verhoeff check digit"):
        parse_bindings(table)


def test_the_graph_holds_exactly_the_bound_codes(sparql):
    rows = sparql("""
        SELECT ?concept ?p ?code WHERE {
          VALUES ?p { skos:exactMatch skos:closeMatch skos:broadMatch }
          ?concept ?p ?code .
          FILTER(STRSTARTS(STR(?concept), "https://w3id.org/mskg/id/"))
        }""")
    match = {"exactMatch": "exact", "closeMatch": "close", "broadMatch": "broad"}
    in_graph = {(c.rsplit("/", 1)[1], match[p.rsplit("#", 1)[1]], code) for c, p, code in rows}
    expected = {(b.concept, b.match, str(b.iri)) for b in load_bindings()}
    assert in_graph == expected
    assert ("cauda-equina-syndrome", "exact", "http://snomed.info/id/192970008") in in_graph
    assert ("cauda-equina-syndrome", "exact", "http://purl.bioontology.org/ontology/ICD10/G83.4") in in_graph


def _shared_rows() -> dict[str, list[str]]:
    path = SHARED / "terminology.md"
    if not path.exists():
        pytest.skip(f"{path} is not beside the checkout")
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[1].isdigit():
            rows[cells[0]] = cells
    return rows


def _confirmed(binding: Binding, row: list[str]) -> bool:
    concept, sct, _name, sct_match, icd10, icd10cm = row
    if binding.system == "snomed":
        return binding.code == sct and binding.match == sct_match
    cell = icd10 if binding.system == "icd10" else icd10cm
    return cell.split(" ")[:2] == [binding.code, binding.match]


def test_every_binding_is_confirmed_in_the_shared_terminology_table():
    rows = _shared_rows()
    for binding in load_bindings():
        assert binding.source_row in rows, binding
        assert _confirmed(binding, rows[binding.source_row]), binding


@pytest.mark.parametrize("concept", ["saddle-anaesthesia", "elbow-deformity", "spinal-infection", "prp-injection",
                                     "shockwave-therapy", "forearm-strap"])
def test_concepts_the_table_leaves_unbound_have_no_code(sparql, concept):
    rows = sparql("SELECT ?code WHERE { ?c skos:exactMatch|skos:closeMatch|skos:broadMatch ?code }",
                  c=ID[concept])
    assert rows == []
