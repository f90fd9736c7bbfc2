"""Hypothesis strategies shared by the property tests: small presentations drawn from the graph's concepts."""
from __future__ import annotations

from hypothesis import strategies as st

from mskg.queries.triage.records import Presentation, Reported, parse_duration
from mskg.queries.triage.timing import TRENDS

#: Durations either side of every threshold the rules use (7, 14, 28 and 42 days), and none.
DURATIONS = [None, "6h", "2d", "6d", "7d", "13d", "14d", "27d", "28d", "41d", "42d", "100d"]


@st.composite
def presentations(draw, concepts, max_findings: int = 6):
    """One small presentation: 1..max_findings findings, 0-3 absent (never one reported present), a duration
    and a trend (every trend, rapidly worsening included, or none)."""
    present = draw(st.lists(st.sampled_from(concepts), min_size=1, max_size=max_findings, unique_by=lambda c: c.id))
    ids = {c.id for c in present}
    absent = draw(st.lists(st.sampled_from(concepts).filter(lambda c: c.id not in ids), max_size=3,
                           unique_by=lambda c: c.id))
    duration, trend = draw(st.sampled_from(DURATIONS)), draw(st.sampled_from([None, *TRENDS]))
    return Presentation(tuple(Reported(c.id, c) for c in present), tuple(Reported(c.id, c) for c in absent),
                        parse_duration(duration) if duration else None, trend)
