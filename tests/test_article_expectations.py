"""Expectations written by hand from the article, not from the graph or the code.

Every expected value below (which words name a red-flag finding, which tier a rule sets, which findings
satisfy its criteria, how many days before it fires, what a presentation should get) was read off
``kg/sources/sports-back-and-elbow-pain.txt``. Only the *names* (concept, rule and urgency ids) are the
graph's. Where the article leaves a value open and the graph records a curator interpretation
(``mskg:hasInterpretation``), the table gives the interpretation's value and says so, quoting the article.
Where the graph disagrees with the article, the case is ``xfail(strict=True)`` with the article's words
in the reason: fixing the graph turns it into an XPASS, which fails, so the mark must then be removed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

import pytest
from click.testing import CliRunner
from rdflib import RDF, SKOS, Graph, Namespace

from mskg.cli.main import cli
from mskg.kg.article import read_article_text
from mskg.kg.load import load_graph

MSKG = Namespace("https://w3id.org/mskg/ontology#")
ID = Namespace("https://w3id.org/mskg/id/")
PROV = Namespace("http://www.w3.org/ns/prov#")
OA = Namespace("http://www.w3.org/ns/oa#")
TIME = Namespace("http://www.w3.org/2006/time#")

ARTICLE = "sports-back-and-elbow-pain.txt"


def xfail(*values, reason: str):
    return pytest.param(*values, marks=pytest.mark.xfail(strict=True, reason=reason))


@lru_cache(maxsize=1)
def text() -> str:
    return read_article_text(ARTICLE)[0]


@lru_cache(maxsize=1)
def graph() -> Graph:
    return load_graph()


def local(iri) -> str:
    return str(iri).rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def in_article(quote: str) -> bool:
    return quote in text()


def normalise(s: str) -> str:
    """Case, quotes and whitespace only: curly quotes become straight, double quotes go, spaces collapse."""
    s = s.replace("\u2018", "'").replace("\u2019", "'").replace("\u201c", "").replace("\u201d", "").replace('"', "")
    return " ".join(s.casefold().split())


def triage(findings=(), absent=(), duration=None, trend=None) -> dict:
    args = ["triage", "--format", "json"]
    for f in findings:
        args += ["--finding", f]
    for a in absent:
        args += ["--absent", a]
    if duration:
        args += ["--duration", duration]
    if trend:
        args += ["--trend", trend]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, f"mskg {' '.join(args)} exited {result.exit_code}: {result.output}"
    return json.loads(result.output)


# ---------------------------------------------------------------------------------------------------------
# 1. The article's own lay wordings for each red-flag finding
# ---------------------------------------------------------------------------------------------------------
# Each wording is the article's phrase with a leading "a"/"the" dropped; a phrase coordinated in the article
# ("weakness, numbness, or loss of feeling in both legs") is also given distributed ("weakness in both legs").
# The comment after each gives where the article uses it.
RED_FLAG_WORDINGS: dict[str, list[str]] = {
    "bladder-or-bowel-change": [
        "New bladder or bowel control problems",  # red-flag list
        "bladder or bowel changes",  # What to do today; FAQ
        "bladder/bowel changes",  # "or bladder/bowel changes, clinical assessment ... becomes more relevant"
        # "(for example, new leakage or not being able to control a bowel movement)": leakage of the bladder or
        # the bowel, so the broader finding (the same red flag fires either way)
        "new leakage",
    ],
    "faecal-incontinence": [
        "not being able to control a bowel movement",
    ],
    "urinary-retention": [
        "Difficulty starting, stopping, or fully emptying urine",  # red-flag list
        "difficulty starting urine",  # the same, distributed
        "difficulty stopping urine",
        "difficulty fully emptying urine",
        "new urinary retention",  # "(new urinary retention, needing to strain, or ...)"
        "needing to strain",
    ],
    "loss-of-bladder-sensation": [
        "losing the usual sensation of a full bladder",
    ],
    "saddle-anaesthesia": [
        "New numbness or altered feeling around the \u201csaddle\u201d area",  # red-flag list
        "altered feeling around the \u201csaddle\u201d area",
        "numbness \u201caround your bottom, genitals, or anus\u201d",  # red-flag list
        "numbness \u201caround the bottom/genitals\u201d",  # What to do today
        "numbness around the bottom or genitals",  # FAQ
        "saddle numbness",  # the page's own summary under "Recent Articles"
    ],
    "bilateral-leg-weakness": [
        "weakness in both legs",  # "Severe or rapidly worsening weakness, numbness, or loss of feeling in both legs"
        "severe weakness in both legs",
        "rapidly worsening weakness in both legs",
        "severe worsening weakness in both legs",  # FAQ: "severe worsening weakness or numbness in both legs"
        "bilateral weakness",  # What to do today: "bilateral severe/worsening weakness or numbness"
    ],
    "bilateral-leg-numbness": [
        "numbness in both legs",
        "loss of feeling in both legs",
        "severe numbness in both legs",
        "rapidly worsening numbness in both legs",
        "severe worsening numbness in both legs",  # FAQ
        "bilateral numbness",  # What to do today
    ],
    "bilateral-sciatica": [
        "Sciatica affecting both legs",
    ],
    "fever": ["fever"],
    "chills": ["chills"],
    "feeling-very-unwell": [
        "Feeling very unwell",
        "flu-like illness",
        "feeling unwell",  # FAQ: "fever with feeling unwell"
        "Systemic illness",  # elbow: "Systemic illness such as fever or feeling very unwell"
    ],
    "unexplained-weight-loss": ["Unexplained weight loss"],
    "metastatic-disease": ["metastatic cancer"],  # "metastatic cancer, or an unstable fracture"
    "history-of-cancer": ["past history of cancer"],
    "significant-trauma": [
        "significant trauma",
        "high-speed accident",
        "heavy fall",
        "landing heavily from height",
    ],
    "severe-unrelenting-pain": [
        "Severe, unrelenting pain",
        "rapidly worsening pain",  # FAQ
        "pain that feels out of proportion",
        "pain that is not easing with usual measures",  # "pain that feels out of proportion or is not easing ..."
    ],
    # the triggers of "rapidly worsening neurological symptoms" and of "major/progressive neurological deficit"
    "leg-weakness": ["mild weakness on one side"],
    "progressive-leg-weakness": [
        "new or progressive leg weakness",  # "new or progressive leg weakness/numbness"
        "rapidly deteriorating leg strength",
    ],
    "leg-numbness": ["leg numbness"],  # "leg weakness/numbness", distributed
    "pins-and-needles": ["pins and needles"],
    "widespread-numbness": ["evolving widespread numbness"],
    "foot-drop": ["foot drop", "clear and worsening foot drop"],
    # the elbow patterns that "justify prompt medical evaluation"
    "elbow-deformity": ["Visible deformity around the elbow"],
    "elbow-swelling": ["Marked swelling"],
    "hot-swollen-elbow": ["hot, swollen elbow", "joint that looks hot and rapidly enlarging"],
    # with marked swelling, an elbow injury is a red flag (issue 12, cold review): "if there has been an elbow injury"
    "elbow-injury": ["elbow injury"],
    "unable-to-move-elbow": [
        "Inability to move the elbow normally",  # FAQ
        "Inability to move the elbow normally straight away",  # the bullet
    ],
}

# Wordings the graph lacks, or has only in another form. The reason quotes the article. (All that this set
# found were added as the article's own wordings under issue 11; an empty table is the expected state.)
WORDING_GAPS: dict[str, str] = {}

# The article's own words that name a finding only in their context: typed alone, they say no body site, so
# mskg asks rather than guessing (a tingling hand is not the leg's pins and needles).
SITE_LESS_IN_THE_ARTICLE = {"tingling": "pins-and-needles", "deformity": "elbow-deformity", "Swelling": "elbow-swelling"}


@pytest.mark.parametrize("wording", sorted(SITE_LESS_IN_THE_ARTICLE))
def test_the_articles_site_less_words_are_asked_about(wording):
    result = CliRunner().invoke(cli, ["triage", "--finding", wording, "--format", "json"])
    assert result.exit_code == 2 and result.stdout == ""
    assert SITE_LESS_IN_THE_ARTICLE[wording] in result.stderr  # offered as the closest match


# Of those, the ones the resolver still maps to the right concept (it ignores punctuation).
RESOLVES_DESPITE_GAP = {"Severe, unrelenting pain"}


def _wording_params(check: str):
    for concept, wordings in RED_FLAG_WORDINGS.items():
        for wording in wordings:
            gap = WORDING_GAPS.get(wording)
            if gap and not (check == "cli" and wording in RESOLVES_DESPITE_GAP):
                yield xfail(concept, wording, reason=gap)
            else:
                yield pytest.param(concept, wording, id=f"{concept}:{wording}")


def labels(concept: str) -> set[str]:
    node = ID[concept]
    return {normalise(str(o)) for p in (SKOS.prefLabel, SKOS.altLabel) for o in graph().objects(node, p)}


def test_wordings_are_the_articles_words():
    """Each wording occurs in the article as written (ignoring case), or distributed from a phrase that does."""
    body = normalise(text())
    distributed = {  # wording -> the article phrase it is distributed from
        "difficulty starting urine": "difficulty starting, stopping, or fully emptying urine",
        "difficulty stopping urine": "difficulty starting, stopping, or fully emptying urine",
        "difficulty fully emptying urine": "difficulty starting, stopping, or fully emptying urine",
        "weakness in both legs": "weakness, numbness, or loss of feeling in both legs",
        "severe weakness in both legs": "severe or rapidly worsening weakness, numbness, or loss of feeling in both legs",
        "rapidly worsening weakness in both legs": "rapidly worsening weakness, numbness, or loss of feeling in both legs",
        "severe worsening weakness in both legs": "severe worsening weakness or numbness in both legs",
        "numbness in both legs": "weakness or numbness in both legs",
        "severe numbness in both legs": "severe or rapidly worsening weakness, numbness, or loss of feeling in both legs",
        "rapidly worsening numbness in both legs": "rapidly worsening weakness, numbness, or loss of feeling in both legs",
        "severe worsening numbness in both legs": "severe worsening weakness or numbness in both legs",
        "bilateral weakness": "bilateral severe/worsening weakness or numbness",
        "bilateral numbness": "bilateral severe/worsening weakness or numbness",
        "pain that is not easing with usual measures": "pain that feels out of proportion or is not easing with usual measures",
        "leg numbness": "leg weakness/numbness",
    }
    for wordings in RED_FLAG_WORDINGS.values():
        for wording in wordings:
            phrase = distributed.get(wording, wording)
            assert normalise(phrase) in body, wording


@pytest.mark.parametrize(("concept", "wording"), list(_wording_params("label")))
def test_red_flag_wording_is_a_label(concept, wording):
    assert normalise(wording) in labels(concept), sorted(labels(concept))


@pytest.mark.parametrize(("concept", "wording"), list(_wording_params("cli")))
def test_red_flag_wording_resolves(concept, wording):
    data = triage([wording])
    assert [f["id"] for f in data["findings"]] == [concept]


# ---------------------------------------------------------------------------------------------------------
# 2. The triage rules, by hand from the article
# ---------------------------------------------------------------------------------------------------------
BACK_PAIN = {"low-back-pain", "mechanical-low-back-pain", "acute-low-back-pain", "back-dominant-pain"}
SCIATICA_PAIN = {"sciatica", "leg-pain-below-knee", "leg-dominant-pain"}
ELBOW_PAIN = {"tennis-elbow", "golfers-elbow", "lateral-elbow-pain", "medial-elbow-pain", "pain-with-gripping"}
#: issue 12 item 7: an elbow tendinopathy named as such and elbow pain that built up gradually are elbow pain
#: ("most sport-related elbow pain is an overload problem"; "more commonly gradual-onset problems") — marked readings
ANY_ELBOW_PAIN = ELBOW_PAIN | {"elbow-tendinopathy", "gradual-onset-elbow-pain"}
# the escalation rules read "elbow pain" in general too (the article: "if elbow pain is not getting better on its own
# within about a week"); the tendinopathy self-care does not (its advice is for an overloaded tendon)
ELBOW_PAIN_ESCALATING = ANY_ELBOW_PAIN | {"elbow-pain"}
NOT_IMPROVING = {"Unchanged", "Worsening"}


@dataclass
class Rule:
    kind: str  # RedFlag | EscalationRule | SelfCareRule
    urgency: str
    criteria: list[set[str]]  # ALL of these, each by ANY of its findings
    quote: str  # the article's words the rule rests on (checked verbatim)
    min_days: int | None = None
    trend: set[str] | None = None
    # the article's own number for the threshold: (value, upper or None, unit) of its timeframe
    threshold: tuple[int, int | None, str] | None = None
    # properties whose value the article leaves open: the graph must mark them as interpretations
    interpreted: set[str] = field(default_factory=set)


RULES: dict[str, Rule] = {
    # --- "Back-pain 'red flags' that should pause training": the 999 tier names bladder or bowel changes,
    # numbness around the bottom/genitals, bilateral severe/worsening weakness or numbness.
    "rf-bladder-bowel-control": Rule(
        "RedFlag", "emergency", [{"bladder-or-bowel-change", "urinary-incontinence", "faecal-incontinence"}],
        "New bladder or bowel control problems (for example, new leakage or not being able to control a bowel "
        "movement)"),
    # INTERPRETATION (setsUrgency): the bullet says only "another potential cauda equina\u2013type sign where time
    # matters"; the 999 tier says "bladder or bowel changes", which retention is read as.
    "rf-urinary-retention": Rule(
        "RedFlag", "emergency", [{"urinary-retention", "loss-of-bladder-sensation"}],
        "Difficulty starting, stopping, or fully emptying urine (new urinary retention, needing to strain, or "
        "losing the usual sensation of a full bladder)", interpreted={"setsUrgency"}),
    # INTERPRETATION (setsUrgency): the bullet says "needs urgent same-day assessment" but "Call 999 / go to A&E
    # now: ... numbness \u201caround the bottom/genitals\u201d"; the more urgent statement is taken.
    "rf-saddle-anaesthesia": Rule(
        "RedFlag", "emergency", [{"saddle-anaesthesia"}],
        "Call 999 / go to A&E now: bladder or bowel changes, numbness \u201caround the bottom/genitals\u201d",
        interpreted={"setsUrgency"}),
    # INTERPRETATION (hasCriterion): the article qualifies it "Severe or rapidly worsening"; any report fires.
    "rf-bilateral-leg-symptoms": Rule(
        "RedFlag", "emergency", [{"bilateral-leg-weakness", "bilateral-leg-numbness"}],
        "Severe or rapidly worsening weakness, numbness, or loss of feeling in both legs (not just one)",
        interpreted={"hasCriterion"}),
    # INTERPRETATION (setsUrgency): "NHS guidance treats this as a reason for immediate emergency assessment".
    "rf-bilateral-sciatica": Rule(
        "RedFlag", "emergency", [{"bilateral-sciatica"}],
        "NHS guidance treats this as a reason for immediate emergency assessment", interpreted={"setsUrgency"}),
    # --- "Other major alarm signs"; the NHS 111 tier names fever/feeling very unwell with back pain and
    # significant trauma. INTERPRETATION (hasCriterion): "with back pain" is not required as a separate finding.
    "rf-fever-unwell": Rule(
        "RedFlag", "urgent-same-day", [{"fever", "chills", "feeling-very-unwell"}],
        "Feeling very unwell with fever or chills alongside back pain", interpreted={"hasCriterion"}),
    # INTERPRETATION (setsUrgency): "What to do today" gives this sign no tier; the curator's prompt review.
    "rf-weight-loss-or-cancer": Rule(
        "RedFlag", "prompt-review", [{"unexplained-weight-loss", "history-of-cancer"}],
        "Unexplained weight loss or a past history of cancer (even if the back pain feels mechanical)",
        interpreted={"setsUrgency"}),
    # cold review (issue 12): "such as cauda equina syndrome, spinal infection, metastatic cancer, or an unstable
    # fracture": a reported metastatic cancer with a back or leg complaint is read as that serious spinal pathology
    # (INTERPRETATIONS rdf:type, setsUrgency: "Scan now when there is clinical concern for serious pathology")
    "rf-metastatic-cancer-with-back-pain": Rule(
        "RedFlag", "urgent-same-day", [{"metastatic-disease"}],
        "such as cauda equina syndrome, spinal infection, metastatic cancer, or an unstable fracture",
        interpreted={"type", "setsUrgency"}),
    "rf-significant-trauma": Rule(
        "RedFlag", "urgent-same-day", [{"significant-trauma"}],
        "Use NHS 111 or seek urgent same-day care: fever/feeling very unwell with back pain, significant trauma"),
    # INTERPRETATION (setsUrgency): no tier in "What to do today"; the FAQ says "Stop training for ... rapidly
    # worsening pain"; read at the level of the other rapidly worsening presentations.
    "rf-severe-worsening-pain": Rule(
        "RedFlag", "urgent-same-day", [{"severe-unrelenting-pain"}],
        "Severe, unrelenting pain that is rapidly worsening", interpreted={"setsUrgency"}),
    # "Use NHS 111 or seek urgent same-day care: ... or rapidly worsening neurological symptoms."
    # INTERPRETATION (rdf:type, requiresTrend): a red flag so training stops; "rapidly worsening" = trend worsening.
    "rf-rapidly-worsening-neuro": Rule(
        "RedFlag", "urgent-same-day",
        [{"leg-weakness", "progressive-leg-weakness", "leg-numbness", "pins-and-needles", "widespread-numbness",
          "foot-drop"}],
        "or rapidly worsening neurological symptoms", trend={"RapidlyWorsening"}, interpreted={"type", "requiresTrend"}),
    # ISSUE 12: the FAQ's "Stop training for ... rapidly worsening pain", read at the severe-pain tier
    # INTERPRETATION (hasCriterion): "rapidly worsening pain" is any back or leg pain, however worded (a
    # spasm, pain into the buttock, pain during activity, a slipped disc) - cold review, issue 12.
    "rf-rapidly-worsening-pain": Rule(
        "RedFlag", "urgent-same-day",
        [BACK_PAIN | SCIATICA_PAIN | {"pain-into-buttock-or-upper-thigh", "back-muscle-spasm",
                                      "discomfort-during-activity", "prolapsed-lumbar-disc"}],
        "Stop training for bladder or bowel changes, numbness around the bottom or genitals, severe worsening "
        "weakness or numbness in both legs, fever with feeling unwell, significant trauma, or rapidly worsening pain.",
        trend={"RapidlyWorsening"}, interpreted={"setsUrgency", "hasCriterion"}),
    # "Scan now when there is clinical concern for serious pathology or a major/progressive neurological deficit
    # (for example, a clear and worsening foot drop, rapidly deteriorating leg strength, or evolving widespread
    # numbness), or when the red-flag pattern described earlier is present."  INTERPRETATIONS: no tier
    # (setsUrgency); any foot drop, not only "clear and worsening" (hasCriterion); and the article lists it
    # apart from "the red-flag pattern", so classing it a red flag is a reading too (type).
    "rf-progressive-neuro-deficit": Rule(
        "RedFlag", "urgent-same-day", [{"progressive-leg-weakness", "foot-drop", "widespread-numbness"}],
        "a major/progressive neurological deficit (for example, a clear and worsening foot drop, rapidly "
        "deteriorating leg strength, or evolving widespread numbness)",
        interpreted={"setsUrgency", "hasCriterion", "type"}),
    # --- "Patterns that commonly justify prompt medical evaluation include:"  INTERPRETATION (rdf:type): the
    # article does not call these red flags; the curator does, so training pauses.
    # ISSUE 12 (INTERPRETATION, setsUrgency): the features the article calls "more concerning for fracture,
    # dislocation, significant ligament injury, or infection" are read at urgent same-day (its back triage sends
    # significant trauma and fever there); marked swelling alone stays at the article's prompt evaluation.
    "rf-elbow-deformity": Rule(
        "RedFlag", "urgent-same-day", [{"elbow-deformity"}], "Visible deformity around the elbow after an impact",
        interpreted={"type", "setsUrgency"}),
    "rf-elbow-swelling": Rule(
        "RedFlag", "prompt-review", [{"elbow-swelling"}],
        "Marked swelling or a joint that looks hot and rapidly enlarging", interpreted={"type"}),
    "rf-elbow-hot-swelling": Rule(
        "RedFlag", "urgent-same-day", [{"hot-swollen-elbow"}],
        "Marked swelling or a joint that looks hot and rapidly enlarging", interpreted={"type", "setsUrgency"}),
    # issue 12 (cold review, INTERPRETATIONS setsUrgency, hasCriterion): marked swelling after an elbow injury is
    # "more concerning for fracture, dislocation, significant ligament injury ... especially when there is a clear
    # traumatic event"; read at urgent same-day like deformity and inability to move; severe pain not required.
    "rf-elbow-swelling-after-injury": Rule(
        "RedFlag", "urgent-same-day", [{"elbow-swelling"}, {"elbow-injury"}],
        "especially when there is a clear traumatic event (a fall or direct blow) with immediate severe pain",
        interpreted={"type", "setsUrgency", "hasCriterion"}),
    "rf-elbow-cannot-move": Rule(
        "RedFlag", "urgent-same-day", [{"unable-to-move-elbow"}], "Inability to move the elbow normally straight away",
        interpreted={"type", "setsUrgency"}),
    "rf-elbow-systemic-illness": Rule(
        "RedFlag", "urgent-same-day", [{"fever", "feeling-very-unwell"}, {"hot-swollen-elbow"}],
        "Systemic illness such as fever or feeling very unwell alongside a hot, swollen elbow",
        interpreted={"type", "setsUrgency"}),
    # ISSUE 12: elbow counterparts of the systemic back flags, read only with an elbow finding, so that adding an
    # elbow finding never lowers what fever, trauma or weight loss mean alone (each wholly the curator's reading)
    "rf-elbow-fever-unwell": Rule(
        "RedFlag", "urgent-same-day", [{"fever", "chills", "feeling-very-unwell"}],
        "Systemic illness such as fever or feeling very unwell alongside a hot, swollen elbow", interpreted=set()),
    "rf-elbow-significant-trauma": Rule(
        "RedFlag", "urgent-same-day", [{"significant-trauma"}],
        "especially when there is a clear traumatic event (a fall or direct blow) with immediate severe pain",
        interpreted=set()),
    "rf-elbow-weight-loss-or-cancer": Rule(
        "RedFlag", "prompt-review", [{"unexplained-weight-loss", "history-of-cancer"}],
        "Unexplained weight loss or a past history of cancer", interpreted=set()),
    # --- escalation. "Arrange prompt clinical review (GP or a spine specialist): leg-dominant pain, pins and
    # needles, or mild weakness on one side that is not rapidly worsening".  INTERPRETATION (hasCriterion):
    # numbness in one leg, pain below the knee and sciatica added as the same one-sided pattern.
    "esc-leg-symptoms-prompt-review": Rule(
        "EscalationRule", "prompt-review",
        # ISSUE 12: "particularly if it is limiting normal walking" read as enough on its own (an interpretation)
        [SCIATICA_PAIN | {"pins-and-needles", "leg-weakness", "leg-numbness", "limited-walking"}],
        "Arrange prompt clinical review (GP or a spine specialist): leg-dominant pain, pins and needles, or mild "
        "weakness on one side that is not rapidly worsening", interpreted={"hasCriterion"}),
    # "NHS sciatica guidance suggests GP review when pain has not improved after a few weeks of home treatment,
    # is getting worse, or is stopping normal activities."  "A few weeks" has no number: no duration rule.
    # INTERPRETATION (setsUrgency): GP review = routine review.
    "esc-sciatica-worsening": Rule(
        "EscalationRule", "routine-review", [SCIATICA_PAIN],
        "NHS sciatica guidance suggests GP review when pain has not improved after a few weeks of home treatment, "
        "is getting worse", trend={"Worsening"}, interpreted={"setsUrgency"}),
    "esc-sciatica-stopping-activities": Rule(
        "EscalationRule", "routine-review", [SCIATICA_PAIN, {"stopping-normal-activities"}],
        "or is stopping normal activities", interpreted={"setsUrgency"}),
    # "if pain is not improving at all after roughly 4\u20136 weeks of appropriate conservative care ... clinical
    # assessment (and, in some cases, MRI) becomes more relevant."  The article supports 28..42 days;
    # INTERPRETATION (minDurationDays): the curator takes the lower end, 28. (setsUrgency): routine review.
    # "Pain" here is the back pain the section is about, with or without leg pain, and pain spreading into the
    # buttock or upper thigh is part of that strain ("Pain may spread into the buttock or upper thigh").
    "esc-back-not-improving": Rule(
        "EscalationRule", "routine-review",
        [BACK_PAIN | SCIATICA_PAIN | {"pain-into-buttock-or-upper-thigh", "prolapsed-lumbar-disc"}],
        "if pain is not improving at all after roughly 4\u20136 weeks of appropriate conservative care",
        min_days=28, trend=NOT_IMPROVING, threshold=(4, 6, "week"), interpreted={"minDurationDays", "setsUrgency"}),
    # "Consider MRI at around 6 weeks when symptoms show little or no improvement" (back and leg pain).
    # INTERPRETATION (requiresTrend): little or no improvement = unchanged or worsening; (setsUrgency).
    "esc-consider-mri": Rule(
        "EscalationRule", "routine-review",
        [BACK_PAIN | SCIATICA_PAIN | {"pain-into-buttock-or-upper-thigh", "prolapsed-lumbar-disc"}],
        "Consider MRI at around 6 weeks when symptoms show little or no improvement", min_days=42,
        trend=NOT_IMPROVING, threshold=(6, None, "week"), interpreted={"requiresTrend", "setsUrgency"}),
    # the 24-hour check: scaling back is self-management
    "esc-session-too-much": Rule(
        "SelfCareRule", "self-care", [{"pain-escalates-during-training", "back-muscle-spasm", "pain-lingers-next-day"}],
        "pain that rapidly escalates while training, causes a protective \u201cgrabbing\u201d spasm, or lingers "
        "strongly into the next day often means the session was too much"),
    # FAQ: "Swelling, deformity, injury, fever, or inability to move the elbow normally need prompt review."
    # "The same practical decision rules used for back pain apply at the elbow" + the FAQ's "Stop training for
    # ... rapidly worsening pain". INTERPRETATION (the whole rule): read like the back's, urgent same-day.
    "rf-elbow-rapidly-worsening-pain": Rule(
        "RedFlag", "urgent-same-day", [ELBOW_PAIN_ESCALATING],
        "The same practical decision rules used for back pain apply at the elbow", trend={"RapidlyWorsening"}),
    "esc-elbow-injury": Rule(
        "EscalationRule", "prompt-review", [{"elbow-injury"}],
        "Swelling, deformity, injury, fever, or inability to move the elbow normally need prompt review."),
    # "seeking assessment if elbow pain is not getting better on its own within about a week"; any elbow pain,
    # an elbow tendinopathy included ("most sport-related elbow pain is an overload problem").
    # INTERPRETATION (setsUrgency): routine review.
    "esc-elbow-not-improving-week": Rule(
        "EscalationRule", "routine-review", [ELBOW_PAIN_ESCALATING],
        "if elbow pain is not getting better on its own within about a week", min_days=7, trend=NOT_IMPROVING,
        threshold=(1, None, "week"), interpreted={"setsUrgency", "hasCriterion"}),
    # "NHS advice for tennis elbow recommends GP review if pain persists after at least 2 weeks of rest and
    # self\u2011care"; the FAQ: "If elbow pain is not improving after a week or two". INTERPRETATIONS: golfer's
    # elbow included (hasCriterion); GP review = routine review (setsUrgency).
    "esc-elbow-persisting-2-weeks": Rule(
        "EscalationRule", "routine-review", [ELBOW_PAIN_ESCALATING],
        "GP review if pain persists after at least 2 weeks of rest and self\u2011care", min_days=14,
        trend=NOT_IMPROVING, threshold=(2, None, "week"), interpreted={"hasCriterion", "setsUrgency"}),
    "esc-elbow-functional-threshold": Rule(
        "EscalationRule", "routine-review",
        [ELBOW_PAIN_ESCALATING, {"pain-affecting-sleep", "pain-limiting-work", "pain-stopping-training"}],
        "pain that is consistently affecting sleep, limiting work output, or stopping training sessions",
        interpreted={"setsUrgency", "hasCriterion"}),
    # "persistent medial elbow pain\u2014particularly in throwing athletes\u2014often benefits from a more tailored
    # clinical assessment". INTERPRETATIONS: throwing not required (hasCriterion); "persistent" read with the
    # article's own elbow week (minDurationDays) as not improving (requiresTrend); routine review (setsUrgency).
    "esc-medial-elbow-persistent": Rule(
        "EscalationRule", "routine-review", [{"golfers-elbow", "medial-elbow-pain"}],
        "persistent medial elbow pain\u2014particularly in throwing athletes\u2014often benefits from a more "
        "tailored clinical assessment", min_days=7, trend=NOT_IMPROVING, threshold=(1, None, "week"),
        interpreted={"hasCriterion", "minDurationDays", "requiresTrend", "setsUrgency"}),
    # "If there is little improvement, NHS guidance flags physiotherapy at around 6 weeks as a common next step
    # for tennis elbow."  INTERPRETATIONS: routine review (setsUrgency); "little improvement" read as unchanged
    # or worsening (requiresTrend), as for the 6-week MRI rule.
    "esc-elbow-physiotherapy": Rule(
        "EscalationRule", "routine-review", [{"tennis-elbow", "lateral-elbow-pain"}],
        "If there is little improvement, NHS guidance flags physiotherapy at around 6 weeks", min_days=42,
        trend=NOT_IMPROVING, threshold=(6, None, "week"), interpreted={"setsUrgency", "requiresTrend"}),
    # --- self-care
    "care-uncomplicated-back-pain": Rule(
        "SelfCareRule", "self-care",
        [BACK_PAIN | {"pain-into-buttock-or-upper-thigh", "back-muscle-spasm", "discomfort-during-activity"}],
        "Often yes, if it looks like uncomplicated mechanical low back pain."),
    # "Sciatica points towards nerve-root irritation or compression (for example, from a 'slipped disc')":
    # INTERPRETATION (hasCriterion): someone reporting a slipped disc gets the sciatica-like advice.
    "care-sciatica": Rule(
        "SelfCareRule", "self-care", [SCIATICA_PAIN | {"pain-worse-with-cough-or-sneeze", "prolapsed-lumbar-disc"}],
        "Even when the pattern fits sciatica, the outlook is commonly still favourable.",
        interpreted={"hasCriterion"}),
    # "limit sprints, repeated cutting, and hard landings for a week if impact flares symptoms": the advice
    # carries its condition (issue 12 item 7)
    "care-impact-flares": Rule(
        "SelfCareRule", "self-care", [{"impact-flares-back-pain"}],
        "limit sprints, repeated cutting, and hard landings for a week if impact flares symptoms"),
    "care-elbow-tendinopathy": Rule(
        "SelfCareRule", "self-care", [ANY_ELBOW_PAIN],
        "For mild to moderate tennis or golfer\u2019s elbow symptoms, an initial 1\u20132 week trial of relative "
        "rest is a reasonable first step"),
}

# Where the graph departs from the article: (rule, property) -> reason quoting the article.
# For each, GRAPH_NOW gives what the graph has instead, pinned so that any further change is still caught.
RULE_GAPS: dict[tuple[str, str], str] = {
}
GRAPH_NOW: dict[tuple[str, str], object] = {
}

RULE_KINDS = {"RedFlag", "EscalationRule", "SelfCareRule"}


def graph_rules() -> set[str]:
    g = graph()
    return {local(s) for kind in RULE_KINDS for s in g.subjects(RDF.type, MSKG[kind])}


def graph_criteria(rule: str) -> list[frozenset[str]]:
    """The rule's criteria in the graph, less the named conditions it raises concern for (issue 12 adds those to
    every criterion of a red flag, so that reporting the condition meets it: tests/test_clinical_model.py)."""
    g = graph()
    return sorted((frozenset(local(f) for f in g.objects(c, MSKG.anyOf))
                   - {local(f) for f in g.objects(c, MSKG.metByNamedCondition)}
                   for c in g.objects(ID[rule], MSKG.hasCriterion)), key=sorted)


def as_criteria(sets) -> list[frozenset[str]]:
    return sorted((frozenset(s) for s in sets), key=sorted)


def graph_interpreted(rule: str) -> set[str]:
    g = graph()
    return {local(p) for i in g.objects(ID[rule], MSKG.hasInterpretation) for p in g.objects(i, MSKG.interpretsProperty)}


def _rule_params(prop: str):
    for rule in RULES:
        reason = RULE_GAPS.get((rule, prop))
        yield xfail(rule, reason=reason) if reason else pytest.param(rule, id=rule)


def test_every_rule_in_the_graph_is_in_the_table_and_back():
    assert graph_rules() == set(RULES)


@pytest.mark.parametrize("rule", list(RULES))
def test_rule_quote_is_verbatim(rule):
    assert in_article(RULES[rule].quote)


@pytest.mark.parametrize("rule", list(RULES))
def test_rule_kind(rule):
    g = graph()
    kinds = {k for k in RULE_KINDS if (ID[rule], RDF.type, MSKG[k]) in g}
    assert kinds == {RULES[rule].kind}


@pytest.mark.parametrize("rule", list(RULES))
def test_rule_urgency(rule):
    assert {local(u) for u in graph().objects(ID[rule], MSKG.setsUrgency)} == {RULES[rule].urgency}


@pytest.mark.parametrize("rule", list(_rule_params("criteria")))
def test_rule_criteria(rule):
    assert graph_criteria(rule) == as_criteria(RULES[rule].criteria)


@pytest.mark.parametrize("rule", list(RULES))
def test_rule_min_duration(rule):
    values = list(graph().objects(ID[rule], MSKG.minDurationDays))
    expected = RULES[rule].min_days
    assert [Decimal(str(v.toPython())) for v in values] == ([] if expected is None else [Decimal(expected)])


@pytest.mark.parametrize("rule", [r for r in RULES if RULES[r].threshold])
def test_rule_threshold_is_the_articles_number(rule):
    """The threshold timeframe carries the article's number, and the day count lies within it."""
    g = graph()
    value, upper, unit = RULES[rule].threshold
    (tf,) = list(g.objects(ID[rule], MSKG.hasThresholdTimeframe))
    assert Decimal(str(g.value(tf, TIME.numericDuration))) == value
    got_upper = g.value(tf, MSKG.upperNumericDuration)
    assert (None if got_upper is None else Decimal(str(got_upper))) == upper
    assert g.value(tf, TIME.unitType) == TIME[f"unit{unit.capitalize()}"]
    days = {"week": 7, "day": 1}[unit]
    assert value * days <= RULES[rule].min_days <= (upper or value) * days


