"""Views: turn triage and explanation records into text for people, JSON for scripts, DOT and Mermaid pictures."""
from __future__ import annotations

import json
import re
import textwrap
from decimal import Decimal
from typing import Any

from ..queries.triage.explain import Explanation
from ..queries.triage.report import RuleReport
from ..queries.triage.records import DISCLAIMER, Presentation, TriageResult, Withheld, region_name

KIND_NAMES = {"RedFlag": "red flag", "EscalationRule": "escalation rule", "SelfCareRule": "self-care rule"}


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _reported(items) -> list[dict]:
    return [{"input": r.input, "inputs": list(r.inputs), "id": r.concept.id, "label": r.concept.label, "how": r.how,
             "read_as": r.read_as} for r in items]


def _unresolved(items) -> list[dict]:
    return [{"input": u.input, "reason": u.reason, "absent": u.absent,
             "candidates": [{"id": i, "label": label} for i, label in u.candidates]} for u in items]


# ---------------------------------------------------------------------- JSON

def presentation_dict(p: Presentation) -> dict[str, Any]:
    return {"findings": _reported(p.findings), "absent": _reported(p.absent), "unresolved": _unresolved(p.unresolved),
            "duration_days": _number(p.duration_days), "trend": p.trend}


#: The edge label (skos:prefLabel of mskg:hasProgressCriterion) that ends a path to a progress check.
PROGRESS_EDGE = "progress judged by"


def progress_checks(explanations) -> list[dict[str, str]]:
    """The progress markers and return-to-training criteria an action's explanations reach, in order, once each."""
    seen: dict[str, dict[str, str]] = {}
    for e in explanations:
        if e.edges and e.edges[-1] == PROGRESS_EDGE:
            node = e.path[-1]
            seen.setdefault(node.id, {"id": node.id, "label": node.label, "type": node.type,
                                      "interpretations": _notes(node.interpretations)})
    return list(seen.values())


def _notes(pairs) -> list[dict[str, str]]:
    return [{"property": p, "note": n} for p, n in pairs]


def triage_dict(result: TriageResult) -> dict[str, Any]:
    """The public JSON shape of ``mskg triage`` (documented in the README)."""
    return {
        **presentation_dict(result.presentation),
        "regions": {"reported": [region_name(r) for r in result.regions], "every_region": result.every_region,
                    "said_nowhere": list(result.said_nowhere)},
        "urgency": {"id": result.urgency.id, "label": result.urgency.label, "rank": result.urgency.rank},
        "training": result.training,
        "flags": [
            {"id": r.id, "label": r.label, "urgency": r.urgency.id, "kind": KIND_NAMES[r.kind],
             "minimal_trigger_set": list(r.minimal_triggers),
             "interpretations": _notes(result.interpretations.get(r.id, ())),
             "explanations": [e.as_dict() for e in result.explanations.get(r.id, [])]}
            for r in result.flags
        ],
        "recommendations": [
            {"id": rec.id, "label": rec.label, "urgency": rec.urgency.id, "timeframe": rec.timeframe,
             "kind": rec.kind, "when": rec.when, "interpretations": _notes(result.interpretations.get(rec.id, ())),
             "explanations": [e.as_dict() for e in rec.explanations],
             "progress": progress_checks(rec.explanations)}
            for rec in result.recommendations
        ],
        "unsettled": [{"input": u.input, "could_be": [{"id": n.id, "label": n.label, "urgency": n.urgency.id}
                                                     for n in could_be]}
                      for u, could_be in result.unsettled],
        "not_asked": [{"id": n.id, "label": n.label, "urgency": n.urgency.id, "red_flag": n.red_flag,
                       "interpretations": _notes(n.interpretations)} for n in result.not_asked],
        "disclaimer": result.disclaimer,
    }


