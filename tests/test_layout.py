"""The layout shows the architecture: rooms inside queries/, and records that flow one way (no import cycles)."""
from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The user's top-level folders and the import package each one is.
FOLDERS = {"ontology": "mskg.ontology", "kg": "mskg.kg", "queries": "mskg.queries", "cli": "mskg.cli"}


def _module_name(path: Path) -> str:
    folder, *rest = path.relative_to(ROOT).with_suffix("").parts
    parts = [FOLDERS[folder], *rest]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every mskg module ``name`` imports, at module level or inside functions (a lazy import still couples)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # `from . import x` may name a module
                if f"{target}.{alias.name}" in known:
                    found.add(f"{target}.{alias.name}")
                elif target in known:
                    found.add(target)
    found.discard(name)
    return found


def import_graph() -> nx.DiGraph:
    modules = _modules()
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        graph.add_edges_from((name, target) for target in _imports(name, path, set(modules)))
    return graph


def test_the_import_graph_is_read():
    """Guard the check itself: it sees the edges it must judge."""
    graph = import_graph()
    assert graph.has_edge("mskg.queries.triage.sparql", "mskg.queries.triage.policy")
    assert graph.has_edge("mskg.queries.triage.report", "mskg.queries.triage.explain")
    assert graph.has_edge("mskg.queries.triage.sparql", "mskg.queries")  # `from .. import query_text`
    assert graph.has_edge("mskg.queries.endpoint.server", "mskg.queries.site.pages")  # a lazy import


def test_no_import_cycle():
    cycles = [sorted(c) for c in nx.strongly_connected_components(import_graph()) if len(c) > 1]
    assert not cycles, f"import cycles (records must flow one way): {cycles}"


@pytest.mark.parametrize("module, forbidden", [
    # the explainer annotates results; it never asks an engine to make them
    ("mskg.queries.triage.explain", {"mskg.queries.triage.sparql", "mskg.queries.triage.compiled",
                                     "mskg.queries.triage.policy", "mskg.queries.triage.report"}),
    # records are the bottom of triage: they depend on nothing else in it but the words for time (timing)
    ("mskg.queries.triage.records", {m for m in _modules() if m.startswith("mskg.queries.triage.")}
     - {"mskg.queries.triage.timing"}),
    ("mskg.queries.triage.timing", {m for m in _modules() if m.startswith("mskg.queries.triage.")}),
    # the query layer proper knows nothing of triage, the endpoint or the site
    ("mskg.queries.engine", {m for m in _modules() if m.count(".") >= 3}),
    ("mskg.queries.results", {m for m in _modules() if m.count(".") >= 3}),
])
def test_records_flow_one_way(module, forbidden):
    reachable = nx.descendants(import_graph(), module)
    assert not reachable & forbidden, f"{module} reaches {sorted(reachable & forbidden)}"


def test_rooms_inside_queries():
    rooms = sorted(p.parent.name for p in (ROOT / "queries").glob("*/__init__.py"))
    assert rooms == ["endpoint", "site", "triage"]
    assert sorted(p.name for p in (ROOT / "queries" / "triage").glob("*.py")) == [
        "__init__.py", "batch.py", "compiled.py", "explain.py", "policy.py", "records.py", "report.py", "sparql.py",
        "timing.py"]


def test_every_package_is_installed_and_cached():
    """A new room must be declared in pyproject (or it is not installed) and hashed into the cache key."""
    import tomllib

    from mskg.kg.cache import PACKAGES

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {_module_name(p.parent / "__init__.py") for folder in FOLDERS for p in (ROOT / folder).rglob("__init__.py")}
    packages |= {"mskg.kg.sources"}
    assert set(config["packages"]) == packages
    for package in packages:
        assert package in config["package-dir"], package
    assert set(PACKAGES) == packages - {"mskg.cli"}
