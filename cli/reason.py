"""``mskg reason``: consistency, satisfiability and inferred hierarchy with an OWL reasoner."""
from __future__ import annotations

import json
from pathlib import Path

import click


@click.command()
@click.option("--reasoner", type=click.Choice(["hermit", "pellet"]), default="hermit", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--with", "extra_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FILE.ttl",
              help="Add these axioms (Turtle) first, e.g. to test a change; an inconsistency is traced to them.")
def reason(reasoner, fmt, extra_file):
    """Run an OWL reasoner over the ontology, the instance graph and the rules read as defined classes.

    Exit 0 when consistent with no unsatisfiable class, 1 otherwise (with what the reasoner says and, for
    --with, the added axioms responsible), 2 when the reasoner cannot run here (no Java, or Pellet on a
    Java older than 25).
    """
    from rdflib import Graph

    from ..kg.load import load_graph
    from ..ontology.reasoning import ReasonerUnavailable
    from ..ontology.reasoning import reason as run

    extra = None
    if extra_file is not None:
        try:
            extra = Graph().parse(extra_file, format="turtle")
        except Exception as exc:  # rdflib raises several kinds of parse error
            click.echo(f"mskg reason: cannot read {extra_file}: {exc}", err=True)
            raise SystemExit(2)
    try:
        report = run(load_graph(), reasoner, extra)
    except ReasonerUnavailable as exc:
        click.echo(f"mskg reason: {exc}", err=True)
        raise SystemExit(2)
    if fmt == "json":
        click.echo(json.dumps({
            "reasoner": report.reasoner, "runtime": report.runtime, "consistent": report.consistent,
            "unsatisfiable": report.unsatisfiable,
            "inferred": [{"class": c, "superclass": s} for c, s in report.inferred],
            "rules_expressed": report.rules_expressed,
            "not_expressible": [{"rule": r, "why": why} for r, why in report.not_expressible],
            "explanation": report.explanation, "seconds": round(report.seconds, 2),
        }, indent=2, ensure_ascii=False))
    else:
        click.echo(f"reasoner        {report.reasoner} ({report.runtime})")
        click.echo(f"consistent      {'yes' if report.consistent else 'NO'}")
        click.echo("unsatisfiable   " + ("none" if not report.unsatisfiable else ", ".join(report.unsatisfiable)))
        click.echo(f"rules in OWL    {report.rules_expressed} expressed as defined classes; not expressible: "
                   + ("none" if not report.not_expressible else ", ".join(r for r, _ in report.not_expressible)))
        for rule, why in report.not_expressible:
            click.echo(f"    {rule}: {why}")
        if report.inferred:
            click.echo(f"inferred        {len(report.inferred)} new subclass relations:")
            for cls, sup in report.inferred:
                click.echo(f"    {cls} ⊑ {sup}")
        for line in report.explanation:
            click.echo(line)
        click.echo(f"time            {report.seconds:.1f} s")
    if not report.clean:
        raise SystemExit(1)
