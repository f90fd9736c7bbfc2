"""Clinical vignettes for the region-aware triage model of issue 12, written from the article and from how
patients and clinicians present, before the model was built. THE TABLE BELOW IS THE SPECIFICATION.

The model these rows specify (issue 12):

1. Urgency ids, most urgent first: emergency, urgent-same-day, prompt-review, routine-review, self-care. The
   most urgent fired rule wins; any fired red flag means training "stop", else "modify". Adding a finding never
   lowers urgency.
2. Reporting a named condition meets every rule that raises concern for it. "Anything narrower" is read here
   the way narrower findings already work in mskg (urinary retention meets the bladder-or-bowel-change flag):
   a reported condition also meets a rule concerned with a broader condition it is a kind of — cauda equina
   syndrome is a kind of serious spinal pathology, so it meets the flags concerned with serious spinal pathology.
3. Findings and rules belong to a region (low back and leg; elbow and forearm; systemic). A regional rule fires
   only when a finding of its region is reported, or when every reported finding is systemic (then every region
   is read, conservatively). New elbow counterparts: rf-elbow-fever-unwell, rf-elbow-significant-trauma
   (urgent-same-day, stop) and rf-elbow-weight-loss-or-cancer (prompt-review, stop). The red-flag screen
   (``not_asked``) lists red-flag findings of the regions present and the systemic ones only.
4. Elbow alarm features are red flags at urgent-same-day (prompt-elbow-evaluation, stop-training, NHS 111). An
   elbow injury alone stays prompt-review (esc-elbow-injury -> elbow-injury-review); "within about a week"
   (elbow-clinical-review-week) belongs only to elbow pain not improving. Elbow problems never call scan-now.
5. Every back red flag calls scan-now. Under an emergency or urgent-same-day answer there are no safety-net
   recommendations and no keep-training advice. Sciatica's self-care includes no-routine-early-imaging;
   mri-preferred-for-nerve-root-symptoms is no longer recommended on its own.
6. Trends: improving, unchanged, worsening (week to week), rapidly-worsening; rapidly-worsening also meets
   rules needing worsening. Durations in days.
7. spine-injection-or-biologic and spine-surgery are never recommended for mechanical low back pain.
8. (issue 12 item 7, the article content that was missing) An overload elbow "rarely needs an immediate scan"
   (elbow-no-immediate-scan, with the elbow self-care), never beside an elbow injury's review or an alarm feature;
   "still bends and straightens fully" is a reassuring feature and fires nothing; gradual-onset elbow pain is elbow
   pain; persistent medial elbow pain (not improving after about a week) calls for medial-elbow-tailored-assessment;
   the green shoots of the first fortnight, how sciatica recovery shows, and the return-to-training criteria are shown
   with the actions they judge (``progress`` on a recommendation); limiting sprints, cutting and hard landings for a
   week is advised only "if impact flares symptoms"; pain limiting normal walking is prompt review; the elbow options
   "some clinics may discuss" are never recommended.

Where the article (kg/sources/sports-back-and-elbow-pain.txt) supports something different from the model,
the row says so in a ``# CHALLENGE:`` comment quoting the article. The expectations still follow the model.

Each row is run through ``mskg triage --format json`` (click's CliRunner) with ``--engine compiled`` and
``--engine sparql``; both must give the row's answer, and the same answer as each other.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from mskg.cli.main import cli

ARTICLE = Path(__file__).resolve().parents[1] / "kg" / "sources" / "sports-back-and-elbow-pain.txt"
ENGINES = ("compiled", "sparql")
URGENCY_ORDER = ("emergency", "urgent-same-day", "prompt-review", "routine-review", "self-care")  # most urgent first

# ----------------------------------------------------------------------------------------------- vocabulary
# Red flags by region (rule ids from kg/facts.yaml; the three elbow counterparts are new in issue 12).
CES_FLAGS = {"rf-bladder-bowel-control", "rf-urinary-retention", "rf-saddle-anaesthesia", "rf-bilateral-leg-symptoms"}
BACK_RED_FLAGS = CES_FLAGS | {
    "rf-bilateral-sciatica", "rf-fever-unwell", "rf-weight-loss-or-cancer", "rf-significant-trauma",
    "rf-severe-worsening-pain", "rf-rapidly-worsening-neuro", "rf-progressive-neuro-deficit"}
ELBOW_RED_FLAGS = {
    "rf-elbow-deformity", "rf-elbow-swelling", "rf-elbow-cannot-move", "rf-elbow-systemic-illness",
    "rf-elbow-fever-unwell", "rf-elbow-significant-trauma", "rf-elbow-weight-loss-or-cancer"}

# Actions.
EMERGENCY = {"call-999-or-ae", "stop-training"}
SAME_DAY = {"nhs-111-or-urgent-same-day-care", "stop-training"}
BACK_RF_999 = EMERGENCY | {"scan-now"}            # a back red flag at 999 / A&E
BACK_RF_111 = SAME_DAY | {"scan-now"}             # a back red flag at NHS 111 / same day
# An elbow alarm feature at urgent same-day: NHS 111 or same-day care, which sets aside the less urgent
# "prompt medical evaluation" and "clinical review after an injury" (one place to seek care).
ELBOW_ALARM = {"stop-training", "nhs-111-or-urgent-same-day-care"}
ELBOW_REVIEWS = {"prompt-elbow-evaluation", "elbow-injury-review"}
NOT_FOR_ELBOW = {"scan-now", "consider-mri", "call-999-or-ae"}  # an elbow "rarely needs an immediate scan"
BACK_SAFETY_NET = {"consider-mri", "clinical-assessment-back"}
SPINE_HEDGED = {"spine-injection-or-biologic", "spine-surgery"}
BACK_SELF_CARE = {"stay-active", "avoid-prolonged-bed-rest", "training-reset-7-14-days", "strength-reduce-load",
                  "running-swap-sessions", "mobility-short-sessions", "twenty-four-hour-check",
                  "no-routine-early-imaging"}
SCIATICA_SELF_CARE = {"sciatica-conservative-care", "sciatica-gentle-movement", "sciatica-limit-heavy-spinal-loading",
                      "no-routine-early-imaging"}
ELBOW_SELF_CARE = {"elbow-relative-rest", "forearm-strap", "elbow-progressive-exercise", "simple-pain-relief"}
#: Advice to keep training in a modified way: never given once training must stop.
KEEP_TRAINING = {"stay-active", "training-reset-7-14-days", "strength-reduce-load",
                 "strength-avoid-provoking-positions",
                 "running-swap-sessions", "running-limit-impact", "mobility-short-sessions", "twenty-four-hour-check",
                 "scale-back-session", "sciatica-reduce-volume", "sciatica-gentle-movement"}
#: No longer recommended as an action on its own (point 5): never appears.
NEVER_ANYWHERE = {"mri-preferred-for-nerve-root-symptoms"}

# The red-flag screen (not_asked), by region.
BACK_SCREEN = {"saddle-anaesthesia", "bladder-or-bowel-change", "urinary-incontinence", "faecal-incontinence",
               "urinary-retention", "loss-of-bladder-sensation", "bilateral-leg-weakness", "bilateral-leg-numbness",
               "bilateral-sciatica", "foot-drop", "progressive-leg-weakness"}
ELBOW_SCREEN = {"elbow-deformity", "elbow-swelling", "hot-swollen-elbow", "unable-to-move-elbow"}
SYSTEMIC_SCREEN = {"fever", "chills", "feeling-very-unwell", "significant-trauma", "unexplained-weight-loss",
                   "history-of-cancer"}

# Article fragments (verbatim; test_article_fragments_are_verbatim checks every one).
A_999 = ("Call 999 / go to A&E now: bladder or bowel changes, numbness “around the bottom/genitals”, or bilateral "
         "severe/worsening weakness or numbness.")
A_111 = ("Use NHS 111 or seek urgent same-day care: fever/feeling very unwell with back pain, significant trauma, or "
         "rapidly worsening neurological symptoms.")
A_PROMPT = ("Arrange prompt clinical review (GP or a spine specialist): leg-dominant pain, pins and needles, or mild "
            "weakness on one side that is not rapidly worsening")
A_WEEK_TO_WEEK = "particularly if it is limiting normal walking or worsening week to week"
A_SCAN_NOW = ("Scan now when there is clinical concern for serious pathology or a major/progressive neurological "
              "deficit")
A_SCAN_EXAMPLES = "a clear and worsening foot drop, rapidly deteriorating leg strength, or evolving widespread numbness"
A_RF_PATTERN = "or when the red-flag pattern described earlier is present"
A_STOP = "there is a short list of warning signs that should stop training immediately"
A_FAQ_STOP = ("Stop training for bladder or bowel changes, numbness around the bottom or genitals, severe worsening "
              "weakness or numbness in both legs, fever with feeling unwell, significant trauma, or rapidly worsening "
              "pain.")
A_BLADDER = "New bladder or bowel control problems"
A_RETENTION = "Difficulty starting, stopping, or fully emptying urine"
A_SADDLE = "New numbness or altered feeling around the “saddle” area"
A_SADDLE_SAME_DAY = "this is a classic nerve-warning symptom that needs urgent same-day assessment"
A_BILATERAL = "Severe or rapidly worsening weakness, numbness, or loss of feeling in both legs (not just one)"
A_BILATERAL_COMPRESSION = "bilateral symptoms raise concern for significant nerve compression"
A_BILATERAL_SCIATICA = ("Sciatica affecting both legs, especially with worsening weakness or numbness: NHS guidance "
                        "treats this as a reason for immediate emergency assessment.")
A_FEVER = "Feeling very unwell with fever or chills alongside back pain"
A_INFECTION = "this may point towards infection and should not be “trained through”"
A_WEIGHT_CANCER = "Unexplained weight loss or a past history of cancer (even if the back pain feels mechanical)"
A_METASTATIC = "these are recognised risk factors for less common but serious causes such as metastatic disease"
A_TRAUMA = ("Pain after significant trauma—for example a high-speed accident, a heavy fall, or landing heavily "
            "from height")
A_FRACTURE = "this raises concern for fracture or unstable injury"
A_SEVERE = "Severe, unrelenting pain that is rapidly worsening"
A_CES = "a cauda equina–type emergency"
A_GROUP = ("such as cauda equina syndrome, spinal infection, metastatic cancer, or an unstable fracture—where "
           "waiting and trying new stretches is the wrong priority")
A_WORRYING = "if there are worrying features such as new or progressive leg weakness/numbness or bladder/bowel changes"
A_ROUTINE_SCANS = "Routine scans are not usually recommended early on when symptoms fit an uncomplicated pattern"
A_SCIATICA_NO_EARLY_MRI = ("early MRI is not routinely recommended because it often does not change the initial "
                           "management")
A_MRI_PREFERRED = ("when imaging is needed for persistent or concerning radicular symptoms, MRI is generally the "
                   "preferred test for discs and nerve roots")
A_CONSIDER_MRI = ("Consider MRI at around 6 weeks when symptoms show little or no improvement despite well-delivered "
                  "conservative treatment")
A_4_6_WEEKS = "if pain is not improving at all after roughly 4–6 weeks of appropriate conservative care"
A_STAGED = "injection/biologic options when appropriate → surgery only for specific indications"
A_STAY_ACTIVE = "Stay generally active, trim painful loads, and avoid more than about 48 hours of bed rest."
A_24_HOURS = ("pain that rapidly escalates while training, causes a protective “grabbing” spasm, or lingers "
              "strongly into the next day often means the session was too much")
A_SCIATICA_FIRST_LINE = ("the first-line plan is conservative: staying as active as possible, using simple pain "
                         "relief, and following specific exercises")
A_SCIATICA_GP = ("NHS sciatica guidance suggests GP review when pain has not improved after a few weeks of home "
                 "treatment, is getting worse, or is stopping normal activities")
A_ELBOW_SAME_RULES = "The same practical decision rules used for back pain apply at the elbow"
A_ELBOW_CONCERN = "more concerning for fracture, dislocation, significant ligament injury, or infection"
A_ELBOW_PROMPT = "Patterns that commonly justify prompt medical evaluation include:"
A_DEFORMITY = "Visible deformity around the elbow after an impact"
A_SWELLING = "Marked swelling or a joint that looks hot and rapidly enlarging"
A_CANNOT_MOVE = "Inability to move the elbow normally straight away"
A_SYSTEMIC = "Systemic illness such as fever or feeling very unwell alongside a hot, swollen elbow"
A_FAQ_ELBOW = "Swelling, deformity, injury, fever, or inability to move the elbow normally need prompt review."
A_CLEVELAND = ("Cleveland Clinic also advises seeking clinical review if there has been an elbow injury, or if elbow "
               "pain is not improving on its own within about a week")
A_NOT_BETTER_WEEK = "seeking assessment if elbow pain is not getting better on its own within about a week"
A_ELBOW_GP_2_WEEKS = "NHS advice for tennis elbow recommends GP review if pain persists after at least 2 weeks"
A_ELBOW_FUNCTION = "pain that is consistently affecting sleep, limiting work output, or stopping training sessions"
A_ELBOW_NO_SCAN = "rarely needs an immediate scan"
A_ELBOW_FIRST_LINE = ("Typical first-line measures include relative rest from aggravating grips/lifts, simple pain "
                      "relief, a forearm strap/brace")
# issue 12 item 7
A_ELBOW_NO_SCAN_FULL = ("A sore elbow that flares with gripping a racket, turning a screwdriver or lifting a pan rarely "
                        "needs an immediate scan")
A_LOAD_FIRST = "what matters first is whether symptoms start to settle with a short, structured change in load"
A_CLEAR_INJURY = ("a small minority of presentations (especially after a clear injury) need prompt assessment to rule "
                  "out something more serious")
A_FULL_MOVEMENT = "The elbow usually still bends and straightens fully, even if certain grips are painful"
A_GRADUAL = "Both tennis and golfer\u2019s elbow are more commonly gradual-onset problems than sudden \u201ctears\u201d"
A_ONE_INCIDENT = "rather than appearing after one dramatic incident"
A_MEDIAL = ("persistent medial elbow pain\u2014particularly in throwing athletes\u2014often benefits from a more tailored "
            "clinical assessment")
A_GREEN_SHOOTS = ("early \u201cgreen shoots\u201d to look for in that first fortnight include less pain with a handshake, "
                  "kettle lift, or light backhand drills")
A_SCIATICA_UNEVEN = ("Recovery can be uneven (good and bad days), so the most useful marker is whether leg symptoms are "
                     "steadily becoming less frequent or less intense over time.")
A_RTT = ("a criteria-based return-to-training plan, based on what movements and loads reproduce leg symptoms and "
         "whether strength and control are recovering")
A_PROGRESSION = "with progression guided by whether leg pain, tingling or weakness is being triggered"
A_RTT_ELBOW = "return\u2011to\u2011sport plans built around criteria such as comfortable progressive hitting/throwing drills"
A_IMPACT = "limit sprints, repeated cutting, and hard landings for a week if impact flares symptoms"
A_SOME_CLINICS = "some clinics may discuss additional non\u2011surgical options such as shockwave therapy or injection therapies"
A_ELBOW_PHYSIO = "If there is little improvement, NHS guidance flags physiotherapy at around 6 weeks"
# issue 12, the cold clinical review's remaining items
A_CLEAR_TRAUMA = "especially when there is a clear traumatic event (a fall or direct blow) with immediate severe pain"
A_METASTATIC_RATE = "estimated rates behind back pain presentations were around 0.7% for metastatic cancer"


# ----------------------------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class Vignette:
    name: str                                   # the case, as a clinician would write it
    findings: tuple[str, ...]                   # concept ids (kg/facts.yaml), so resolution is not in question
    urgency: str                                # expected urgency id
    training: str                               # "stop" or "modify"
    fires: frozenset[str] = frozenset()         # rules (flags) that MUST fire
    not_fires: frozenset[str] = frozenset()     # rules that must NOT fire
    now: frozenset[str] = frozenset()           # actions that MUST be recommended "now"
    never: frozenset[str] = frozenset()         # actions that must NOT appear at all (neither now nor safety-net)
    not_now: frozenset[str] = frozenset()       # actions that may be a safety-net but must NOT be "now"
    safety_net: frozenset[str] = frozenset()    # actions that MUST appear as "safety-net"
    screen: frozenset[str] = frozenset()        # findings that MUST be in the red-flag screen (not_asked)
    not_screen: frozenset[str] = frozenset()    # findings that must NOT be in it
    absent: tuple[str, ...] = ()
    duration: str | None = None
    trend: str | None = None
    article: tuple[str, ...] = ()               # the article fragment(s) the expectation rests on
    covers: tuple[int, ...] = ()                # which points of the model (1-8) the row exercises
    progress: frozenset[str] = frozenset()      # progress markers / return-to-training criteria that MUST be shown
    no_progress: frozenset[str] = frozenset()   # ... that must NOT be shown
    exactly: frozenset[str] | None = None       # when given, every recommendation (now and safety-net), exactly


def V(name, findings, urgency, training, *, fires=(), not_fires=(), now=(), never=(), not_now=(), safety_net=(),
      screen=(), not_screen=(), absent=(), duration=None, trend=None, article=(), covers=(), progress=(),
      no_progress=(), exactly=None):
    f = frozenset
    return Vignette(name, tuple(findings), urgency, training, f(fires), f(not_fires), f(now), f(never), f(not_now),
                    f(safety_net), f(screen), f(not_screen), tuple(absent), duration, trend, tuple(article),
                    tuple(covers), f(progress), f(no_progress), None if exactly is None else f(exactly))


VIGNETTES = [
    # ================================================================ back red flags: urgency, stop, scan now (1, 5)
    # The red-flag list says saddle numbness "needs urgent same-day assessment"; "What to do today" says 999. The
    # model takes the more urgent of the two, which is the safe reading.
    V("Saddle numbness after heavy deadlifts, back pain for 2 days",
      ["saddle-anaesthesia", "low-back-pain"], "emergency", "stop", duration="2d",
      fires=["rf-saddle-anaesthesia"], not_fires=ELBOW_RED_FLAGS, now=BACK_RF_999,
      never=KEEP_TRAINING | BACK_SAFETY_NET | {"no-routine-early-imaging"},
      article=[A_999, A_SADDLE, A_SADDLE_SAME_DAY, A_RF_PATTERN], covers=[1, 5]),
    V("Rower with new difficulty passing urine and low back pain",
      ["urinary-retention", "low-back-pain"], "emergency", "stop",
      fires=["rf-urinary-retention", "rf-bladder-bowel-control"], now=BACK_RF_999, never=KEEP_TRAINING,
      article=[A_RETENTION, A_999, A_RF_PATTERN], covers=[1, 5]),
    V("Faecal incontinence with sciatica for 5 days",
      ["faecal-incontinence", "sciatica"], "emergency", "stop", duration="5d",
      fires=["rf-bladder-bowel-control"], now=BACK_RF_999,
      never=BACK_SAFETY_NET | {"no-routine-early-imaging", "sciatica-gentle-movement", "sciatica-reduce-volume"},
      article=[A_BLADDER, A_CES, A_999, A_RF_PATTERN], covers=[1, 5]),
    V("Both legs going weak with back pain, worse by the hour",
      ["bilateral-leg-weakness", "low-back-pain"], "emergency", "stop", trend="rapidly-worsening",
      fires=["rf-bilateral-leg-symptoms"], now=BACK_RF_999, never=KEEP_TRAINING,
      article=[A_BILATERAL, A_999, A_RF_PATTERN], covers=[1, 5, 6]),
    V("Shooting pain down both legs",
      ["bilateral-sciatica"], "emergency", "stop",
      fires=["rf-bilateral-sciatica"], not_fires=ELBOW_RED_FLAGS, now=BACK_RF_999,
      never={"no-routine-early-imaging"} | BACK_SAFETY_NET,
      article=[A_BILATERAL_SCIATICA, A_RF_PATTERN], covers=[1, 5]),
    V("Fever and new low back pain after a tournament weekend",
      ["fever", "low-back-pain"], "urgent-same-day", "stop", duration="3d",
      fires=["rf-fever-unwell"], not_fires={"rf-elbow-fever-unwell", "rf-elbow-systemic-illness"} | CES_FLAGS,
      now=BACK_RF_111, never=KEEP_TRAINING | BACK_SAFETY_NET | {"call-999-or-ae"},
      article=[A_FEVER, A_111, A_RF_PATTERN], covers=[1, 3, 5]),
    V("Shivery and feeling very unwell with back pain",
      ["chills", "feeling-very-unwell", "low-back-pain"], "urgent-same-day", "stop",
      fires=["rf-fever-unwell"], not_fires={"rf-elbow-fever-unwell"}, now=BACK_RF_111, never=KEEP_TRAINING,
      article=[A_FEVER, A_INFECTION, A_111], covers=[3, 5]),
    V("Heavy fall in a rugby tackle, low back pain since yesterday",
      ["significant-trauma", "low-back-pain"], "urgent-same-day", "stop", duration="1d",
      fires=["rf-significant-trauma"], not_fires={"rf-elbow-significant-trauma"}, now=BACK_RF_111,
      never=KEEP_TRAINING | BACK_SAFETY_NET,
      article=[A_TRAUMA, A_FRACTURE, A_111, A_RF_PATTERN], covers=[3, 5]),
    # CHALLENGE: "Scan now" is recommended under a prompt-review (not same-day) answer. The article gives this alarm
    # sign no tier ("Unexplained weight loss or a past history of cancer ... recognised risk factors"); a "scan
    # now" beside "arrange prompt review" is internally inconsistent — either the scan is prompt, or the answer is.
    V("Past breast cancer, back pain that feels mechanical, 2 weeks",
      ["history-of-cancer", "mechanical-low-back-pain"], "prompt-review", "stop", duration="2w",
      fires=["rf-weight-loss-or-cancer"], not_fires={"rf-elbow-weight-loss-or-cancer"},
      now={"prompt-clinical-review", "stop-training", "scan-now"},
      never=KEEP_TRAINING | SPINE_HEDGED | {"no-routine-early-imaging"},
      not_now={"call-999-or-ae", "nhs-111-or-urgent-same-day-care"},
      article=[A_WEIGHT_CANCER, A_METASTATIC, A_STOP, A_RF_PATTERN], covers=[1, 5, 7]),
    V("Unexplained weight loss with low back pain",
      ["unexplained-weight-loss", "low-back-pain"], "prompt-review", "stop",
      fires=["rf-weight-loss-or-cancer"], not_fires={"rf-elbow-weight-loss-or-cancer"},
      now={"prompt-clinical-review", "stop-training", "scan-now"}, never=KEEP_TRAINING,
      article=[A_WEIGHT_CANCER, A_RF_PATTERN], covers=[1, 5]),
    V("Severe unrelenting back pain, not eased by painkillers, getting rapidly worse",
      ["severe-unrelenting-pain", "low-back-pain"], "urgent-same-day", "stop", trend="rapidly-worsening",
      fires=["rf-severe-worsening-pain"], now=BACK_RF_111, never=KEEP_TRAINING | BACK_SAFETY_NET,
      article=[A_SEVERE, A_FAQ_STOP, A_RF_PATTERN], covers=[1, 5, 6]),
    V("Foot drop with sciatica",
      ["foot-drop", "sciatica"], "urgent-same-day", "stop",
      fires=["rf-progressive-neuro-deficit"], now=BACK_RF_111,
      never={"no-routine-early-imaging"} | BACK_SAFETY_NET,
      article=[A_SCAN_NOW, A_SCAN_EXAMPLES], covers=[5]),
    V("Saddle numbness and a fever with back pain: the more urgent wins",
      ["saddle-anaesthesia", "fever", "low-back-pain"], "emergency", "stop",
      fires=["rf-saddle-anaesthesia", "rf-fever-unwell"],
      # one place to seek care: 999 sets aside NHS 111
      now=BACK_RF_999, never=KEEP_TRAINING | BACK_SAFETY_NET | {"nhs-111-or-urgent-same-day-care"},
      article=[A_999, A_111], covers=[1, 5]),

    # ================================================================ neurological trends (6)
    V("One-sided leg weakness getting rapidly worse, with sciatica, 4 days",
      ["leg-weakness", "sciatica"], "urgent-same-day", "stop", duration="4d", trend="rapidly-worsening",
      fires=["rf-rapidly-worsening-neuro"], not_fires={"rf-bilateral-leg-symptoms"}, now=BACK_RF_111,
      not_now={"call-999-or-ae"}, never=KEEP_TRAINING | BACK_SAFETY_NET,
      article=[A_111, A_RF_PATTERN], covers=[5, 6]),
    # CHALLENGE: the same motor deficit reported as the finding "progressive leg weakness" fires
    # rf-progressive-neuro-deficit (same day, scan now), while "weakness in one leg" + trend "worsening" is only
    # prompt review. The article: "Scan now when there is clinical concern for serious pathology or a
    # major/progressive neurological deficit" and "if there are worrying features such as new or progressive leg
    # weakness/numbness ... clinical assessment (and, in some cases, MRI) becomes more relevant". The prompt tier's
    # "worsening week to week" supports the model for pain and pins and needles; for weakness (a motor deficit)
    # getting worse week to week it under-calls a progressive deficit.
    V("One-sided leg weakness worse week to week, with sciatica, 3 weeks",
      ["leg-weakness", "sciatica"], "prompt-review", "modify", duration="3w", trend="worsening",
      fires=["esc-leg-symptoms-prompt-review", "esc-sciatica-worsening"],
      not_fires={"rf-rapidly-worsening-neuro", "rf-progressive-neuro-deficit"},
      now={"prompt-clinical-review", "gp-review-sciatica"},
      not_now={"scan-now", "nhs-111-or-urgent-same-day-care", "stop-training"},
      safety_net={"nhs-111-or-urgent-same-day-care"},
      article=[A_PROMPT, A_WEEK_TO_WEEK, A_SCIATICA_GP, A_WORRYING], covers=[1, 6]),
    V("Pins and needles down one leg with back pain, rapidly worsening",
      ["pins-and-needles", "low-back-pain"], "urgent-same-day", "stop", trend="rapidly-worsening",
      fires=["rf-rapidly-worsening-neuro"], now=BACK_RF_111, never=KEEP_TRAINING,
      article=[A_111, A_RF_PATTERN], covers=[5, 6]),
    V("Numb patch on one leg with back pain, slowly worsening over 2 weeks",
      ["leg-numbness", "low-back-pain"], "prompt-review", "modify", duration="2w", trend="worsening",
      fires=["esc-leg-symptoms-prompt-review"], not_fires={"rf-rapidly-worsening-neuro"},
      now={"prompt-clinical-review"}, not_now={"scan-now", "stop-training"},
      safety_net={"nhs-111-or-urgent-same-day-care"},
      article=[A_PROMPT, A_WEEK_TO_WEEK], covers=[6]),
    V("Stable pins and needles in one leg with back pain, 10 days",
      ["pins-and-needles", "low-back-pain"], "prompt-review", "modify", duration="10d", trend="unchanged",
      fires=["esc-leg-symptoms-prompt-review"], not_fires={"rf-rapidly-worsening-neuro"},
      now={"prompt-clinical-review", "no-routine-early-imaging"}, not_now={"scan-now"},
      safety_net={"nhs-111-or-urgent-same-day-care"},
      article=[A_PROMPT, A_ROUTINE_SCANS], covers=[5, 6]),
    # CHALLENGE (accepted, issue 12): the FAQ says "Stop training for ... rapidly worsening pain." Back or leg pain
    # reported as rapidly worsening now fires rf-rapidly-worsening-pain (urgent same-day, training stops), and no
    # safety net is shown at that tier.
    V("Low back pain for 5 weeks, getting rapidly worse",
      ["low-back-pain"], "urgent-same-day", "stop", duration="5w", trend="rapidly-worsening",
      fires=["rf-rapidly-worsening-pain", "esc-back-not-improving"], not_fires={"rf-severe-worsening-pain"},
      # NHS 111 sets the 4-6-week assessment aside: one place to seek care
      now=BACK_RF_111, never=SPINE_HEDGED | {"consider-mri", "clinical-assessment-back"},
      article=[A_FAQ_STOP, A_4_6_WEEKS], covers=[6, 7]),
    V("Sciatica getting rapidly worse over a week",
      ["sciatica"], "urgent-same-day", "stop", duration="7d", trend="rapidly-worsening",
      fires=["rf-rapidly-worsening-pain", "esc-leg-symptoms-prompt-review", "esc-sciatica-worsening"],
      not_fires={"rf-rapidly-worsening-neuro"}, now=BACK_RF_111, never={"gp-review-sciatica"},
      article=[A_FAQ_STOP, A_SCIATICA_GP, A_PROMPT], covers=[6]),
    V("Low back pain for 5 weeks, improving",
      ["low-back-pain"], "self-care", "modify", duration="5w", trend="improving",
      not_fires={"esc-back-not-improving", "esc-consider-mri"}, now=BACK_SELF_CARE,
      safety_net={"clinical-assessment-back"}, never=SPINE_HEDGED | {"scan-now"},
      article=[A_4_6_WEEKS, A_STAY_ACTIVE], covers=[6, 7]),
    # cold review: "The same practical decision rules used for back pain apply at the elbow", and the FAQ
    # stops training for rapidly worsening pain: read like the back's flag (curator's reading)
    V("Tennis elbow for 10 days, getting rapidly worse",
      ["tennis-elbow"], "urgent-same-day", "stop", duration="10d", trend="rapidly-worsening",
      fires=["rf-elbow-rapidly-worsening-pain", "esc-elbow-not-improving-week"],
      not_fires={"esc-elbow-persisting-2-weeks", "rf-rapidly-worsening-pain"},
      now=SAME_DAY, never=NOT_FOR_ELBOW | {"elbow-clinical-review-week"},
      article=[A_NOT_BETTER_WEEK, A_ELBOW_GP_2_WEEKS, A_ELBOW_NO_SCAN], covers=[4, 6]),

    # ================================================================ named conditions (2)
    # "Anything narrower": CES is a kind of serious spinal pathology, so it also meets the flags concerned with
    # serious spinal pathology (rf-severe-worsening-pain, rf-progressive-neuro-deficit).
    V("Cauda equina syndrome",
      ["cauda-equina-syndrome"], "emergency", "stop",
      fires=CES_FLAGS | {"rf-severe-worsening-pain", "rf-progressive-neuro-deficit"},
      not_fires=ELBOW_RED_FLAGS, now=BACK_RF_999, never=KEEP_TRAINING | BACK_SAFETY_NET,
      article=[A_CES, A_999, A_GROUP, A_RF_PATTERN], covers=[1, 2, 5]),
    V("Spinal fracture (broken back)",
      ["spinal-fracture"], "urgent-same-day", "stop",
      fires=["rf-significant-trauma"], not_fires={"rf-elbow-significant-trauma", "rf-bilateral-sciatica"} | CES_FLAGS,
      now=BACK_RF_111, not_now={"call-999-or-ae"}, never=KEEP_TRAINING | BACK_SAFETY_NET,
      article=[A_FRACTURE, A_GROUP, A_111, A_RF_PATTERN], covers=[2, 5]),
    V("Spinal infection",
      ["spinal-infection"], "urgent-same-day", "stop",
      fires=["rf-fever-unwell"], not_fires={"rf-elbow-fever-unwell", "rf-elbow-systemic-illness"} | CES_FLAGS,
      now=BACK_RF_111, not_now={"call-999-or-ae"}, never=KEEP_TRAINING | BACK_SAFETY_NET,
      article=[A_INFECTION, A_GROUP, A_111, A_RF_PATTERN], covers=[2, 3, 5]),
    # CHALLENGE (spec reading): with "anything narrower" read as above, a reported diagnosis of spinal metastases
    # also meets rf-severe-worsening-pain (concerned with serious spinal pathology in general), so it becomes
    # urgent same-day although the article gives its own alarm sign no tier ("these are recognised risk factors
    # for less common but serious causes such as metastatic disease"). Clinically defensible (known spinal
    # metastases with back pain), but it fires a "severe, unrelenting pain" flag whose finding nobody reported.
    V("Known metastatic spinal disease",
      ["metastatic-spinal-disease"], "urgent-same-day", "stop",
      fires=["rf-weight-loss-or-cancer", "rf-severe-worsening-pain", "rf-metastatic-cancer-with-back-pain"],
      not_fires={"rf-elbow-weight-loss-or-cancer"} | CES_FLAGS,
      now={"stop-training", "scan-now", "nhs-111-or-urgent-same-day-care"},
      never=KEEP_TRAINING | BACK_SAFETY_NET,
      article=[A_METASTATIC, A_GROUP, A_RF_PATTERN], covers=[2, 5]),
    # CHALLENGE (spec reading): an unspecified "serious spinal pathology" meets only the flags concerned with it,
    # not those concerned with its narrower kinds, so it is urgent same-day, not 999 — although the article's
    # group ("such as cauda equina syndrome, spinal infection, metastatic cancer, or an unstable fracture")
    # includes a 999 emergency. A conservative model would read a vague report against every kind.
    V("Serious spinal pathology, kind not specified",
      ["serious-spinal-pathology"], "urgent-same-day", "stop",
      fires=["rf-severe-worsening-pain", "rf-progressive-neuro-deficit"],
      not_fires=CES_FLAGS | {"rf-fever-unwell", "rf-significant-trauma", "rf-weight-loss-or-cancer"},
      now=BACK_RF_111, never=KEEP_TRAINING | BACK_SAFETY_NET,
      article=[A_GROUP, A_SCAN_NOW], covers=[2, 5]),
    V("Significant nerve compression",
      ["spinal-nerve-compression"], "emergency", "stop",
      fires=["rf-bilateral-leg-symptoms", "rf-bilateral-sciatica", "rf-progressive-neuro-deficit"],
      not_fires={"rf-bladder-bowel-control", "rf-urinary-retention", "rf-saddle-anaesthesia"},
      now=BACK_RF_999, never=KEEP_TRAINING | BACK_SAFETY_NET,
      article=[A_BILATERAL_COMPRESSION, A_999, A_RF_PATTERN], covers=[2, 5]),
    V("Elbow fracture",
      ["elbow-fracture"], "urgent-same-day", "stop",
      fires=["rf-elbow-deformity", "rf-elbow-swelling", "rf-elbow-cannot-move", "esc-elbow-injury"],
      not_fires=BACK_RED_FLAGS | {"rf-elbow-systemic-illness"},
      now=ELBOW_ALARM,
      never=NOT_FOR_ELBOW | ELBOW_SELF_CARE | {"elbow-clinical-review-week"},
      article=[A_ELBOW_CONCERN, A_ELBOW_PROMPT, A_ELBOW_NO_SCAN], covers=[2, 4]),
    # CHALLENGE (clinical): a dislocated or visibly deformed elbow after an impact is an A&E case (reduction,
    # neurovascular check); "NHS 111 or urgent same-day care" adds a step. The article itself says only "Patterns
    # that commonly justify prompt medical evaluation include: - Visible deformity around the elbow after an impact".
    V("Elbow dislocation",
      ["elbow-dislocation"], "urgent-same-day", "stop",
      fires=["rf-elbow-deformity", "rf-elbow-cannot-move", "esc-elbow-injury"],
      not_fires=BACK_RED_FLAGS | {"rf-elbow-swelling", "rf-elbow-systemic-illness"},
      now=ELBOW_ALARM, never=NOT_FOR_ELBOW | ELBOW_SELF_CARE,
      article=[A_ELBOW_CONCERN, A_DEFORMITY, A_CANNOT_MOVE], covers=[2, 4]),
    V("Septic elbow (elbow infection)",
      ["elbow-infection"], "urgent-same-day", "stop",
      fires=["rf-elbow-swelling", "rf-elbow-systemic-illness"],
      not_fires=BACK_RED_FLAGS | {"rf-elbow-deformity", "rf-elbow-cannot-move", "esc-elbow-injury"},
      now=ELBOW_ALARM, never=NOT_FOR_ELBOW | ELBOW_SELF_CARE,
      article=[A_ELBOW_CONCERN, A_SYSTEMIC, A_SWELLING], covers=[2, 3, 4]),
    V("Significant elbow ligament injury",
      ["elbow-ligament-injury"], "urgent-same-day", "stop",
      fires=["rf-elbow-deformity", "rf-elbow-swelling", "rf-elbow-cannot-move", "esc-elbow-injury"],
      not_fires=BACK_RED_FLAGS | {"rf-elbow-systemic-illness"},
      now=ELBOW_ALARM, never=NOT_FOR_ELBOW,
      article=[A_ELBOW_CONCERN, A_ELBOW_PROMPT], covers=[2, 4]),
    V("Tennis elbow in a club player, 5 days: elbow red-flag screen only",
      ["tennis-elbow"], "self-care", "modify", duration="5d",
      not_fires=ELBOW_RED_FLAGS | {"esc-elbow-not-improving-week", "rf-fever-unwell"},
      now=ELBOW_SELF_CARE, safety_net={"elbow-clinical-review-week"}, not_now={"elbow-clinical-review-week"},
      never=NOT_FOR_ELBOW | {"no-routine-early-imaging"},
      screen=ELBOW_SCREEN | SYSTEMIC_SCREEN, not_screen=BACK_SCREEN,
      article=[A_ELBOW_FIRST_LINE, A_CLEVELAND, A_ELBOW_NO_SCAN], covers=[2, 3, 4]),
    V("Mechanical low back pain after a deadlift, 3 days: back red-flag screen only",
      ["mechanical-low-back-pain"], "self-care", "modify", duration="3d",
      not_fires=BACK_RED_FLAGS | ELBOW_RED_FLAGS,
      now=BACK_SELF_CARE, safety_net=BACK_SAFETY_NET, never=SPINE_HEDGED | {"scan-now"},
      screen={"saddle-anaesthesia", "bladder-or-bowel-change", "bilateral-leg-weakness"} | SYSTEMIC_SCREEN,
      not_screen=ELBOW_SCREEN,
      article=[A_STAY_ACTIVE, A_ROUTINE_SCANS, A_STAGED], covers=[2, 3, 5, 7]),

    # ================================================================ regions and cross-region traps (3)
    # CHALLENGE (clinical): "Pain after significant trauma—for example a high-speed accident, a heavy fall, or
    # landing heavily from height: this raises concern for fracture or unstable injury". A high-energy mechanism
    # is a whole-body event: a person who mentions only their elbow may still have a spinal injury. The model
    # keeps the urgency but drops the spinal trauma flag and its scan; the spinal questions stay in the screen
    # (significant trauma puts every region's red flags in it: a marked curator's reading, HAZ-30).
    V("Tennis elbow, then a heavy fall onto the arm",
      ["tennis-elbow", "significant-trauma"], "urgent-same-day", "stop",
      fires=["rf-elbow-significant-trauma"], not_fires={"rf-significant-trauma"},
      now=SAME_DAY, never=NOT_FOR_ELBOW | {"forearm-strap", "elbow-relative-rest"},
      screen=BACK_SCREEN | ELBOW_SCREEN | {"fever", "unexplained-weight-loss"}, not_screen={"significant-trauma"},
      article=[A_TRAUMA, A_111, A_ELBOW_SAME_RULES, A_FAQ_STOP], covers=[1, 3]),
    # CHALLENGE: the article's only elbow systemic sign needs a hot, swollen elbow ("Systemic illness such as fever
    # or feeling very unwell alongside a hot, swollen elbow"); a fever with a tennis elbow going to same-day care
    # comes from keeping urgency monotone (fever alone is same-day), not from the article.
    V("Tennis elbow with a fever",
      ["tennis-elbow", "fever"], "urgent-same-day", "stop",
      fires=["rf-elbow-fever-unwell"], not_fires={"rf-fever-unwell", "rf-elbow-systemic-illness"},
      now=SAME_DAY,
      never=NOT_FOR_ELBOW | {"elbow-clinical-review-week", "gp-review-elbow", "forearm-strap", "elbow-relative-rest"},
      article=[A_ELBOW_SAME_RULES, A_111, A_FAQ_ELBOW], covers=[1, 3, 5]),
    V("Golfer's elbow and feeling very unwell",
      ["golfers-elbow", "feeling-very-unwell"], "urgent-same-day", "stop",
      fires=["rf-elbow-fever-unwell"], not_fires={"rf-fever-unwell", "rf-elbow-systemic-illness"},
      now=SAME_DAY, never=NOT_FOR_ELBOW | {"elbow-clinical-review-week", "gp-review-elbow"},
      article=[A_ELBOW_SAME_RULES, A_111], covers=[3, 5]),
    # CHALLENGE: the article names weight loss and cancer history only for the back ("even if the back pain feels
    # mechanical"); rf-elbow-weight-loss-or-cancer has no elbow sentence behind it (it exists to keep urgency
    # monotone).
    V("Tennis elbow with unexplained weight loss",
      ["tennis-elbow", "unexplained-weight-loss"], "prompt-review", "stop",
      fires=["rf-elbow-weight-loss-or-cancer"], not_fires={"rf-weight-loss-or-cancer"},
      now={"stop-training"}, never=NOT_FOR_ELBOW | {"forearm-strap", "elbow-relative-rest"},
      not_now={"nhs-111-or-urgent-same-day-care"},
      article=[A_WEIGHT_CANCER, A_ELBOW_SAME_RULES], covers=[1, 3]),
    V("Thrower with golfer's elbow and a past lymphoma",
      ["golfers-elbow", "history-of-cancer"], "prompt-review", "stop",
      fires=["rf-elbow-weight-loss-or-cancer"], not_fires={"rf-weight-loss-or-cancer"},
      now={"stop-training"}, never=NOT_FOR_ELBOW,
      article=[A_WEIGHT_CANCER, A_ELBOW_SAME_RULES], covers=[3]),
    # CHALLENGE 1 (accepted): marked swelling alone is the article's "prompt medical evaluation" (a red flag at
    # prompt review, training pauses); a hot, rapidly enlarging elbow is urgent same-day (rf-elbow-hot-swelling).
    V("Low back pain for 3 days and a markedly swollen elbow",
      ["low-back-pain", "elbow-swelling"], "prompt-review", "stop", duration="3d",
      fires=["rf-elbow-swelling"], not_fires=BACK_RED_FLAGS | {"rf-elbow-systemic-illness", "rf-elbow-hot-swelling"},
      now={"prompt-elbow-evaluation", "stop-training"},
      # at prompt review the back pain keeps its weeks-long safety net (only same-day care and 999 drop it)
      never={"scan-now", "call-999-or-ae"} | KEEP_TRAINING, not_now={"nhs-111-or-urgent-same-day-care"},
      article=[A_SWELLING, A_ELBOW_PROMPT, A_ELBOW_NO_SCAN], covers=[3, 4, 5]),
    V("Low back pain for 3 days, tennis elbow and a fever: both regions read",
      ["low-back-pain", "tennis-elbow", "fever"], "urgent-same-day", "stop", duration="3d",
      fires=["rf-fever-unwell", "rf-elbow-fever-unwell"], now=BACK_RF_111,
      never=KEEP_TRAINING | BACK_SAFETY_NET | {"elbow-clinical-review-week"},
      screen={"saddle-anaesthesia", "elbow-deformity"},
      article=[A_FEVER, A_111, A_RF_PATTERN], covers=[1, 3, 5]),
    # Only systemic findings: read against every region, and the screen asks about every region.
    # CHALLENGE: with nothing but a fever reported, "scan now" (spinal imaging) follows only because the back flag
    # is read conservatively; the article's scan-now is for back pain ("when the red-flag pattern described
    # earlier is present"), and this person may be an elbow patient who did not mention the elbow.
    V("Fever, nothing else reported",
      ["fever"], "urgent-same-day", "stop",
      fires=["rf-fever-unwell"], not_fires={"rf-elbow-fever-unwell", "rf-elbow-systemic-illness"},
      # read against every region: same day and training stops, but no spinal scan without a back complaint
      now=SAME_DAY, never=KEEP_TRAINING | BACK_SAFETY_NET | {"scan-now"},
      screen={"saddle-anaesthesia", "bladder-or-bowel-change", "elbow-deformity", "hot-swollen-elbow",
              "unable-to-move-elbow", "significant-trauma"},
      not_screen={"fever"},
      article=[A_FEVER, A_111], covers=[3, 5]),
    V("Heavy fall, nothing else reported",
      ["significant-trauma"], "urgent-same-day", "stop",
      fires=["rf-significant-trauma"], not_fires={"rf-elbow-significant-trauma"},
      now=SAME_DAY, never=KEEP_TRAINING | {"scan-now"},  # no back or leg complaint: no spinal scan
      screen={"saddle-anaesthesia", "bilateral-leg-weakness", "elbow-deformity", "unable-to-move-elbow"},
      not_screen={"significant-trauma"},
      article=[A_TRAUMA, A_FRACTURE, A_111], covers=[3, 5]),
    V("Unexplained weight loss, nothing else reported",
      ["unexplained-weight-loss"], "prompt-review", "stop",
      fires=["rf-weight-loss-or-cancer"], not_fires={"rf-elbow-weight-loss-or-cancer"},
      now={"stop-training", "prompt-clinical-review"}, never=KEEP_TRAINING,
      screen={"saddle-anaesthesia", "elbow-swelling"},
      article=[A_WEIGHT_CANCER], covers=[3]),
    V("Pain keeping them awake and limiting work, site not given",
      ["pain-affecting-sleep", "pain-limiting-work"], "self-care", "modify",
      not_fires={"esc-elbow-functional-threshold", "esc-sciatica-stopping-activities"} | BACK_RED_FLAGS
      | ELBOW_RED_FLAGS,
      never={"scan-now", "stop-training"},
      screen={"saddle-anaesthesia", "bladder-or-bowel-change", "bilateral-leg-weakness", "elbow-deformity",
              "elbow-swelling", "unable-to-move-elbow", "fever", "significant-trauma"},
      article=[A_ELBOW_FUNCTION], covers=[3]),
    V("Golfer's elbow, 4 days, denies fever and any fall",
      ["golfers-elbow"], "self-care", "modify", duration="4d", absent=["fever", "significant-trauma"],
      not_fires=ELBOW_RED_FLAGS, now=ELBOW_SELF_CARE, never=NOT_FOR_ELBOW,
      screen=ELBOW_SCREEN | {"unexplained-weight-loss", "history-of-cancer", "chills"},
      not_screen=BACK_SCREEN | {"fever", "significant-trauma"},
      article=[A_ELBOW_FIRST_LINE], covers=[3]),
    V("Low back pain and tennis elbow together, 4 days",
      ["low-back-pain", "tennis-elbow"], "self-care", "modify", duration="4d",
      not_fires=BACK_RED_FLAGS | ELBOW_RED_FLAGS, now=BACK_SELF_CARE | ELBOW_SELF_CARE, never={"scan-now"},
      screen={"saddle-anaesthesia", "bladder-or-bowel-change", "elbow-deformity", "hot-swollen-elbow", "fever"},
      article=[A_STAY_ACTIVE, A_ELBOW_FIRST_LINE], covers=[3]),
    V("Tennis elbow keeping them awake at night",
      ["tennis-elbow", "pain-affecting-sleep"], "routine-review", "modify",
      fires=["esc-elbow-functional-threshold"], not_fires=ELBOW_RED_FLAGS,
      now={"elbow-clinical-assessment"}, never=NOT_FOR_ELBOW,
      article=[A_ELBOW_FUNCTION], covers=[3]),

    # ================================================================ elbow alarm features and elbow review (4)
    # CHALLENGE (all elbow alarm rows): the article puts these at prompt review, not same day: "Patterns that
    # commonly justify prompt medical evaluation include:" and "Swelling, deformity, injury, fever, or inability to
    # move the elbow normally need prompt review." Same-day is clinically right for deformity after impact and for
    # a hot swollen elbow with fever, but above the article for marked swelling alone.
    V("Deformed elbow after a fall onto it",
      ["elbow-deformity", "elbow-injury"], "urgent-same-day", "stop",
      fires=["rf-elbow-deformity", "esc-elbow-injury"], not_fires=BACK_RED_FLAGS,
      now=ELBOW_ALARM, never=NOT_FOR_ELBOW | {"elbow-clinical-review-week"},
      article=[A_DEFORMITY, A_ELBOW_PROMPT, A_FAQ_ELBOW, A_ELBOW_NO_SCAN], covers=[1, 4]),
    V("Markedly swollen elbow",
      ["elbow-swelling"], "prompt-review", "stop",
      fires=["rf-elbow-swelling"],
      not_fires=BACK_RED_FLAGS | {"rf-elbow-systemic-illness", "rf-elbow-fever-unwell", "rf-elbow-hot-swelling"},
      now={"prompt-elbow-evaluation", "stop-training"}, never=NOT_FOR_ELBOW,
      article=[A_SWELLING, A_ELBOW_PROMPT], covers=[4]),
    V("Hot, rapidly enlarging elbow",
      ["hot-swollen-elbow"], "urgent-same-day", "stop",
      fires=["rf-elbow-hot-swelling", "rf-elbow-swelling"], not_fires={"rf-elbow-systemic-illness", "rf-fever-unwell"},
      now=ELBOW_ALARM, never=NOT_FOR_ELBOW,
      article=[A_SWELLING, A_ELBOW_PROMPT], covers=[4]),
    V("Cannot bend or straighten the elbow after landing on it",
      ["unable-to-move-elbow", "elbow-injury"], "urgent-same-day", "stop",
      fires=["rf-elbow-cannot-move", "esc-elbow-injury"], not_fires=BACK_RED_FLAGS,
      now=ELBOW_ALARM, never=NOT_FOR_ELBOW | {"elbow-clinical-review-week"},
      article=[A_CANNOT_MOVE, A_ELBOW_PROMPT], covers=[4]),
    V("Fever with a hot swollen elbow",
      ["fever", "hot-swollen-elbow"], "urgent-same-day", "stop",
      fires=["rf-elbow-systemic-illness", "rf-elbow-swelling", "rf-elbow-fever-unwell"],
      not_fires={"rf-fever-unwell"}, now=ELBOW_ALARM, never=NOT_FOR_ELBOW,
      article=[A_SYSTEMIC, A_ELBOW_PROMPT], covers=[3, 4]),
    V("Feeling very unwell with a hot swollen elbow, no fever",
      ["feeling-very-unwell", "hot-swollen-elbow"], "urgent-same-day", "stop", absent=["fever"],
      fires=["rf-elbow-systemic-illness", "rf-elbow-swelling"], not_fires={"rf-fever-unwell"},
      now=ELBOW_ALARM, never=NOT_FOR_ELBOW, not_screen={"fever"} | BACK_SCREEN,
      article=[A_SYSTEMIC], covers=[3, 4]),
    # CHALLENGE (clinical, minor): an acute elbow injury keeps "modify" while it awaits prompt review; the FAQ lists
    # injury beside swelling and deformity ("Swelling, deformity, injury, fever, or inability to move the elbow
    # normally need prompt review."), so advising to pause loading the arm until reviewed would be more coherent.
    V("Banged the elbow on court, nothing else",
      ["elbow-injury"], "prompt-review", "modify",
      fires=["esc-elbow-injury"], not_fires=ELBOW_RED_FLAGS | BACK_RED_FLAGS,
      now={"elbow-injury-review"}, never=NOT_FOR_ELBOW | {"stop-training", "elbow-clinical-review-week"},
      article=[A_CLEVELAND, A_FAQ_ELBOW], covers=[1, 4]),
    V("Tennis elbow and a knock to the elbow 3 days ago, unchanged",
      ["tennis-elbow", "elbow-injury"], "prompt-review", "modify", duration="3d", trend="unchanged",
      fires=["esc-elbow-injury"], not_fires={"esc-elbow-not-improving-week"} | ELBOW_RED_FLAGS,
      now={"elbow-injury-review"}, not_now={"elbow-clinical-review-week"},
      safety_net={"elbow-clinical-review-week"}, never=NOT_FOR_ELBOW,
      article=[A_CLEVELAND, A_NOT_BETTER_WEEK], covers=[4]),
    V("Tennis elbow for 10 days, no better",
      ["tennis-elbow"], "routine-review", "modify", duration="10d", trend="unchanged",
      fires=["esc-elbow-not-improving-week"], not_fires={"esc-elbow-persisting-2-weeks", "esc-elbow-injury"},
      now={"elbow-clinical-review-week"}, safety_net={"gp-review-elbow"},
      never=NOT_FOR_ELBOW | {"elbow-injury-review"},
      article=[A_NOT_BETTER_WEEK, A_ELBOW_GP_2_WEEKS], covers=[4, 6]),
    V("Tennis elbow day 6, unchanged",
      ["tennis-elbow"], "self-care", "modify", duration="6d", trend="unchanged",
      not_fires={"esc-elbow-not-improving-week"}, now=ELBOW_SELF_CARE,
      not_now={"elbow-clinical-review-week"}, safety_net={"elbow-clinical-review-week"}, never=NOT_FOR_ELBOW,
      article=[A_NOT_BETTER_WEEK], covers=[4, 6]),

    # ================================================================ imaging, sciatica, hedged options (5, 7)
    V("Sciatica for 5 days",
      ["sciatica"], "prompt-review", "modify", duration="5d",
      fires=["esc-leg-symptoms-prompt-review"], not_fires=BACK_RED_FLAGS,
      now={"prompt-clinical-review"} | SCIATICA_SELF_CARE, safety_net={"consider-mri"}, not_now={"scan-now"},
      article=[A_PROMPT, A_SCIATICA_NO_EARLY_MRI, A_SCIATICA_FIRST_LINE, A_MRI_PREFERRED], covers=[5]),
    V("Sciatica, duration not given",
      ["sciatica"], "prompt-review", "modify",
      fires=["esc-leg-symptoms-prompt-review"], not_fires=BACK_RED_FLAGS,
      now={"prompt-clinical-review", "no-routine-early-imaging"}, not_now={"scan-now", "consider-mri"},
      article=[A_PROMPT, A_SCIATICA_NO_EARLY_MRI], covers=[5]),
    # CHALLENGE: at 7 weeks with no improvement "Consider MRI at around 6 weeks" fires, while the self-care rule
    # still offers "No routine early scan" — the article's "early MRI is not routinely recommended" is about the
    # early phase; once the 6-week MRI rule fires, no-routine-early-imaging should be withdrawn.
    V("Sciatica for 7 weeks, no better",
      ["sciatica"], "prompt-review", "modify", duration="7w", trend="unchanged",
      fires=["esc-leg-symptoms-prompt-review", "esc-back-not-improving", "esc-consider-mri"],
      not_fires=BACK_RED_FLAGS,
      now={"prompt-clinical-review", "consider-mri", "clinical-assessment-back"}, not_now={"scan-now"},
      article=[A_CONSIDER_MRI, A_4_6_WEEKS, A_PROMPT], covers=[5, 6]),
    V("Back pain with pain below the knee, 10 days",
      ["leg-pain-below-knee", "low-back-pain"], "prompt-review", "modify", duration="10d",
      fires=["esc-leg-symptoms-prompt-review"], not_fires=BACK_RED_FLAGS,
      now={"prompt-clinical-review", "no-routine-early-imaging", "sciatica-conservative-care"},
      not_now={"scan-now"},
      article=[A_PROMPT, A_SCIATICA_NO_EARLY_MRI], covers=[5]),
    # CHALLENGE: as for sciatica at 7 weeks, no-routine-early-imaging (from the self-care rule) sits beside
    # consider-mri; the expectation here asserts only what the model requires.
    V("Back strain for 7 weeks, no better",
      ["mechanical-low-back-pain"], "routine-review", "modify", duration="7w", trend="unchanged",
      fires=["esc-back-not-improving", "esc-consider-mri"], not_fires=BACK_RED_FLAGS,
      now={"consider-mri", "clinical-assessment-back"}, never=SPINE_HEDGED | {"scan-now"},
      article=[A_CONSIDER_MRI, A_4_6_WEEKS, A_STAGED], covers=[5, 7]),
    V("Back strain with pain lingering into the next day after the gym, 5 days",
      ["mechanical-low-back-pain", "pain-lingers-next-day"], "self-care", "modify", duration="5d",
      not_fires=BACK_RED_FLAGS, now={"scale-back-session", "twenty-four-hour-check", "no-routine-early-imaging"},
      never=SPINE_HEDGED | {"scan-now", "stop-training"},
      article=[A_24_HOURS, A_STAGED], covers=[7]),
    V("Numbness in both legs with sciatica, 2 days: no safety-nets under an emergency",
      ["bilateral-leg-numbness", "sciatica"], "emergency", "stop", duration="2d",
      fires=["rf-bilateral-leg-symptoms"], now=BACK_RF_999,
      never=BACK_SAFETY_NET | KEEP_TRAINING | {"no-routine-early-imaging"},
      article=[A_BILATERAL, A_999, A_RF_PATTERN], covers=[5]),

    # ================================================================ issue 12 item 7: the missing article content (8)
    # --- "rarely needs an immediate scan" (line 76), and never beside an injury or an alarm feature
    V("Club tennis player, outer elbow sore gripping the racket, 4 days",
      ["lateral-elbow-pain", "pain-with-gripping"], "self-care", "modify", duration="4d",
      not_fires=ELBOW_RED_FLAGS | {"esc-elbow-injury"}, now=ELBOW_SELF_CARE | {"elbow-no-immediate-scan"},
      safety_net={"elbow-clinical-review-week"}, never=NOT_FOR_ELBOW | {"stop-training"},
      article=[A_ELBOW_NO_SCAN_FULL, A_LOAD_FIRST, A_ELBOW_FIRST_LINE], covers=[5, 8]),
    V("Golfer's elbow from a DIY weekend of drilling, 3 days",
      ["golfers-elbow"], "self-care", "modify", duration="3d",
      now=ELBOW_SELF_CARE | {"elbow-no-immediate-scan"}, never=NOT_FOR_ELBOW,
      not_now={"medial-elbow-tailored-assessment"},
      article=[A_ELBOW_NO_SCAN_FULL, A_LOAD_FIRST], covers=[5, 8]),
    V("Tennis elbow, then a fall onto the elbow: no 'rarely needs a scan' beside the injury review",
      ["tennis-elbow", "elbow-injury"], "prompt-review", "modify",
      fires=["esc-elbow-injury"], not_fires=ELBOW_RED_FLAGS, now={"elbow-injury-review"} | ELBOW_SELF_CARE,
      never=NOT_FOR_ELBOW | {"elbow-no-immediate-scan"},
      article=[A_CLEAR_INJURY, A_CLEVELAND, A_ELBOW_NO_SCAN_FULL], covers=[4, 5, 8]),
    V("Tennis elbow with a visibly deformed elbow after a fall",
      ["tennis-elbow", "elbow-deformity"], "urgent-same-day", "stop",
      fires=["rf-elbow-deformity"], now=ELBOW_ALARM,
      never=NOT_FOR_ELBOW | ELBOW_SELF_CARE | {"elbow-no-immediate-scan"},
      article=[A_DEFORMITY, A_ELBOW_CONCERN, A_ELBOW_NO_SCAN_FULL], covers=[4, 8]),
    # --- "The elbow usually still bends and straightens fully" (line 63): reassuring, fires nothing
    V("Tennis elbow, and the elbow still bends and straightens fully",
      ["tennis-elbow", "full-elbow-movement"], "self-care", "modify",
      not_fires=ELBOW_RED_FLAGS | {"esc-elbow-injury"}, now=ELBOW_SELF_CARE | {"elbow-no-immediate-scan"},
      never=NOT_FOR_ELBOW | {"stop-training", "prompt-elbow-evaluation"},
      article=[A_FULL_MOVEMENT, A_ELBOW_NO_SCAN_FULL], covers=[8]),
    V("Elbow still bends and straightens fully, nothing else reported",
      ["full-elbow-movement"], "self-care", "modify",
      not_fires=ELBOW_RED_FLAGS | BACK_RED_FLAGS, never=NOT_FOR_ELBOW | {"stop-training"},
      screen=ELBOW_SCREEN - {"unable-to-move-elbow"} | {"fever"}, not_screen=BACK_SCREEN,
      article=[A_FULL_MOVEMENT], covers=[3, 8]),
    # --- gradual onset versus one dramatic incident (line 67)
    V("Elbow pain that crept up over a training block, 3 days",
      ["gradual-onset-elbow-pain"], "self-care", "modify", duration="3d",
      not_fires=ELBOW_RED_FLAGS | {"esc-elbow-injury"}, now=ELBOW_SELF_CARE | {"elbow-no-immediate-scan"},
      safety_net={"elbow-clinical-review-week", "gp-review-elbow"}, never=NOT_FOR_ELBOW | {"elbow-injury-review"},
      article=[A_GRADUAL, A_ONE_INCIDENT, A_ELBOW_NO_SCAN_FULL], covers=[8]),
    V("Elbow pain built up gradually over repeated work tasks, 10 days, no better",
      ["gradual-onset-elbow-pain"], "routine-review", "modify", duration="10d", trend="unchanged",
      fires=["esc-elbow-not-improving-week"], not_fires={"esc-elbow-persisting-2-weeks", "esc-elbow-injury"},
      now={"elbow-clinical-review-week"}, safety_net={"gp-review-elbow"}, never=NOT_FOR_ELBOW,
      article=[A_GRADUAL, A_NOT_BETTER_WEEK], covers=[6, 8]),
    V("Elbow tendinopathy, 3 weeks, no better",
      ["elbow-tendinopathy"], "routine-review", "modify", duration="3w", trend="unchanged",
      fires=["esc-elbow-not-improving-week", "esc-elbow-persisting-2-weeks"],
      now={"elbow-clinical-review-week", "gp-review-elbow"}, never=NOT_FOR_ELBOW,
      article=[A_NOT_BETTER_WEEK, A_ELBOW_GP_2_WEEKS, A_ELBOW_SAME_RULES], covers=[6, 8]),
    # --- persistent medial elbow pain, particularly in throwing athletes (line 65)
    V("Baseball pitcher, pain on the inside of the elbow for 3 weeks, no better",
      ["medial-elbow-pain"], "routine-review", "modify", duration="3w", trend="unchanged",
      fires=["esc-medial-elbow-persistent", "esc-elbow-not-improving-week", "esc-elbow-persisting-2-weeks"],
      not_fires=ELBOW_RED_FLAGS, now={"medial-elbow-tailored-assessment", "elbow-clinical-review-week",
                                      "gp-review-elbow"},
      never=NOT_FOR_ELBOW | {"stop-training"}, article=[A_MEDIAL, A_NOT_BETTER_WEEK], covers=[6, 8]),
    V("Javelin thrower with golfer's elbow, 5 days, no better",
      ["golfers-elbow"], "self-care", "modify", duration="5d", trend="unchanged",
      not_fires={"esc-medial-elbow-persistent", "esc-elbow-not-improving-week"},
      not_now={"medial-elbow-tailored-assessment"}, safety_net={"medial-elbow-tailored-assessment",
                                                                "elbow-clinical-review-week"},
      now=ELBOW_SELF_CARE, never=NOT_FOR_ELBOW, article=[A_MEDIAL, A_NOT_BETTER_WEEK], covers=[6, 8]),
    V("Golfer's elbow for 2 weeks, improving",
      ["golfers-elbow"], "self-care", "modify", duration="2w", trend="improving",
      not_fires={"esc-medial-elbow-persistent", "esc-elbow-persisting-2-weeks"},
      not_now={"medial-elbow-tailored-assessment", "gp-review-elbow"},
      safety_net={"medial-elbow-tailored-assessment"}, now=ELBOW_SELF_CARE, article=[A_MEDIAL], covers=[6, 8]),
    V("Tennis elbow (the outside) for 3 weeks, no better: no medial assessment",
      ["tennis-elbow"], "routine-review", "modify", duration="3w", trend="unchanged",
      fires=["esc-elbow-not-improving-week", "esc-elbow-persisting-2-weeks"],
      not_fires={"esc-medial-elbow-persistent"}, now={"elbow-clinical-review-week", "gp-review-elbow"},
      never=NOT_FOR_ELBOW | {"medial-elbow-tailored-assessment"}, article=[A_MEDIAL, A_ELBOW_GP_2_WEEKS],
      covers=[8]),
    V("Golfer's elbow limiting work for 8 weeks: assessments, never the options some clinics discuss",
      ["golfers-elbow", "pain-limiting-work"], "routine-review", "modify", duration="8w", trend="unchanged",
      fires=["esc-elbow-functional-threshold", "esc-medial-elbow-persistent", "esc-elbow-persisting-2-weeks"],
      now={"elbow-clinical-assessment", "medial-elbow-tailored-assessment"},
      never=NOT_FOR_ELBOW | {"shockwave-therapy", "corticosteroid-injection", "prp-injection", "elbow-surgery"},
      article=[A_MEDIAL, A_ELBOW_FUNCTION, A_SOME_CLINICS], covers=[7, 8]),
    V("Tennis elbow for 4 months, no better: physiotherapy, never shockwave or injections",
      ["tennis-elbow"], "routine-review", "modify", duration="16w", trend="unchanged",
      fires=["esc-elbow-physiotherapy", "esc-elbow-persisting-2-weeks"], now={"elbow-physiotherapy", "gp-review-elbow"},
      never=NOT_FOR_ELBOW | {"shockwave-therapy", "corticosteroid-injection", "prp-injection", "elbow-surgery"},
      article=[A_ELBOW_PHYSIO, A_SOME_CLINICS], covers=[7, 8]),
    # --- progress markers and return-to-training criteria (lines 40, 45, 57, 77, 85)
    V("Tennis elbow in the first fortnight of relative rest, improving",
      ["tennis-elbow"], "self-care", "modify", duration="5d", trend="improving",
      now=ELBOW_SELF_CARE, progress={"pm-elbow-green-shoots", "rtt-elbow-comfortable-drills"},
      no_progress={"pm-sciatica-leg-symptoms-settling", "rtt-leg-symptom-response"},
      article=[A_GREEN_SHOOTS, A_RTT_ELBOW], covers=[8]),
    V("Sciatica for 3 weeks, good and bad days but getting better",
      ["sciatica"], "prompt-review", "modify", duration="3w", trend="improving",
      fires=["esc-leg-symptoms-prompt-review"], not_fires={"esc-sciatica-worsening"} | BACK_RED_FLAGS,
      now={"sciatica-conservative-care", "sciatica-reduce-volume", "prompt-clinical-review"},
      progress={"pm-sciatica-leg-symptoms-settling", "rtt-leg-symptom-response", "rtt-strength-and-control"},
      no_progress={"pm-elbow-green-shoots"}, article=[A_SCIATICA_UNEVEN, A_RTT, A_PROGRESSION], covers=[6, 8]),
    V("Footballer with pain below the knee, wanting to get back to training",
      ["leg-pain-below-knee"], "prompt-review", "modify",
      fires=["esc-leg-symptoms-prompt-review"], now={"sciatica-reduce-volume", "sciatica-gentle-movement"},
      progress={"rtt-leg-symptom-response", "rtt-strength-and-control"}, article=[A_RTT, A_PROGRESSION],
      covers=[8]),
    V("Sciatica with saddle numbness: no return-to-training criteria under an emergency",
      ["sciatica", "saddle-anaesthesia"], "emergency", "stop",
      fires=["rf-saddle-anaesthesia"], now=BACK_RF_999,
      never=KEEP_TRAINING | {"sciatica-conservative-care"},
      no_progress={"pm-sciatica-leg-symptoms-settling", "rtt-leg-symptom-response", "rtt-strength-and-control"},
      article=[A_999, A_SADDLE, A_RTT], covers=[5, 8]),
    # --- "limit sprints, repeated cutting, and hard landings for a week if impact flares symptoms" (line 8)
    V("Back strain that flares with sprints and hard landings, 4 days",
      ["impact-flares-back-pain"], "self-care", "modify", duration="4d",
      not_fires=BACK_RED_FLAGS, now=BACK_SELF_CARE | {"running-limit-impact", "strength-avoid-provoking-positions"},
      never={"scan-now", "stop-training"} | SPINE_HEDGED, article=[A_IMPACT, A_STAY_ACTIVE], covers=[7, 8]),
    V("Back strain after deadlifts, impact not mentioned, 4 days",
      ["mechanical-low-back-pain"], "self-care", "modify", duration="4d",
      not_fires=BACK_RED_FLAGS, now=BACK_SELF_CARE, never={"running-limit-impact", "scan-now"} | SPINE_HEDGED,
      article=[A_IMPACT, A_STAY_ACTIVE], covers=[7, 8]),
    V("Back pain flaring with impact, and new saddle numbness",
      ["impact-flares-back-pain", "saddle-anaesthesia"], "emergency", "stop",
      fires=["rf-saddle-anaesthesia"], now=BACK_RF_999, never=KEEP_TRAINING | BACK_SAFETY_NET,
      article=[A_999, A_IMPACT], covers=[1, 8]),
    V("Back pain flaring with running for 7 weeks, no better",
      ["impact-flares-back-pain"], "routine-review", "modify", duration="7w", trend="unchanged",
      fires=["esc-back-not-improving", "esc-consider-mri"],
      now={"consider-mri", "clinical-assessment-back", "running-limit-impact"}, never={"scan-now"} | SPINE_HEDGED,
      article=[A_CONSIDER_MRI, A_4_6_WEEKS, A_IMPACT], covers=[8]),
    V("Sciatica, and running flares the back",
      ["sciatica", "impact-flares-back-pain"], "prompt-review", "modify",
      fires=["esc-leg-symptoms-prompt-review"],
      now={"prompt-clinical-review", "running-limit-impact", "sciatica-limit-sprinting-and-impact"},
      article=[A_PROMPT, A_IMPACT], covers=[8]),
    # --- "particularly if it is limiting normal walking" (line 30): prompt review, the curator's safer reading
    V("Sciatica limiting normal walking, 2 weeks",
      ["sciatica", "limited-walking"], "prompt-review", "modify", duration="2w",
      fires=["esc-leg-symptoms-prompt-review"], not_fires=BACK_RED_FLAGS, now={"prompt-clinical-review"},
      not_now={"scan-now", "nhs-111-or-urgent-same-day-care", "call-999-or-ae"},
      article=[A_PROMPT, A_WEEK_TO_WEEK], covers=[8]),
    V("Back strain, struggling to walk, 3 days",
      ["mechanical-low-back-pain", "limited-walking"], "prompt-review", "modify", duration="3d",
      fires=["esc-leg-symptoms-prompt-review"], not_fires=BACK_RED_FLAGS,
      now={"prompt-clinical-review"} | BACK_SELF_CARE, not_now={"scan-now"},
      article=[A_PROMPT, A_WEEK_TO_WEEK, A_STAY_ACTIVE], covers=[8]),
    V("Limping with low back pain, worse week to week, 3 weeks",
      ["limited-walking", "low-back-pain"], "prompt-review", "modify", duration="3w", trend="worsening",
      fires=["esc-leg-symptoms-prompt-review"], not_fires={"rf-rapidly-worsening-pain"},
      now={"prompt-clinical-review"}, not_now={"nhs-111-or-urgent-same-day-care", "stop-training"},
      safety_net={"nhs-111-or-urgent-same-day-care", "clinical-assessment-back"},
      article=[A_PROMPT, A_WEEK_TO_WEEK, A_4_6_WEEKS], covers=[6, 8]),
    V("Pain limiting normal walking, nothing else reported",
      ["limited-walking"], "prompt-review", "modify",
      fires=["esc-leg-symptoms-prompt-review"], not_fires=ELBOW_RED_FLAGS, now={"prompt-clinical-review"},
      screen={"saddle-anaesthesia", "bladder-or-bowel-change", "bilateral-leg-weakness"}, not_screen=ELBOW_SCREEN,
      article=[A_PROMPT, A_WEEK_TO_WEEK], covers=[3, 8]),
    V("Limping, and both legs going weak",
      ["limited-walking", "bilateral-leg-weakness"], "emergency", "stop",
      fires=["rf-bilateral-leg-symptoms", "esc-leg-symptoms-prompt-review"], now=BACK_RF_999,
      never=KEEP_TRAINING | BACK_SAFETY_NET, article=[A_BILATERAL, A_999, A_WEEK_TO_WEEK], covers=[1, 8]),

    # ================================================================ issue 12, cold review: the remaining items
    # --- item 1: marked swelling after an elbow injury is read like the other injury features (urgent same-day,
    # a marked curator's reading of "more concerning for fracture ... especially when there is a clear traumatic
    # event"); marked swelling with no injury stays at the article's prompt evaluation
    V("Marked elbow swelling after a fall onto the elbow",
      ["elbow-swelling", "elbow-injury"], "urgent-same-day", "stop",
      fires=["rf-elbow-swelling-after-injury", "rf-elbow-swelling", "esc-elbow-injury"],
      not_fires=BACK_RED_FLAGS | {"rf-elbow-hot-swelling"}, now=ELBOW_ALARM, exactly=ELBOW_ALARM,
      never=NOT_FOR_ELBOW | ELBOW_REVIEWS,
      article=[A_SWELLING, A_ELBOW_CONCERN, A_CLEAR_TRAUMA, A_111], covers=[1, 4]),
    V("Tennis elbow, knocked the elbow 3 days ago, now markedly swollen",
      ["tennis-elbow", "elbow-injury", "elbow-swelling"], "urgent-same-day", "stop", duration="3d",
      fires=["rf-elbow-swelling-after-injury"], now=ELBOW_ALARM, exactly=ELBOW_ALARM,
      never=NOT_FOR_ELBOW | ELBOW_SELF_CARE | {"elbow-no-immediate-scan", "elbow-clinical-review-week"},
      article=[A_SWELLING, A_CLEAR_TRAUMA, A_CLEVELAND], covers=[4]),
    V("Markedly swollen elbow, no injury",
      ["elbow-swelling"], "prompt-review", "stop", absent=["elbow-injury"],
      fires=["rf-elbow-swelling"], not_fires={"rf-elbow-swelling-after-injury", "esc-elbow-injury"},
      now={"prompt-elbow-evaluation", "stop-training"}, exactly={"prompt-elbow-evaluation", "stop-training"},
      not_screen={"elbow-injury"}, article=[A_SWELLING, A_ELBOW_PROMPT, A_FAQ_ELBOW], covers=[4]),
    # --- item 3: the article names metastatic cancer only as a serious cause of back pain ("such as cauda equina
    # syndrome, spinal infection, metastatic cancer, or an unstable fracture"): with a back or leg complaint it is
    # answered as metastatic spinal disease is (urgent same-day, scan now; a marked curator's reading); alone or with
    # an elbow problem it stays with the weight-loss-or-cancer flags (prompt review), so urgency stays monotone
    V("Known metastatic cancer with low back pain",
      ["metastatic-disease", "low-back-pain"], "urgent-same-day", "stop",
      fires=["rf-metastatic-cancer-with-back-pain", "rf-weight-loss-or-cancer"], not_fires=ELBOW_RED_FLAGS,
      now=BACK_RF_111, exactly=BACK_RF_111, never=KEEP_TRAINING | BACK_SAFETY_NET | {"prompt-clinical-review"},
      article=[A_GROUP, A_METASTATIC_RATE, A_SCAN_NOW, A_111], covers=[2, 5]),
    V("Metastatic cancer and sciatica",
      ["metastatic-disease", "sciatica"], "urgent-same-day", "stop",
      fires=["rf-metastatic-cancer-with-back-pain"], now=BACK_RF_111, exactly=BACK_RF_111,
      article=[A_GROUP, A_SCAN_NOW], covers=[2, 5]),
    V("Metastatic cancer, nothing else reported",
      ["metastatic-disease"], "prompt-review", "stop",
      fires=["rf-weight-loss-or-cancer"], not_fires={"rf-metastatic-cancer-with-back-pain"},
      # no back or leg complaint: no spinal scan
      now={"prompt-clinical-review", "stop-training"}, exactly={"prompt-clinical-review", "stop-training"},
      article=[A_WEIGHT_CANCER, A_METASTATIC], covers=[2, 3]),
    V("Tennis elbow and metastatic cancer",
      ["tennis-elbow", "metastatic-disease"], "prompt-review", "stop",
      fires=["rf-elbow-weight-loss-or-cancer"], not_fires={"rf-metastatic-cancer-with-back-pain",
                                                            "rf-weight-loss-or-cancer"},
      now={"prompt-elbow-evaluation", "stop-training"}, never=NOT_FOR_ELBOW | ELBOW_SELF_CARE,
      article=[A_WEIGHT_CANCER, A_ELBOW_SAME_RULES], covers=[3]),
]

BY_NAME = {v.name: v for v in VIGNETTES}

#: Monotonicity: the second presentation is the first plus more findings, so its urgency is never lower, and
#: training that stopped stays stopped.
MONOTONE_PAIRS = [
    ("Fever, nothing else reported", "Tennis elbow with a fever"),
    ("Fever, nothing else reported", "Fever with a hot swollen elbow"),
    ("Heavy fall, nothing else reported", "Tennis elbow, then a heavy fall onto the arm"),
    ("Unexplained weight loss, nothing else reported", "Tennis elbow with unexplained weight loss"),
    ("Banged the elbow on court, nothing else", "Deformed elbow after a fall onto it"),
    ("Banged the elbow on court, nothing else", "Marked elbow swelling after a fall onto the elbow"),
    ("Markedly swollen elbow", "Marked elbow swelling after a fall onto the elbow"),
    ("Metastatic cancer, nothing else reported", "Known metastatic cancer with low back pain"),
    ("Metastatic cancer, nothing else reported", "Tennis elbow and metastatic cancer"),
    ("Banged the elbow on court, nothing else", "Cannot bend or straighten the elbow after landing on it"),
    ("Fever and new low back pain after a tournament weekend",
     "Low back pain for 3 days, tennis elbow and a fever: both regions read"),
    ("Sciatica for 5 days", "Faecal incontinence with sciatica for 5 days"),
    ("Sciatica, duration not given", "Foot drop with sciatica"),
    ("Pain limiting normal walking, nothing else reported", "Limping, and both legs going weak"),
    ("Elbow still bends and straightens fully, nothing else reported",
     "Tennis elbow, and the elbow still bends and straightens fully"),
]


# ----------------------------------------------------------------------------------------------- running
def _args(v: Vignette, engine: str) -> list[str]:
    args = ["triage"]
    for f in v.findings:
        args += ["--finding", f]
    for a in v.absent:
        args += ["--absent", a]
    if v.duration is not None:
        args += ["--duration", v.duration]
    if v.trend is not None:
        args += ["--trend", v.trend]
    return args + ["--format", "json", "--engine", engine]


@lru_cache(maxsize=None)
def answer(name: str, engine: str) -> dict:
    v = BY_NAME[name]
    result = CliRunner().invoke(cli, _args(v, engine))
    assert result.exit_code == 0, f"mskg {' '.join(_args(v, engine))} exited {result.exit_code}:\n{result.output}"
    return json.loads(result.stdout)


def summary(data: dict) -> dict:
    recs = data["recommendations"]
    return {
        "urgency": data["urgency"]["id"],
        "training": data["training"],
        "flags": {f["id"] for f in data["flags"]},
        "red_flags": {f["id"] for f in data["flags"] if f["kind"] == "red flag"},
        "flag_urgencies": [f["urgency"] for f in data["flags"]],
        "now": {r["id"] for r in recs if r["kind"] == "now"},
        "safety_net": {r["id"] for r in recs if r["kind"] == "safety-net"},
        "all": {r["id"] for r in recs},
        "not_asked": {n["id"] for n in data["not_asked"]},
        "progress": {p["id"] for r in recs for p in r["progress"]},
    }


# ----------------------------------------------------------------------------------------------- the tests
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("v", VIGNETTES, ids=[v.name for v in VIGNETTES])
def test_vignette(v: Vignette, engine: str):
    s = summary(answer(v.name, engine))
    assert s["urgency"] == v.urgency, s
    assert s["training"] == v.training, s
    assert v.fires <= s["flags"], f"must fire: {sorted(v.fires - s['flags'])}; fired: {sorted(s['flags'])}"
    assert not (v.not_fires & s["flags"]), f"must not fire: {sorted(v.not_fires & s['flags'])}"
    assert v.now <= s["now"], f"missing 'now': {sorted(v.now - s['now'])}; now: {sorted(s['now'])}"
    assert not (v.never & s["all"]), f"must not appear: {sorted(v.never & s['all'])}"
    assert not (v.not_now & s["now"]), f"must not be 'now': {sorted(v.not_now & s['now'])}"
    assert v.safety_net <= s["safety_net"], (f"missing safety-net: {sorted(v.safety_net - s['safety_net'])}; "
                                             f"safety-net: {sorted(s['safety_net'])}")
    assert v.screen <= s["not_asked"], f"not screened: {sorted(v.screen - s['not_asked'])}"
    assert not (v.not_screen & s["not_asked"]), f"screened but must not be: {sorted(v.not_screen & s['not_asked'])}"
    assert v.progress <= s["progress"], f"progress checks not shown: {sorted(v.progress - s['progress'])}"
    assert not (v.no_progress & s["progress"]), f"progress checks shown: {sorted(v.no_progress & s['progress'])}"
    if v.exactly is not None:
        assert s["all"] == v.exactly, f"recommendations: {sorted(s['all'])}; expected exactly {sorted(v.exactly)}"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("v", VIGNETTES, ids=[v.name for v in VIGNETTES])
def test_model_invariants(v: Vignette, engine: str):
    """What holds for every answer under the model, whatever the presentation."""
    s = summary(answer(v.name, engine))
    # 1. the most urgent fired rule wins; a fired red flag, and only that, stops training
    if s["flag_urgencies"]:
        assert s["urgency"] == min(s["flag_urgencies"], key=URGENCY_ORDER.index), s
    else:
        assert s["urgency"] == "self-care", s
    assert s["training"] == ("stop" if s["red_flags"] else "modify"), s
    # 5. no safety-nets and no keep-training advice under an emergency or same-day answer
    if s["urgency"] in ("emergency", "urgent-same-day"):
        assert not s["safety_net"], f"safety-nets under {s['urgency']}: {sorted(s['safety_net'])}"
    if s["training"] == "stop":
        assert not (KEEP_TRAINING & s["all"]), f"keep-training advice with stop: {sorted(KEEP_TRAINING & s['all'])}"
    # 5. "scan now" and "no routine early scan" are never given together; MRI-preferred is not advice on its own
    assert not {"scan-now", "no-routine-early-imaging"} <= s["now"], s["now"]
    assert not (NEVER_ANYWHERE & s["all"]), sorted(NEVER_ANYWHERE & s["all"])


@pytest.mark.parametrize("v", VIGNETTES, ids=[v.name for v in VIGNETTES])
def test_engines_agree(v: Vignette):
    compiled, sparql = (summary(answer(v.name, e)) for e in ENGINES)
    assert compiled == sparql


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("lower, higher", MONOTONE_PAIRS, ids=[f"{a} < {b}" for a, b in MONOTONE_PAIRS])
def test_adding_a_finding_never_lowers_urgency(lower: str, higher: str, engine: str):
    a, b = summary(answer(lower, engine)), summary(answer(higher, engine))
    assert URGENCY_ORDER.index(b["urgency"]) <= URGENCY_ORDER.index(a["urgency"]), (a["urgency"], b["urgency"])
    if a["training"] == "stop":
        assert b["training"] == "stop"


# ----------------------------------------------------------------------------------------------- the table itself
def test_article_fragments_are_verbatim():
    text = re.sub(r"\s+", " ", ARTICLE.read_text(encoding="utf-8"))
    missing = {f for v in VIGNETTES for f in v.article if re.sub(r"\s+", " ", f) not in text}
    assert not missing, sorted(missing)
    assert all(v.article for v in VIGNETTES), [v.name for v in VIGNETTES if not v.article]


def test_table_is_well_formed():
    assert len(VIGNETTES) >= 45 + 25  # issue 12 item 7 added 30
    assert len(BY_NAME) == len(VIGNETTES), "vignette names must be unique"
    for v in VIGNETTES:
        assert v.urgency in URGENCY_ORDER and v.training in ("stop", "modify"), v.name
        assert not (v.fires & v.not_fires), v.name
        assert not (v.now & (v.never | v.not_now)), v.name
        assert not (v.safety_net & v.never), v.name
        assert not (v.screen & v.not_screen), v.name
        assert v.exactly is None or (v.now | v.safety_net) <= v.exactly and not (v.exactly & v.never), v.name
    for lower, higher in MONOTONE_PAIRS:
        a, b = BY_NAME[lower], BY_NAME[higher]
        assert set(a.findings) < set(b.findings), (lower, higher)
        assert (a.absent, a.duration, a.trend) == (b.absent, b.duration, b.trend), (lower, higher)


def test_every_point_of_the_model_has_at_least_three_vignettes():
    for point in range(1, 9):
        assert sum(point in v.covers for v in VIGNETTES) >= 3, point


def test_every_red_flag_is_required_to_fire_somewhere():
    required = set().union(*(v.fires for v in VIGNETTES))
    assert BACK_RED_FLAGS | ELBOW_RED_FLAGS <= required, sorted((BACK_RED_FLAGS | ELBOW_RED_FLAGS) - required)


# ----------------------------------------------------------------------------------------------- the OWL engine
needs_java = pytest.mark.skipif(__import__("shutil").which("java") is None, reason="HermiT needs a Java runtime")


@needs_java
def test_every_vignette_on_the_owl_engine():
    """HermiT classifies every vignette (one reasoner run) to the same urgency, training and fired rules."""
    from mskg.kg.load import load_graph
    from mskg.queries.triage.records import make_presentation
    from mskg.queries.triage.sparql import engine_for

    graph = load_graph()
    engine = engine_for(graph)
    presentations = [make_presentation(graph, list(v.findings), list(v.absent), v.duration, v.trend)
                     for v in VIGNETTES]
    by_owl = engine.triage_many_owl(presentations)
    assert len(by_owl) == len(VIGNETTES)
    for v, p, owl in zip(VIGNETTES, presentations, by_owl):
        fired = {r.id for r in owl.fired if r.kind != "SelfCareRule"}
        assert (owl.urgency.id, owl.training) == (v.urgency, v.training), v.name
        assert set(v.fires) <= fired and not (set(v.not_fires) & fired), (v.name, fired)
        # and the same recommendations, in the same order, as the SPARQL engine's (safety nets included)
        by_sparql = engine.triage(p, explain=False)
        assert [(r.id, r.kind, r.urgency.id) for r in owl.recommendations] == [
            (r.id, r.kind, r.urgency.id) for r in by_sparql.recommendations], v.name