@pytest.mark.parametrize("rule", list(RULES))
def test_rule_trend(rule):
    got = {local(t) for t in graph().objects(ID[rule], MSKG.requiresTrend)}
    assert got == (RULES[rule].trend or set())


@pytest.mark.parametrize("rule", list(_rule_params("interpreted")))
def test_rule_readings_are_marked_as_interpretations(rule):
    """Every value the article leaves open is marked as the curator's reading."""
    assert RULES[rule].interpreted <= graph_interpreted(rule)


def test_known_gaps_are_exactly_these():
    """Pin the graph's current value where it departs from the article, so any other change still fails.
    (One test over the table, not one per gap: with no gap left, an empty parametrisation would be a skip.)"""
    assert set(GRAPH_NOW) == set(RULE_GAPS)
    for rule, prop in GRAPH_NOW:
        if prop == "criteria":
            assert graph_criteria(rule) == as_criteria(GRAPH_NOW[(rule, prop)]), rule
        else:
            assert graph_interpreted(rule) == GRAPH_NOW[(rule, prop)], rule


#: Red-flag findings the article names only through a broader one: its only words for urinary incontinence are
#: "new leakage", which may be of the bladder or the bowel (so they belong to the broader finding).
NAMED_ONLY_THROUGH_BROADER = {"urinary-incontinence": "bladder-or-bowel-change"}


