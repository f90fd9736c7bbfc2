"""The records triage works with: what a person reports, and the answer it gets.

``Presentation`` goes in; ``RuleResult``, ``Recommendation`` and ``TriageResult`` come out. The engines
(:mod:`.sparql`, :mod:`.compiled`) make results, the explainer (:mod:`.explain`) annotates them, and
only the views in ``mskg.cli`` and the endpoint turn them into text: records flow one way.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from rdflib import RDF, XSD, Graph, Literal, URIRef

from ...kg.resolve import Concept, ResolutionError, resolver_for
from ...ontology.namespaces import MSKG
from .timing import TREND_IRIS, TRENDS, PresentationError, parse_duration, parse_trend

__all__ = ["DISCLAIMER", "PRESENTATION", "READINGS", "SYSTEMIC", "TRENDS", "Presentation", "PresentationError", "Recommendation", "Reported",
           "RuleResult", "Screened", "TriageResult", "Unresolved", "UnresolvedInputs", "Urgency", "Withheld", "ask_where", "make_presentation",
           "parse_duration", "parse_trend", "read_both_legs", "read_other_side", "read_together", "readings_of", "region_name",
           "resolve_inputs", "unique_findings"]

DISCLAIMER = (
    "Information, not medical advice: mskg reports what one patient-facing article says and does not "
    "diagnose or treat. If you think it is an emergency, call 999 or go to A&E now."
)

PRESENTATION = URIRef("urn:mskg:presentation")
#: The id of the systemic body region: findings of the whole person (fever, weight loss …), which count
#: alongside a finding of any region; with only these, every region's rules are read, conservatively.
SYSTEMIC = "region/systemic"
#: The kinds of unresolved input whose candidates are each a reading of it (see :attr:`Unresolved.kind`).
READINGS = frozenset({"ambiguous", "several", "where"})


def region_name(region: str) -> str:
    """A region id's name, for the views: "region/back-and-leg" -> "back-and-leg". Inside triage a region is always
    its id, "region/<name>" (the local id of its mskg:inRegion IRI, as :data:`SYSTEMIC`); only the views name it."""
    return region.removeprefix("region/")


@dataclass(frozen=True)
class Reported:
    """One thing the person typed, the concept it resolved to, and how (see :class:`mskg.kg.resolve.Match`)."""

    input: str
    concept: Concept
    how: str = "label"  # "id" | "label" | "synonym" | "code" | "spelling" | "both-sides"
    read_as: str | None = None  # the wording the input was read as (a spelling correction, both legs), else None
    #: said with no body site beside findings of another region only, and kept (lexicon ``site_less_kept``):
    #: its urgency stands, but no region-specific advice of its region is shown for it
    said_nowhere: bool = False
    #: read from an input that named several findings ("severe unrelenting pain and tennis elbow"): where it is, is
    #: read from its own wording (``read_as``), not from the whole input, whose site may be another finding's
    one_of_several: bool = False
    #: the other inputs read into this finding with ``input``: "numbness in my right leg" beside "numbness in my left
    #: leg" (read together as numbness in both legs, with "now the other leg too" when that named the second leg), or
    #: another wording of the same finding
    also_from: tuple[str, ...] = ()

    @property
    def inputs(self) -> tuple[str, ...]:
        """Every input read into this finding, in the order typed, each once."""
        return tuple(dict.fromkeys((self.input, *self.also_from)))


@dataclass(frozen=True)
class Unresolved:
    """Something the person typed that names no concept the article covers: why, and the closest concepts."""

    input: str
    reason: str
    candidates: tuple[tuple[str, str], ...]  # (id, label), closest first
    absent: bool = False  # typed as a finding reported absent
    #: what the candidates are: "ambiguous", "several" (the resolver's kinds) or "where" (a site-less wording asked
    #: about) when each candidate is a reading of the input; "unmatched" when they are only the closest wordings
    kind: str = "unmatched"
    #: (kind, words): what the input says of how long ("duration") or how symptoms are changing ("trend"), which a
    #: finding does not carry (kg/lexicon.yaml ``timing``): --duration and --trend are for it
    timing: tuple[tuple[str, str], ...] = ()

    @property
    def candidates_are_readings(self) -> bool:
        """Whether every candidate is a reading of the input, not a spelling neighbour of it."""
        return self.kind in READINGS

    @classmethod
    def from_error(cls, error: ResolutionError, absent: bool = False) -> "Unresolved":
        return cls(error.text, error.reason, tuple((m.concept.id, m.concept.label) for m in error.candidates), absent,
                   error.kind, tuple(getattr(error, "timing", ())))

    def __str__(self) -> str:
        close = ", ".join(label for _, label in self.candidates[:3])
        return f"{self.reason}: {self.input!r}" + (f" (closest: {close})" if close else "")


class UnresolvedInputs(PresentationError):
    """Inputs that resolved to nothing, when nothing else is left to triage (or resolution is strict)."""

    def __init__(self, items: Sequence[Unresolved], why: str):
        self.items = tuple(items)
        super().__init__(why + "; ".join(str(item) for item in self.items))


@dataclass(frozen=True)
class Presentation:
    """What a person reports: findings present, findings absent, duration (days) and trend."""

    findings: tuple[Reported, ...]
    absent: tuple[Reported, ...] = ()
    duration_days: Decimal | None = None
    trend: str | None = None
    unresolved: tuple[Unresolved, ...] = ()  # inputs that named no concept: shown with the answer, never dropped

    def triples(self) -> Graph:
        """The presentation as RDF, to be queried together with the knowledge graph."""
        g = Graph()
        g.add((PRESENTATION, RDF.type, MSKG.Presentation))
        for item in self.findings:
            g.add((PRESENTATION, MSKG.hasFinding, item.concept.iri))
        for item in self.absent:
            g.add((PRESENTATION, MSKG.absentFinding, item.concept.iri))
        if self.duration_days is not None:
            g.add((PRESENTATION, MSKG.durationDays, Literal(self.duration_days, datatype=XSD.decimal)))
        if self.trend is not None:
            g.add((PRESENTATION, MSKG.trend, TREND_IRIS[self.trend]))
        return g


def resolve_inputs(resolver, findings: Sequence[str], absent: Sequence[str] = ()
                   ) -> tuple[tuple[Reported, ...], tuple[Reported, ...], tuple[Unresolved, ...]]:
    """Resolve each input on its own: (present, absent, unresolved). One unknown word never silences the rest."""
    resolved: tuple[list[Reported], list[Reported]] = ([], [])
    unresolved: list[Unresolved] = []
    for is_absent, texts in ((False, findings), (True, absent)):
        for text in texts:
            try:
                match = resolver.resolve_match(text)
            except ResolutionError as exc:
                unresolved.append(Unresolved.from_error(exc, is_absent))
                continue
            read, asked = readings_of(resolver, text, match, is_absent)
            resolved[is_absent].extend(read)
            unresolved.extend(asked)
    return read_together(resolver, resolved[0], resolved[1], unresolved)


def readings_of(resolver, text: str, match, is_absent: bool = False) -> tuple[list[Reported], list[Unresolved]]:
    """What one input resolved to (``match``) reads as: (the findings, the questions). Present, a wording naming
    several findings keeps each (HAZ-35, HAZ-32: "fell heavily onto my elbow" is significant trauma and the elbow's
    injury), and a wording the lexicon asks about found beside them ("back pain after a fall") is asked about, with
    the finding it may be as its closest match (HAZ-36). Absent, an input is read as the one finding it names (no
    aggravation by coughing does not mean no leg pain)."""
    read = [Reported(text, match.concept, match.how, match.read_as)]
    if is_absent:
        return read, []
    read += [Reported(text, m.concept, m.how, m.read_as) for m in resolver.also_named(text, match)]
    if len(read) > 1:
        read = [replace(item, one_of_several=True) for item in read]
    asked = [Unresolved(text, f"ambiguous: {question}", ((concept_id, resolver.concepts[concept_id].label),),
                        kind="ambiguous")
             for concept_id, question, _ in match.asked]
    if match.timing:
        asked.append(Unresolved(text, timing_reason(match.timing), (), kind="timing", timing=match.timing))
    return read, asked


def timing_reason(timing: Sequence[tuple[str, str]]) -> str:
    """What to do with words about how long or how symptoms are changing said inside a finding ("for 8 weeks", "not
    getting better"): give them with --duration and --trend, read as those options read them (h28 cold review: "not
    getting better" was refused as an absence)."""
    said = ", ".join(f"“{words}”" for _, words in timing)
    options = []
    for kind, words in timing:
        try:
            value = parse_duration(words) if kind == "duration" else parse_trend(words)
        except PresentationError:
            value = None
        if kind == "duration":
            options.append(f'--duration "{_duration_words(words)}"' if value is not None else "--duration")
        elif value == "worsening":  # "getting worse" may be fast: the urgent same-day reading is the other choice
            options.append("--trend worsening (or rapidly-worsening if it is getting worse quickly)")
        else:
            options.append(f"--trend {value}" if value else f"--trend ({', '.join(TRENDS)})")
    return (f"says how long or how it is changing ({said}), which the finding does not carry: give it with "
            f"{' and '.join(dict.fromkeys(options))}; until then the answer does not take it into account")


def _trend_or_none(words: str) -> str | None:
    try:
        return parse_trend(words)
    except PresentationError:
        return None


def _duration_words(words: str) -> str:
    """A duration as said, without the words around it ("for the last 8 weeks" -> "8 weeks")."""
    out = words.split()
    while len(out) > 2 and out[0] in {"for", "over", "about", "around", "roughly", "nearly", "almost", "after", "the",
                                      "last", "past", "more", "than", "at", "least"}:
        out = out[1:]
    return " ".join(w for w in out if w != "ago")


def read_together(resolver, present: Sequence[Reported], absent: Sequence[Reported],
                  unresolved: Sequence[Unresolved]) -> tuple[tuple[Reported, ...], tuple[Reported, ...],
                                                             tuple[Unresolved, ...]]:
    """What the inputs say together, once each is resolved: one leg's finding on both legs (:func:`read_both_legs`),
    a leg said to be well (:func:`read_other_side`), and where a site-less finding is (:func:`ask_where`).
    Returns (present, absent, unresolved)."""
    both, unresolved = read_both_legs(resolver, present, unresolved)
    both, missing, unresolved = read_other_side(resolver, both, absent, unresolved)
    kept, kept_absent, asked = ask_where(resolver, both, missing)
    return kept, kept_absent, (*unresolved, *asked)


#: How a finding read from a leg said to be well is shown (``Reported.how``): the both-legs finding, absent.
OTHER_SIDE = "other-side"


def read_other_side(resolver, present: Sequence[Reported], absent: Sequence[Reported] = (),
                    unresolved: Sequence[Unresolved] = ()) -> tuple[list[Reported], list[Reported], list[Unresolved]]:
    """A leg said to be well beside one leg's finding (cold review, issue 12): the finding is in one leg, and its
    both-legs finding (kg/lexicon.yaml ``both_legs``) is absent, never present.

    - An input that says only that a leg is well ("the other leg is fine", "my right leg is ok", lexicon
      ``both_legs.fine``) reads as the both-legs finding of every one-leg finding reported, absent; with none
      reported it reads as nothing, and is listed as such (no closest match: a leg said to be well never raises the
      urgency).
    - A one-leg finding reported absent on a side its present report does not name (``-f "numbness in left leg" -a
      "numbness in right leg"``) is its both-legs finding absent, not a contradiction.
    - A one-leg finding whose input says the other leg is well ("numbness in my left leg, the other leg is fine")
      reads its both-legs finding as absent too.

    A both-legs finding reported present stays present (the safer reading): it is never also read absent.
    Returns (present, absent, unresolved)."""
    one_leg = [item for item in present if resolver.both_legs_of(item.concept.id) is not None]
    present_ids = {item.concept.id for item in present}
    sides: dict[str, frozenset[str]] = {}
    for item in one_leg:
        sides[item.concept.id] = sides.get(item.concept.id, frozenset()).union(
            *(resolver.sides_named(t) for t in (item.input, item.read_as) if t))

    def other_side(item: Reported, text: str) -> Reported:
        counterpart = resolver.both_legs_of(item.concept.id)
        return Reported(text, counterpart, OTHER_SIDE, counterpart.label)

    missing: list[Reported] = []
    for item in absent:
        named = resolver.sides_named(item.input)
        if (item.concept.id in sides and named and not named & sides[item.concept.id]
                and resolver.both_legs_of(item.concept.id) is not None):
            missing.append(other_side(item, item.input))
        else:
            missing.append(item)
    kept: list[Unresolved] = []
    for u in unresolved:
        if u.absent or not resolver.names_only_a_well_side(u.input):
            kept.append(u)
        elif one_leg:
            missing.extend(other_side(item, u.input) for item in one_leg)
        else:
            kept.append(Unresolved(u.input, "says a leg is well, beside no finding of one leg: nothing to read", ()))
    for item in one_leg:
        if resolver.sides_said_well(item.input):
            missing.append(other_side(item, item.input))
    missing = [m for m in missing if m.how != OTHER_SIDE or m.concept.id not in present_ids]
    return list(present), missing, kept


def read_both_legs(resolver, present: Sequence[Reported], unresolved: Sequence[Unresolved] = ()
                   ) -> tuple[list[Reported], list[Unresolved]]:
    """Read one leg's finding reported on both legs as the graph's both-legs finding (kg/lexicon.yaml ``both_legs``,
    HAZ-34): "numbness in my left leg" with "numbness in my right leg" is numbness in both legs (an emergency), not
    two reports of the one-leg finding (prompt review). Findings of one counterpart are read together; they name two
    legs when their inputs name the left and the right, or a second leg ("the other leg"), or when an input that
    names only a side ("now the other leg too", not understood on its own) was reported beside them — that input is
    then understood, and leaves ``unresolved`` — or when the both-legs finding itself was reported too (the one leg is
    one of the two). Returns (present, unresolved)."""
    sides_only = [u for u in unresolved if not u.absent and resolver.names_only_a_side(u.input)]
    groups: dict[str, list[Reported]] = {}
    for item in present:
        counterpart = resolver.both_legs_of(item.concept.id)
        if counterpart is not None:
            groups.setdefault(counterpart.id, []).append(item)
    already = {item.concept.id for item in present}  # "numbness in both legs" said too: the one leg is one of them
    read: dict[int, Reported] = {}
    used = False

    def texts_of(items: Sequence[Reported]) -> list[str]:
        return [t for item in items for t in (item.input, item.read_as) if t]

    # different findings on each side ("numbness in my left leg", "weakness in my right leg") are symptoms in both
    # legs too: each finding that names its side is read as its own both-legs finding, with every finding of the
    # same kind (a curator's reading, the safer one: the article's flag is "weakness, numbness, or loss of feeling
    # in both legs (not just one)"; HAZ-34)
    sided = [item for items in groups.values() for item in items if texts_of([item]) and
             any(resolver.sides_named(t) for t in texts_of([item]))]
    across = resolver.names_both_legs(texts_of(sided)) and len({resolver.both_legs_of(i.concept.id).id
                                                                 for i in sided}) > 1
    for counterpart_id, items in groups.items():
        texts = texts_of(items)
        crossed = across and any(item in sided for item in items)
        if (counterpart_id in already or crossed or resolver.names_both_legs(texts)
                or resolver.names_both_legs([*texts, *(u.input for u in sides_only)])):
            side_named = not (counterpart_id in already or crossed or resolver.names_both_legs(texts))
            used = used or side_named
            counterpart = resolver.concepts[counterpart_id]
            # every input read into the both-legs finding is shown with it, not the first only
            inputs = tuple(dict.fromkeys([*(item.input for item in items),
                                          *((u.input for u in sides_only) if side_named else ())]))
            for item in items:
                read[id(item)] = Reported(item.input, counterpart, "both-sides", counterpart.label,
                                          also_from=tuple(t for t in inputs if t != item.input))
    kept = [u for u in unresolved if not (used and u in sides_only)]
    return [read.get(id(item), item) for item in present], kept


def ask_where(resolver, present: Sequence[Reported], absent: Sequence[Reported] = ()
              ) -> tuple[tuple[Reported, ...], tuple[Reported, ...], tuple[Unresolved, ...]]:
    """Ask where, rather than guess, for a finding said with no body site that the article uses for one region
    only (the lexicon's ``site_less``) when the other findings reported are about another region:
    "pins and needles" beside tennis elbow is probably in the arm, and read as the leg's it sends an elbow
    patient to a spine specialist (HAZ-06). Returns (present kept, absent kept, the inputs asked about).

    What else was reported is the present findings that say where: site-less listed ones and systemic ones
    (fever) say nothing about it. With none of those, or one of the finding's own region, nothing changes.
    """
    listed = resolver.lexicon.site_less
    kept_listed = resolver.lexicon.site_less_kept

    def says_nowhere(item: Reported, among: frozenset[str] = listed | kept_listed) -> bool:
        texts = (item.read_as,) if item.one_of_several else (item.input, item.read_as)
        return item.concept.id in among and not any(resolver.names_site(text) for text in texts if text)

    elsewhere = {item.concept.region for item in present if not says_nowhere(item)} - {SYSTEMIC, None}
    if not elsewhere:
        return tuple(present), tuple(absent), ()
    kept: tuple[list[Reported], list[Reported]] = ([], [])
    asked: list[Unresolved] = []
    for is_absent, items in ((False, present), (True, absent)):
        for item in items:
            if says_nowhere(item, kept_listed) and item.concept.region not in elsewhere:
                kept[is_absent].append(replace(item, said_nowhere=True))  # a red flag on its own: kept
            elif says_nowhere(item, listed) and item.concept.region not in elsewhere:
                asked.append(Unresolved(item.input, _where_reason(resolver, item, elsewhere),
                                        ((item.concept.id, item.concept.label),), is_absent, "where"))
            else:
                kept[is_absent].append(item)
    return tuple(kept[0]), tuple(kept[1]), tuple(asked)


def _where_reason(resolver, item: Reported, elsewhere: set[str]) -> str:
    """The plain sentence for a site-less input: what the rest is about, and an example of saying where (of the
    finding's own wordings that name a site, the one sharing most words with what was typed, then the shortest)."""
    about = " and the ".join(resolver.region_label(region) for region in sorted(elsewhere))
    reason = f"says no body site, and what else you reported is about the {about}: say where"
    typed = resolver.reader.bag(resolver.reader.words(item.input))
    with_site = [w for w in (item.concept.label, *item.concept.synonyms) if resolver.names_site(w)]
    if with_site:
        example = min(with_site, key=lambda w: (-len(typed & resolver.reader.bag(resolver.reader.words(w))), len(w), w))
        return f"{reason} (for example '{example}')"
    own = resolver.region_label(item.concept.region) if item.concept.region else "another body region"
    return (f"{reason} (the article uses it for the {own}: "
            f"if it is there, report it together with what you have there)")


def make_presentation(source, findings: Sequence[str], absent: Sequence[str] = (),
                      duration: str | None = None, trend: str | None = None, strict: bool = False) -> Presentation:
    """Resolve free-text inputs into a ``Presentation``; raises ``PresentationError`` when it cannot be triaged.

    ``source`` is the graph, or a ready ``Resolver`` (the compiled knowledge base carries one). Inputs that
    resolve to nothing are kept in ``Presentation.unresolved`` and the rest is triaged; with ``strict``, or
    when no finding resolves, they raise :class:`UnresolvedInputs` instead.
    """
    if not findings:
        raise PresentationError("no findings given: name at least one finding or condition with --finding")
    resolver = source if hasattr(source, "resolve_match") else resolver_for(source)
    duration_days = parse_duration(duration) if duration is not None else None
    trend_id = parse_trend(trend) if trend is not None else None
    present, missing, unresolved = resolve_inputs(resolver, findings, absent)
    if unresolved and strict:
        raise UnresolvedInputs(unresolved, "not understood (--strict): ")
    if not present:
        raise UnresolvedInputs(unresolved, "no finding was understood, so there is nothing to triage: ")
    clash = {r.concept.id for r in present} & {r.concept.id for r in missing}
    if clash:
        raise PresentationError(f"reported both present and absent: {', '.join(sorted(clash))}")
    return Presentation(unique_findings(present), unique_findings(missing), duration_days, trend_id, unresolved)


def unique_findings(items: Iterable[Reported]) -> tuple[Reported, ...]:
    """Each concept once, as it was first read, with every input read into it (``Reported.inputs``): two inputs
    read as one finding (numbness in the left leg and in the right, read as numbness in both legs) are both shown."""
    seen: dict[str, Reported] = {}
    for item in items:
        first = seen.setdefault(item.concept.id, item)
        if first is not item:
            seen[item.concept.id] = replace(first, also_from=tuple(
                t for t in dict.fromkeys((*first.also_from, *item.inputs)) if t != first.input))
    return tuple(seen.values())


@dataclass(frozen=True)
class Urgency:
    """One of the five urgency levels."""

    id: str
    label: str
    rank: int
    definition: str
    without_safety_net: bool = False  # at this urgency the answer gives no weeks-long safety net


@dataclass(frozen=True)
class RuleResult:
    """A rule whose trigger criteria the presentation meets; ``fires`` when its duration and trend hold too."""

    iri: URIRef
    id: str
    label: str
    kind: str  # "RedFlag" | "EscalationRule" | "SelfCareRule"
    urgency: Urgency
    fires: bool
    duration_ok: bool
    trend_ok: bool
    matches: tuple[tuple[str, str, str], ...]  # (criterion IRI, reported concept id, trigger concept id)
    minimal_triggers: tuple[str, ...]

    @property
    def is_red_flag(self) -> bool:
        return self.kind == "RedFlag"


@dataclass
class Recommendation:
    """An action called for by rules that fire ('now') or would fire if things change ('safety-net')."""

    iri: URIRef
    id: str
    label: str
    type: str
    urgency: Urgency
    timeframe: str | None
    kind: str  # "now" | "safety-net"
    when: str | None
    rules: tuple[str, ...]
    explanations: list = field(default_factory=list)
    seeks_care: bool = False  # 999 or A&E, NHS 111 or same-day care, a clinical review (its class)


@dataclass(frozen=True)
class Screened:
    """A red-flag finding not yet asked about, with what it would lead to.

    ``urgency`` is the most urgent red flag it sets on its own (``red_flag``), or, when it is a red flag only
    together with a trend or another finding (pins and needles that are rapidly worsening), the most urgent
    red flag it can then lead to (``red_flag`` false). ``widened``: it is asked about only because a reported
    finding puts every region's red flags in the screen (mskg:screensEveryRegion), whose readings the policy
    adds as ``interpretations``.
    """

    id: str
    label: str
    urgency: Urgency
    red_flag: bool
    widened: bool = False
    interpretations: tuple[tuple[str, str], ...] = ()  # (property, note): the curator's readings that put it here


@dataclass(frozen=True)
class Withheld:
    """An action a fired rule calls for that the answer does not recommend now, and why (``why``):

    - ``stop``: a red flag fired, so the training advice of a rule that is not one (and self-care) is not given;
      ``by`` the rules that called for it (id, label);
    - ``superseded``: set aside by an action recommended now (mskg:supersededBy); ``by`` those actions (id, label);
    - ``every-region``: only systemic findings were reported, so no advice for one body region (``region``);
    - ``said-nowhere``: advice for a region nothing was said of, called for by a red flag said there with no site
      (HAZ-33); ``by`` the findings read so (id, the input as typed);
    - ``other``: none of these (not reached while they are the whole policy; said plainly rather than guessed).
    """

    id: str
    label: str
    why: str
    by: tuple[tuple[str, str], ...] = ()
    region: str | None = None


@dataclass
class TriageResult:
    """The whole answer: urgency, training advice, fired flags, recommendations, red flags not asked about."""

    presentation: Presentation
    urgency: Urgency
    training: str  # "stop" | "modify"
    rules: list[RuleResult]
    recommendations: list[Recommendation]
    not_asked: list[Screened]  # red-flag findings not yet asked about: red flags most urgent first, then the rest
    explanations: dict[str, list] = field(default_factory=dict)  # rule id -> explanations
    disclaimer: str = DISCLAIMER
    interpretations: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)  # id -> (property, note)
    regions: tuple[str, ...] = ()  # body region ids something was said of (systemic and said_nowhere left out)
    every_region: bool = False  # only systemic findings: every region's rules were read, conservatively
    red_flags: dict[str, Screened] = field(default_factory=dict)  # every region's screen: what an unknown input could be
    #: ids of the findings read without their region: red flags said with no site beside another region's findings
    said_nowhere: tuple[str, ...] = ()
    withheld: dict[str, Withheld] = field(default_factory=dict)  # action id -> why a fired rule's call is not shown

    @property
    def fired(self) -> list[RuleResult]:
        return [r for r in self.rules if r.fires]

    @property
    def flags(self) -> list[RuleResult]:
        """Fired red flags and escalation rules, most urgent first (self-care rules only give advice)."""
        return [r for r in self.fired if r.kind != "SelfCareRule"]

    @property
    def unsettled(self) -> list[tuple[Unresolved, tuple[Screened, ...]]]:
        """Inputs not understood that could be a red flag more urgent than the answer, or any red flag while the answer
        keeps training (a red flag stops it; "sciatica" with "lost weight"): the answer is not settled
        until they are answered, so no view may present it as settled ("keep training"). Judged against every
        region's red flags, not only the regions in play (an unknown wording beside tennis elbow may be a cauda
        equina symptom), and never a finding reported absent. Of an input the resolver found ambiguous or naming
        several findings, every candidate is a reading of it and the most urgent red flag among them is named; of an
        unknown input, only the closest match (the further ones are spelling neighbours: "dieting and lost weight"
        is not a bladder change). Then, with nothing it could be (an empty tuple), an input that says how long or how
        symptoms are changing ("back pain for 8 weeks not getting better") not given as --duration or --trend: the
        article's thresholds turn on them (getting better with no duration excepted: it raises none)."""
        absent = {r.concept.id for r in self.presentation.absent}
        # a red flag more urgent than the answer, or any red flag while the answer keeps training (a red flag stops it)
        flags = {i: s for i, s in (self.red_flags or {s.id: s for s in self.not_asked}).items()
                 if s.red_flag and (s.urgency.rank > self.urgency.rank or self.training != "stop") and i not in absent}
        out = []
        for u in self.presentation.unresolved:
            if u.absent or not u.candidates:
                continue
            readings = u.candidates if u.candidates_are_readings else u.candidates[:1]
            could_be = [flags[i] for i, _ in readings if i in flags]
            if could_be:
                out.append((u, (max(could_be, key=lambda s: s.urgency.rank),)))
        # words about how long or how symptoms are changing, not given as --duration or --trend: the article's
        # thresholds turn on them, so the answer is not settled as if they were known (h28 cold review)
        given = {"duration"} if self.presentation.duration_days is not None else set()
        given |= {"trend"} if self.presentation.trend is not None else set()
        for u in self.presentation.unresolved:
            said = [(kind, words) for kind, words in u.timing if kind not in given]
            # getting better, said with no duration, raises no threshold of the article: nothing to settle
            if u.absent or not said or all(kind == "trend" and _trend_or_none(words) == "improving" for kind, words in said):
                continue
            if all(x is not u for x, _ in out):
                out.append((u, ()))
        return out