def said_nowhere_text(inputs, region: str | None) -> str:
    """The sentence for a red flag said with no body site beside another region's findings (HAZ-33)."""
    said = " and ".join(f"“{text}”" for text in inputs)
    name = region_name(region or "").replace("-", " ")
    return (f"{said} {'says' if len(inputs) == 1 else 'say'} no body site and what else you reported is about another region: it is read as the red "
            f"flag wherever it is (the safer reading), but no {name} advice (such as a scan) is given for it.")


def withheld_text(w: Withheld) -> str:
    """Why the answer does not recommend an action a fired rule calls for, in words."""
    if w.why == "said-nowhere":
        return said_nowhere_text([text for _, text in w.by], w.region)
    if w.why == "every-region":
        return ("only general findings (such as fever) were reported: they are read against every body region, "
                "but no advice for one region (such as a scan) is given for them.")
    if w.why == "superseded":
        return "set aside by " + " and ".join(f"“{label}”" for _, label in w.by) + ", recommended now."
    if w.why == "stop":
        return ("a red flag fires, so training stops: no self-care advice, and no training advice but the red "
                "flag's, is given.")
    return "the answer does not recommend it for what you reported."


def not_advised_heading(w: Withheld) -> str:
    """``mskg explain ACTION`` when rules that fire call for the action and the answer does not recommend it."""
    return _wrap(f"“{w.label}” is not advised for what you reported: {withheld_text(w)} The rules that would call "
                 f"for it:", "")


def _not_advised(items) -> list[dict[str, Any]]:
    return [{"id": w.id, "label": w.label, "why": w.why, "by": list(dict.fromkeys(i for i, _ in w.by)), "note": withheld_text(w)}
            for w in items]


def report_dict(report: RuleReport, presentation: Presentation) -> dict[str, Any]:
    """The JSON shape of ``mskg explain``."""
    return {
        **presentation_dict(presentation),
        "rule": {"id": report.id, "label": report.label, "kind": KIND_NAMES.get(report.kind, report.kind),
                 "urgency": report.urgency.id},
        "fires": report.fires,
        "minimal_trigger_set": list(report.minimal_triggers),
        "explanations": [e.as_dict() for e in report.explanations],
        "criteria": [{"met": c.met, "any_of": [{"id": f.id, "label": f.label, "status": f.status}
                                                for f in c.findings]} for c in report.criteria],
        "duration": report.duration,
        "trend": report.trend,
        "missing": report.missing,
        "calls_for": [{"id": i, "label": label} for i, label in report.actions],
        "not_advised": _not_advised(report.not_advised),
        "raises_concern_for": [{"id": i, "label": label} for i, label in report.concerns],
        "interpretations": [{"property": p, "note": n} for p, n in report.interpretations],
        "disclaimer": DISCLAIMER,
    }


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


# ---------------------------------------------------------------------- text

def _wrap(text: str, indent: str, width: int = 100, hang: str = "") -> str:
    return textwrap.fill(text, width=width, initial_indent=indent, subsequent_indent=indent + hang)


def _quote_lines(explanation_sources, indent: str) -> list[str]:
    lines = []
    for s in explanation_sources:
        lines += _wrap(f"“{s.quote}”", indent).splitlines()
        lines.append(f"{indent}  — {s.section}, characters {s.start}–{s.end}")
    return lines


