"""How well mskg understands what people type: the resolver against an independent set of everyday wordings.

tests/data/wordings.tsv was written from how patients, coaches and clinicians talk (and from the article),
without looking at mskg's synonym lists: phrase -> the finding or condition it names, or UNRESOLVED when
the article does not cover it or the wording is too vague to pick one concept safely. A resolution is
correct when it names the expected concept (or, for UNRESOLVED, when mskg asks instead of guessing);
wrong when it names another concept — the figure that must stay at zero; unresolved when mskg asks
about a wording it should have understood.

    python benchmarks/wordings.py [--show wrong|unresolved|all] [--file tests/data/wordings.tsv]

Also timed: the slowest single resolution (the bound is one second for any input).
"""
from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent.parent / "tests" / "data" / "wordings.tsv"


def load(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def score(rows: list[dict[str, str]], resolver) -> list[tuple[dict[str, str], str, str | None, float]]:
    """(row, outcome, what it resolved to or the reason, seconds): outcome is correct, wrong or unresolved."""
    from mskg.kg.resolve import ResolutionError

    out = []
    for row in rows:
        started = time.perf_counter()
        try:
            match = resolver.resolve_match(row["phrase"])
            # a wording made of whole wordings of several findings reads each: correct when the expected one is read
            read = [match.concept.id, *(m.concept.id for m in resolver.also_named(row["phrase"], match))]
            got, detail = match.concept.id, f"{' + '.join(read)} ({match.how})"
        except ResolutionError as exc:
            read, got, detail = [], None, exc.reason
        seconds = time.perf_counter() - started
        expected = row["expected"]
        if expected == "UNRESOLVED":
            outcome = "correct" if got is None else "wrong"
        else:
            outcome = "correct" if expected in read else "unresolved" if got is None else "wrong"
        out.append((row, outcome, detail, seconds))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT)
    parser.add_argument("--show", choices=["wrong", "unresolved", "all", "none"], default="wrong")
    args = parser.parse_args(argv)
    from mskg.kg.load import load_compiled

    resolver = load_compiled().resolver
    rows = load(args.file)
    results = score(rows, resolver)
    totals = Counter(outcome for _, outcome, _, _ in results)
    by_kind: dict[str, Counter] = {}
    for row, outcome, _, _ in results:
        by_kind.setdefault(row["kind"], Counter())[outcome] += 1
    n = len(results)
    print(f"wordings: {n} phrases from {args.file.name}")
    print(f"  correct    {totals['correct']:4d}  {100 * totals['correct'] / n:5.1f} %")
    print(f"  wrong      {totals['wrong']:4d}  {100 * totals['wrong'] / n:5.1f} %   (a resolution to another concept)")
    print(f"  unresolved {totals['unresolved']:4d}  {100 * totals['unresolved'] / n:5.1f} %   (asked about a wording it "
          "should know)")
    print("\n  by kind:      correct  wrong  unresolved")
    for kind, counts in sorted(by_kind.items()):
        print(f"  {kind:<15} {counts['correct']:6d} {counts['wrong']:6d} {counts['unresolved']:6d}")
    slowest = max(results, key=lambda r: r[3])
    print(f"\n  slowest resolution: {slowest[3] * 1000:.1f} ms ({slowest[0]['phrase']!r})")
    for row, outcome, detail, _ in results:
        if args.show == "all" or outcome == args.show:
            print(f"  {outcome:<10} {row['phrase']!r} expected {row['expected']}, got {detail}")
    return 0 if totals["wrong"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