def test_red_flag_wordings_cover_every_red_flag_trigger():
    triggers = set().union(*(s for r in RULES.values() if r.kind == "RedFlag" for s in r.criteria))
    triggers |= set().union(*(s for (rule, p), v in GRAPH_NOW.items() if p == "criteria"
                              and RULES[rule].kind == "RedFlag" for s in v))
    # the ordinary complaints self-care covers (back pain, sciatica) are red flags only with a rapidly
    # worsening trend: they are not red-flag findings of their own
    triggers -= set().union(*(s for r in RULES.values() if r.kind == "SelfCareRule" for s in r.criteria))
    triggers -= {"elbow-pain"}  # the elbow's ordinary complaint in general, like back pain: only rapidly worsening
    assert set(RED_FLAG_WORDINGS) | set(NAMED_ONLY_THROUGH_BROADER) == triggers
    assert set(NAMED_ONLY_THROUGH_BROADER.values()) <= set(RED_FLAG_WORDINGS)


# ---------------------------------------------------------------------------------------------------------
# 3. Vignettes in a patient's words, with the answer the article gives
# ---------------------------------------------------------------------------------------------------------
@dataclass
class Vignette:
    findings: list[str]
    urgency: str
    training: str
    flags: set[str]
    duration: str | None = None
    trend: str | None = None
    absent: list[str] = field(default_factory=list)