def explanation_tree(explanation: Explanation, inputs: dict[str, tuple[str, ...] | str]) -> list[str]:
    """A path as an indented tree: each step with its label, type and its own quotes."""
    lines: list[str] = []
    seen: set[tuple[int, int]] = set()
    for depth, node in enumerate(explanation.path):
        pad = "   " * depth
        head = f"{node.label} ({node.type})"
        said = inputs.get(node.id, ()) if depth == 0 else ()
        if isinstance(said, str):
            said = (said,)
        if said and (len(said) > 1 or said[0].strip().casefold() != node.label.casefold()):
            head += " — you reported " + " and ".join(f"“{t}”" for t in said)
        if depth == 0:
            lines.append(pad + head)
        else:
            lines.append(f"{pad[:-3]}└─ {explanation.edges[depth - 1]} → {head}")
        # a step cites its own statement's sentence (the rule's sentence for 'sets urgency'), then the node's own;
        # an urgency level's general sentence (often another region's) is not the rule's evidence
        step = explanation.steps[depth - 1] if depth and explanation.steps else ()
        own = () if node.type == "urgency level" else node.excerpts
        fresh = [e for e in dict.fromkeys([*step, *own]) if (e.start, e.end) not in seen]
        seen.update((e.start, e.end) for e in fresh)
        lines += _quote_lines(fresh, pad + "      ")
    return lines


def unresolved_text(p: Presentation) -> list[str]:
    """What was not understood, said first: the answer below is on the rest only."""
    if not p.unresolved:
        return []
    out = ["NOT UNDERSTOOD — the answer below is on the rest of what you reported only:"]
    for u in p.unresolved:
        out.append(f"  ? “{u.input}”{' (as absent)' if u.absent else ''}: {u.reason}")
        if u.candidates:
            out.append(_wrap("did you mean: " + "; ".join(label for _, label in u.candidates), "      "))
    out.append("  If one of these is urgent, do not wait for this tool: in an emergency call 999.")
    out.append("")
    return out


def _you_reported(r) -> str:
    """A finding as understood, with every input read into it."""
    others = "".join(f" and “{t}”" for t in r.inputs[1:])
    if r.how == "both-sides":
        if others:
            return f"{r.concept.label} (“{r.input}”{others}, read together as both legs)"
        return f"{r.concept.label} (“{r.input}”, with the other leg reported too, read as both legs)"
    if r.how == "spelling":
        return f"{r.concept.label} (read “{r.input}” as “{r.read_as}”{others.replace(' and ', '; also ', 1)})"
    if r.input.strip().casefold() == r.concept.label.casefold() and not others:
        return r.concept.label
    return f"{r.concept.label} (“{r.input}”{others})"


#: The recommendation types that change training (their classes' labels in the ontology).
TRAINING_TYPES = {"training modification", "activity to avoid or limit"}


