"""Triage commands: ``mskg triage``, ``mskg explain``, ``mskg search``.

Exit status: 0 when every input was understood; 3 when the answer is partial (some input named nothing the
article covers: the answer is on the rest, and the unresolved inputs are listed with it); 2 when nothing
was understood or the input is malformed (bad duration or trend, a contradiction), with a message on stderr
naming each input and its closest matches, and nothing on stdout. ``--strict`` makes any unresolved
input exit 2.
"""
from __future__ import annotations

import json

import click


def _presentation_options(func):
    options = [
        click.option("--finding", "-f", "findings", multiple=True, metavar="TEXT",
                     help="Something the person reports (repeatable): a finding or condition, by name, synonym, id or SNOMED CT code."),
        click.option("--absent", "-a", "absent", multiple=True, metavar="TEXT",
                     help="A finding asked about and not present (repeatable)."),
        click.option("--duration", "-d", metavar="DURATION",
                     help="How long symptoms have lasted: 48h, 3d, 10 days, 6wks, a fortnight, 2 months, since yesterday."),
        click.option("--trend", "-t", metavar="TREND",
                     help="How symptoms are changing: improving, unchanged, worsening or rapidly-worsening "
                          "(also 'better', 'no change', 'getting worse', 'getting worse quickly')."),
        click.option("--strict", is_flag=True,
                     help="All or nothing: exit 2 if any input is not understood, instead of a partial answer (exit 3)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


#: Said whenever no answer is given (bad input, or --strict with something not understood): what was
#: recognised may be an emergency, and the person must not be left without the 999 line, nor without being told
#: that this is information, not medical advice (every triage output says so: the disclaimer of the answers,
#: written out here so that a refusal does not load the triage records).
NO_ANSWER = ("mskg: no answer was given. Information, not medical advice: mskg reports what one patient-facing "
             "article says and does not diagnose or treat. If you think it is an emergency, call 999 or go to A&E now.")


def _bad_input(exc: Exception, triage: bool = True) -> None:
    """Report bad input on stderr and exit 2 (nothing is printed on stdout); for triage and explain,
    with the 999 line."""
    try:
        _report_bad_input(exc)
    finally:
        if triage:
            click.echo(NO_ANSWER, err=True)
    raise SystemExit(2)


def _report_bad_input(exc: Exception) -> None:
    from ..kg.resolve import ResolutionError
    from ..queries.triage.records import UnresolvedInputs

    if isinstance(exc, UnresolvedInputs):
        lines = []
        for item in exc.items:
            lines.append(f"mskg: not understood{' (as absent)' if item.absent else ''}: {item.input!r}: {item.reason}")
            if item.candidates:
                lines.append("  closest matches: " + "; ".join(f"{label} ({i})" for i, label in item.candidates))
        lines.append("mskg: " + str(exc).split(": ", 1)[0])
        click.echo("\n".join(lines), err=True)
    elif isinstance(exc, ResolutionError):
        lines = [f"mskg: {exc.reason}: {exc.text!r}"]
        if exc.candidates:
            lines.append("closest matches:")
            lines += [f"  - {m.concept.label} ({m.concept.id}, {m.concept.type})" for m in exc.candidates]
        else:
            lines.append("no close match; try `mskg search WORD`.")
        click.echo("\n".join(lines), err=True)
    else:
        click.echo(f"mskg: {exc}", err=True)


def _presentation(source, findings, absent, duration, trend, strict):
    from ..kg.resolve import ResolutionError
    from ..queries.triage.records import PresentationError, make_presentation

    try:
        return make_presentation(source, findings, absent, duration, trend, strict=strict)
    except (ResolutionError, PresentationError) as exc:
        _bad_input(exc)


def _partial_exit(presentation) -> None:
    """Exit 3 after a partial answer (something was not understood), else return (exit 0)."""
    if presentation.unresolved:
        raise SystemExit(3)


@click.command()
@_presentation_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--engine", type=click.Choice(["compiled", "sparql", "owl"]), default="compiled", show_default=True,
              help="compiled: the graph's rules compiled to Python (fast, cached); sparql: the rules evaluated by "
                   "SPARQL queries; owl: the presentation classified by the HermiT reasoner (needs Java). "
                   "All three give the same answer (tests prove it).")
@click.option("--batch", "batch_file", type=click.File("rb"), metavar="FILE",
              help="Triage every presentation in FILE (JSON Lines, or CSV with an id,findings,absent,duration,trend "
                   "header; '-' for stdin): one JSON result a line on stdout, bad lines reported on stderr.")
@click.option("--explain/--no-explain", default=True, show_default=True,
              help="With --batch: include the explanation paths (slower).")
@click.option("--input-format", type=click.Choice(["auto", "jsonl", "csv"]), default="auto", show_default=True,
              help="With --batch: how FILE is written (auto: .csv files are CSV, anything else JSON Lines).")
def triage(findings, absent, duration, trend, strict, fmt, engine, batch_file, explain, input_format):
    """How urgent is it, what to do, and why — from what a person reports.

    Example: mskg triage --finding "saddle numbness" --format json
    """
    from .render import to_json, triage_dict, triage_text

    if batch_file is not None:
        if findings or absent or duration or trend:
            click.echo("mskg: --batch reads presentations from FILE; do not combine it with --finding, "
                       "--absent, --duration or --trend", err=True)
            raise SystemExit(2)
        from .batch import run_batch

        raise SystemExit(run_batch(batch_file, engine, explain, input_format, strict))
    if engine == "compiled":
        from ..kg.load import load_compiled
        from ..queries.triage.compiled import CompiledTriageEngine

        kb = load_compiled()
        presentation = _presentation(kb.resolver, findings, absent, duration, trend, strict)
        result = CompiledTriageEngine(kb).triage(presentation)
        click.echo(to_json(triage_dict(result)) if fmt == "json" else triage_text(result))
        _partial_exit(presentation)
        return
    from ..kg.load import load_graph
    from ..queries.triage.sparql import engine_for

    graph = load_graph()
    presentation = _presentation(graph, findings, absent, duration, trend, strict)
    if engine == "owl":
        from ..ontology.reasoning import ReasonerUnavailable

        try:
            result = engine_for(graph).triage_owl(presentation)
        except ReasonerUnavailable as exc:
            click.echo(f"mskg: {exc}", err=True)
            raise SystemExit(2)
    else:
        result = engine_for(graph).triage(presentation)
    click.echo(to_json(triage_dict(result)) if fmt == "json" else triage_text(result))
    _partial_exit(presentation)


@click.command()
@click.argument("target", metavar="FLAG_OR_ACTION")
@_presentation_options
@click.option("--why-not", is_flag=True, help="Show what is missing for the rule to fire (absent versus not asked).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "dot", "mermaid"]), default="text",
              show_default=True)
def explain(target, findings, absent, duration, trend, strict, why_not, fmt):
    """Why a red flag or rule fires (or, with --why-not, why it does not), down to the article's words.

    FLAG_OR_ACTION is a rule or action id or label (e.g. rf-saddle-anaesthesia, consider-mri);
    an action is explained through each rule that calls for it.
    """
    from ..kg.load import load_graph
    from ..kg.resolve import ResolutionError
    from ..queries.triage.report import rule_report
    from ..queries.triage.records import DISCLAIMER
    from ..queries.triage.sparql import engine_for
    from .render import (KIND_NAMES, explanation_dot, explanation_mermaid, not_advised_heading, report_dict,
                         report_text, to_json, unresolved_text)
    from .targets import resolve_target

    graph = load_graph()
    try:
        iri, rules = resolve_target(graph, target)
    except ResolutionError as exc:
        _bad_input(exc)
    presentation = _presentation(graph, findings, absent, duration, trend, strict)
    action = None if iri in rules else iri
    answer = engine_for(graph).triage(presentation, explain=False)  # what explain says agrees with the answer
    reports = [rule_report(graph, presentation, rule, action, answer) for rule in rules]
    action_id = str(iri).rsplit("/", 1)[1]
    withheld = None if action is None else answer.withheld.get(action_id)
    advised = any(rec.id == action_id and rec.kind == "now" for rec in answer.recommendations)
    # an action's rules: those that fire first, most urgent first, so the answer leads with why it is advised
    reports.sort(key=lambda r: (not r.fires, -r.urgency.rank, r.id))
    if fmt == "json":
        data = [report_dict(r, presentation) for r in reports]
        click.echo(to_json(data[0] if len(data) == 1 else {"action": action_id, "advised": advised, "rules": data}))
    elif fmt in ("dot", "mermaid"):
        explanations = [e for r in reports for e in r.explanations]
        title = " / ".join(r.label for r in reports)
        draw = explanation_dot if fmt == "dot" else explanation_mermaid
        click.echo(draw(explanations, title))
        if presentation.unresolved:  # the picture stays a valid drawing; the notice goes to stderr
            click.echo("\n".join(unresolved_text(presentation)), err=True)
    else:
        shown = reports if (action is None or why_not) else [r for r in reports if r.fires]
        text = "\n\n".join(report_text(r, presentation, why_not) for r in shown)
        others = [r for r in reports if r not in shown]
        if others:  # an action: the rules that do not call for it now, one line each, not a page each
            from rdflib import SKOS

            label = graph.value(iri, SKOS.prefLabel)
            lines = [f"Rules that would {'also ' if shown else ''}call for “{label}” but do not fire for what you "
                     "reported:"]
            lines += [f"  - {r.label} ({r.id})  [{KIND_NAMES.get(r.kind, r.kind)}; it would set {r.urgency.label}]"
                      for r in others]
            lines.append(f"See what one is missing: mskg explain RULE_ID --why-not with the same options "
                         f"(or mskg explain {str(iri).rsplit('/', 1)[1]} --why-not for all of them).")
            lines += ["", DISCLAIMER]
            text = (text.removesuffix(DISCLAIMER) if text else "") + "\n".join(lines)  # the 999 line once, last
        if withheld is not None:  # fired rules call for it, and the answer does not recommend it: said first
            text = not_advised_heading(withheld) + "\n\n" + text
        click.echo("\n".join(unresolved_text(presentation)) + text)
    _partial_exit(presentation)


@click.command()
@click.argument("text")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--limit", default=20, show_default=True, help="Most matches to list.")
def search(text, fmt, limit):
    """List concepts matching TEXT, with their labels, types and the wording that matched."""
    from ..kg.load import load_graph
    from ..kg.resolve import resolver_for

    matches = resolver_for(load_graph()).search(text, limit)
    if not matches:
        click.echo(f"mskg: no concept matches {text!r}", err=True)
        raise SystemExit(1)
    if fmt == "json":
        click.echo(json.dumps([{"id": m.concept.id, "label": m.concept.label, "type": m.concept.type,
                                "matched": m.matched, "how": m.how} for m in matches], indent=2, ensure_ascii=False))
        return
    width = max(len(m.concept.label) for m in matches)
    for m in matches:
        via = "" if m.how == "label" else f"  (matched {m.how}: {m.matched})"
        click.echo(f"{m.concept.label:<{width}}  {m.concept.type:<22} {m.concept.id}{via}")
