"""Mutation testing of the safety-critical modules with cosmic-ray: how many small changes to the
code (a flipped comparison, ``and`` for ``or``, a constant nudged) the tests notice.

    pip install -e '.[test,mutation]'
    python benchmarks/mutation.py                              # every module, 2 at a time
    python benchmarks/mutation.py --module kg.provenance --list-survivors

Each module has a cosmic-ray config in ``benchmarks/mutation/NAME.toml``: the file to mutate and a
FAST test command (only the test files that exercise it, ``-x``). The source tree is never
written: every run (one module, or one shard of a module) works in its own scratch copy of the
checkout, imported through a private ``PYTHONPATH`` folder that maps the ``mskg.*`` packages onto
that copy the way pyproject's ``package-dir`` does. So an interrupted run (Ctrl-C, a kill) leaves
the checkout as it was, and copies can run side by side (``--jobs``).

Each test run gets an empty mskg cache folder of its own: a mutant changes the cache key anyway
(the key hashes the package's source), so a shared folder would only fill up with one graph per
mutant, while ``MSKG_NO_CACHE`` would rebuild the graph in every subprocess a test starts.

The per-mutant timeout is ``--timeout-factor`` (3) times the unmutated test command's time,
measured in the same copy just before; a mutant that runs over it (an endless loop) counts as
detected. Score = (killed + timeouts) / (killed + timeouts + survived).

By default a lean operator set runs (see ``exclude-operators`` in the configs): cosmic-ray would
otherwise turn every ``+`` into ten other operators and every ``==`` into seven other comparisons,
most of them crashing on the first call. Mutants inside type annotations are skipped too (under
``from __future__ import annotations`` they change nothing). ``--all-operators`` runs them all.

Slow: minutes to an hour per module on two cores (see benchmarks/README.md). Never run by CI.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = Path(__file__).resolve().parent / "mutation"
SCRIPT = Path(__file__).resolve()


# -- the test-command wrapper (run by cosmic-ray for every mutant; keep it light) -------------------
def run_pytest(cache: str, args: list[str]) -> int:
    """Run pytest with an empty mskg cache folder of its own; its exit code."""
    shutil.rmtree(cache, ignore_errors=True)
    # Hypothesis's example database too: a failure it saved for one mutant must not be replayed
    # against the next (results would depend on the order the mutants ran in).
    env = {**os.environ, "MSKG_CACHE_DIR": cache, "HYPOTHESIS_STORAGE_DIRECTORY": os.path.join(cache, "hypothesis")}
    env.pop("MSKG_NO_CACHE", None)
    try:
        return subprocess.call([sys.executable, "-m", "pytest", *args], env=env)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


# -- configs -----------------------------------------------------------------------------------------
@dataclass
class Module:
    name: str
    config_file: Path
    config: dict

    @property
    def path(self) -> str:
        return self.config["module-path"]

    @property
    def test_command(self) -> str:
        return self.config["test-command"]


def load_modules() -> dict[str, Module]:
    modules = {}
    for file in sorted(CONFIGS.glob("*.toml")):
        with file.open("rb") as handle:
            config = tomllib.load(handle)["cosmic-ray"]
        modules[file.stem] = Module(file.stem, file, config)
    return modules


def pick(modules: dict[str, Module], wanted: list[str] | None) -> list[Module]:
    if not wanted:
        return list(modules.values())
    chosen = []
    for name in wanted:
        hits = [m for m in modules.values() if name in (m.name, m.path, m.path.removesuffix(".py"))]
        if not hits:
            raise SystemExit(f"unknown module {name!r}; known: {', '.join(modules)}")
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


def package_dirs() -> dict[str, str]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["tool"]["setuptools"]["package-dir"]


def module_name(path: str, dirs: dict[str, str]) -> str:
    """The import name of a file of the checkout, through pyproject's package-dir."""
    folder, stem = path.rsplit("/", 1)
    for package, directory in dirs.items():
        if directory.rstrip("/") == folder:
            return f"{package}.{stem.removesuffix('.py')}"
    raise SystemExit(f"{path} is in no package of pyproject's package-dir")