def triage_text(result: TriageResult) -> str:
    """``mskg triage`` for people."""
    p = result.presentation
    out = unresolved_text(p)
    modifications = any(r.kind == "now" and r.type in TRAINING_TYPES for r in result.recommendations)
    unsettled = result.unsettled
    # where to seek care at the answer's urgency, in the words of the action recommended now (region-specific:
    # "prompt medical evaluation" for the elbow), else the level's definition (which names a spine specialist)
    care = next((r for r in result.recommendations
                 if r.kind == "now" and r.seeks_care and r.urgency.id == result.urgency.id), None)
    headline = (care.label.rstrip(".") + ".") if care else result.urgency.definition
    if unsettled:  # a possible red flag is unanswered: the answer below is a floor, never "keep training"
        could_be = "; ".join(f"“{u.input}” could be {', '.join(f'{n.label} ({n.urgency.label})' for n in ns)}"
                             for u, ns in unsettled if ns)
        # words about how long or how symptoms are changing, not given as --duration / --trend (h28 cold review)
        timing = "; ".join(f"“{u.input}” says how long or how it is changing" for u, ns in unsettled if not ns)
        said = ". ".join(filter(None, (f"{could_be}. Answer that first: if it is, that urgency applies" if could_be
                                       else "",
                                       f"{timing}: give it with --duration / --trend, which can change the answer"
                                       if timing else "")))
        out += _wrap(f"URGENCY: NOT SETTLED — {said}.", "", hang="  ").splitlines()
        out.append(f"  On what was understood only: {result.urgency.label.upper()}"
                   + (f" — {headline}" if care else "."))  # never "Keep active and modify training" here
    else:
        out.append(f"URGENCY: {result.urgency.label.upper()} — {headline}")
    out.append("TRAINING: " + ("STOP training now." if result.training == "stop"
                               else "not settled until what was not understood is answered; if it is a red flag, "
                                    "stop training." if any(ns for _, ns in unsettled)
                               else "not settled until how long and how it is changing are given (--duration, "
                                    "--trend); if it is rapidly worsening, stop training." if unsettled
                               else "keep moving, with the modifications below." if modifications
                               else "the article gives no training change for what you reported."))
    out.append("")
    out.append("You reported: " + "; ".join(_you_reported(r) for r in p.findings))
    if p.absent:
        out.append("Not present: " + "; ".join(r.concept.label for r in p.absent))
    if p.duration_days is not None or p.trend is not None:
        bits = []
        if p.duration_days is not None:
            bits.append(f"for {_number(p.duration_days)} days")
        if p.trend is not None:
            bits.append(p.trend)
        out.append("Symptoms: " + ", ".join(bits))
    out.append("")
    if result.every_region:
        out.append("Only general findings (such as fever) were reported, so they were read against every body "
                   "region (back and leg, elbow), to be safe.")
        out.append("")
    for r in p.findings:
        if r.said_nowhere:  # kept as the red flag, without its region's advice (HAZ-33): say so, it is a reading
            out += _wrap(said_nowhere_text(r.inputs, r.concept.region), "").splitlines()
            out.append("")
    if result.flags:
        out.append("What fires:")
        for rule in result.flags:
            out.append(f"  ● {rule.label}  [{KIND_NAMES[rule.kind]} → {rule.urgency.label}]")
            because = ", ".join(_label(result, t) for t in rule.minimal_triggers)
            out.append(f"      because you reported: {because}")
            first = result.explanations[rule.id][0]
            # the rule's own sentence (the path may pass through a broader finding before the rule)
            own = next((step.excerpts for step in first.path if step.id == rule.id), ())
            quote = next((s for s in first.sources if s in own), first.sources[-1])
            out.append(_wrap(f"“{quote.quote}”", "      "))
            out.append(f"        — {quote.section}, characters {quote.start}–{quote.end}")
            out += _curator_lines(result.interpretations.get(rule.id, ()), "      ")
    else:
        out.append("No red flag or escalation rule fires for what you reported.")
    now = [r for r in result.recommendations if r.kind == "now"]
    later = [r for r in result.recommendations if r.kind == "safety-net"]
    if now:
        out.append("")
        out.append("What to do (most urgent first):")
        for i, rec in enumerate(now, 1):
            timeframe = f" — {rec.timeframe}" if rec.timeframe else ""
            out.append(f"  {i:>2}. {rec.label}{timeframe}  [{rec.urgency.label}]")
            for check in progress_checks(rec.explanations):
                out += _wrap(f"{check['type']}: {check['label']}", "       ", hang="  ").splitlines()
                out += _curator_lines([(n["property"], n["note"]) for n in check["interpretations"]], "         ")
            out += _curator_lines(result.interpretations.get(rec.id, ()), "       ")
    if later:
        out.append("")
        out.append("When to escalate (safety net):")
        for rec in later:
            out.append(f"   - {rec.label}  [{rec.urgency.label}]")
            if rec.when:
                out.append(f"       {rec.when}")
    if result.not_asked:
        out.append("")
        out.append("Not yet asked about (check these; say --absent if you do not have them):")
        out += _screen_lines(result)
    out.append("")
    if result.flags:
        out.append(f"Why? Run: mskg explain {result.flags[0].id} with the same --finding options.")
    out.append(DISCLAIMER)
    return "\n".join(out)


