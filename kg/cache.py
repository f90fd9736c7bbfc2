"""A cache of the built graph and the compiled triage rules, keyed on the package's code and data.

The first run builds and writes them; later runs load them (a few milliseconds) instead of re-parsing
the facts and rebuilding the graph. The key hashes every source and data file of the mskg packages
and the versions of Python, rdflib and networkx, so an upgrade or an edited fact invalidates it.

Location: ``$MSKG_CACHE_DIR``, else ``$XDG_CACHE_HOME/mskg``, else ``~/.cache/mskg``. Set
``MSKG_NO_CACHE=1`` to bypass it. An unwritable cache folder is not an error: mskg just builds.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Callable

#: Every package whose code or data the cached objects are made from (a test checks none is missing).
PACKAGES = ("mskg.kg", "mskg.kg.sources", "mskg.ontology", "mskg.queries", "mskg.queries.triage",
            "mskg.queries.endpoint", "mskg.queries.site", "mskg.queries.site.assets")
SUFFIXES = (".py", ".ttl", ".yaml", ".tsv", ".txt", ".rq", ".md")


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


def cached(name: str, make: Callable[[], Any]) -> Any:
    """Load ``name`` from the cache, or make it, store it (atomically) and return it."""
    folder = cache_dir()
    path = folder / data_key() / f"{name}.pickle" if folder is not None else None
    if path is not None and path.exists():
        try:
            with path.open("rb") as handle:
                return pickle.load(handle)
        except Exception:  # a damaged or foreign cache file: rebuild it
            pass
    value = make()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(handle.name, path)
        except OSError:
            pass
    return value
