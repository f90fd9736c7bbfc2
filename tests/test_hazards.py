"""The clinical hazard log (kg/hazards.yaml): every hazard is complete and names tests that exist."""
from __future__ import annotations

import ast
from importlib.resources import files
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HAZARDS = yaml.safe_load(files("mskg.kg").joinpath("hazards.yaml").read_text(encoding="utf-8"))["hazards"]
SEVERITIES = {"catastrophic", "major", "considerable", "significant", "minor"}
LIKELIHOODS = {"very high", "high", "medium", "low", "very low"}


def _tests_in(path: Path) -> set[str]:
    return {node.name for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


@pytest.mark.parametrize("hazard", HAZARDS, ids=[h["id"] for h in HAZARDS])
def test_every_hazard_is_complete_and_names_existing_tests(hazard):
    assert set(hazard) == {"id", "title", "cause", "effect", "severity", "likelihood", "mitigation", "tests", "status"}
    assert hazard["severity"] in SEVERITIES and hazard["likelihood"] in LIKELIHOODS
    assert hazard["status"] in {"mitigated", "open"}
    assert hazard["tests"], hazard["id"]
    for nodeid in hazard["tests"]:
        path, name = nodeid.split("::")
        assert (ROOT / path).exists(), f"{hazard['id']}: {path} does not exist"
        assert name in _tests_in(ROOT / path), f"{hazard['id']}: no test {name} in {path}"


def test_hazard_ids_are_unique_and_ordered():
    ids = [h["id"] for h in HAZARDS]
    assert ids == sorted(set(ids))


def test_the_readme_renders_every_hazard():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for hazard in HAZARDS:
        assert f"| {hazard['id']} | {hazard['title']} |" in readme, hazard["id"]


def test_the_site_renders_every_hazard():
    from mskg.queries.site.pages import hazards_page

    page = hazards_page().decode("utf-8")
    for hazard in HAZARDS:
        assert f'<th scope="row">{hazard["id"]}</th>' in page
    assert "Information, not medical advice" in page
