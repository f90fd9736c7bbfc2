"""Query engines behind the named library: one interface, three implementations, chosen by measurement.

- ``pyoxigraph`` (the default): the graph loaded into an in-memory Oxigraph store (Rust). Parameters are
  bound with Oxigraph's ``substitutions``; results serialise natively in the W3C formats.
- ``rdflib``: rdflib's own SPARQL engine over the in-memory graph (pure Python; slow, but always there).
- ``oxrdflib``: rdflib's Graph API over an Oxigraph store (measured in ``benchmarks/queries.py``).

``benchmarks/queries.py`` times the library on each; every golden test must pass on the one in use.
All results are turned into rdflib terms (``QueryResult``) so views and tests see one shape.
"""
from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef, XSD
from rdflib.term import Node

ENGINE_NAMES = ("pyoxigraph", "rdflib", "oxrdflib")

# ---------------------------------------------------------------------- terms kept as they were sent

_AS_SENT = threading.local()


class _QuietIllTyped(logging.Filter):
    """rdflib logs a warning with a traceback for every literal whose lexical form its Python type cannot
    read (``"1e5"^^xsd:integer``, a year of eleven digits). For a term taken as sent that is no error (the
    lexical form is what is shown): the record is dropped while :func:`terms_as_sent` is active."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (getattr(_AS_SENT, "depth", 0) and record.getMessage().startswith("Failed to convert Literal"))


logging.getLogger("rdflib.term").addFilter(_QuietIllTyped())


@contextlib.contextmanager
def terms_as_sent() -> Iterator[None]:
    """Within it, literals rdflib makes from text (an N-Triples parse) keep their lexical form exactly
    (``rdflib.NORMALIZE_LITERALS`` off), and rdflib's warnings about ill-typed ones are not printed.
    Normalising is what must not happen to what another process or server sent: rdflib rewrites
    ``"1E+999999999"^^xsd:decimal`` (12 bytes) into a billion digits. Not thread-safe (the switch is
    rdflib's global): for a command's own thread."""
    import rdflib

    before = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        with quiet_ill_typed():
            yield
    finally:
        rdflib.NORMALIZE_LITERALS = before


@contextlib.contextmanager
def quiet_ill_typed() -> Iterator[None]:
    """Within it (this thread), rdflib's warning-with-traceback about a literal it cannot convert to a
    Python value is not printed: such a literal is kept and shown by its lexical form."""
    depth = getattr(_AS_SENT, "depth", 0)
    _AS_SENT.depth = depth + 1
    try:
        yield
    finally:
        _AS_SENT.depth = depth


def literal_as_sent(lexical: str, lang: str | None = None, datatype: str | None = None) -> Literal:
    """A literal with exactly this lexical form (never normalised, so never expanded: see
    :func:`terms_as_sent`); its Python value is computed as rdflib does, ``None`` when ill-typed."""
    with terms_as_sent():
        return Literal(lexical, lang=lang, datatype=None if datatype is None else URIRef(datatype), normalize=False)
DEFAULT_ENGINE = "pyoxigraph"


class QueryError(ValueError):
    """A query the engine cannot parse or run; ``line``/``column`` locate a syntax error when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        self.line, self.column = line, column
        where = f" at line {line}, column {column}" if line is not None else ""
        super().__init__(f"{message}{where}" if where and "line" not in message else message)


@dataclass
class QueryResult:
    """A query's answer: ``kind`` is select, ask or graph; rows hold rdflib terms (None when unbound)."""

    kind: str
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Node | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None


# ---------------------------------------------------------------------- comparing results across engines

_NUMERIC = {str(XSD.integer): "integer", str(XSD.int): "integer", str(XSD.long): "integer",
            str(XSD.nonNegativeInteger): "integer", str(XSD.decimal): "decimal", str(XSD.double): "double",
            str(XSD.float): "double"}


def cell(term: Node | None) -> str | None:
    """A canonical N-Triples-like string for one result term: numbers compared by value, not lexical form."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return "_:b"
    assert isinstance(term, Literal)
    datatype = str(term.datatype) if term.datatype else None
    if datatype in _NUMERIC:
        try:
            value = Decimal(str(term))
        except InvalidOperation:
            return f'"{term}"^^<{datatype}>'
        text = format(value.normalize(), "f") if value != 0 else "0"
        return f'"{text}"^^{_NUMERIC[datatype]}'
    if datatype == str(XSD.boolean):
        return '"true"^^boolean' if str(term) in ("true", "1") else '"false"^^boolean'
    if term.language:
        return f'"{term}"@{term.language}'
    if datatype and datatype != str(XSD.string):
        return f'"{term}"^^<{datatype}>'
    return f'"{term}"'


def comparable(result: QueryResult) -> Any:
    """The result as something order-free to compare: a set of rows, a boolean, or a set of triples."""
    if result.kind == "ask":
        return result.boolean
    if result.kind == "graph":
        return {tuple(cell(t) for t in triple) for triple in result.graph}
    return {tuple(sorted((v, cell(t)) for v, t in zip(result.variables, row) if t is not None))
            for row in result.rows}


# ---------------------------------------------------------------------- engines

class Engine:
    """Runs SPARQL over one graph. ``bindings`` map variable names to rdflib terms (never text into the query)."""

    name = "abstract"

    def query(self, text: str, bindings: Mapping[str, Node] | None = None) -> QueryResult:
        raise NotImplementedError


_RDFLIB_POSITION = re.compile(r"line:(\d+), col:(\d+)")


class RdflibEngine(Engine):
    """rdflib's own SPARQL engine."""

    name = "rdflib"

    def __init__(self, graph: Graph):
        self.graph = graph

    def query(self, text: str, bindings: Mapping[str, Node] | None = None) -> QueryResult:
        from pyparsing import ParseException

        from ..ontology.namespaces import NAMESPACES

        try:
            result = self.graph.query(text, initNs=dict(NAMESPACES), initBindings=dict(bindings or {}))
        except ParseException as exc:
            raise QueryError(f"syntax error: {exc.msg}", exc.lineno, exc.col) from exc
        except Exception as exc:  # rdflib raises many kinds for bad queries
            raise QueryError(str(exc)) from exc
        return _from_rdflib(result)


class OxrdflibEngine(RdflibEngine):
    """rdflib's Graph API backed by Oxigraph (oxrdflib)."""

    name = "oxrdflib"

    def __init__(self, graph: Graph):
        try:
            import oxrdflib  # noqa: F401  (registers the "Oxigraph" store plugin)
        except ImportError as exc:
            raise QueryError("the oxrdflib engine is not installed: pip install 'mskg[bench]'") from exc
        store = Graph(store="Oxigraph")
        store.parse(data=graph.serialize(format="nt"), format="nt")
        super().__init__(store)


def _from_rdflib(result: Any) -> QueryResult:
    if result.type == "ASK":
        return QueryResult("ask", boolean=bool(result.askAnswer))
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        graph = Graph()
        for triple in result:
            graph.add(triple)
        return QueryResult("graph", graph=graph)
    variables = [str(v) for v in result.vars]
    return QueryResult("select", variables, [tuple(row) for row in result])


_OX_POSITION = re.compile(r"error at (\d+):(\d+): ?(.*)", re.S)


def oxigraph_syntax_error(message: str) -> QueryError:
    """Oxigraph's SyntaxError message as a QueryError with line and column (and a hint for a prefix)."""
    match = _OX_POSITION.match(message)
    if not match:
        return QueryError(f"syntax error: {message}")
    detail = match.group(3)
    if "Prefix not found" in detail:
        detail = "undefined prefix (mskg, id, skos, prov, oa, time, dct, rdf, rdfs, owl, xsd are predeclared)"
    elif len(detail) > 200:
        detail = detail[:200] + "…"
    return QueryError(f"syntax error: {detail}", int(match.group(1)), int(match.group(2)))


class OxigraphEngine(Engine):
    """An in-memory pyoxigraph Store holding the graph."""

    name = "pyoxigraph"

    def __init__(self, graph: Graph | None = None, ntriples: bytes | None = None):
        import pyoxigraph as ox

        self.ox = ox
        self.store = ox.Store()
        data = ntriples if ntriples is not None else graph.serialize(format="nt", encoding="utf-8")
        self.store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)
        from ..ontology.namespaces import NAMESPACES

        self.prefixes = {prefix: str(ns) for prefix, ns in NAMESPACES.items()}

    def to_ox(self, term: Node):
        ox = self.ox
        if isinstance(term, URIRef):
            return ox.NamedNode(str(term))
        if isinstance(term, BNode):
            return ox.BlankNode(str(term))
        if isinstance(term, Literal):
            if term.language:
                return ox.Literal(str(term), language=term.language)
            if term.datatype:
                return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
            return ox.Literal(str(term))
        raise TypeError(f"cannot bind {term!r}")

    def raw(self, text: str, bindings: Mapping[str, Node] | None = None):
        """Run the query and return pyoxigraph's own result object (for native serialisation)."""
        try:
            substitutions = {self.ox.Variable(name): self.to_ox(term) for name, term in (bindings or {}).items()}
        except ValueError as exc:
            raise QueryError(f"bad parameter value: {exc}") from exc
        try:
            return self.store.query(text, substitutions=substitutions or None, prefixes=self.prefixes)
        except SyntaxError as exc:
            raise oxigraph_syntax_error(str(exc)) from exc

    def query(self, text: str, bindings: Mapping[str, Node] | None = None) -> QueryResult:
        result = self.raw(text, bindings)
        ox = self.ox
        if isinstance(result, ox.QueryBoolean):
            return QueryResult("ask", boolean=bool(result))
        if isinstance(result, ox.QueryTriples):
            graph = Graph()
            for triple in result:
                graph.add((from_ox(triple.subject), from_ox(triple.predicate), from_ox(triple.object)))
            return QueryResult("graph", graph=graph)
        variables = [v.value for v in result.variables]
        rows = [tuple(from_ox(solution[v]) for v in variables) for solution in result]
        return QueryResult("select", variables, rows)


