"""The triage policy, shared by every engine: how fired rules become one answer.

An engine answers the data questions — which rules a presentation meets (:meth:`TriagePolicy.rules`),
which red-flag findings were not asked about, which actions a rule calls for — and this class combines
them with one policy, written once:

- the most urgent level among the rules that fire wins (``self-care`` when nothing fires);
- any red flag that fires means training stops, and then no keep-training advice is given;
- an action called for by several fired rules is recommended 'now' at the highest of their urgencies;
- a rule whose findings are present but whose duration or trend is not (yet) met contributes its
  actions as a 'safety-net', saying when they would apply;
- when only systemic findings were reported (every region is read, conservatively), an action for one
  body region that is not where to seek care (a spinal scan for a fever alone) is left out; so is one for a
  region nothing was said of, called for by a red flag said there with no body site beside another region's
  findings (a spinal scan for "severe unrelenting pain" beside tennis elbow, HAZ-33);
- an action the graph says is superseded by another (mskg:supersededBy: 'no routine early scan' once MRI
  or a scan is called for) is left out while that other is recommended now;
- recommendations come 'now' before 'safety-net', most urgent first; at one urgency, where to seek
  care comes first (999 or A&E, then NHS 111 or same-day care, then a clinical review), then the rest.

A fired rule's action the answer does not recommend now is kept with why (``TriageResult.withheld``), so that
``mskg explain`` says what the answer did.

Nothing clinical is decided here: which rule fires, at what urgency, calling for what, is data in the graph.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace

from rdflib import URIRef

from ...ontology.namespaces import local_id as _local
from .records import Presentation, Recommendation, Reported, RuleResult, Screened, TriageResult, Urgency, Withheld


class TriagePolicy:
    """The shared policy over an engine's answers to the data questions (subclasses answer them)."""

    urgencies: dict[str, Urgency]
    view: object  # the explainer's networkx view of the graph the rules come from (a GraphView)

    # -- the data questions each engine answers ----------------------------------------------------
    def rules(self, presentation: Presentation) -> list[RuleResult]:
        """Every rule whose criteria the presentation meets, most urgent first."""
        raise NotImplementedError

    def not_asked(self, presentation: Presentation) -> list[Screened]:
        """Red-flag trigger findings neither reported (nor narrower) nor reported absent (nor broader), of the
        regions in play (every region when a reported finding screens every region): red flags on their own
        first, most urgent first, then those that are red flags only with a trend or another finding."""
        raise NotImplementedError

    def screen_widened_by(self, presentation: Presentation) -> tuple[URIRef, ...]:
        """The reported findings that put every region's red flags in the screen (mskg:screensEveryRegion)."""
        raise NotImplementedError

    def actions_of(self, rule: URIRef) -> list[tuple[URIRef, str, str | None]]:
        """The actions a rule calls for: (action, type label, timeframe label)."""
        raise NotImplementedError

    def is_training_modification(self, action: URIRef) -> bool:
        raise NotImplementedError

    def care_order(self, action: URIRef) -> int:
        """The kind of care an action seeks: 3 for 999 or A&E, 2 NHS 111 or same-day care, 1 a clinical
        review, 0 for an action that is not seeking care (a scan, training advice, self-management)."""
        raise NotImplementedError

    def region_of(self, action: URIRef) -> str | None:
        """The body region an action is for (a spinal scan: back-and-leg), or None for any region."""
        raise NotImplementedError

    def superseded_by(self, action: URIRef) -> frozenset[URIRef]:
        """The actions that, recommended now, set this one aside (mskg:supersededBy)."""
        raise NotImplementedError

    def is_care_seeking(self, action: URIRef) -> bool:
        """Whether the action is seeking care (999 or A&E, NHS 111 or same-day care, a clinical review)."""
        return self.care_order(action) > 0

    def condition_text(self, rule: URIRef) -> str | None:
        """What must still happen for a rule to fire, in words."""
        raise NotImplementedError

    def label(self, iri: URIRef) -> str:
        raise NotImplementedError

    def regions(self, presentation: Presentation) -> tuple[frozenset[str], bool]:
        """The body regions of what was reported (systemic left out), and whether only systemic findings were."""
        raise NotImplementedError

    def interpretations_with_values(self, iri: URIRef) -> tuple[tuple[str, str, str | None], ...]:
        """The curator's readings of a rule or action: (the property read, or 'the whole fact'; the note; the one
        value of the property the reading is about, such as the action of one 'calls for', or None)."""
        raise NotImplementedError

    def interpretations_of(self, iri: URIRef) -> tuple[tuple[str, str], ...]:
        """The curator's readings of a rule or action: (the property read, or 'the whole fact'; the note)."""
        return tuple((prop, note) for prop, note, _ in self.interpretations_with_values(iri))

    def _interpretations(self, flags: list[RuleResult], recommendations: list[Recommendation]
                         ) -> dict[str, tuple[tuple[str, str], ...]]:
        """The curator's readings an answer rests on, at the flag or recommendation they affect."""
        notes = {rule.id: self.interpretations_of(rule.iri) for rule in flags}
        by_id = {rule.id: rule for rule in flags}
        shown = {rec.iri for rec in recommendations}
        now = {rec.iri for rec in recommendations if rec.kind == "now"}
        # actions a fired rule called for that an action recommended now set aside: their reading goes with the
        # action that set them aside (it says why something is missing)
        hidden = dict.fromkeys(action for rule in flags for action, _, _ in self.actions_of(rule.iri)
                               if action not in shown and self.superseded_by(action) & now)
        for rec in recommendations:
            # where to seek care carries its "one place to seek care" reading only where it set another aside;
            # other advice keeps its own (a caveat: "no routine early scan" is for the expected course only)
            own = tuple((prop, note) for prop, note in self.interpretations_of(rec.iri)
                        if prop != SUPERSEDED_BY or not rec.seeks_care)
            # a rule's reading of what it calls for, at the action it is about (or at each, when about none)
            calling = tuple((prop, note) for rule_id in rec.rules if rule_id in by_id
                            for prop, note, value in self.interpretations_with_values(by_id[rule_id].iri)
                            if prop == "calls for" and value in (None, rec.id))
            setting_aside = tuple((f"{SUPERSEDES} “{self.label(action)}”", note) for action in hidden
                                  if rec.iri in self.superseded_by(action)
                                  for prop, note in self.interpretations_of(action) if prop == SUPERSEDED_BY)
            notes[rec.id] = tuple(dict.fromkeys(own + calling + setting_aside))
        return {k: v for k, v in notes.items() if v}

    # -- the policy ------------------------------------------------------------------------------
    def explain(self, result: TriageResult) -> None:
        """Attach explanations to ``result`` (the explainer annotates; it never decides)."""
        from .explain import explain_result

        explain_result(self.view, result)

    def triage(self, presentation: Presentation, explain: bool = True) -> TriageResult:
        """Evaluate every rule in the graph for ``presentation``; the most urgent level that fires wins."""
        rules = self.rules(presentation)
        fired = [r for r in rules if r.fires]
        urgency = max((r.urgency for r in fired), key=lambda u: u.rank, default=self.urgencies["self-care"])
        return self.answer(presentation, rules, urgency, any(r.is_red_flag for r in fired), explain)

    def answer(self, presentation: Presentation, rules: list[RuleResult], urgency: Urgency, stop: bool,
               explain: bool) -> TriageResult:
        """The answer once an engine has decided which rules fire, at what urgency, and whether training
        stops: one place for every engine (the OWL reasoner decides those three differently)."""
        fired = [r for r in rules if r.fires]
        _, every_region = self.regions(presentation)
        said = self.said_regions(presentation)
        recommendations = self._shown(self._recommendations(rules, stop), urgency, every_region, said)
        result = TriageResult(presentation, urgency, "stop" if stop else "modify", rules, recommendations,
                              self.screen(presentation), regions=tuple(sorted(said)),
                              every_region=every_region,
                              interpretations=self._interpretations(fired, recommendations),
                              red_flags=self.red_flags_of_readings(presentation),
                              said_nowhere=tuple(r.concept.id for r in presentation.findings if r.said_nowhere),
                              withheld=self._withheld(fired, stop, recommendations, every_region, said,
                                                      presentation))
        if explain:
            self.explain(result)
        return result

    def red_flags_anywhere(self) -> dict[str, Screened]:
        """Every red-flag trigger finding of every region, with what it leads to: the screen of a presentation with
        nothing reported (which reads every region). What an input not understood could be is judged against this,
        not against the screen of the regions in play: an unknown wording beside an elbow complaint may be a cauda
        equina symptom (HAZ-32)."""
        cached = self.__dict__.get("_red_flags_anywhere")
        if cached is None:
            cached = self.__dict__["_red_flags_anywhere"] = {s.id: s for s in self.not_asked(Presentation(()))}
        return cached

    def concept(self, concept_id: str):
        """The resolvable concept (mskg.kg.resolve.Concept) of an id, or None."""
        raise NotImplementedError

    def red_flags_of_readings(self, presentation: Presentation) -> dict[str, Screened]:
        """:meth:`red_flags_anywhere`, and each condition an input not understood could be that sets a red flag on its
        own ("cancer" may be metastatic spinal disease, "broken" an elbow or a spinal fracture): the screen lists red-flag
        findings only, and a named serious condition is as much a reason not to settle the answer (HAZ-32: "conditions—
        such as cauda equina syndrome, spinal infection, metastatic cancer, or an unstable fracture—where waiting and
        trying new stretches is the wrong priority")."""
        anywhere = self.red_flags_anywhere()
        wanted = {i for u in presentation.unresolved if not u.absent for i, _ in u.candidates} - set(anywhere)
        if not wanted:
            return anywhere
        cache = self.__dict__.setdefault("_red_flags_alone", {})
        out = dict(anywhere)
        for concept_id in sorted(wanted):
            if concept_id not in cache:
                cache[concept_id] = self._red_flag_alone(concept_id)
            if cache[concept_id] is not None:
                out[concept_id] = cache[concept_id]
        return out

    def _red_flag_alone(self, concept_id: str) -> Screened | None:
        """The most urgent red flag a concept, reported on its own, fires (as a Screened), or None."""
        concept = self.concept(concept_id)
        if concept is None:
            return None
        fired = [r for r in self.rules(Presentation((Reported(concept.label, concept),))) if r.fires and r.is_red_flag]
        if not fired:
            return None
        return Screened(concept.id, concept.label, max((r.urgency for r in fired), key=lambda u: u.rank), True)

    def screen(self, presentation: Presentation) -> list[Screened]:
        """The red-flag screen, each finding asked about only because every region is screened carrying the
        curator's readings that put it there."""
        screened = self.not_asked(presentation)
        if not any(s.widened for s in screened):
            return screened
        notes = tuple(dict.fromkeys(note for iri in self.screen_widened_by(presentation)
                                    for note in self.interpretations_of(iri)))
        return [replace(s, interpretations=notes) if s.widened else s for s in screened]

    def said_regions(self, presentation: Presentation) -> frozenset[str]:
        """The body regions something was said of: those of the findings reported, leaving out a red flag said with
        no body site beside another region's findings (``said_nowhere``: read wherever it is, HAZ-33), whose region
        still puts its rules in play but was never said."""
        return self.regions(Presentation(tuple(r for r in presentation.findings if not r.said_nowhere)))[0]

    def _regional_advice_left_out(self, action: URIRef, every_region: bool, said: frozenset[str]) -> bool:
        """Whether an action for one body region, not where to seek care, is left out: with only systemic findings
        (nothing of a body region was reported: no scan of one), or of a region nothing was said of (a red flag
        said with no site beside another region's findings keeps its urgency, not its region's scan: HAZ-33)."""
        region = self.region_of(action)
        if region is None or self.is_care_seeking(action):
            return False
        return every_region or region not in said

    def _shown(self, recommendations: list[Recommendation], urgency: Urgency, every_region: bool,
               said: frozenset[str]) -> list[Recommendation]:
        """The recommendations an answer at ``urgency`` shows (every engine's answer goes through here)."""
        recommendations = [r for r in recommendations
                           if not self._regional_advice_left_out(r.iri, every_region, said)]
        if urgency.without_safety_net:  # care is needed now: no weeks-long "if it does not improve" advice
            recommendations = [r for r in recommendations if r.kind != "safety-net"]
        return recommendations

    def _withheld(self, fired: list[RuleResult], stop: bool, recommendations: list[Recommendation],
                  every_region: bool, said: frozenset[str], presentation: Presentation) -> dict[str, Withheld]:
        """The actions a fired rule calls for that the answer does not recommend now, each with why: what
        ``mskg explain`` must say of a rule or action so that it agrees with the answer."""
        now = {rec.iri for rec in recommendations if rec.kind == "now"}
        callers: dict[URIRef, list[RuleResult]] = {}
        for rule in fired:
            for action, _, _ in self.actions_of(rule.iri):
                callers.setdefault(action, []).append(rule)

        def silenced(action: URIRef) -> bool:  # as _recommendations: a red flag fired, no training advice of others
            return stop and all(r.kind == "SelfCareRule"
                                or (not r.is_red_flag and self.is_training_modification(action))
                                for r in callers[action])

        called = {action for action in callers if not silenced(action)}  # called now, before any is set aside
        out: dict[str, Withheld] = {}
        for action, rules in callers.items():
            if action in now:
                continue
            if silenced(action):
                why, by = "stop", tuple((r.id, r.label) for r in rules)
            elif self.superseded_by(action) & called:
                by = tuple(sorted((_local(a), self.label(a)) for a in self.superseded_by(action) & called))
                why = "superseded"
            elif self._regional_advice_left_out(action, every_region, said):
                region = self.region_of(action)
                nowhere = tuple((r.concept.id, text) for r in presentation.findings
                                if r.said_nowhere and r.concept.region == region for text in r.inputs)
                why, by = ("every-region", ()) if every_region else ("said-nowhere", nowhere)
            else:  # not reached while the clauses above are the whole policy: said plainly rather than guessed
                why, by = "other", ()
            out[_local(action)] = Withheld(_local(action), self.label(action), why, by, self.region_of(action))
        return out

    def _recommendations(self, rules: list[RuleResult], stop: bool) -> list[Recommendation]:
        """The actions the rules call for, 'now' (fired) or as a safety net (not yet met); see the module."""
        by_action: dict[URIRef, Recommendation] = {}
        pending: dict[URIRef, list[RuleResult]] = {}
        for rule in rules:
            if rule.fires and stop and rule.kind == "SelfCareRule":
                continue  # a red flag fired: no 'keep training' advice
            if not rule.fires and rule.kind == "SelfCareRule":
                continue  # self-care rules give no safety net
            for action, type_label, timeframe in self.actions_of(rule.iri):
                if rule.fires:
                    if stop and not rule.is_red_flag and self.is_training_modification(action):
                        continue
                    current = by_action.get(action)
                    if current is None or current.kind == "safety-net":
                        by_action[action] = Recommendation(action, _local(action), self.label(action), type_label,
                                                           rule.urgency, timeframe, "now", None, (rule.id,),
                                                           seeks_care=self.is_care_seeking(action))
                    else:
                        current.urgency = max(current.urgency, rule.urgency, key=lambda u: u.rank)
                        current.rules += (rule.id,)
                else:
                    if rule.is_red_flag and not self.is_care_seeking(action):
                        continue  # a red flag not (yet) met: the safety net is where to seek care, not a scan
                    pending.setdefault(action, []).append(rule)
                    by_action.setdefault(action, Recommendation(action, _local(action), self.label(action), type_label,
                                                                rule.urgency, timeframe, "safety-net", None, (),
                                                                seeks_care=self.is_care_seeking(action)))
        now = {action for action, rec in by_action.items() if rec.kind == "now"}
        for action in [a for a in by_action if self.superseded_by(a) & now]:
            del by_action[action]
        # the rules calling a 'now' action, most urgent first (whatever order the engine listed them in)
        rank = {rule.id: -rule.urgency.rank for rule in rules}
        for rec in by_action.values():
            rec.rules = tuple(sorted(rec.rules, key=lambda r: (rank[r], r)))
        for action, waiting in pending.items():
            rec = by_action.get(action)  # None: set aside by an action recommended now
            if rec is not None and rec.kind == "safety-net":
                waiting.sort(key=lambda r: (-r.urgency.rank, r.id))
                rec.urgency = waiting[0].urgency
                rec.rules = tuple(r.id for r in waiting)
                conditions = [c for c in dict.fromkeys(self.condition_text(r.iri) for r in waiting) if c]
                rec.when = "; or ".join(conditions) or None
        # 'now' before 'safety-net', most urgent first, where to seek care before what else to do, then by
        # the first rule calling it, then the label
        return sorted(by_action.values(), key=lambda r: (r.kind != "now", -r.urgency.rank, -self.care_order(r.iri),
                                                         r.rules[0], r.label))


#: The label of mskg:supersededBy, as the curator's readings name the property they read; SUPERSEDES heads such a
#: reading where it is shown: at the action recommended now that set another aside.
SUPERSEDED_BY = "superseded by"
SUPERSEDES = "sets aside"


def minimal_trigger_set(matches: Sequence[tuple[str, str, str]]) -> tuple[str, ...]:
    """The smallest set of reported findings that still meets every criterion (ties: alphabetical)."""
    by_criterion: dict[str, set[str]] = {}
    for criterion, reported, _trigger in matches:
        by_criterion.setdefault(criterion, set()).add(reported)
    if not by_criterion:
        return ()
    candidates = sorted(set().union(*by_criterion.values()))
    for size in range(len(candidates)):
        for subset in itertools.combinations(candidates, size + 1):
            if all(set(subset) & needed for needed in by_criterion.values()):
                return subset
    raise AssertionError("unreachable: every reported finding together meets every criterion")