V = Vignette
VIGNETTES: dict[str, Vignette | object] = {
    # 999 / A&E: "numbness \u201caround the bottom/genitals\u201d" (training stops: a red flag)
    "saddle numbness after deadlifts": V(["numbness around the bottom or genitals", "low back pain"], "emergency",
                                         "stop", {"rf-saddle-anaesthesia"}),
    # retention is one of the "bladder or bowel changes" the 999 tier names, so both bladder flags fire
    "can't start a wee": V(["difficulty starting urine", "back pain"], "emergency", "stop",
                           {"rf-urinary-retention", "rf-bladder-bowel-control"}),
    "can't feel a full bladder": V(["losing the usual sensation of a full bladder"], "emergency", "stop",
                                   {"rf-urinary-retention", "rf-bladder-bowel-control"}),
    "can't control bowels": V(["not being able to control a bowel movement"], "emergency", "stop",
                              {"rf-bladder-bowel-control"}),
    "both legs weak": V(["weakness in both legs", "low back pain"], "emergency", "stop", {"rf-bilateral-leg-symptoms"}),
    "both legs numb": V(["loss of feeling in both legs"], "emergency", "stop", {"rf-bilateral-leg-symptoms"}),
    "sciatica down both legs": V(["sciatica affecting both legs"], "emergency", "stop", {"rf-bilateral-sciatica"}),
    # the most urgent wins
    "saddle numbness and a fever": V(["saddle numbness", "fever"], "emergency", "stop",
                                     {"rf-saddle-anaesthesia", "rf-fever-unwell"}),
    # NHS 111 / urgent same-day: "fever/feeling very unwell with back pain, significant trauma, or rapidly
    # worsening neurological symptoms"
    "fever with back pain": V(["fever", "back pain"], "urgent-same-day", "stop", {"rf-fever-unwell"}),
    "chills and a sore back": V(["chills", "sore back"], "urgent-same-day", "stop", {"rf-fever-unwell"}),
    "heavy fall onto the back": V(["heavy fall", "low back pain"], "urgent-same-day", "stop", {"rf-significant-trauma"}),
    # rapidly worsening pain: urgent same-day is an interpretation (no tier in "What to do today")
    "pain that keeps getting worse": V(["rapidly worsening pain", "back pain"], "urgent-same-day", "stop",
                                       {"rf-severe-worsening-pain"}),
    # one-sided tingling and weakness, getting worse: the same-day tier; the prompt-review rule fires too
    # "mild weakness on one side that is not rapidly worsening ... particularly if it is ... worsening week to
    # week": prompt review; "rapidly worsening neurological symptoms": urgent same-day (issue 11's trend)
    "worsening tingling and weak leg": V(["pins and needles", "mild weakness on one side"], "prompt-review", "modify",
                                         {"esc-leg-symptoms-prompt-review"}, trend="worsening"),
    "rapidly worsening tingling and weak leg": V(["pins and needles", "mild weakness on one side"], "urgent-same-day",
                                                 "stop", {"rf-rapidly-worsening-neuro", "esc-leg-symptoms-prompt-review"},
                                                 trend="rapidly-worsening"),
    # "Scan now when there is ... a major/progressive neurological deficit (for example, a clear and worsening
    # foot drop ...)"; the tier is the interpretation's (urgent same-day)
    "foot drop": V(["foot drop", "back pain"], "urgent-same-day", "stop", {"rf-progressive-neuro-deficit"}),
    # prompt review: "Unexplained weight loss or a past history of cancer (even if the back pain feels
    # mechanical)"; the tier is the interpretation's
    "weight loss with mechanical-feeling pain": V(["unexplained weight loss", "mechanical back pain"], "prompt-review",
                                                  "stop", {"rf-weight-loss-or-cancer"}),
    "metastatic cancer with back pain": V(["metastatic cancer", "back pain"], "urgent-same-day", "stop",
                                          {"rf-metastatic-cancer-with-back-pain", "rf-weight-loss-or-cancer"}),
    "had cancer before": V(["past history of cancer", "low back pain"], "prompt-review", "stop",
                           {"rf-weight-loss-or-cancer"}),
    # sciatica under 6 weeks: prompt review ("leg-dominant pain, pins and needles"), nothing persistent yet
    "sciatica for 3 weeks": V(["sciatica"], "prompt-review", "modify", {"esc-leg-symptoms-prompt-review"},
                              duration="3w", trend="unchanged"),
    "pain below the knee with tingling for 2 weeks": V(["pain below the knee", "tingling in the leg"], "prompt-review", "modify",
                                                       {"esc-leg-symptoms-prompt-review"}, duration="2w"),
    # sciatica persisting: also "not improving at all after roughly 4\u20136 weeks" and "Consider MRI at around 6 weeks"
    "sciatica for 7 weeks, no better": V(["sciatica"], "prompt-review", "modify",
                                         {"esc-leg-symptoms-prompt-review", "esc-back-not-improving", "esc-consider-mri"},
                                         duration="7w", trend="unchanged"),
    "pins and needles in one leg for a week": V(["pins and needles"], "prompt-review", "modify",
                                                {"esc-leg-symptoms-prompt-review"}, duration="1w"),
    "sciatica getting worse": V(["sciatica"], "prompt-review", "modify",
                                {"esc-leg-symptoms-prompt-review", "esc-sciatica-worsening"}, trend="worsening"),
    "sciatica stopping normal activities": V(["sciatica", "stopping normal activities"], "prompt-review", "modify",
                                             {"esc-leg-symptoms-prompt-review", "esc-sciatica-stopping-activities"}),
    # back pain: self-care, then review at the thresholds
    "strained back 3 days ago": V(["low back pain"], "self-care", "modify", set(), duration="3d"),
    "back spasm after the gym": V(["back pain", "back spasm"], "self-care", "modify", set(), duration="2d"),
    "back pain 27 days, no better": V(["low back pain"], "self-care", "modify", set(), duration="27d", trend="unchanged"),
    "back pain 4 weeks, no better": V(["low back pain"], "routine-review", "modify", {"esc-back-not-improving"},
                                      duration="4w", trend="unchanged"),
    "back pain 41 days, worse": V(["low back pain"], "routine-review", "modify", {"esc-back-not-improving"},
                                  duration="41d", trend="worsening"),
    "back pain 6 weeks, no better": V(["low back pain"], "routine-review", "modify",
                                      {"esc-back-not-improving", "esc-consider-mri"}, duration="6w", trend="unchanged"),
    "back pain 6 weeks, improving": V(["low back pain"], "self-care", "modify", set(), duration="6w", trend="improving"),
    "back pain, screened for saddle numbness": V(["low back pain"], "self-care", "modify", set(), duration="3d",
                                                 absent=["saddle numbness"]),
    "buttock pain 8 weeks, no better": V(["buttock pain"], "routine-review", "modify",
                                         {"esc-back-not-improving", "esc-consider-mri"}, duration="8w",
                                         trend="unchanged"),
    # elbow
    "tennis elbow, a few days": V(["tennis elbow", "pain when gripping"], "self-care", "modify", set(), duration="5d"),
    "tennis elbow 6 days, no better": V(["tennis elbow"], "self-care", "modify", set(), duration="6d",
                                        trend="unchanged"),
    "tennis elbow a week, no better": V(["tennis elbow"], "routine-review", "modify", {"esc-elbow-not-improving-week"},
                                        duration="1w", trend="unchanged"),
    "tennis elbow 13 days, no better": V(["outer elbow pain"], "routine-review", "modify",
                                         {"esc-elbow-not-improving-week"}, duration="13d", trend="unchanged"),
    "tennis elbow 2 weeks, no better": V(["tennis elbow"], "routine-review", "modify",
                                         {"esc-elbow-not-improving-week", "esc-elbow-persisting-2-weeks"},
                                         duration="2w", trend="unchanged"),
    "tennis elbow 6 weeks, no better": V(["tennis elbow"], "routine-review", "modify",
                                         {"esc-elbow-not-improving-week", "esc-elbow-persisting-2-weeks",
                                          "esc-elbow-physiotherapy"}, duration="6w", trend="unchanged"),
    # physiotherapy at around 6 weeks is said "for tennis elbow" only
    # issue 12 item 7: "persistent medial elbow pain ... often benefits from a more tailored clinical assessment"
    "golfer's elbow 6 weeks, no better": V(["golfer's elbow"], "routine-review", "modify",
                                           {"esc-elbow-not-improving-week", "esc-elbow-persisting-2-weeks",
                                            "esc-medial-elbow-persistent"},
                                           duration="6w", trend="unchanged"),
    "tennis elbow keeping me awake": V(["tennis elbow", "pain keeps me awake"], "routine-review", "modify",
                                       {"esc-elbow-functional-threshold"}),
    # FAQ: "If elbow pain is not improving after a week or two of rest and self-care ... assessment is sensible"
    # (the graph gave self-care until issue 12 item 7)
    "elbow tendinopathy 3 weeks, no better": V(["elbow tendinopathy"], "routine-review", "modify",
                                               {"esc-elbow-not-improving-week", "esc-elbow-persisting-2-weeks"},
                                               duration="3w", trend="unchanged"),
    # "Cleveland Clinic also advises seeking clinical review if there has been an elbow injury"; FAQ: prompt review
    "knocked elbow": V(["elbow injury"], "prompt-review", "modify", {"esc-elbow-injury"}),
    "elbow out of shape after a fall": V(["elbow deformity", "fall onto the elbow"], "urgent-same-day", "stop",
                                         {"rf-elbow-deformity", "esc-elbow-injury"}),
    "swollen elbow": V(["swollen elbow"], "prompt-review", "stop", {"rf-elbow-swelling"}),
    "swollen elbow after a fall onto it": V(["swollen elbow", "fell on my elbow"], "urgent-same-day", "stop",
                                            {"rf-elbow-swelling", "rf-elbow-swelling-after-injury", "esc-elbow-injury"}),
    "can't straighten elbow": V(["inability to move the elbow normally"], "urgent-same-day", "stop",
                                {"rf-elbow-cannot-move"}),
    # INTERPRETATION: the article gives the elbow's "Systemic illness such as fever or feeling very unwell
    # alongside a hot, swollen elbow" prompt evaluation, but the back flag "Feeling very unwell with fever or
    # chills alongside back pain" fires on a fever alone (the graph's hasCriterion interpretation), so urgent
    # same-day wins.
    # ISSUE 12: "Stop training for ... rapidly worsening pain" (FAQ)
    "back pain getting rapidly worse": V(["low back pain"], "urgent-same-day", "stop", {"rf-rapidly-worsening-pain"},
                                         trend="rapidly-worsening"),
    # ISSUE 12: regions — a significant trauma or weight loss with an elbow problem is read at the elbow
    "tennis elbow after a car crash": V(["tennis elbow", "car crash"], "urgent-same-day", "stop",
                                        {"rf-elbow-significant-trauma"}),
    # FAQ: "Stop training for ... rapidly worsening pain": whatever words the back pain is given in
    "back spasm getting rapidly worse": V(["back spasm"], "urgent-same-day", "stop", {"rf-rapidly-worsening-pain"},
                                          trend="rapidly-worsening"),
    "buttock pain getting rapidly worse": V(["buttock pain"], "urgent-same-day", "stop",
                                            {"rf-rapidly-worsening-pain"}, trend="rapidly-worsening"),
    "slipped disc getting rapidly worse": V(["slipped disc"], "urgent-same-day", "stop",
                                            {"rf-rapidly-worsening-pain"}, trend="rapidly-worsening"),
    # "Sciatica points towards nerve-root irritation or compression (for example, from a 'slipped disc')"
    "slipped disc, a few days": V(["slipped disc"], "self-care", "modify", set(), duration="4d"),
    "slipped disc 7 weeks, no better": V(["slipped disc"], "routine-review", "modify",
                                         {"esc-back-not-improving", "esc-consider-mri"}, duration="7w",
                                         trend="unchanged"),
    "tennis elbow getting rapidly worse": V(["tennis elbow"], "urgent-same-day", "stop",
                                            {"rf-elbow-rapidly-worsening-pain"}, trend="rapidly-worsening"),
    "tennis elbow and unexplained weight loss": V(["tennis elbow", "unexplained weight loss"], "prompt-review", "stop",
                                                  {"rf-elbow-weight-loss-or-cancer"}),
    # ISSUE 12: regions — the back flag no longer fires on an elbow presentation; its elbow counterpart does
    "fever with a hot swollen elbow": V(["fever", "hot, swollen elbow"], "urgent-same-day", "stop",
                                        {"rf-elbow-systemic-illness", "rf-elbow-swelling", "rf-elbow-hot-swelling",
                                         "rf-elbow-fever-unwell"}),
}