def from_ox(term: Any) -> Node | None:
    """A pyoxigraph term as an rdflib term; a literal keeps Oxigraph's lexical form (:func:`literal_as_sent`)."""
    if term is None:
        return None
    kind = type(term).__name__
    if kind == "NamedNode":
        return URIRef(term.value)
    if kind == "BlankNode":
        return BNode(term.value)
    if kind == "Literal":
        if term.language:
            return literal_as_sent(term.value, lang=term.language)
        datatype = term.datatype.value
        return literal_as_sent(term.value, datatype=None if datatype == str(XSD.string) else datatype)
    raise TypeError(f"unsupported term {term!r}")


def make_engine(name: str, graph: Graph) -> Engine:
    """Create the named engine over ``graph``."""
    if name == "pyoxigraph":
        return OxigraphEngine(graph)
    if name == "rdflib":
        return RdflibEngine(graph)
    if name == "oxrdflib":
        return OxrdflibEngine(graph)
    raise ValueError(f"unknown engine {name!r}; use one of {', '.join(ENGINE_NAMES)}")


_ENGINES: dict[tuple[str, int], Engine] = {}


def engine_for(graph: Graph, name: str = DEFAULT_ENGINE) -> Engine:
    """The named engine over ``graph``, created once per process."""
    key = (name, id(graph))
    if key not in _ENGINES:
        _ENGINES[key] = make_engine(name, graph)
    return _ENGINES[key]
