"""The cache never runs code and never trusts a file or folder someone else could have written (issue 13).

What it stores is JSON with a header (format version, entry name, cache key, sha256 of the payload); a
planted pickle, a damaged or other-version file, or valid JSON of the wrong shape is rebuilt, and a
folder or file that another user owns or may write to is not read at all.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import pickle
import subprocess
import sys

import orjson
import pytest

from mskg.kg import cache as cache_module
from mskg.kg.codec import Codec, CodecError
from mskg.kg.load import graph_from_json, graph_to_json
from mskg.queries.triage.compiled import kb_from_json


class _Planted:
    """Unpickling this writes a marker file: proof that code from the cache ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _entry(folder, name: str, payload: bytes, **header) -> None:
    """Write a cache file by hand, with a header that is right unless ``header`` overrides a field."""
    fields = {"format": "mskg-cache", "version": cache_module.FILE_FORMAT, "name": name,
              "key": cache_module.data_key(), "sha256": hashlib.sha256(payload).hexdigest(), **header}
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    (folder / f"{name}.json").write_bytes(json.dumps(fields).encode() + b"\n" + payload)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private cache folder for the test, and the folder this package's entries go in."""
    root = tmp_path / "cache"
    monkeypatch.setenv("MSKG_CACHE_DIR", str(root))
    monkeypatch.delenv("MSKG_NO_CACHE", raising=False)
    monkeypatch.setattr(cache_module, "_warned", set())
    return root / cache_module.data_key()


def _counting(value):
    calls = []
    return calls, (lambda: calls.append(1) or value)


def test_the_folders_are_private_and_entries_are_json(cache):
    assert cache_module.cached("probe", lambda: {"built": [1, 2]}) == {"built": [1, 2]}
    assert oct(cache.stat().st_mode & 0o777) == oct(0o700)
    assert oct(cache.parent.stat().st_mode & 0o777) == oct(0o700)
    header, _, payload = (cache / "probe.json").read_bytes().partition(b"\n")
    assert json.loads(header)["sha256"] == hashlib.sha256(payload).hexdigest()
    assert orjson.loads(payload) == {"built": [1, 2]}
    assert oct((cache / "probe.json").stat().st_mode & 0o777) == oct(0o600)


@pytest.mark.parametrize("damage", ["version", "key", "checksum", "truncated", "no header", "empty"])
def test_a_damaged_or_other_version_entry_is_rebuilt(cache, capsys, damage):
    cache_module.cached("probe", lambda: {"v": 1})
    path = cache / "probe.json"
    data = path.read_bytes()
    if damage == "version":
        _entry(cache, "probe", b'{"v": 2}', version=cache_module.FILE_FORMAT + 1)
    elif damage == "key":
        _entry(cache, "probe", b'{"v": 2}', key="0" * 24)
    elif damage == "checksum":
        path.write_bytes(data.replace(b'"v":1', b'"v":2'))
    elif damage == "truncated":
        path.write_bytes(data[:-3])
    elif damage == "no header":
        path.write_bytes(b'{"v": 2}')
    else:
        path.write_bytes(b"")
    calls, make = _counting({"v": 3})
    assert cache_module.cached("probe", make) == {"v": 3}
    assert calls == [1]
    assert cache_module.cached("probe", make) == {"v": 3}  # rewritten, read back
    assert calls == [1]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "rebuilding" in err and "Traceback" not in err


@pytest.mark.parametrize("payload", [
    b"[1, 2, 3]", b'{"a": 1}', b'{"$o": ["CompiledKB", []]}', b'{"$o": ["Popen", {"args": "touch x"}]}',
    b'{"$o": ["CompiledKB", [1,2,3,4,5,6,7,8,9,10,11,12,13,14]]}', b'{"$r": 0}', b'{"$u": ["x"]}',
    b'{"$nope": 1}', b'"a string"', b"null"])
def test_valid_json_of_the_wrong_shape_is_rebuilt(cache, capsys, payload):
    """Right header and checksum, wrong contents: the reader refuses it and the entry is made again."""
    _entry(cache, "compiled", payload)
    calls, make = _counting("rebuilt")
    assert cache_module.cached("compiled", make, dump=lambda v: v, load=kb_from_json) == "rebuilt"
    assert calls == [1]
    assert "rebuilding" in capsys.readouterr().err


@pytest.mark.parametrize("payload", [b"[]", b'{"namespaces": [], "terms": [], "triples": [0, 1]}',
                                     b'{"namespaces": [], "terms": [{"x": 1}], "triples": []}',
                                     b'{"namespaces": [], "terms": ["a"], "triples": [0, 0, -1]}'])
def test_a_graph_entry_of_the_wrong_shape_is_rebuilt(cache, payload):
    _entry(cache, "graph", payload)
    calls, make = _counting("rebuilt")
    assert cache_module.cached("graph", make, dump=lambda v: v, load=graph_from_json) == "rebuilt"
    assert calls == [1]


def test_the_graph_survives_its_json_form(graph):
    again = graph_from_json(orjson.loads(orjson.dumps(graph_to_json(graph))))
    assert set(again) == set(graph)
    assert list(again.namespaces()) == list(graph.namespaces())