def _vignette_params():
    for name, v in VIGNETTES.items():
        if isinstance(v, Vignette):
            yield pytest.param(v, id=name)
        else:
            yield pytest.param(*v.values, marks=v.marks, id=name)  # an xfail() param, given its name


@pytest.mark.parametrize("v", list(_vignette_params()))
def test_vignette(v: Vignette):
    data = triage(v.findings, v.absent, v.duration, v.trend)
    got = (data["urgency"]["id"], data["training"], {f["id"] for f in data["flags"]})
    assert got == (v.urgency, v.training, v.flags)


def _plain(v):
    return v if isinstance(v, Vignette) else v.values[0]


def test_vignettes_cover_every_tier_and_red_flag():
    passing = [v for v in VIGNETTES.values() if isinstance(v, Vignette)]
    assert {v.urgency for v in passing} == {"emergency", "urgent-same-day", "prompt-review", "routine-review",
                                            "self-care"}
    red_flags = {r for r, rule in RULES.items() if rule.kind == "RedFlag"}
    assert red_flags <= set().union(*(v.flags for v in passing))
    assert {v.training for v in passing} == {"stop", "modify"}
    assert len(VIGNETTES) >= 12


def test_training_stops_exactly_for_red_flags():
    """The table's own consistency: training stops iff a red flag is among the expected flags."""
    for v in map(_plain, VIGNETTES.values()):
        stops = any(RULES[f].kind == "RedFlag" for f in v.flags)
        assert (v.training == "stop") == stops, v


