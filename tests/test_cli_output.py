"""Nothing half-written (issue 13): `mskg build --out` and `mskg docs --out` write all their files or none.

A full disk, a blocked path or an error half-way leaves the target folder exactly as it was, removes
every temporary file and folder, and ends with one clear line and exit 1 — never a traceback.
"""
from __future__ import annotations

import errno
import os

import pytest
from click.testing import CliRunner

from mskg.cli.main import cli
from mskg.kg import output as output_module
from mskg.kg.output import write_files

FILES = {"index.html": b"<p>new index</p>", "c/a.html": b"a", "c/b.html": b"b", "assets/site.css": b"css"}


def _snapshot(folder):
    """Every path under ``folder`` (hidden ones included) with its bytes, or None for a folder."""
    if not folder.exists():
        return None
    return {p.relative_to(folder).as_posix(): (None if p.is_dir() else p.read_bytes()) for p in folder.rglob("*")}


def _old_site(tmp_path):
    out = tmp_path / "site"
    (out / "c").mkdir(parents=True)
    (out / "index.html").write_bytes(b"<p>old index</p>")
    (out / "c" / "a.html").write_bytes(b"old a")
    (out / "notes.txt").write_bytes(b"the user's own file")
    return out


def _no_temporaries(tmp_path):
    return [p.name for p in tmp_path.rglob("*") if p.name.endswith(".tmp")] == []


def test_a_new_folder_is_written_whole(tmp_path):
    out = tmp_path / "new" / "site"
    written = write_files(out, FILES)
    assert written == [out / name for name in FILES]
    assert {k: v for k, v in _snapshot(out).items() if v is not None} == FILES
    assert _no_temporaries(tmp_path)


def test_an_existing_folder_gets_the_new_files_and_keeps_the_others(tmp_path):
    out = _old_site(tmp_path)
    write_files(out, FILES)
    files = {k: v for k, v in _snapshot(out).items() if v is not None}
    assert files == {**FILES, "notes.txt": b"the user's own file"}
    assert _no_temporaries(tmp_path)


@pytest.mark.parametrize("new", [False, True])
def test_a_full_disk_half_way_changes_nothing(tmp_path, monkeypatch, new):
    out = tmp_path / "site" if new else _old_site(tmp_path)
    before = _snapshot(out)
    real_open, count = open, []

    def filling(path, mode="r", *args, **kwargs):
        if "x" in mode or "w" in mode:
            count.append(path)
            if len(count) == 3:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(output_module, "open", filling, raising=False)
    with pytest.raises(OSError) as raised:
        write_files(out, FILES)
    assert raised.value.errno == errno.ENOSPC
    assert _snapshot(out) == before
    assert _no_temporaries(tmp_path)


def test_a_failed_move_half_way_puts_the_old_files_back(tmp_path, monkeypatch):
    out = _old_site(tmp_path)
    before = _snapshot(out)
    real_rename, moves = os.rename, []

    def failing(src, dst):
        moves.append(dst)
        if len(moves) == 4:  # after index.html was swapped and c/a.html moved aside
            raise RuntimeError("interrupted half-way")
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", failing)
    with pytest.raises(RuntimeError):
        write_files(out, FILES)
    monkeypatch.undo()
    assert _snapshot(out) == before
    assert _no_temporaries(tmp_path)


def test_a_blocked_path_changes_nothing(tmp_path):
    out = _old_site(tmp_path)
    (out / "assets").write_bytes(b"a file where a folder must go")
    before = _snapshot(out)
    with pytest.raises(NotADirectoryError):
        write_files(out, FILES)
    assert _snapshot(out) == before
    (out / "assets").unlink()
    (out / "index.html").unlink()
    (out / "index.html").mkdir()  # a folder where a file must go
    before = _snapshot(out)
    with pytest.raises(IsADirectoryError):
        write_files(out, FILES)
    assert _snapshot(out) == before
    assert _no_temporaries(tmp_path)


@pytest.mark.parametrize("name", ["../escape.html", "/etc/x", "a//b", "./a", ""])
def test_file_names_stay_inside_the_folder(tmp_path, name):
    with pytest.raises(ValueError):
        write_files(tmp_path / "out", {name: b"x"})
    assert not (tmp_path / "out").exists()


@pytest.fixture
def small_site(monkeypatch):
    """`mskg docs` over a four-page site (the writing is under test here, not the pages)."""
    from mskg.queries.site import pages

    monkeypatch.setattr(pages, "build_site", lambda graph: {k: ("text/html", v) for k, v in FILES.items()})


def _clean_failure(result, command: str) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"mskg {command}: ") and "unchanged" in lines[0]
    return lines[0]


def test_docs_on_a_blocked_path_fails_cleanly(tmp_path, small_site):
    out = _old_site(tmp_path)
    (out / "c" / "b.html").mkdir()
    before = _snapshot(out)
    result = CliRunner().invoke(cli, ["docs", "--out", str(out)])
    line = _clean_failure(result, "docs")
    assert "b.html" in line and "Is a directory" in line
    assert _snapshot(out) == before
    assert _no_temporaries(tmp_path)


def test_docs_into_a_file_fails_cleanly(tmp_path, small_site):
    out = tmp_path / "site"
    out.write_bytes(b"a file")
    result = CliRunner().invoke(cli, ["docs", "--out", str(out)])
    assert result.exit_code == 2 and "is a file" in result.output  # click's usage error, before any work
    assert out.read_bytes() == b"a file"


def test_docs_with_an_error_half_way_fails_cleanly(tmp_path, small_site, monkeypatch):
    out = _old_site(tmp_path)
    before = _snapshot(out)
    real_rename, moves = os.rename, []

    def failing(src, dst):
        moves.append(dst)
        if len(moves) == 3:
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(dst))
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", failing)
    result = CliRunner().invoke(cli, ["docs", "--out", str(out)])
    monkeypatch.undo()
    assert "Input/output error" in _clean_failure(result, "docs")
    assert _snapshot(out) == before
    assert _no_temporaries(tmp_path)


def test_docs_writes_a_new_folder(tmp_path, small_site):
    out = tmp_path / "site"
    result = CliRunner().invoke(cli, ["docs", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {k: v for k, v in _snapshot(out).items() if v is not None} == FILES
    assert oct(out.stat().st_mode & 0o777) == oct(0o777 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_build_on_a_full_disk_fails_cleanly(tmp_path, monkeypatch):
    """The real build: ENOSPC while writing the second file; the previous build is left whole."""
    out = tmp_path / "graph"
    out.mkdir()
    for name in ("ontology.ttl", "instances.ttl", "mskg.owl"):
        (out / name).write_bytes(f"previous {name}".encode())
    before = _snapshot(out)
    real_open, count = open, []

    def filling(path, mode="r", *args, **kwargs):
        if "x" in mode:
            count.append(path)
            if len(count) == 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(output_module, "open", filling, raising=False)
    result = CliRunner().invoke(cli, ["build", "--out", str(out)])
    line = _clean_failure(result, "build")
    assert "No space left on device" in line and "nothing was written" in line
    assert _snapshot(out) == before
    assert _no_temporaries(tmp_path)