def test_the_codec_names_no_code():
    """Only allow-listed classes are ever made; a name outside the list is an error, not an import."""
    class Allowed:
        pass

    codec = Codec([Allowed])
    for doc in ({"$o": ["os.system", {}]}, {"$o": ["Popen", {}]}, {"$o": ["Allowed", []]}, {"$x": 1}):
        with pytest.raises((CodecError, ValueError, TypeError)):
            codec.decode(doc)
    with pytest.raises(CodecError):
        codec.encode(_Planted("x"))  # not allow-listed: refused when writing, too
    assert type(codec.decode({"$o": ["Allowed", {"a": 1}]})) is Allowed


def test_a_planted_pickle_is_never_executed(cache, tmp_path, capsys):
    marker = tmp_path / "code-ran"
    planted = pickle.dumps(_Planted(marker))
    _entry(cache, "probe", planted)  # a pickle with a valid header and checksum
    (cache / "probe.pickle").write_bytes(planted)  # and where the old cache kept it
    calls, make = _counting({"safe": True})
    assert cache_module.cached("probe", make) == {"safe": True}
    assert calls == [1] and not marker.exists()


def test_a_planted_cache_cannot_run_code_in_a_real_run(tmp_path):
    """The whole command, with every entry replaced by a pickle that would write a marker file: the
    answer is still right, no code ran, and stderr says what happened in one line per entry."""
    root = tmp_path / "cache"
    key = root / cache_module.data_key()
    marker = tmp_path / "code-ran"
    planted = pickle.dumps(_Planted(marker))
    for name in ("graph", "compiled"):
        _entry(key, name, planted)
        (key / f"{name}.pickle").write_bytes(planted)
    env = {**os.environ, "MSKG_CACHE_DIR": str(root)}
    env.pop("MSKG_NO_CACHE", None)
    run = subprocess.run([sys.executable, "-m", "mskg.cli", "triage", "--finding", "saddle numbness",
                          "--format", "json"], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["urgency"]["id"] == "emergency"
    assert not marker.exists()
    assert "Traceback" not in run.stderr and "rebuilding" in run.stderr
    assert all(line.startswith("mskg: ") for line in run.stderr.splitlines())


def test_a_folder_of_another_user_is_refused(cache, monkeypatch, capsys):
    cache_module.cached("probe", lambda: {"v": 1})  # a valid entry, then "someone else" owns the folder
    real = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real + 1)
    calls, make = _counting({"v": 2})
    assert cache_module.cached("probe", make) == {"v": 2}  # built in memory, the entry not read
    assert calls == [1]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "belongs to another user" in err and "in memory" in err
    monkeypatch.setattr(os, "getuid", lambda: real)
    assert cache_module.cached("probe", make) == {"v": 1}  # untouched: nothing was written in memory mode


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o722])
def test_a_folder_others_may_write_to_is_refused(cache, capsys, mode):
    cache.parent.mkdir(mode=0o700)
    os.chmod(cache.parent, mode)
    calls, make = _counting({"v": 1})
    assert cache_module.cached("probe", make) == {"v": 1}
    assert not (cache / "probe.json").exists()
    err = capsys.readouterr().err
    assert "writable by group or others" in err and "Traceback" not in err


def test_a_file_others_may_write_to_is_not_read(cache, capsys):
    cache_module.cached("probe", lambda: {"v": 1})
    os.chmod(cache / "probe.json", 0o666)
    calls, make = _counting({"v": 2})
    assert cache_module.cached("probe", make) == {"v": 2}
    assert calls == [1]
    assert "writable by group or others" in capsys.readouterr().err
    assert oct((cache / "probe.json").stat().st_mode & 0o777) == oct(0o600)  # replaced by a private one


def test_a_file_of_another_user_is_not_read(cache, monkeypatch, capsys):
    cache_module.cached("probe", lambda: {"v": 1})
    real_fstat = os.fstat

    def foreign(fd):
        st = real_fstat(fd)
        return os.stat_result((st.st_mode, st.st_ino, st.st_dev, st.st_nlink, st.st_uid + 1, *tuple(st)[5:10]))

    monkeypatch.setattr(os, "fstat", foreign)
    calls, make = _counting({"v": 2})
    assert cache_module.cached("probe", make) == {"v": 2}
    assert calls == [1] and "belongs to another user" in capsys.readouterr().err


def test_a_symlinked_entry_is_not_followed(cache, tmp_path):
    cache_module.cached("probe", lambda: {"v": 1})
    elsewhere = tmp_path / "elsewhere.json"
    os.replace(cache / "probe.json", elsewhere)
    os.symlink(elsewhere, cache / "probe.json")
    calls, make = _counting({"v": 2})
    assert cache_module.cached("probe", make) == {"v": 2}
    assert calls == [1]
    assert not (cache / "probe.json").is_symlink()  # replaced by a real file


@pytest.mark.parametrize("failure", [errno.ENOSPC, errno.EACCES])
def test_a_failed_write_leaves_no_temporary_file(cache, monkeypatch, failure):
    def refuse(*args, **kwargs):
        raise OSError(failure, os.strerror(failure))

    monkeypatch.setattr(os, "replace", refuse)
    assert cache_module.cached("probe", lambda: {"v": 1}) == {"v": 1}  # the answer does not need the cache
    assert list(cache.iterdir()) == []


def test_stale_temporary_files_are_swept(cache):
    cache.mkdir(mode=0o700, parents=True)
    stale, fresh = cache / ".probe.abc.tmp", cache / ".probe.def.tmp"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"being written")
    os.utime(stale, (0, 0))
    cache_module.cached("probe", lambda: {"v": 1})
    assert not stale.exists() and fresh.exists()