# ---------------------------------------------------------------------------------------------------------
# 4. The article's figures
# ---------------------------------------------------------------------------------------------------------
# id -> (value, unit, the words of the figure, what it is about, who it is credited to)
STATISTICS = {
    "stat-metastatic-cancer-rate": (Decimal("0.7"), "Percent", "around 0.7% for metastatic cancer",
                                    "metastatic-spinal-disease", {"narrative-review"}),
    "stat-spinal-infection-rate": (Decimal("0.01"), "Percent", "0.01% for spinal infection", "spinal-infection",
                                   {"narrative-review"}),
    "stat-cauda-equina-rate": (Decimal("0.04"), "Percent", "0.04% for cauda equina syndrome", "cauda-equina-syndrome",
                               {"narrative-review"}),
    "stat-imaging-studies": (Decimal(31), "StudyCount", "a meta-analysis of 31 studies", "low-back-pain",
                             {"meta-analysis"}),
    "stat-imaging-patients": (Decimal(1200000), "PatientCount", "about 1.2 million patients", "low-back-pain",
                              {"meta-analysis"}),
    "stat-inappropriate-imaging": (Decimal(34), "Percent",
                                   "around 34% of lumbar imaging for low back pain was judged inappropriate against "
                                   "ACR criteria", "low-back-pain", {"meta-analysis"}),
}
UNIT_LABELS = {"Percent": "percent", "StudyCount": "studies", "PatientCount": "patients"}


