"""Durations and trends as people say them: "2 months", "6wks", "a fortnight", "since yesterday", "getting worse".

A duration becomes a number of days; a trend one of the graph's trend individuals. Units are read as:
an hour is 1/24 day, a week 7 days, a fortnight 14, a month 30 and a year 365 (a month of 30 days is the
longer reading of 28–31: a longer duration can only bring a duration threshold nearer, never hide one).
Anything else is refused with the forms that are accepted — never guessed.
"""
from __future__ import annotations

import re
from decimal import Decimal

from ...ontology.namespaces import MSKG


class PresentationError(ValueError):
    """The presentation cannot be triaged as given (bad duration or trend, nothing reported, a contradiction)."""


#: The trends a presentation may have, by the id ``--trend`` accepts, and the graph individual of each.
TREND_IRIS = {
    "improving": MSKG.Improving,
    "unchanged": MSKG.Unchanged,
    "worsening": MSKG.Worsening,
    "rapidly-worsening": MSKG.RapidlyWorsening,
}
TRENDS = tuple(TREND_IRIS)
TREND_IDS = {iri: trend for trend, iri in TREND_IRIS.items()}

#: Everyday ways of saying each trend (after lower-casing and dropping punctuation).
_TREND_WORDS = {
    "improving": ("improving", "improved", "better", "getting better", "a bit better", "easing", "easing off",
                  "settling", "settling down", "recovering", "on the mend", "going away"),
    "unchanged": ("unchanged", "same", "the same", "about the same", "no change", "no different", "not changing",
                  "stable", "static", "no better", "not improving", "not getting better", "not better",
                  "no improvement", "little improvement", "not improving at all", "staying the same"),
    "worsening": ("worsening", "worse", "getting worse", "gradually worse", "gradually getting worse",
                  "slowly getting worse", "worse week to week", "worsening week to week", "deteriorating",
                  "progressing"),
    "rapidly-worsening": ("rapidly worsening", "rapidly getting worse", "getting worse rapidly",
                          "getting worse quickly", "quickly getting worse", "getting worse fast",
                          "worsening quickly", "worsening fast", "rapidly deteriorating", "quickly worsening",
                          "fast worsening", "worse by the hour", "getting worse by the hour", "rapid"),
}
_TREND_BY_WORDS = {words: trend for trend, all_words in _TREND_WORDS.items() for words in all_words}
_TREND_FILLERS = {"my", "it", "its", "is", "are", "symptoms", "symptom", "pain", "the", "they", "them", "now",
                  "really", "very", "been", "has", "have", "things"}

_DAYS_PER_UNIT = {
    "h": Decimal(1) / Decimal(24), "hr": Decimal(1) / Decimal(24), "hrs": Decimal(1) / Decimal(24),
    "hour": Decimal(1) / Decimal(24), "hours": Decimal(1) / Decimal(24),
    "d": Decimal(1), "day": Decimal(1), "days": Decimal(1), "dy": Decimal(1), "dys": Decimal(1),
    "w": Decimal(7), "wk": Decimal(7), "wks": Decimal(7), "week": Decimal(7), "weeks": Decimal(7),
    "fortnight": Decimal(14), "fortnights": Decimal(14),
    "mo": Decimal(30), "mos": Decimal(30), "mth": Decimal(30), "mths": Decimal(30), "month": Decimal(30),
    "months": Decimal(30),
    "y": Decimal(365), "yr": Decimal(365), "yrs": Decimal(365), "year": Decimal(365), "years": Decimal(365),
}
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "couple of": 2, "a couple": 2,
    "half a": Decimal("0.5"), "half an": Decimal("0.5"),
}
_WHOLE_PHRASES = {"since yesterday": Decimal(1), "since last night": Decimal(1), "a day": Decimal(1),
                  "overnight": Decimal(1)}
#: Words around a duration that do not change it ("for about 3 weeks", "3 weeks ago", "over 6 weeks").
_DURATION_FILLERS = ("for", "about", "around", "roughly", "approximately", "approx", "ago", "over", "more than",
                     "at least", "nearly", "the last", "the past", "past", "last", "since", "~")
