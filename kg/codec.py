"""Objects to JSON and back, for the cache: only data, never code.

A cached object is written as JSON in which the few non-JSON values are tagged with one-key objects:
``{"$t": [...]}`` a tuple, ``{"$f": [...]}`` a frozenset, ``{"$s": [...]}`` a set, ``{"$u": "..."}`` an
rdflib ``URIRef``, ``{"$d": "1.5"}`` a ``Decimal``, ``{"$m": [[key, value], ...]}`` a dict whose keys are not
all plain strings, ``{"$o": ["Name", state]}`` an instance of a class named in the codec's allow-list,
and ``{"$g": ...}`` a networkx ``MultiDiGraph``. A list, tuple, set, frozenset or string-keyed dict of plain
strings and numbers only is tagged ``$L``, ``$T``, ``$S``, ``$F`` or ``$D`` and read without a walk; an allow-listed instance met again is ``{"$r": n}``, the
n-th such instance written (so shared objects stay shared and are written once). Reading never imports a module or calls anything named in
the file: an unknown tag or class name is an error (and the caller rebuilds), unlike a pickle, which can
run any code it names.
"""
from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, Iterable


class CodecError(ValueError):
    """A value the codec cannot write, or a document that is not one it wrote."""


class Codec:
    """Tagged JSON for plain data and the instances of ``classes`` (an allow-list, by class name).

    A dataclass is stored as its field values in order and rebuilt through its constructor; any other
    class as its state (``__getstate__`` or ``__dict__``), restored with ``__setstate__`` if it has one.
    """

    def __init__(self, classes: Iterable[type] = ()):
        self.classes = {cls.__name__: cls for cls in classes}
        self._fields = {name: [f.name for f in dataclasses.fields(cls)]
                        for name, cls in self.classes.items() if dataclasses.is_dataclass(cls)}
        many = self._dec
        self._readers = {
            "$u": self._read_iri, "$r": self._read_ref, "$o": self._read_object, "$g": self._read_graph,
            "$L": lambda inner, objs: _scalars(inner, list), "$T": lambda inner, objs: tuple(_scalars(inner, list)),
            "$S": lambda inner, objs: set(_scalars(inner, list)),
            "$F": lambda inner, objs: frozenset(_scalars(inner, list)), "$D": lambda inner, objs: _scalars(inner, dict),
            "$l": lambda inner, objs: [many(v, objs) for v in _listed(inner)],
            "$t": lambda inner, objs: tuple([many(v, objs) for v in _listed(inner)]),
            "$s": lambda inner, objs: {many(v, objs) for v in _listed(inner)},
            "$f": lambda inner, objs: frozenset([many(v, objs) for v in _listed(inner)]),
            "$m": lambda inner, objs: {many(k, objs): many(v, objs) for k, v in _expect(inner, list)},
            "$d": lambda inner, objs: Decimal(_expect(inner, str)),
        }

    # -- writing --------------------------------------------------------------------------------------
    def encode(self, value: Any) -> Any:
        """``value`` as JSON-ready data."""
        return self._enc(value, {})

    def decode(self, doc: Any) -> Any:
        """The value ``doc`` (from :meth:`encode`, through JSON) stands for; ``CodecError`` if it is not one."""
        from rdflib import URIRef

        self._uriref = URIRef
        self._iris: dict[str, Any] = {}  # one URIRef per IRI (as rdflib's own parsers share terms)
        try:
            return self._dec(doc, [])
        finally:
            self._iris = {}

    def _enc(self, value: Any, memo: dict) -> Any:
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            return value
        if kind is float:
            if value != value or value in (float("inf"), float("-inf")):
                raise CodecError("a non-finite float cannot be cached")
            return value
        if kind is list or kind is tuple or kind is set or kind is frozenset:
            items = value if kind is list or kind is tuple else _ordered(value)
            if all(type(v) in _SCALARS for v in items):
                return {_PLAIN[kind]: [self._enc(v, memo) for v in items]}  # _enc refuses NaN
            return {_TAGS[kind]: [self._enc(v, memo) for v in items]}
        if kind is dict:
            if all(type(k) is str for k in value):
                if all(type(v) in _SCALARS for v in value.values()):
                    return {"$D": {k: self._enc(v, memo) for k, v in value.items()}}
                if not (len(value) == 1 and next(iter(value)).startswith("$")):
                    return {k: self._enc(v, memo) for k, v in value.items()}
            return {"$m": [[self._enc(k, memo), self._enc(v, memo)] for k, v in value.items()]}
        if kind is Decimal:
            return {"$d": str(value)}
        name = kind.__name__
        if name == "URIRef" and kind.__module__.startswith("rdflib"):
            return {"$u": str(value)}
        if name == "MultiDiGraph" and kind.__module__.startswith("networkx"):
            return {"$g": self._encode_graph(value, memo)}
        if self.classes.get(name) is not kind:
            raise CodecError(f"{kind.__module__}.{name} is not in the cache's allow-list")
        seen = memo.get(id(value))
        if seen is not None:
            return {"$r": seen[0]}
        if name in self._fields:  # numbered after its fields, as reading builds it after them
            fields = [self._enc(getattr(value, f), memo) for f in self._fields[name]]
            memo[id(value)] = (len(memo), value)
            return {"$o": [name, fields]}
        memo[id(value)] = (len(memo), value)  # numbered before its state, as reading makes it first
        state = value.__getstate__() if hasattr(value, "__getstate__") else value.__dict__
        if type(state) is not dict:
            raise CodecError(f"{name} has no dict state")
        return {"$o": [name, self._enc(state, memo)]}

    def _encode_graph(self, g, memo: dict) -> dict:
        """Nodes in order with their attributes, edge keys once each, and the edges (by node and key number)
        in an order that rebuilds both the successor and the predecessor order of every node (path
        searches walk both)."""
        number = {n: i for i, n in enumerate(g)}
        keys: dict = {}
        for _, _, k in g.edges(keys=True):
            keys.setdefault(k, len(keys))
        return {
            "nodes": [self._enc(n, memo) for n in g],
            "node_data": [self._enc(dict(data), memo) for _, data in g.nodes(data=True)],
            "keys": [self._enc(k, memo) for k in keys],
            "edges": [[number[u], number[v], keys[k], self._enc(dict(data), memo)]
                      for u, v in _edge_order(g) for k, data in g.succ[u][v].items()],
            "graph": self._enc(dict(g.graph), memo),
        }

    # -- reading --------------------------------------------------------------------------------------
    def _dec(self, value: Any, objs: list) -> Any:
        if type(value) is dict:
            if len(value) == 1:
                for tag, inner in value.items():
                    read = self._readers.get(tag)
                    if read is not None:
                        return read(inner, objs)
                    if tag[:1] == "$":
                        raise CodecError(f"unknown tag {tag!r}")
            return {k: self._dec(v, objs) for k, v in value.items()}
        if type(value) is list:
            return [self._dec(v, objs) for v in value]
        return value

    def _read_iri(self, inner: Any, objs: list) -> Any:
        iri = self._iris.get(inner) if type(inner) is str else None
        if iri is None:
            iri = self._iris[_expect(inner, str)] = self._uriref(inner)
        return iri

    def _read_ref(self, inner: Any, objs: list) -> Any:
        if type(inner) is not int or not 0 <= inner < len(objs):
            raise CodecError(f"reference {inner!r} to an object not yet read")
        return objs[inner]

    def _read_object(self, inner: Any, objs: list) -> Any:
        name, state = _expect(inner, list)
        cls = self.classes.get(name) if type(name) is str else None
        if cls is None:
            raise CodecError(f"{name!r} is not in the cache's allow-list")
        if name in self._fields:
            fields = _expect(state, list)
            if len(fields) != len(self._fields[name]):
                raise CodecError(f"{name} needs {len(self._fields[name])} fields, got {len(fields)}")
            obj = cls(*[self._dec(v, objs) for v in fields])
            objs.append(obj)
            return obj
        obj = cls.__new__(cls)
        objs.append(obj)
        state = self._dec(_expect(state, dict), objs)
        if type(state) is not dict:
            raise CodecError(f"{name} state is not a dict")
        if hasattr(cls, "__setstate__"):
            obj.__setstate__(state)
        else:
            obj.__dict__.update(state)
        return obj

    def _read_graph(self, doc: Any, objs: list):
        import networkx as nx

        _expect(doc, dict)
        nodes = [self._dec(n, objs) for n in _expect(doc["nodes"], list)]
        attrs = [_expect(self._dec(a, objs), dict) for a in _expect(doc["node_data"], list)]
        keys = [self._dec(k, objs) for k in _expect(doc["keys"], list)]
        g = nx.MultiDiGraph()  # read in the order written: nodes, their data, keys, edges, graph attributes
        g.add_nodes_from(zip(nodes, attrs, strict=True))
        edges = [(nodes[u], nodes[v], keys[k], self._dec(data, objs)) for u, v, k, data in _expect(doc["edges"], list)]
        if not all(type(e[3]) is dict for e in edges):
            raise CodecError("an edge's data is not a dict")
        g.add_edges_from(edges)
        g.graph.update(_expect(self._dec(doc["graph"], objs), dict))
        return g


