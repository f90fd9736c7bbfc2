"""``mskg triage --batch``: stream a cohort through triage, one JSON line each, bad lines on stderr."""
from __future__ import annotations

import io
import os
import sys
from typing import IO

import click


def _size(stream: IO[str]) -> int | None:
    try:
        return os.fstat(stream.fileno()).st_size if stream is not sys.stdin and stream.seekable() else None
    except (OSError, ValueError, AttributeError):
        return None


def _text(stream: IO[bytes]) -> IO[str]:
    """Decode as UTF-8, keeping undecodable bytes as lone surrogates so each such line is reported, not fatal."""
    return io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="")


def run_batch(binary: IO[bytes], engine_name: str, explain: bool, input_format: str, strict: bool = False) -> int:
    """Triage every record of ``binary``; return the exit code: 1 if any line was bad, else 3 if any answer was
    partial (something not understood), else 0."""
    from ..queries.triage.batch import BadLine, BatchTriage, read_records
    from .render import triage_dict

    if engine_name == "owl":
        click.echo("mskg: --batch runs with --engine compiled (default) or sparql", err=True)
        return 2
    if engine_name == "compiled":
        from ..kg.load import load_compiled
        from ..queries.triage.compiled import CompiledTriageEngine

        kb = load_compiled()
        engine, resolver = CompiledTriageEngine(kb), kb.resolver
    else:
        from ..kg.load import load_graph
        from ..kg.resolve import resolver_for
        from ..queries.triage.sparql import engine_for

        graph = load_graph()
        engine, resolver = engine_for(graph), resolver_for(graph)
    fmt = input_format
    if fmt == "auto":
        fmt = "csv" if str(getattr(binary, "name", "")).lower().endswith(".csv") else "jsonl"
    stream = _text(binary)
    import orjson  # about 8x faster than json for these records, which dominates batch time

    batch = BatchTriage(engine, resolver, explain, strict)
    out = sys.stdout.buffer
    bad = good = partial = 0
    total = _size(stream)
    show_bar = total is not None and sys.stderr.isatty()
    bar = click.progressbar(length=total, label="triage", file=sys.stderr) if show_bar else None
    position = 0
    try:
        if bar is not None:
            bar.__enter__()
        for number, record in read_records(stream, fmt):
            result = record if isinstance(record, BadLine) else batch.run(number, record)
            if isinstance(result, BadLine):
                bad += 1
                click.echo(f"mskg: line {result.line}: {result.message}", err=True)
            else:
                good += 1
                partial += bool(result.presentation.unresolved)
                data = {"id": record.get("id"), "line": number}
                data.update(triage_dict(result))
                out.write(orjson.dumps(data, option=orjson.OPT_APPEND_NEWLINE))
            if bar is not None and (good + bad) % 256 == 0:
                new = binary.tell() if binary.seekable() else position
                bar.update(new - position)
                position = new
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
        out.flush()
        stream.detach()  # the caller owns (and closes) the binary stream
    click.echo(f"mskg: triaged {good} presentation(s) ({partial} partial); {bad} bad line(s)", err=True)
    return 1 if bad else 3 if partial else 0
