"""Understanding what people say: everyday wordings, typing errors, body sites, and never a wrong concept.

tests/data/wordings.tsv (and wordings_heldout.tsv, written blind after the resolver was tuned) were written
from how patients, coaches and clinicians talk, without reading mskg's synonym lists. The figures are
printed by benchmarks/wordings.py; here the safety line is held: no wording ever resolves to a wrong
concept, and the share understood stays at the issue's 95 %.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mskg.cli.main import cli
from mskg.kg.load import load_compiled
from mskg.kg.resolve import MAX_INPUT, ResolutionError
from mskg.ontology.namespaces import ID

DATA = Path(__file__).resolve().parent / "data"


def rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def outcome(resolver, row) -> tuple[str, str | None]:
    """A wording made of whole wordings of several findings reads each ("problems with my waterworks since my back
    went": acute low back pain, and the bladder or bowel change): it is correct when the expected one is read."""
    try:
        match = resolver.resolve_match(row["phrase"])
        read = [match.concept.id, *(m.concept.id for m in resolver.also_named(row["phrase"], match))]
    except ResolutionError:
        read = []
    got = read[0] if read else None
    expected = row["expected"]
    if expected == "UNRESOLVED":
        return ("correct" if got is None else "wrong"), got
    return ("correct" if expected in read else "unresolved" if got is None else "wrong"), got


@pytest.fixture(scope="module")
def resolver():
    return load_compiled().resolver


@pytest.mark.parametrize("name", ["wordings.tsv", "wordings_heldout.tsv"])
def test_no_wording_resolves_to_a_wrong_concept(resolver, name):
    if not (DATA / name).exists():
        pytest.fail(f"{name} is missing")
    wrong = [(r["phrase"], r["expected"], got) for r in rows(name)
             for result, got in [outcome(resolver, r)] if result == "wrong"]
    assert wrong == []


@pytest.mark.parametrize("name, at_least", [
    ("wordings.tsv", 0.95),  # the target, on the set the synonyms were written against
    # written blind after tuning, never used to add wordings: 80.6 % on its first run (7 wrong, fixed by general
    # reading rules, not by adding its phrases); a ratchet, raised as understanding improves
    ("wordings_heldout.tsv", 0.87),
])
def test_the_share_understood(resolver, name, at_least):
    data = rows(name)
    correct = sum(outcome(resolver, r)[0] == "correct" for r in data)
    assert correct / len(data) >= at_least, f"{correct}/{len(data)}"


def _everyday(resolver):
    """For every red-flag finding, the everyday wordings of the set (not its label or the article's own)."""
    by_finding: dict[str, list[str]] = {}
    for row in rows("wordings.tsv"):
        if row["kind"] in ("lay", "first-person", "typo", "contraction", "inflection"):
            by_finding.setdefault(row["expected"], []).append(row["phrase"])
    return by_finding


RED_FLAG_FINDINGS = [f for f, *_ in load_compiled().screen]


@pytest.mark.parametrize("finding", RED_FLAG_FINDINGS)
def test_every_red_flag_finding_is_understood_in_three_everyday_wordings(resolver, finding):
    """`mskg triage --finding <everyday wording>` answers with the red flag, for every red-flag finding."""
    wordings = _everyday(resolver).get(finding, [])
    understood = [w for w in wordings if outcome(resolver, {"phrase": w, "expected": finding})[0] == "correct"]
    assert len(understood) >= 3, (finding, wordings)
    kb = load_compiled()
    flags = [r for r in kb.rules if r.kind == "RedFlag" and any(finding in t for _, t in r.criteria)]
    red_flags = {r.id for r in flags}
    # what else the simplest of its red flags needs: another criterion's finding, a duration, a trend
    rule = min(flags, key=lambda r: (len(r.criteria), bool(r.trends), r.min_days is not None, r.id))
    extra = [arg for _, triggers in rule.criteria if finding not in triggers
             for arg in ("--finding", kb.labels[ID[sorted(triggers)[0]]])]
    if rule.trends:
        extra += ["--trend", sorted(rule.trends)[-1]]
    if rule.min_days is not None:
        extra += ["--duration", f"{rule.min_days}d"]
    for wording in understood[:3]:
        result = CliRunner().invoke(cli, ["triage", "--finding", wording, *extra, "--format", "json"])
        assert result.exit_code in (0, 3), result.output
        data = json.loads(result.stdout)
        fired = {f["id"] for f in data["flags"] if f["kind"] == "red flag"}
        assert fired & red_flags, (wording, fired)
        assert data["training"] == "stop"
        assert "999" in data["disclaimer"]


@pytest.mark.parametrize("text, expected, how, read_as", [
    ("saddle numbness", "saddle-anaesthesia", "synonym", None),
    ("my leg feels weak", "leg-weakness", "label", None),              # "weakness in one leg", same words
    ("both my legs are weak", "bilateral-leg-weakness", "synonym", None),
    ("my legs are weak", "bilateral-leg-weakness", "label", None),   # plural legs: both legs, the safer reading
    ("I cant pee", "urinary-retention", "synonym", None),             # contraction without its apostrophe
    ("I cannot pee", "urinary-retention", "synonym", None),
    ("unable to pee", "urinary-retention", "synonym", None),
    ("peeing myself", "urinary-incontinence", "synonym", None),      # inflection
    ("saddle anesthesia", "saddle-anaesthesia", "synonym", None),    # American spelling
    ("siatica", "sciatica", "spelling", "sciatica"),                 # typing error, shown as read
    ("tenis elbow", "tennis-elbow", "spelling", "tennis elbow"),
    ("weakness in my leg", "leg-weakness", "label", None),
    ("fell off a ladder", "significant-trauma", "synonym", None),
    ("192970008", "cauda-equina-syndrome", "code", None),
])
def test_how_each_input_was_read(resolver, text, expected, how, read_as):
    match = resolver.resolve_match(text)
    assert (match.concept.id, match.how) == (expected, how)
    if read_as is not None:
        assert match.read_as == read_as


@pytest.mark.parametrize("text, reason", [
    ("tingling in my hand", "the article does not cover this body site (hand): it covers the low back and legs, "
                            "and the elbow"),
    ("pins and needles in my fingers", "the article does not cover this body site (fingers)"),
    ("upper back pain", "the article does not cover this body site (upper back)"),
    ("both arms weak", "unknown finding or condition"),
    ("numbness", "ambiguous: it could be any of several findings; say more (for example where, or one side or both)"),
    ("no fever", "reads as something not present: report it as absent (--absent)"),
    ("my dad had cancer", "reads as about someone else: report what you have yourself"),
    ("hay fever", "unknown finding or condition"),
    ("headache", "unknown finding or condition"),
    ("lost weight", "ambiguous: say whether the weight loss is unexplained"),
    ("I've been losing weight", "ambiguous: say whether the weight loss is unexplained"),
    ("x" * (MAX_INPUT + 1), f"too long ({MAX_INPUT + 1} characters; at most {MAX_INPUT})"),
])
def test_what_is_not_understood_says_why(resolver, text, reason):
    with pytest.raises(ResolutionError) as err:
        resolver.resolve(text)
    assert err.value.reason.startswith(reason)


def test_a_hand_complaint_never_becomes_a_leg_finding(resolver):
    for site in ("hand", "hands", "fingers", "wrist", "arm", "shoulder", "neck"):
        for complaint in ("tingling in my {}", "numb {}", "{} feels weak", "pins and needles in my {}", "weak {}"):
            text = complaint.format(site)
            try:
                concept = resolver.resolve(text)
            except ResolutionError:
                continue
            assert "leg" not in concept.id and "saddle" not in concept.id and "bilateral" not in concept.id, \
                (text, concept.id)


def test_every_wording_reads_as_one_concept(resolver):
    """No two findings or conditions share a reading: otherwise one of them could never be chosen."""
    shared = {tuple(sorted(bag)): sorted({c.id for c, _, _ in entries})
              for bag, entries in resolver._bags.items()
              if len({c.id for c, _, _ in entries if c.root in ("ClinicalFinding", "Condition")}) > 1}
    assert shared == {}


@pytest.mark.parametrize("text", ["lost weight", "weight loss", "I've been losing weight", "lost a lot of weight",
                                  "lost weight on purpose", "dieting and lost weight"])
def test_plain_weight_loss_is_asked_about_never_read_as_the_red_flag(text):
    """Cold review (issue 12): weight loss may be intended; the article's red flag is "Unexplained weight loss".
    Plain weight loss is listed as not understood with the red-flag finding as its closest match (exit 3), never
    read as the red flag and never dropped silently, and the red-flag screen still asks about it."""
    import json

    from click.testing import CliRunner

    from mskg.cli.main import cli

    result = CliRunner().invoke(cli, ["triage", "-f", text, "-f", "low back pain", "--format", "json"])
    assert result.exit_code == 3, result.output
    data = json.loads(result.stdout)
    assert [f["id"] for f in data["findings"]] == ["low-back-pain"]
    (unresolved,) = data["unresolved"]
    assert unresolved["input"] == text and unresolved["candidates"][0]["id"] == "unexplained-weight-loss"
    if not {"purpose", "dieting"} & set(text.split()):  # a wording the lexicon asks about (not an unknown one)
        # the question's finding alone: spelling neighbours ("faecal incontinence") are noise for a known wording
        assert unresolved["candidates"] == [{"id": "unexplained-weight-loss", "label": "unexplained weight loss"}]
    assert (data["urgency"]["id"], data["training"]) == ("self-care", "modify")
    assert "unexplained-weight-loss" in {n["id"] for n in data["not_asked"]}
    # the answer is a floor, not settled: the prompt-review red flag it may be is named with it
    assert data["unsettled"] == [{"input": text, "could_be": [
        {"id": "unexplained-weight-loss", "label": "unexplained weight loss", "urgency": "prompt-review"}]}]
    text_view = CliRunner().invoke(cli, ["triage", "-f", text, "-f", "low back pain"]).stdout
    assert f"URGENCY: NOT SETTLED — “{text}” could be unexplained weight loss (prompt review)." in text_view
    assert "keep moving" not in text_view and "SELF-CARE" in text_view


@pytest.mark.parametrize("text", ["lost weight without trying", "unexplained weight loss", "weight dropping off",
                                  "losing weight for no reason", "unintentional weight loss"])
def test_unexplained_weight_loss_is_still_the_red_flag(resolver, text):
    assert resolver.resolve(text).id == "unexplained-weight-loss"