def _screen_lines(result: TriageResult) -> list[str]:
    """The red-flag screen grouped by what each finding would lead to: red flags on their own by urgency, then
    those that are red flags only together with a rapid worsening or another finding."""
    out: list[str] = []
    groups: dict[tuple[bool, str], list] = {}
    for n in result.not_asked:
        groups.setdefault((n.red_flag, n.urgency.id), []).append(n)
    for (red_flag, _), items in groups.items():
        urgency = items[0].urgency
        if red_flag:
            # the tier's label only: its definition names a spine specialist, which an elbow screen must not
            heading = f"red flags — {urgency.label}:"
        else:
            heading = (f"worth asking — not red flags on their own; with a rapid worsening or another finding "
                       f"they can mean {urgency.label}:")
        out += _wrap(heading, "  ", hang="  ").splitlines()
        out.append(_wrap("; ".join(n.label for n in items), "     "))
    notes = tuple(dict.fromkeys(note for n in result.not_asked for note in n.interpretations))
    if notes:
        out.append("  (every region's red flags are asked about because of what you reported)")
        out += _curator_lines(notes, "  ")
    return out


def _curator_lines(notes, indent: str) -> list[str]:
    """A curator's reading, marked as one: the user must be able to tell it from the article's words."""
    return [line for prop, note in notes
            for line in _wrap(f"curator's reading ({prop}): {note}", indent, hang="  ").splitlines()]


def _label(result: TriageResult, concept_id: str) -> str:
    for r in result.presentation.findings:
        if r.concept.id == concept_id:
            return r.concept.label
    return concept_id


def report_text(report: RuleReport, presentation: Presentation, why_not: bool) -> str:
    """``mskg explain`` for people: why a rule fires, or with ``why_not`` what is missing."""
    inputs = {r.concept.id: r.inputs for r in presentation.findings}
    kind = KIND_NAMES.get(report.kind, report.kind)
    out = []
    if report.fires:
        # the tier's label only: a tier's definition is one region's wording ("a GP or a spine specialist"), wrong
        # for an elbow flag; where to seek care is in the rule's own actions ("It calls for"), as the answer says it
        out.append(f"“{report.label}” FIRES  [{kind} → {report.urgency.label}]")
        out.append("")
        out.append("Why:")
        for explanation in report.explanations:
            if explanation.edges[-1] == "has threshold timeframe":
                continue
            out += ["  " + line for line in explanation_tree(explanation, inputs)]
            out.append("")
        for explanation in report.explanations:
            if explanation.edges[-1] == "has threshold timeframe":
                tf = explanation.path[-1]
                out.append(f"Duration condition met ({tf.label}):")
                out += _quote_lines(tf.excerpts, "      ")
                out.append("")
        labels = {f.id: f.label for c in report.criteria for f in c.findings}
        labels.update({r.concept.id: r.concept.label for r in presentation.findings})
        out.append("Minimal trigger set: " + ", ".join(labels.get(t, t) for t in report.minimal_triggers))
    else:
        out.append(f"“{report.label}” does NOT fire  [{kind}; it would set {report.urgency.label}]")
        if not why_not:
            out.append("Add --why-not to see each of its conditions.")  # what is missing follows either way
    if why_not or not report.fires:
        if report.missing:
            out.append("")
            out.append("What is missing for it to fire:")
            out += [f"  - {m}" for m in report.missing]
        if why_not:
            out.append("")
            out.append("Its conditions (all must hold; within each, any one finding):")
            for i, c in enumerate(report.criteria, 1):
                marks = "; ".join(f"{f.label} [{f.status}]" for f in c.findings)
                out.append(_wrap(f"{i}. {'met' if c.met else 'NOT met'}: {marks}", "  ", 100, "   "))
            if report.duration:
                d = report.duration
                out.append(f"  duration: at least {d['min_days']:g} days ({d['timeframe']}) — "
                           + ("met" if d["ok"] else "NOT met"))
            if report.trend:
                t = report.trend
                out.append(f"  trend: {' or '.join(t['required'])} — " + ("met" if t["ok"] else "NOT met"))
    out.append("")
    if report.advised:
        out.append("It calls for: " + "; ".join(label for _, label in report.advised))
    # as the answer: what it calls for that is not recommended for what was reported, once per reason
    by_reason: dict[str, list[str]] = {}
    for w in report.not_advised:
        by_reason.setdefault(withheld_text(w), []).append(w.label)
    for why, labels in by_reason.items():
        out += _wrap(f"Not advised for what you reported: {'; '.join(labels)} — {why}", "", hang="  ").splitlines()
    if report.concerns:
        out.append("It raises concern for: " + "; ".join(label for _, label in report.concerns))
    for prop, note in report.interpretations:
        out.append(_wrap(f"Curator's interpretation ({prop}): {note}", "", 100))
    out.append("")
    out.append(DISCLAIMER)
    return "\n".join(out)


