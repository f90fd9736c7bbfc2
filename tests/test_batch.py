"""`mskg triage --batch`: streaming, bad lines with their numbers, CSV, and constant memory."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from click.testing import CliRunner

from mskg.cli.main import cli

GOOD = ['{"id": "a", "findings": ["saddle numbness"]}',
        '{"id": "b", "findings": ["tennis elbow"], "duration": "2w", "trend": "unchanged"}',
        '{"id": "c", "findings": ["low back pain"], "absent": ["fever"]}']


def run(text: str, *args: str):
    return CliRunner().invoke(cli, ["triage", "--batch", "-", *args], input=text)


def test_each_line_gives_one_result_in_the_triage_shape():
    result = run("\n".join(GOOD) + "\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(d["id"], d["line"], d["urgency"]["id"], d["training"]) for d in lines] == [
        ("a", 1, "emergency", "stop"), ("b", 2, "routine-review", "modify"), ("c", 3, "self-care", "modify")]
    assert lines[0]["flags"][0]["explanations"]  # explained by default
    single = json.loads(CliRunner().invoke(cli, ["triage", "-f", "saddle numbness", "--format", "json"]).stdout)
    assert {k: v for k, v in lines[0].items() if k not in ("id", "line")} == single
    assert result.stderr == "mskg: triaged 3 presentation(s) (0 partial); 0 bad line(s)\n"


def test_bad_lines_are_reported_with_their_number_and_the_rest_still_written():
    text = "\n".join([GOOD[0], "{not json", '{"id": 3, "findings": ["xyzzy"]}', '["a list"]',
                      '{"id": 5, "findings": []}', '{"id": 6, "findings": ["fever"], "duration": "soon"}', GOOD[2]])
    result = run(text, "--no-explain")
    assert result.exit_code == 1
    assert [json.loads(line)["line"] for line in result.stdout.splitlines()] == [1, 7]
    assert result.stderr.splitlines() == [
        "mskg: line 2: not valid JSON: Expecting property name enclosed in double quotes at column 2",
        "mskg: line 3: no finding was understood, so there is nothing to triage: unknown finding or condition: 'xyzzy'",
        "mskg: line 4: a line must be a JSON object",
        "mskg: line 5: no findings given",
        "mskg: line 6: invalid duration 'soon': give a number and a unit, e.g. 48h, 3d, 10 days, 6w, 6wks, 2 weeks, "
        "a fortnight, 2 months, 1.5 years, 1 week and 3 days, since yesterday",
        "mskg: triaged 2 presentation(s) (0 partial); 5 bad line(s)",
    ]
    assert json.loads(result.stdout.splitlines()[0])["flags"][0]["explanations"] == []  # --no-explain


def test_csv_input(tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text("id,findings,absent,duration,trend\n"
                    "p1,saddle numbness;low back pain,,,\n"
                    "p2,tennis elbow,fever,6w,unchanged\n"
                    "p3,,,,\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["triage", "--batch", str(path), "--no-explain"])
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["id"], r["urgency"]["id"]) for r in rows] == [("p1", "emergency"), ("p2", "routine-review")]
    assert "mskg: line 4: no findings given" in result.stderr


def test_batch_refuses_single_presentation_options():
    result = CliRunner().invoke(cli, ["triage", "--batch", "-", "-f", "fever"], input=GOOD[0])
    assert result.exit_code == 2 and "do not combine it with --finding" in result.stderr


def test_the_sparql_engine_gives_the_same_batch():
    text = "\n".join(GOOD) + "\n"
    compiled = run(text, "--no-explain").stdout
    sparql = run(text, "--no-explain", "--engine", "sparql").stdout
    assert compiled == sparql


LINES = 1_000_000


def test_a_million_lines_stream_in_constant_memory(tmp_path):
    """Peak memory must not grow with the input: a million lines through a pipe stay under a fixed bound."""
    env = {**os.environ, "MSKG_CACHE_DIR": str(tmp_path / "cache")}
    subprocess.run([sys.executable, "-m", "mskg.cli", "triage", "-f", "fever"], env=env, check=True,
                   capture_output=True)  # warm the cache
    process = subprocess.Popen([sys.executable, "-m", "mskg.cli", "triage", "--batch", "-", "--no-explain"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    lines = [GOOD[1].encode() + b"\n", GOOD[2].encode() + b"\n", b'{"id": 9, "findings": ["xyzzy"]}\n']
    import threading

    counted = {"lines": 0, "bytes": 0}

    def drain():
        for line in process.stdout:
            counted["lines"] += 1

    reader = threading.Thread(target=drain)
    reader.start()
    chunk = b"".join(lines[i % 2] for i in range(10_000))
    for _ in range(LINES // 10_000 - 1):
        process.stdin.write(chunk)
    process.stdin.write(chunk[:-len(lines[1])] + lines[2])  # the last line is bad
    process.stdin.close()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: tell Popen
    reader.join()
    stderr = process.stderr.read().decode()
    process.stdout.close()
    process.stderr.close()
    assert process.returncode == 1
    assert counted["lines"] == LINES - 1
    assert f"mskg: line {LINES}: no finding was understood, so there is nothing to triage: unknown finding or " \
           "condition: 'xyzzy'" in stderr
    peak_mb = usage.ru_maxrss / 1024
    assert peak_mb < 150, f"peak memory {peak_mb:.0f} MB for {LINES} lines"
