"""A cache of the built graph and the compiled triage rules, keyed on the package's code and data.

The first run builds and writes them; later runs load them instead of re-parsing the facts and
rebuilding the graph. The key hashes every source and data file of the mskg packages and the versions
of Python, rdflib and networkx, so an upgrade or an edited fact invalidates it.

Location: ``$MSKG_CACHE_DIR``, else ``$XDG_CACHE_HOME/mskg``, else ``~/.cache/mskg``. Set
``MSKG_NO_CACHE=1`` to bypass it. An unwritable cache folder is not an error: mskg just builds.

Nothing read from the cache can run code. Each entry is JSON (the caller turns its value into JSON
data and back, see :mod:`mskg.kg.codec`), in a file whose first line is a header naming the format
version, the entry, the cache key and the sha256 of the rest; any mismatch, a damaged file or a value
of the wrong shape is rebuilt and rewritten. The folders are created 0700; a folder or file that is
not owned by the current user, or that group or others may write to, is never read: mskg warns once
on stderr and builds in memory. Files are written to a temporary file in the same folder and renamed
into place, so a reader never sees half a file; the temporary file is removed on failure.
"""
from __future__ import annotations

import hashlib
import os
import stat
import sys
import tempfile
import time
from contextlib import suppress
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Callable

#: Every package whose code or data the cached objects are made from (a test checks none is missing).
PACKAGES = ("mskg.kg", "mskg.kg.sources", "mskg.ontology", "mskg.queries", "mskg.queries.triage",
            "mskg.queries.endpoint", "mskg.queries.site", "mskg.queries.site.assets")
SUFFIXES = (".py", ".ttl", ".yaml", ".tsv", ".txt", ".rq", ".md")
#: Version of the file layout (header line + JSON payload); a file of another version is rebuilt.
FILE_FORMAT = 1
#: Temporary files older than this (seconds) are left-overs of a killed writer and are removed.
STALE_TEMP = 3600


class Refused(Exception):
    """A cache folder or file that must not be trusted (foreign owner, writable by others, not a file)."""


def cache_dir() -> Path | None:
    """Where the cache lives, or None when caching is switched off."""
    if os.environ.get("MSKG_NO_CACHE"):
        return None
    if os.environ.get("MSKG_CACHE_DIR"):
        return Path(os.environ["MSKG_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mskg"


@lru_cache(maxsize=1)
def data_key() -> str:
    """A hash of everything the cached objects are made from."""
    import networkx
    import rdflib

    from ..queries.triage.compiled import COMPILED_FORMAT

    digest = hashlib.sha256()
    digest.update(f"{sys.version_info[:2]} rdflib {rdflib.__version__} networkx {networkx.__version__} "
                  f"format {COMPILED_FORMAT}".encode())
    for package in PACKAGES:
        for entry in sorted(files(package).iterdir(), key=lambda e: e.name):
            if entry.is_file() and entry.name.endswith(SUFFIXES):
                digest.update(f"{package}/{entry.name}".encode())
                digest.update(entry.read_bytes())
    return digest.hexdigest()[:24]


_warned: set[str] = set()


def warn(message: str) -> None:
    """One line on stderr, once per process for each message."""
    if message not in _warned:
        _warned.add(message)
        print(f"mskg: {message}", file=sys.stderr)


def _check_owned(st: os.stat_result, what: str, path: Path) -> None:
    if st.st_uid != os.getuid():
        raise Refused(f"{what} {path} belongs to another user (uid {st.st_uid})")
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise Refused(f"{what} {path} is writable by group or others (mode {stat.S_IMODE(st.st_mode):o})")


def secure_folder(path: Path) -> Path:
    """``path``, created 0700 if missing, checked to be a folder of the current user's that no one else
    may write to. ``Refused`` if it is not; ``OSError`` if it cannot be made."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise Refused(f"the cache folder {path} is not a folder")
    _check_owned(st, "the cache folder", path)
    if stat.S_IMODE(st.st_mode) & 0o077:  # made by an older mskg or by hand: keep it private from now on
        with suppress(OSError):
            os.chmod(path, 0o700)
    return path


def entry_folder() -> Path | None:
    """The folder of this key's entries, ready to use, or None (no cache, unwritable, or refused)."""
    root = cache_dir()
    if root is None:
        return None
    try:
        return secure_folder(secure_folder(root) / data_key())
    except Refused as refused:
        warn(f"not using the cache: {refused}; building in memory (set MSKG_CACHE_DIR to a folder of your own)")
    except OSError:
        pass  # an unwritable or impossible folder: just build
    return None


def _read(path: Path, name: str) -> bytes:
    """The payload of a cache file, checked: owner, mode, header, version, key and checksum."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused(f"the cache file {path} is not a regular file")
        _check_owned(st, "the cache file", path)
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            data = handle.read()
    finally:
        if fd >= 0:
            os.close(fd)
    header_line, newline, payload = data.partition(b"\n")
    if not newline:
        raise ValueError("no header")
    import json

    header = json.loads(header_line)
    expected = {"format": "mskg-cache", "version": FILE_FORMAT, "name": name, "key": data_key(),
                "sha256": hashlib.sha256(payload).hexdigest()}
    if header != expected:
        raise ValueError("header does not match (version, key or checksum)")
    return payload


def _write(folder: Path, name: str, payload: bytes) -> None:
    """Write atomically: a temporary file in the same folder, renamed over the entry when complete."""
    import json

    header = json.dumps({"format": "mskg-cache", "version": FILE_FORMAT, "name": name, "key": data_key(),
                         "sha256": hashlib.sha256(payload).hexdigest()}, sort_keys=True).encode()
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(header + b"\n" + payload)
        os.replace(temp, folder / f"{name}.json")
    except BaseException:
        with suppress(OSError):
            os.unlink(temp)
        raise
    now = time.time()
    for left in folder.glob(".*.tmp"):  # a writer killed mid-write leaves its temporary file behind
        with suppress(OSError):
            if now - left.lstat().st_mtime > STALE_TEMP:
                left.unlink()


def cached(name: str, make: Callable[[], Any], dump: Callable[[Any], Any] | None = None,
           load: Callable[[Any], Any] | None = None) -> Any:
    """Load ``name`` from the cache, or make it, store it and return it.

    ``dump`` turns the value into JSON data and ``load`` turns that data back into the value, raising on
    anything of the wrong shape (both default to the identity, for values that are JSON already).
    """
    import gc

    import orjson

    folder = entry_folder()
    path = folder / f"{name}.json" if folder is not None else None
    if path is not None and os.path.lexists(path):
        collecting = gc.isenabled()
        gc.disable()  # many small containers and nothing cyclic to collect: about twice as fast
        try:
            data = orjson.loads(_read(path, name))
            return load(data) if load is not None else data
        except Refused as refused:
            warn(f"not reading the cache: {refused}; rebuilding it")
        except Exception as exc:  # damaged, another version, or the wrong shape: rebuild and rewrite it
            warn(f"the cached {name} could not be read ({type(exc).__name__}); rebuilding it")
        finally:
            if collecting:
                gc.enable()
    value = make()
    if path is not None:
        payload = orjson.dumps(dump(value) if dump is not None else value)
        try:
            _write(path.parent, name, payload)
        except OSError:
            pass  # a full disk or a read-only folder: the answer does not depend on the cache
    return value