# ---------------------------------------------------------------------- pictures

def explanation_graph(explanations: list[Explanation]):
    """The union of explanation paths as a graph: nodes with label and type, edges with their label."""
    import networkx as nx

    g = nx.MultiDiGraph()
    for e in explanations:
        for node in e.path:
            g.add_node(node.id, label=node.label, type=node.type)
        for (u, v), label in zip(zip(e.path, e.path[1:]), e.edges):
            g.add_edge(u.id, v.id, key=label, label=label)
    return g


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def graph_dot(g, title: str | None = None) -> str:
    """Graphviz DOT of a graph whose nodes carry ``label`` and ``type`` and whose edges carry ``label``."""
    from ..queries.site.browse import TYPE_COLOURS

    out = [f"// {DISCLAIMER}", "digraph mskg {", "  rankdir=LR;"]
    if title:
        out.append(f'  label="{_dot_escape(title)}"; labelloc=t;')
    out.append('  node [shape=box, style="rounded,filled"];')
    for node, d in g.nodes(data=True):
        out.append(f'  "{_dot_escape(node)}" [label="{_dot_escape(d["label"])}\\n({_dot_escape(d["type"])})", '
                   f'fillcolor="{TYPE_COLOURS.get(d["type"], "#ffffff")}"];')
    for u, v, d in g.edges(data=True):
        out.append(f'  "{_dot_escape(u)}" -> "{_dot_escape(v)}" [label="{_dot_escape(d["label"])}"];')
    out.append("}")
    return "\n".join(out)


def _mermaid_escape(text: str) -> str:
    return text.replace('"', "#quot;")


def graph_mermaid(g, title: str | None = None) -> str:
    """A Mermaid flowchart of the same kind of graph, nodes coloured by type."""
    from ..queries.site.browse import TYPE_COLOURS

    ids = {node: f"n{i}" for i, node in enumerate(g.nodes)}
    out = [f"%% {DISCLAIMER}"] + ([f"%% {title}"] if title else []) + ["flowchart LR"]
    for node, d in g.nodes(data=True):
        out.append(f'  {ids[node]}["{_mermaid_escape(d["label"])}<br/><i>{_mermaid_escape(d["type"])}</i>"]')
    for u, v, d in g.edges(data=True):
        out.append(f'  {ids[u]} -->|"{_mermaid_escape(d["label"])}"| {ids[v]}')
    for kind, colour in TYPE_COLOURS.items():
        members = [ids[n] for n, d in g.nodes(data=True) if d["type"] == kind]
        if members:
            cls = re.sub(r"\W+", "_", kind)
            out.append(f"  classDef {cls} fill:{colour}")
            out.append(f"  class {','.join(members)} {cls}")
    return "\n".join(out)


def explanation_dot(explanations: list[Explanation], title: str) -> str:
    """The explanation subgraph in Graphviz DOT."""
    return graph_dot(explanation_graph(explanations), title)


def explanation_mermaid(explanations: list[Explanation], title: str) -> str:
    """The explanation subgraph as a Mermaid flowchart."""
    return graph_mermaid(explanation_graph(explanations), title)