#: The longest duration accepted: beyond it a typing error is far likelier than a real history.
MAX_DAYS = Decimal(365 * 100)
ACCEPTED_DURATIONS = ("48h, 3d, 10 days, 6w, 6wks, 2 weeks, a fortnight, 2 months, 1.5 years, "
                      "1 week and 3 days, since yesterday")
ACCEPTED_TRENDS = "improving, unchanged, worsening or rapidly-worsening (also: better, no change, getting worse, " \
                  "getting worse quickly)"

# The order of the alternatives does not matter: a unit must end at a word boundary and be followed by
# nothing but a separator, so the regex backtracks from "a" to "a couple of", or from "h" to "hrs".
_NUMBER = r"(\d+(?:\.\d+)?|" + "|".join(re.escape(w) for w in _NUMBER_WORDS) + ")"
_UNIT = "(" + "|".join(_DAYS_PER_UNIT) + ")"
_PART = re.compile(rf"^{_NUMBER}\s*{_UNIT}\b\s*(?:,|and|&)?\s*")


def _clean(text: str) -> str:
    return " ".join(re.sub(r"[^\w.~&]+", " ", text.casefold()).split())


def parse_duration(text: str) -> Decimal:
    """Read a duration as people write it into days: ``48h``, ``3 days``, ``6wks``, ``a fortnight``, ``2 months``."""
    if len(text) > 80:
        raise PresentationError(f"invalid duration (too long, {len(text)} characters): give e.g. "
                                f"{ACCEPTED_DURATIONS}")
    if re.search(r"-\s*\d", text):
        raise PresentationError(f"invalid duration {text!r}: a duration cannot be negative; give e.g. {ACCEPTED_DURATIONS}")
    cleaned = _clean(text).rstrip(".")
    if cleaned in _WHOLE_PHRASES:
        return _WHOLE_PHRASES[cleaned]
    for filler in _DURATION_FILLERS:
        cleaned = re.sub(rf"(^| ){re.escape(filler)}( |$)", " ", f" {cleaned} ").strip()
    if cleaned in _WHOLE_PHRASES:
        return _WHOLE_PHRASES[cleaned]
    if cleaned in ("fortnight", "a fortnight"):
        return Decimal(14)
    total = Decimal(0)
    rest = cleaned
    read_one = False
    while rest:
        match = _PART.match(rest)
        if not match:
            break
        number, unit = match.group(1), match.group(2)
        # the regex admits only digits (with one decimal point) or a number word: Decimal always reads it
        value = Decimal(_NUMBER_WORDS[number]) if number in _NUMBER_WORDS else Decimal(number)
        total += value * _DAYS_PER_UNIT[unit]
        rest = rest[match.end():]
        read_one = True
    if rest or not read_one:
        raise PresentationError(f"invalid duration {text!r}: give a number and a unit, e.g. {ACCEPTED_DURATIONS}")
    if total > MAX_DAYS:
        raise PresentationError(f"invalid duration {text!r}: more than 100 years is not plausible; give e.g. "
                                f"{ACCEPTED_DURATIONS}")
    return total.normalize() if total else Decimal(0)


def parse_trend(text: str) -> str:
    """Read how symptoms are changing: one of :data:`TRENDS`, from words such as 'getting worse'."""
    if len(text) > 80:
        raise PresentationError(f"invalid trend (too long, {len(text)} characters): use {ACCEPTED_TRENDS}")
    cleaned = _clean(text).replace("-", " ")
    if cleaned.replace(" ", "-") in TREND_IRIS:
        return cleaned.replace(" ", "-")
    words = " ".join(w for w in cleaned.split() if w not in _TREND_FILLERS)
    trend = _TREND_BY_WORDS.get(words) or _TREND_BY_WORDS.get(cleaned)
    if trend is None:
        raise PresentationError(f"invalid trend {text!r}: use {ACCEPTED_TRENDS}")
    return trend
