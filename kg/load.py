"""The graph every command reads, and the compiled triage rules: built once, then loaded from the cache."""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from rdflib import Graph

if TYPE_CHECKING:
    from ..queries.triage.compiled import CompiledKB


def _build() -> Graph:
    from .build import build_graph

    return build_graph()


@lru_cache(maxsize=1)
def load_graph() -> Graph:
    """The one mskg graph (ontology + instances), from the cache or built from the packaged facts."""
    from .cache import cached

    return cached("graph", _build)


def _compile() -> "CompiledKB":
    from ..queries.triage.compiled import compile_kb

    return compile_kb(load_graph())


@lru_cache(maxsize=1)
def load_compiled() -> "CompiledKB":
    """The triage rules compiled from the graph, with the resolver index and the explainer's view."""
    from .cache import cached

    return cached("compiled", _compile)