# -- scratch copies ----------------------------------------------------------------------------------
def source_files() -> list[str]:
    """The checkout's files as they are on disk: tracked and untracked, not ignored."""
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], check=True, capture_output=True).stdout
        return [f for f in out.decode().split("\0") if f and (ROOT / f).is_file()]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", "__pycache__", ".pytest_cache", ".hypothesis", "build", "dist", "test-artifacts"}
        return [str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
                if p.is_file() and not skip & set(p.relative_to(ROOT).parts)]


def make_copy(dest: Path, files: list[str], dirs: dict[str, str]) -> Path:
    """Copy the checkout to ``dest/tree``; return a folder that, first on PYTHONPATH, imports
    ``mskg.*`` from that copy (it wins over an installed or editable mskg: setuptools' editable
    finder comes after the path finder)."""
    tree = dest / "tree"
    for name in files:
        target = tree / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    shadow = dest / "import"
    linked: dict[str, str] = {}
    for package, directory in sorted(dirs.items(), key=lambda item: item[0].count(".")):
        parent = next((p for p in linked if package.startswith(p + ".")), None)
        if parent is not None:
            nested = linked[parent] + "/" + "/".join(package[len(parent) + 1:].split("."))
            if nested == directory.rstrip("/"):
                continue  # already reachable through the parent's link
            raise SystemExit(f"package-dir layout not supported: {package} -> {directory}")
        link = shadow.joinpath(*package.split("."))
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(tree / directory, target_is_directory=True)
        linked[package] = directory.rstrip("/")
    return shadow


def interrupt(*_) -> None:
    raise KeyboardInterrupt


# Set once the run is being stopped; processes are started and stopped under the lock.
STOPPING = threading.Event()
LOCK = threading.Lock()


def launch(unit: "Unit", args: list[str], **kwargs) -> subprocess.Popen | None:
    """Start a process for ``unit`` unless the run is stopping (then None)."""
    with LOCK:
        if STOPPING.is_set():
            return None
        unit.process = subprocess.Popen(args, start_new_session=True, **kwargs)
        return unit.process


# -- one unit of work: a module, or a shard of one, in its own copy ----------------------------------
@dataclass
class Unit:
    module: Module
    shard: int
    shards: int
    folder: Path
    jobs: list = field(default_factory=list)     # the WorkItems of this shard
    process: subprocess.Popen | None = None
    baseline: float | None = None
    timeout: float | None = None
    started: float | None = None
    finished: float | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        return self.module.name if self.shards == 1 else f"{self.module.name} [{self.shard + 1}/{self.shards}]"

    @property
    def session(self) -> Path:
        return self.folder / "session.sqlite"

    @property
    def log(self) -> Path:
        return self.folder / "log.txt"


def cosmic_ray(*args: str) -> list[str]:
    return [sys.executable, "-m", "cosmic_ray.cli", *args]


def wrapped_command(command: str, tree: Path, cache: Path) -> str:
    """The config's test command, run by this interpreter, through ``run_pytest`` of the copy's own
    script (so editing this file during a run changes nothing for it)."""
    tokens = shlex.split(command)
    script = tree / SCRIPT.relative_to(ROOT)
    if tokens[:3] == ["python", "-m", "pytest"]:
        tokens = [sys.executable, str(script if script.exists() else SCRIPT), "--run-pytest", str(cache), "--",
                  *tokens[3:]]
    elif tokens and tokens[0] == "python":
        tokens[0] = sys.executable
    return shlex.join(tokens)


def write_config(module: Module, path: Path, command: str, timeout: float, all_operators: bool) -> None:
    """A copy of the module's config with the wrapped command and the measured timeout (TOML)."""
    def value(v) -> str:
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        raise TypeError(v)

    lines = ["[cosmic-ray]"]
    scalars = {k: v for k, v in module.config.items() if not isinstance(v, dict)}
    scalars.update({"test-command": command, "timeout": round(timeout, 1)})
    lines += [f"{json.dumps(k)} = {value(v)}" for k, v in scalars.items()]

    def tables(prefix: str, table: dict) -> None:
        for key, sub in table.items():
            if isinstance(sub, dict):
                name = f"{prefix}.{json.dumps(key)}"
                if all_operators and name.endswith('"operators-filter"'):
                    continue
                lines.append(f"[{name}]")
                lines.extend(f"{json.dumps(k)} = {value(v)}" for k, v in sub.items() if not isinstance(v, dict))
                tables(name, sub)

    tables("cosmic-ray", module.config)
    path.write_text("\n".join(lines) + "\n")