_SCALARS = frozenset((str, int, float, bool, type(None)))
_PLAIN = {list: "$L", tuple: "$T", set: "$S", frozenset: "$F"}
_TAGS = {list: "$l", tuple: "$t", set: "$s", frozenset: "$f"}


def _scalars(value: Any, kind: type) -> Any:
    """``value``, checked to be a list (or dict) of JSON scalars only."""
    _expect(value, kind)
    if not all(type(v) in _SCALARS for v in (value.values() if kind is dict else value)):
        raise CodecError("a plain container holds a nested value")
    return value


def _listed(value: Any) -> list:
    if type(value) is not list:
        raise CodecError(f"expected list, got {type(value).__name__}")
    return value


def _expect(value: Any, kind: type) -> Any:
    if type(value) is not kind:
        raise CodecError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def _ordered(items) -> list:
    """A set's members in a stable order (sorted when they can be), so the same value writes the same text."""
    try:
        return sorted(items)
    except TypeError:
        return list(items)


def _edge_order(g) -> list[tuple]:
    """The (u, v) pairs of ``g`` in an order in which adding them rebuilds every node's successor order
    and predecessor order: a topological order of the two chains (the order they were first added in
    is one, so one exists)."""
    from collections import deque

    after: dict[tuple, list[tuple]] = {}
    waiting: dict[tuple, int] = {}
    for chains in (((u, v) for v in nbrs) for u, nbrs in g.succ.items()), \
                  (((u, v) for u in nbrs) for v, nbrs in g.pred.items()):
        for chain in chains:
            previous = None
            for pair in chain:
                waiting.setdefault(pair, 0)
                if previous is not None:
                    after.setdefault(previous, []).append(pair)
                    waiting[pair] += 1
                previous = pair
    ready = deque(pair for pair, count in waiting.items() if count == 0)
    order = []
    while ready:
        pair = ready.popleft()
        order.append(pair)
        for nxt in after.get(pair, ()):
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                ready.append(nxt)
    if len(order) != len(waiting):
        raise CodecError("the graph's edge orders are inconsistent")
    return order
