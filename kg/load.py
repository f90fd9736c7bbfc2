"""The graph every command reads, built once per process (a persistent cache is future work: see README)."""
from __future__ import annotations

from functools import lru_cache

from rdflib import Graph


@lru_cache(maxsize=1)
def load_graph() -> Graph:
    """The one mskg graph (ontology + instances), built from the packaged facts once per process."""
    from .build import build_graph

    return build_graph()