def environment(shadow: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(shadow), env.get("PYTHONPATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a mutant written in the same second must not reuse a .pyc
    env.pop("MSKG_NO_CACHE", None)
    return env


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The (line, column) spans of the type annotations in ``source``, columns in characters as
    cosmic-ray counts them. A mutant inside one (``str | None`` -> ``str & None``) changes nothing
    under ``from __future__ import annotations`` and only breaks the import without it."""
    import ast

    lines = source.splitlines()

    def char_col(line: int, byte_col: int) -> int:
        return len(lines[line - 1].encode()[:byte_col].decode(errors="ignore"))

    spans = []
    for node in ast.walk(ast.parse(source)):
        found = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            found.append(node.returns)
        elif isinstance(node, ast.arg) and node.annotation is not None:
            found.append(node.annotation)
        elif isinstance(node, ast.AnnAssign):
            found.append(node.annotation)
        for a in found:
            spans.append(((a.lineno, char_col(a.lineno, a.col_offset)),
                          (a.end_lineno, char_col(a.end_lineno, a.end_col_offset))))
    return spans


def skip_annotations(session: Path, source: str) -> None:
    """Mark the mutants inside type annotations as skipped."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    spans = annotation_spans(source)
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in db.pending_work_items:
            m = item.mutations[0]
            if any(start <= tuple(m.start_pos) and tuple(m.end_pos) <= end for start, end in spans):
                db.set_result(item.job_id, WorkResult(output="Type annotation", worker_outcome=WorkerOutcome.SKIPPED))


def prepare(module: Module, folder: Path, files: list[str], dirs: dict[str, str], all_operators: bool,
            log) -> tuple[list, int]:
    """Init the module's session in a throwaway copy; its runnable work items and the filtered count."""
    from cosmic_ray.work_db import WorkDB, use_db

    folder.mkdir(parents=True)
    shadow = make_copy(folder, files, dirs)
    config = folder / "cosmic-ray.toml"
    write_config(module, config, "true", 60.0, all_operators)
    env = environment(shadow)
    session = folder / "session.sqlite"
    for args in (cosmic_ray("init", str(config), str(session)),
                 [sys.executable, "-m", "cosmic_ray.tools.filters.operators_filter", str(session), str(config)]):
        subprocess.run(args, cwd=folder / "tree", env=env, check=True, stdout=log, stderr=log)
    if not all_operators:
        skip_annotations(session, (folder / "tree" / module.path).read_text(encoding="utf-8"))
    with use_db(str(session), WorkDB.Mode.open) as db:
        done = {item.job_id for item, _ in db.completed_work_items}
        items = sorted((i for i in db.work_items if i.job_id not in done),
                       key=lambda i: (i.mutations[0].start_pos, i.mutations[0].operator_name))
    shutil.rmtree(folder)
    return items, len(done)


def start(unit: Unit, files: list[str], dirs: dict[str, str], factor: float, min_timeout: float,
          all_operators: bool) -> None:
    """Copy the tree, check the copy is what gets imported, time the baseline, start cosmic-ray."""
    unit.started = time.monotonic()
    try:
        unit.folder.mkdir(parents=True)
        with unit.log.open("ab", buffering=0) as log:
            _start(unit, files, dirs, factor, min_timeout, all_operators, log)
    except Exception as exc:  # reported with the results, not lost in a thread
        unit.error = f"{type(exc).__name__}: {exc}"


def _start(unit: Unit, files: list[str], dirs: dict[str, str], factor: float, min_timeout: float,
           all_operators: bool, log) -> None:
    from cosmic_ray.work_db import WorkDB, use_db

    shadow = make_copy(unit.folder, files, dirs)
    tree = unit.folder / "tree"
    env = environment(shadow)

    name = module_name(unit.module.path, dirs)
    probe = subprocess.run([sys.executable, "-c", f"import {name} as m; print(m.__file__)"], cwd=tree,
                           env=env, capture_output=True, text=True)
    imported = Path(probe.stdout.strip()).resolve() if probe.returncode == 0 else None
    if imported != (tree / unit.module.path).resolve():
        unit.error = f"the copy is not what gets imported ({name} -> {imported}; {probe.stderr.strip()[-300:]})"
        return

    command = wrapped_command(unit.module.test_command, tree, unit.folder / "cache")
    began = time.monotonic()
    baseline = launch(unit, shlex.split(command), cwd=tree, env=env, stdout=log, stderr=log)
    if baseline is None or baseline.wait() != 0:
        if not STOPPING.is_set():
            unit.error = f"the unmutated tests fail (exit {baseline.returncode}); see {unit.log}"
        return
    unit.baseline = time.monotonic() - began
    unit.timeout = max(factor * unit.baseline, min_timeout)

    config = unit.folder / "cosmic-ray.toml"
    write_config(unit.module, config, command, unit.timeout, all_operators)
    with use_db(str(unit.session), WorkDB.Mode.create) as db:
        db.add_work_items(unit.jobs)
    launch(unit, cosmic_ray("exec", str(config), str(unit.session)), cwd=tree, env=env, stdout=log, stderr=log)


def results(unit: Unit) -> list:
    """``(work item, result)`` pairs done so far."""
    from cosmic_ray.work_db import WorkDB, use_db

    if not unit.session.exists():
        return []
    with use_db(str(unit.session), WorkDB.Mode.open) as db:
        return list(db.completed_work_items)


# -- stopping cleanly --------------------------------------------------------------------------------
def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop(unit: Unit) -> None:
    """End cosmic-ray (SIGINT: it puts the mutated file of the copy back) and whatever it started
    (the test runs live in sessions of their own, so they never saw the terminal's Ctrl-C)."""
    with LOCK:
        STOPPING.set()
        process = unit.process
    if process is None or process.poll() is not None:
        return
    below = descendants(process.pid)
    process.send_signal(signal.SIGINT)
    try:  # let it go first, so that the test run killed below is not recorded as a killed mutant
        process.wait(5)
    except subprocess.TimeoutExpired:
        pass
    for pid in below:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        for pid in descendants(process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        process.kill()
        process.wait()


# -- report ------------------------------------------------------------------------------------------
@dataclass
class Summary:
    module: Module
    filtered: int
    total: int = 0
    #: Mutants the module has in all, when only a random sample of ``total`` of them was run (``--sample``).
    population: int | None = None
    pairs: list = field(default_factory=list)
    baseline: float | None = None
    timeout: float | None = None
    seconds: float = 0.0
    errors_text: list[str] = field(default_factory=list)

    def count(self):
        killed = survived = timeouts = errors = 0
        for _, result in self.pairs:
            outcome = str(getattr(result.test_outcome, "value", result.test_outcome))
            if result.worker_outcome.value != "normal" or outcome == "incompetent":
                errors += 1
            elif outcome == "survived":
                survived += 1
            elif result.output == "timeout":
                timeouts += 1
            else:
                killed += 1
        return killed, survived, timeouts, errors

    def survivors(self):
        return self._where(lambda outcome, result: outcome == "survived")

    def timeouts(self):
        return self._where(lambda outcome, result: outcome == "killed" and result.output == "timeout")

    def errors(self):
        return sorted(((item, result) for item, result in self.pairs
                       if result.worker_outcome.value != "normal"
                       or str(getattr(result.test_outcome, "value", result.test_outcome)) == "incompetent"),
                      key=lambda p: (p[0].mutations[0].start_pos, p[0].mutations[0].operator_name))

    def _where(self, keep):
        return sorted(((item, result) for item, result in self.pairs
                       if result.worker_outcome.value == "normal"
                       and keep(str(getattr(result.test_outcome, "value", result.test_outcome)), result)),
                      key=lambda p: (p[0].mutations[0].start_pos, p[0].mutations[0].operator_name))


def wilson(detected: int, judged: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion: what a sampled score says of the whole module."""
    if not judged:
        return 0.0, 1.0
    p = detected / judged
    centre = (p + z * z / (2 * judged)) / (1 + z * z / judged)
    half = z * math.sqrt(p * (1 - p) / judged + z * z / (4 * judged * judged)) / (1 + z * z / judged)
    return max(0.0, centre - half), min(1.0, centre + half)


def table(summaries: list[Summary]) -> str:
    head = ["module", "file", "mutants", "killed", "survived", "timeouts", "errors", "score %", "run",
            "base s", "time"]
    rows = [head]
    for s in summaries:
        killed, survived, timeouts, errors = s.count()
        judged = killed + survived + timeouts
        score = f"{100 * (killed + timeouts) / judged:.1f}" if judged else "-"
        if s.population is not None and judged:
            low, high = wilson(killed + timeouts, judged)
            score += f" (95 % CI {100 * low:.0f}-{100 * high:.0f} of all {s.population})"
        run = f"{len(s.pairs)}/{s.total}"
        minutes, seconds = divmod(int(s.seconds), 60)
        rows.append([s.module.name, s.module.path, str(s.total), str(killed), str(survived), str(timeouts),
                     str(errors), score, run, f"{s.baseline:.1f}" if s.baseline else "-",
                     f"{minutes}m{seconds:02d}s"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def mutant_lines(pairs) -> list[str]:
    out = []
    for item, result in pairs:
        m = item.mutations[0]
        out.append(f"{m.module_path}:{m.start_pos[0]}  {m.operator_name}  (in {m.definition_name or '-'})")
        for line in (result.diff or "").splitlines():
            if line.startswith(("-", "+")) and not line.startswith(("---", "+++")):
                out.append(f"    {line}")
    return out


def as_json(summary: Summary) -> dict:
    killed, survived, timeouts, errors = summary.count()
    return {
        "module": summary.module.name, "file": summary.module.path, "mutants": summary.total,
        "sampled_from": summary.population,
        "run": len(summary.pairs), "filtered": summary.filtered, "killed": killed, "survived": survived,
        "timeouts": timeouts, "errors": errors, "baseline_s": summary.baseline, "timeout_s": summary.timeout,
        "seconds": round(summary.seconds, 1),
        "survivors": [mutant_json(i, r) for i, r in summary.survivors()],
        "timed_out": [mutant_json(i, r) for i, r in summary.timeouts()],
        "error_mutants": [{**mutant_json(i, r), "outcome": r.worker_outcome.value, "output": (r.output or "")[-2000:]}
                   for i, r in summary.errors()],
    }


def mutant_json(item, result) -> dict:
    m = item.mutations[0]
    return {"file": str(m.module_path), "line": m.start_pos[0], "operator": m.operator_name,
            "function": m.definition_name, "diff": result.diff}


# -- main --------------------------------------------------------------------------------------------
def replay(path: Path, work: Path, modules: dict[str, Module], timeout: float) -> int:
    """Re-plant each survivor a previous ``--json`` run recorded, one at a time in a scratch copy, and run its
    module's test command (as it is now) against it: which survivors today's tests catch. Cheap next to a full
    re-run (one test run per survivor, not per mutant), but only a re-check: a mutant killed before is not run
    again, and the figure it gives is the earlier count plus these."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"--replay: cannot read {path}: {exc}")
    files, dirs = source_files(), package_dirs()
    shadow = make_copy(work, files, dirs)
    tree, env = work / "tree", environment(shadow)
    for entry in data:
        module = modules.get(entry.get("module", ""))
        if module is None:
            raise SystemExit(f"--replay: {path} names no module of this checkout: {entry.get('module')!r}")
        command = shlex.split(wrapped_command(module.test_command, tree, work / "cache"))
        caught = 0
        left = [*entry.get("survivors", []), *entry.get("timed_out", [])]
        print(f"{module.name}: re-planting {len(left)} survivor(s) of {path}", flush=True)
        for item in left:
            diff = item["diff"].split("--- mutation diff ---\n", 1)[-1].rstrip("\n") + "\n"  # stored unterminated
            # with less context when the full one fails (cosmic-ray's diff of a file's last lines counts one line
            # past its end)
            for context in ([], ["-C1"]):
                planted = subprocess.run(["git", "apply", *context, "-"], cwd=tree, input=diff.encode(),
                                         capture_output=True)
                if planted.returncode == 0:
                    break
            if planted.returncode:
                print(f"  stale     {item['file']}:{item['line']}  {item['operator']}  (the code has changed there)")
                continue
            try:
                verdict = "caught" if subprocess.run(command, cwd=tree, env=env, stdout=subprocess.DEVNULL,
                                                     stderr=subprocess.DEVNULL, timeout=timeout).returncode else "survives"
            except subprocess.TimeoutExpired:
                verdict = "timeout"
            finally:
                subprocess.run(["git", "apply", "-R", *context, "-"], cwd=tree, input=diff.encode(), check=True,
                               capture_output=True)
            caught += verdict != "survives"
            print(f"  {verdict:9} {item['file']}:{item['line']}  {item['operator']}  (in {item.get('function')})",
                  flush=True)
        killed = entry.get("killed", 0) + entry.get("timeouts", 0)
        print(f"{module.name}: {caught} of {len(left)} now caught; {killed} + {caught} of {entry.get('run')} "
              f"mutants of the earlier run", flush=True)
    return 0


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--run-pytest":
        rest = sys.argv[3:]
        return run_pytest(sys.argv[2], rest[1:] if rest[:1] == ["--"] else rest)

    modules = load_modules()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="modules: " + ", ".join(f"{m.name} ({m.path})" for m in modules.values()))
    parser.add_argument("--module", nargs="+", action="extend", metavar="NAME",
                        help="a config name or a file path (default: all)")
    parser.add_argument("--jobs", type=int, default=2,
                        help="copies run side by side: modules in parallel, or shards of one module (default 2)")
    parser.add_argument("--list-survivors", action="store_true",
                        help="print every surviving (and timed-out) mutant and its diff")
    parser.add_argument("--all-operators", action="store_true", help="no operator filter (many more mutants)")
    parser.add_argument("--timeout-factor", type=float, default=3.0, help="per-mutant timeout / baseline (3)")
    parser.add_argument("--min-timeout", type=float, default=20.0, help="lower bound of that timeout, s (20)")
    parser.add_argument("--limit", type=int, help="run only the first N mutants of each module (a smoke test)")
    parser.add_argument("--sample", type=int, metavar="N",
                        help="run a random sample of N mutants of each module and give the score with its 95 %% "
                             "interval (for modules whose tests take minutes a run)")
    parser.add_argument("--seed", type=int, default=0, help="the sample's random seed (0)")
    parser.add_argument("--json", type=Path, help="also write the figures and survivors to this file")
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (copies, sessions, log)")
    parser.add_argument("--replay", type=Path, metavar="JSON",
                        help="re-plant the survivors a --json file recorded and run today's tests against each")
    args = parser.parse_args()

    if args.replay is not None:
        work = Path(tempfile.mkdtemp(prefix="mskg-replay-", dir=args.workdir))
        try:
            return replay(args.replay, work, modules, timeout=600.0)
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)

    try:
        import cosmic_ray  # noqa: F401
    except ImportError:
        raise SystemExit("cosmic-ray is not installed: pip install -e '.[mutation]'")

    chosen = pick(modules, args.module)
    jobs = max(1, args.jobs)
    work = Path(tempfile.mkdtemp(prefix="mskg-mutation-", dir=args.workdir))
    log_path = work / "log.txt"  # cosmic-ray init; each run logs to its own folder
    log = log_path.open("ab", buffering=0)
    signal.signal(signal.SIGTERM, interrupt)
    files, dirs = source_files(), package_dirs()

    summaries: dict[str, Summary] = {}
    units: list[Unit] = []
    running: list[tuple[Unit, threading.Thread]] = []
    interrupted = False
    began = time.monotonic()
    try:
        shards = max(1, math.ceil(jobs / len(chosen)))
        for module in chosen:
            try:
                items, filtered = prepare(module, work / f"{module.name}.init", files, dirs, args.all_operators, log)
            except subprocess.CalledProcessError as exc:
                raise SystemExit(f"cosmic-ray could not start a session for {module.name}: {exc}; see {log_path}")
            population = None
            if args.sample is not None and args.sample < len(items):
                import random

                population = len(items)
                chosen_items = set(random.Random(f"{args.seed}:{module.name}").sample(range(population), args.sample))
                items = [item for k, item in enumerate(items) if k in chosen_items]
            if args.limit is not None:
                items = items[:args.limit]
            summaries[module.name] = Summary(module, filtered, total=len(items), population=population)
            n = min(shards, max(1, len(items)))
            for k in range(n):
                units.append(Unit(module, k, n, work / f"{module.name}.{k}", jobs=items[k::n]))
        print(f"{len(units)} run(s), {jobs} at a time, scratch {work}", flush=True)
        for s in summaries.values():
            sampled = f", a random sample of {s.population}" if s.population is not None else ""
            print(f"  {s.module.name}: {s.total} mutants ({s.filtered} filtered out{sampled})", flush=True)

        waiting, last = list(units), time.monotonic()
        while waiting or running:
            while waiting and len(running) < jobs:
                unit = waiting.pop(0)
                starter = threading.Thread(target=start, args=(unit, files, dirs, args.timeout_factor,
                                                               args.min_timeout, args.all_operators))
                starter.start()
                running.append((unit, starter))
            for unit, starter in list(running):
                if not starter.is_alive() and (unit.process is None or unit.process.poll() is not None):
                    starter.join()
                    unit.finished = time.monotonic()
                    running.remove((unit, starter))
                    note = f" ERROR: {unit.error}" if unit.error else ""
                    print(f"  done {unit.label} in {unit.finished - unit.started:.0f}s "
                          f"(baseline {unit.baseline or 0:.1f}s, timeout {unit.timeout or 0:.0f}s){note}", flush=True)
            if time.monotonic() - last > 60:
                last = time.monotonic()
                progress = ", ".join(f"{u.label} {len(results(u))}/{len(u.jobs)}" for u, _ in running if u.process)
                print(f"  [{(last - began) / 60:.0f} min] {progress}", flush=True)
            time.sleep(1)
    except KeyboardInterrupt:
        interrupted = True
        print("\ninterrupted: stopping the runs (the checkout is never written)", flush=True)
        STOPPING.set()
        for unit in units:
            stop(unit)
        for unit, starter in running:
            starter.join()
            unit.finished = time.monotonic()

    for unit in units:
        summary = summaries[unit.module.name]
        summary.pairs.extend(results(unit))
        summary.baseline = max(filter(None, [summary.baseline, unit.baseline]), default=None)
        summary.timeout = max(filter(None, [summary.timeout, unit.timeout]), default=None)
        if unit.started:
            summary.seconds = max(summary.seconds, (unit.finished or time.monotonic()) - unit.started)
        if unit.error:
            summary.errors_text.append(f"{unit.label}: {unit.error}")

    print()
    print(table(list(summaries.values())))
    for s in summaries.values():
        for text in s.errors_text:
            print(f"ERROR {text}")
    if args.list_survivors:
        for s in summaries.values():
            lines = mutant_lines(s.survivors())
            print(f"\nsurvivors of {s.module.name} ({len(s.survivors())}):")
            print("\n".join(lines) if lines else "    none")
            if s.timeouts():
                print("timed out (counted as detected; check they are not just a slow machine):")
                print("\n".join(mutant_lines(s.timeouts())))
            for item, result in s.errors():
                m = item.mutations[0]
                tail = (result.output or "").strip().splitlines()[-1:] or ["-"]
                print(f"error: {m.module_path}:{m.start_pos[0]}  {m.operator_name}  "
                      f"({result.worker_outcome.value}): {tail[0][:200]}")
    if args.json:
        args.json.write_text(json.dumps([as_json(s) for s in summaries.values()], indent=1) + "\n")
    log.close()
    if args.keep or any(s.errors_text for s in summaries.values()):
        print(f"\nscratch kept: {work} (logs: {work}/*/log.txt)")
    else:
        shutil.rmtree(work, ignore_errors=True)
    if interrupted:
        return 130
    return 1 if any(s.errors_text for s in summaries.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