def _statistics_rows() -> dict[str, list[dict]]:
    result = CliRunner().invoke(cli, ["query", "statistics", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows: dict[str, list[dict]] = {}
    for b in json.loads(result.output)["results"]["bindings"]:
        rows.setdefault(local(b["statistic"]["value"]), []).append(b)
    return rows


def test_every_figure_is_in_the_table_and_back():
    assert set(_statistics_rows()) == set(STATISTICS)
    assert {local(s) for s in graph().subjects(RDF.type, MSKG.Statistic)} == set(STATISTICS)


@pytest.mark.parametrize("stat", list(STATISTICS))
def test_statistic_value_unit_and_quote(stat):
    value, unit, words, about, _ = STATISTICS[stat]
    assert in_article(words)
    rows = _statistics_rows()[stat]
    assert {Decimal(r["value"]["value"]) for r in rows} == {value}
    assert {r["unit"]["value"] for r in rows} == {UNIT_LABELS[unit]}
    assert {local(r["about"]["value"]) for r in rows} == {about}
    assert all(words in r["quote"]["value"] for r in rows)
    g = graph()
    assert g.value(ID[stat], MSKG.unit) == MSKG[unit]
    assert Decimal(str(g.value(ID[stat], MSKG.numericValue))) == value
    # the graph's quote sits at its offsets in the article, and contains the figure's words
    excerpts = list(g.objects(ID[stat], PROV.wasDerivedFrom))
    assert excerpts
    for ex in excerpts:
        quote, start, end = str(g.value(ex, OA.exact)), int(g.value(ex, OA.start)), int(g.value(ex, OA.end))
        assert text()[start:end] == quote
        assert words in quote


@pytest.mark.parametrize("stat", list(STATISTICS))
def test_statistic_is_credited_to_its_source(stat):
    got = {local(s) for s in graph().objects(ID[stat], MSKG.attributedTo)}
    assert got == STATISTICS[stat][4]
