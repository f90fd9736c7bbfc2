"""Re-plant the bugs issue 14 names, one at a time, and check that a test fails for each.

    python benchmarks/replant.py            # every named bug (a few minutes)
    python benchmarks/replant.py --only csv-n3 batch-present-and-absent

A reviewer planted these by hand and the suite of the time let them through. cosmic-ray (see
``mutation.py``) plants mechanical changes; these are the *plausible* ones a person writes — the least
urgent rule winning, an answer that asks again about a finding reported absent, a guard that no longer
sees SERVICE, a writer that prints N3 in CSV — so each is kept here as a named patch and re-planted
whenever the modules change. Each runs in its own scratch copy of the checkout (``mutation.py``'s
machinery: the checkout is never written) with the test files that should catch it; a bug "survives"
when those tests all pass. Exit status 1 when any survives. Never run by CI (minutes).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("mskg_mutation", HERE / "mutation.py")
mutation = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = mutation  # its dataclasses look their module up there
_spec.loader.exec_module(mutation)


@dataclass(frozen=True)
class Bug:
    name: str
    why: str  # what the bug does, in the words of the issue
    file: str
    old: str  # replaced once, at its first occurrence after ``anchor``
    new: str
    tests: tuple[str, ...]  # test files, or one mutation config's name (its test command's files)
    anchor: str = ""


BUGS = (
    Bug("least-urgent-recommendation", "a 'now' recommendation takes the least urgent of the rules calling it",
        "queries/triage/policy.py", "current.urgency = max(", "current.urgency = min(",
        ("triage.policy",)),
    Bug("not-asked-ignores-narrower-absent", "the screen asks again about a finding whose broader concept was "
        "reported absent", "queries/triage/compiled.py",
        "self.kb.ancestors.get(f, frozenset((f,))) & absent", "{f} & absent",
        ("triage.compiled",)),
    Bug("provenance-wrong-end", "a quote is checked from its start only, so a wrong end offset alone passes",
        "kg/provenance.py", "if article.text[start:end] != quote:",
        "if article.text[start:start + len(quote)] != quote:", ("kg.provenance",)),
    Bug("guard-misses-service", "the guard no longer sees SERVICE in the parsed query (the old text check "
        "missed lower-case spellings)",
        "queries/guard.py", 'node.name == "ServiceGraphPattern"', 'node.name == "SERVICE"',
        ("tests/test_query_guard.py",)),
    Bug("csv-n3", "CSV cells written as N3 (quotes, datatypes and <> around IRIs)",
        "queries/results.py", "        return f\"_:{term}\"\n    return str(term)",
        "        return f\"_:{term}\"\n    return term.n3()", ("queries.results",)),
    Bug("json-datatype-dropped", "JSON results lose literal datatypes",
        "queries/results.py", '        out["datatype"] = str(term.datatype)', "        pass",
        ("queries.results",)),
    Bug("reversed-order-by", "red flags come least urgent first",
        "queries/red_flags_by_urgency.rq", "ORDER BY DESC(?rank)", "ORDER BY ASC(?rank)",
        ("tests/test_boundaries.py",)),
    Bug("escalation-filter-dropped", "escalation_thresholds.rq lists every rule, not only those with a threshold",
        "queries/escalation_thresholds.rq", "  FILTER EXISTS { ?rule mskg:minDurationDays|mskg:requiresTrend ?condition }\n",
        "", ("tests/test_boundaries.py", "tests/test_query_library.py")),
    Bug("batch-present-and-absent", "batch accepts a finding reported both present and absent",
        "queries/triage/batch.py", "        if clash:", "        if False:",
        ("triage.batch",)),
    Bug("red-flag-synonym-typo", "a typo in a red-flag finding's lay synonym",
        "kg/facts.yaml", "alt: [saddle numbness,", "alt: [sadle numbness,",
        ("tests/test_article_expectations.py",)),
    Bug("escalation-trigger-removed", "an escalation rule loses one of its triggers",
        "kg/facts.yaml", "  - [sciatica, leg-pain-below-knee, leg-dominant-pain]",
        "  - [sciatica, leg-pain-below-knee]", ("tests/test_article_expectations.py",),
        anchor="- id: esc-sciatica-worsening"),
)


def pytest_args(bug: Bug) -> list[str]:
    """pytest's arguments: the files given, or those of the named module's mutation test command."""
    if len(bug.tests) == 1 and "/" not in bug.tests[0]:
        command = shlex.split(mutation.load_modules()[bug.tests[0]].test_command)
        return command[command.index("pytest") + 1:]
    return ["-x", "-q", "-p", "no:cacheprovider", "--hypothesis-seed=0", *bug.tests]


def plant(tree: Path, bug: Bug) -> None:
    """Apply ``bug`` to the copy; refuse when its text is gone (the code moved: update the patch)."""
    path = tree / bug.file
    source = path.read_text(encoding="utf-8")
    at = source.find(bug.anchor) if bug.anchor else 0
    where = source.find(bug.old, at) if at >= 0 else -1
    if where < 0:
        raise SystemExit(f"{bug.name}: {bug.old!r} is no longer in {bug.file}; update the patch")
    path.write_text(source[:where] + bug.new + source[where + len(bug.old):], encoding="utf-8")


def run(bug: Bug, files: list[str], dirs: dict[str, str], keep: bool) -> tuple[bool, float]:
    """Plant ``bug`` in a fresh copy and run its tests: (caught, seconds)."""
    folder = Path(tempfile.mkdtemp(prefix=f"mskg-replant-{bug.name}-"))
    try:
        shadow = mutation.make_copy(folder, files, dirs)
        plant(folder / "tree", bug)
        env = {**mutation.environment(shadow), "MSKG_CACHE_DIR": str(folder / "cache"),
               "HYPOTHESIS_STORAGE_DIRECTORY": str(folder / "hypothesis")}
        env.pop("MSKG_NO_CACHE", None)
        began = time.monotonic()
        code = subprocess.call([sys.executable, "-m", "pytest", *pytest_args(bug)], cwd=folder / "tree", env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return code not in (0, 5), time.monotonic() - began
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="these bugs only: " + ", ".join(b.name for b in BUGS))
    parser.add_argument("--keep", action="store_true", help="keep the scratch copies")
    args = parser.parse_args()
    chosen = [b for b in BUGS if not args.only or b.name in args.only]
    unknown = set(args.only or ()) - {b.name for b in BUGS}
    if unknown:
        raise SystemExit(f"unknown bug(s): {', '.join(sorted(unknown))}")
    files, dirs = mutation.source_files(), mutation.package_dirs()
    survived = []
    for bug in chosen:
        caught, seconds = run(bug, files, dirs, args.keep)
        print(f"{'caught  ' if caught else 'SURVIVED'} {bug.name:36} {seconds:6.1f} s  {bug.why}", flush=True)
        if not caught:
            survived.append(bug.name)
    print(f"{len(chosen) - len(survived)} of {len(chosen)} caught" + (f"; survived: {', '.join(survived)}" if survived else ""))
    return 1 if survived else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
