"""Knowledge-base commands: ``mskg build``, ``mskg validate``, ``mskg stats``."""
from __future__ import annotations

import json
from pathlib import Path

import click


def write_error(exc: BaseException, out: Path) -> str:
    """One line on why writing ``out`` failed (the path and the system's reason, never a traceback)."""
    if isinstance(exc, OSError):
        return f"cannot write {exc.filename or out}: {exc.strerror or exc}"
    return f"writing {out} failed: {type(exc).__name__}: {exc}"


def _fail(message: str, code: int = 1) -> None:
    click.echo(message, err=True)
    raise SystemExit(code)


@click.command()
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("mskg-graph"),
              show_default=True, help="Folder to write the ontology and instance graph into.")
@click.option("--format", "fmt", type=click.Choice(["turtle", "nt", "json-ld", "xml"]), default="turtle",
              show_default=True, help="RDF serialisation of ontology.* and instances.* (mskg.owl is always RDF/XML).")
def build(out: Path, fmt: str) -> None:
    """Build the graph from the article and curated facts, validate it, and write it.

    Every quote is checked against the article and the graph against the SHACL shapes first;
    on any failure nothing is written and the report is printed (exit 1).
    """
    from ..kg.build import BuildError, write_build
    from ..kg.facts import FactsError
    from ..kg.provenance import ProvenanceError
    from ..kg.terminology import TerminologyError

    try:
        result = write_build(out, fmt)
    except (ProvenanceError, BuildError, FactsError, TerminologyError) as exc:
        _fail(f"mskg build: {exc}\nnothing was written.")
        return
    except Exception as exc:  # writing failed: a full disk, a blocked path, anything half-way
        _fail(f"mskg build: {write_error(exc, out)}; nothing was written, {out} is unchanged.")
        return
    if not result.shape_report.conforms:
        lines = "\n".join(f"  - {v}" for v in result.shape_report.violations)
        _fail(f"mskg build: the graph fails its SHACL shapes:\n{lines}\nnothing was written.")
    for path in result.files:
        click.echo(f"wrote {path}")
    click.echo(f"{result.triples} triples (ontology + instances)")


@click.command()
def validate() -> None:
    """Check provenance (every quote verbatim at its offsets), SHACL shapes, and that owlready2 loads the ontology.

    Exit 0 when clean, 1 with a readable report otherwise.
    """
    from ..kg.validate import validate_all

    report = validate_all()
    for check in report.checks:
        click.echo(f"{check.name:<11} {'ok' if check.ok else 'FAIL':<5} {check.summary}")
        for detail in check.details:
            click.echo(f"    {detail}")
    if report.clean:
        click.echo("mskg validate: clean")
    else:
        _fail("mskg validate: problems found")


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def stats(fmt: str) -> None:
    """Print how many facts and concepts of each class the graph holds."""
    from ..kg.build import build_graph
    from ..ontology.namespaces import MSKG
    from ..queries import run_query

    graph = build_graph()
    counts = {str(row["class"]).removeprefix(str(MSKG)): int(row["count"]) for row in run_query(graph, "class_counts")}
    if fmt == "json":
        click.echo(json.dumps({"triples": len(graph), "classes": counts}, indent=2))
        return
    width = max(len(name) for name in counts)
    for name, count in counts.items():
        click.echo(f"{name:<{width}}  {count:>5}")
    click.echo(f"{'triples':<{width}}  {len(graph):>5}")
