"""The query guard: what a query may do, decided on the *parsed* query before anything is evaluated.

Every query that mskg evaluates or forwards — ``mskg serve`` (in its worker, right before Oxigraph),
``mskg query`` (in-process) and ``mskg query --endpoint`` (before it is sent) — first goes through
:func:`check_query`, which:

1. refuses a carriage return not followed by a line feed (rdflib ends a ``#`` comment only at a line
   feed, Oxigraph at either: a lone CR would let text be a comment for the guard and code for the engine);
2. parses the text with rdflib's SPARQL 1.1 parser (a real grammar, not a keyword scan) and walks
   *every* node of the parse tree, then of rdflib's algebra: ``SERVICE`` anywhere (OPTIONAL, UNION,
   MINUS, GRAPH, subqueries, FILTER EXISTS / NOT EXISTS, BIND (EXISTS …) …), ``FROM`` / ``FROM NAMED``
   → :class:`ForbiddenQuery` (HTTP 403); a function called by IRI other than the XSD casts SPARQL 1.1
   defines → :class:`QueryRefused` (400); a tree deeper or larger than Oxigraph's parser is known to
   survive → :class:`QueryRefused` (400);
3. when rdflib cannot parse the text: an update (``LOAD``, ``INSERT`` …) → 403; otherwise Oxigraph's
   own parser is asked (a *probe* that parses without evaluating, see :func:`oxigraph_probe`) only to
   tell which case this is: a syntax error for both parsers → :class:`QueryError` with Oxigraph's
   message and position; a text Oxigraph reads but rdflib does not → 403, because what it would do
   cannot be checked. The guard never lets the engine evaluate a text it could not read itself.

Oxigraph's parser recurses without a bound and can crash the process (a stack overflow) on deeply
nested text, so the probe runs where a crash is contained: in the endpoint's worker process, or in a
child process for the command line (:func:`oxigraph_probe_in_child`).
"""
from __future__ import annotations

import json
import re
import secrets
import signal
import subprocess
import sys
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin

from .engine import QueryError, oxigraph_syntax_error, quiet_ill_typed

XSD = "http://www.w3.org/2001/XMLSchema#"
#: SPARQL 1.1 §17.5 (XPath constructor functions): the only functions a query may call by IRI.
XSD_CASTS = frozenset(XSD + name for name in ("boolean", "double", "float", "decimal", "integer", "dateTime",
                                               "string"))
#: Limits on rdflib's parse tree, far below what crashes or stalls Oxigraph's parser (measured: ~10,000
#: nested groups or ~5,000 BINDs crash it; 400 nested blank nodes take 5 s). rdflib's own recursion
#: limit already stops nesting at a few dozen levels; these make the bound explicit.
MAX_DEPTH = 256
MAX_NODES = 5000

SERVICE_MESSAGE = "SERVICE (federated query) is not accepted: this service makes no outbound connections"
FROM_MESSAGE = ("FROM / FROM NAMED is not accepted: queries run on the mskg graph only, and this service "
                "fetches no remote or local documents")
UPDATE_MESSAGE = "this endpoint is read-only: {} (SPARQL Update) is not accepted"
FUNCTION_MESSAGE = ("the function {} is not accepted: a query may call SPARQL's built-in functions and the "
                    "XSD casts (xsd:boolean, xsd:double, xsd:float, xsd:decimal, xsd:integer, xsd:dateTime, "
                    "xsd:string), no other function by IRI")
TOO_DEEP_MESSAGE = (f"the query is nested too deeply or is too large to be checked (at most {MAX_DEPTH} levels "
                    f"and {MAX_NODES} parts): simplify it")
LONE_CR_MESSAGE = ("a carriage return not followed by a line feed is not accepted (SPARQL parsers disagree on "
                   "whether it ends a comment): end lines with LF or CR LF")
ESCAPE_MESSAGE = ("the escape {} is not accepted: SPARQL parsers disagree on where such escapes apply, so only "
                  "letters and digits may be written as \\u escapes; write the character itself (in a string, "
                  "\\\" \\' \\n \\t … where needed)")
UNCHECKABLE_MESSAGE = ("the query engine reads this query but the query guard cannot ({}), so it is refused: "
                       "what it would do cannot be checked. Write it in standard SPARQL 1.1")
CRASHED_MESSAGE = "the query engine's parser failed on this query ({}): it is probably nested too deeply"

_UPDATE_KEYWORD = {"Load": "LOAD", "Clear": "CLEAR", "Drop": "DROP", "Create": "CREATE", "Add": "ADD",
                   "Move": "MOVE", "Copy": "COPY", "InsertData": "INSERT", "DeleteData": "DELETE",
                   "DeleteWhere": "DELETE"}
_FORMS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}
_LONE_CR = re.compile(r"\r(?!\n)")
_ESCAPE = re.compile(r"\\[uU]([0-9A-Fa-f]{4})([0-9A-Fa-f]{4})?")
#: A text rdflib cannot read with more openers than this is not shown to Oxigraph's parser at all.
_PROBE_MAX_NESTING = 1000
#: Strings, IRIs and comments (masked before looking for a keyword in a text the parser could not check).
_STRINGS_IRIS_COMMENTS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""' r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"' r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n]*",
)
#: The SERVICE keyword, not a variable (?service), a prefixed name (ex:service) or a prefix (service:).
_SERVICE_KEYWORD = re.compile(r"(?<![?$\w:.-])SERVICE(?![\w:.-])", re.IGNORECASE)


class QueryRefused(ValueError):
    """A query the guard will not let through; ``status`` is the HTTP status the endpoint answers with."""

    status = 400


class ForbiddenQuery(QueryRefused):
    """The query asks for something a read-only service with no outbound traffic must not do."""

    status = 403


@dataclass(frozen=True)
class CheckedQuery:
    """A query the guard let through: its text (exactly what may be evaluated) and its form."""

    text: str
    form: str


#: What a probe of Oxigraph's parser found: ("syntax", Oxigraph's message), ("parsed",) or ("crashed", why).
Probe = Callable[[str], tuple]


# ---------------------------------------------------------------------- the check

_CACHE: OrderedDict[str, CheckedQuery] = OrderedDict()
_CACHE_SIZE = 256
_CACHE_MAX_TEXT = 16_384


def check_query(text: str, probe: Probe | None = None) -> CheckedQuery:
    """Decide on the parsed query whether it may be evaluated; raise if not (see the module's docstring).

    ``probe`` asks Oxigraph's parser about a text rdflib could not parse (for the message, and to refuse a
    text the engine reads but the guard does not); without one, rdflib's syntax error is reported.
    """
    cached = _CACHE.get(text)
    if cached is not None:
        _CACHE.move_to_end(text)
        return cached
    try:
        with quiet_ill_typed():  # "1e5"^^xsd:integer in a query is a literal to check, not a warning to print
            checked = _check(text, probe)
    except QueryRefused as exc:
        # Refused because it could not be checked to the end (rdflib's recursion limit, which two nested
        # SERVICEs reach, or the guard's own limits): a SERVICE in it is still a 403, as anywhere else.
        if str(exc) == TOO_DEEP_MESSAGE or str(exc).startswith(CRASHED_MESSAGE.split("{}")[0]):
            if _SERVICE_KEYWORD.search(_STRINGS_IRIS_COMMENTS.sub(" ", text)):
                raise ForbiddenQuery(SERVICE_MESSAGE) from None
        raise
    if len(text) > _CACHE_MAX_TEXT:  # a worker's memory is not a client's to fill
        return checked
    _CACHE[text] = checked
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return checked


def _check(text: str, probe: Probe | None) -> CheckedQuery:
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import expandUnicodeEscapes, parseQuery

    from ..ontology.namespaces import NAMESPACES

    _check_escapes(text)
    try:
        expanded = expandUnicodeEscapes(text)
    except ValueError:  # an escape of no code point: neither parser reads it
        expanded = text
    if _LONE_CR.search(text) or _LONE_CR.search(expanded):
        raise QueryRefused(LONE_CR_MESSAGE)
    try:
        parsed = parseQuery(text)
    except RecursionError:
        raise QueryRefused(TOO_DEEP_MESSAGE) from None
    except Exception as exc:  # ParseException, or a parse action failing on odd input: not read
        _refuse_update(text)
        _unreadable(text, exc, probe)
    form = _FORMS.get(getattr(parsed[1], "name", ""))
    if form is None:
        _unreadable(text, ValueError("not a query"), probe)
    prefixes = {prefix: str(ns) for prefix, ns in NAMESPACES.items()}
    base = None
    for decl in parsed[0]:
        if decl.name == "PrefixDecl":
            prefixes[decl.get("prefix") or ""] = str(decl["iri"])
        elif decl.name == "Base":
            base = str(decl["iri"]) if base is None else urljoin(base, str(decl["iri"]))
    # The parse tree first: translateQuery rewrites it in place (FILTERs move out of their groups).
    _inspect(parsed[1], _Resolver(prefixes, base), limits=True)
    try:
        algebra = translateQuery(parsed, initNs=dict(NAMESPACES))
    except RecursionError:
        raise QueryRefused(TOO_DEEP_MESSAGE) from None
    except Exception as exc:  # e.g. an undefined prefix: rdflib raises plain Exceptions here
        _unreadable(text, exc, probe)
    if getattr(algebra.algebra, "datasetClause", None):
        raise ForbiddenQuery(FROM_MESSAGE)
    _inspect(algebra.algebra, _Resolver({}, None), limits=False)
    return CheckedQuery(text, form)


def _check_escapes(text: str) -> None:
    """Refuse a ``\\u`` / ``\\U`` escape of anything but a letter or a digit.

    rdflib expands these escapes in the whole text before parsing (as SPARQL 1.1 §19.2 says); Oxigraph
    reads them only inside strings and IRIs. ``"\\u0022"`` is then one string for Oxigraph and the start
    of a long string for rdflib, which would hide whatever follows from the guard. A letter or a digit
    cannot open or close a string, an IRI or a comment, so such escapes read the same for both.
    """
    for match in _ESCAPE.finditer(text):
        short, extra = match.group(1), match.group(2)
        codes = [short] + ([short + extra] if extra else [])
        for code in codes:
            value = int(code, 16)
            if value <= 0x10FFFF and not chr(value).isalnum():
                raise QueryRefused(ESCAPE_MESSAGE.format(match.group(0)[: 2 + len(short)]))


def _refuse_update(text: str) -> None:
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        update = parseUpdate(text)
    except Exception:  # not an update either (RecursionError included)
        return
    for request in update.get("request") or []:
        keyword = _UPDATE_KEYWORD.get(request.name)
        if keyword is None:  # Modify: DELETE … INSERT … WHERE, either part optional
            # (CompValue.get gives a missing key's name, never None: ask whether the part is there)
            parts = [name.upper() for name in ("delete", "insert") if name in request]
            keyword = "/".join(parts) or "an update"
        raise ForbiddenQuery(UPDATE_MESSAGE.format(keyword))
    raise ForbiddenQuery(UPDATE_MESSAGE.format("an update"))


def _unreadable(text: str, exc: Exception, probe: Probe | None):
    """rdflib cannot read ``text``: a syntax error (Oxigraph's message when a probe is given) or a refusal."""
    from pyparsing import ParseBaseException

    reason = (f"{exc.msg} at line {exc.lineno}, column {exc.col}" if isinstance(exc, ParseBaseException)
              else str(exc) or type(exc).__name__)
    if sum(text.count(c) for c in "{([!") > _PROBE_MAX_NESTING:
        # Likely to crash or stall Oxigraph's parser (and it is not SPARQL rdflib reads): no probe.
        raise QueryRefused(TOO_DEEP_MESSAGE) from None
    if probe is None:
        if isinstance(exc, ParseBaseException):
            raise QueryError(f"syntax error: {exc.msg}", exc.lineno, exc.col) from None
        raise QueryError(f"syntax error: {reason}") from None
    outcome = probe(text)
    if outcome[0] == "syntax":
        raise oxigraph_syntax_error(outcome[1]) from None
    if outcome[0] == "crashed":
        raise QueryRefused(CRASHED_MESSAGE.format(outcome[1])) from None
    raise ForbiddenQuery(UNCHECKABLE_MESSAGE.format(reason[:200])) from None


class _Resolver:
    """Prefixed names and relative IRIs of function calls, resolved as the query's prologue says."""

    def __init__(self, prefixes: dict[str, str], base: str | None):
        self.prefixes, self.base = prefixes, base

    def __call__(self, iri) -> str | None:
        from rdflib.plugins.sparql.parserutils import CompValue

        if isinstance(iri, CompValue) and iri.name == "pname":
            namespace = self.prefixes.get(iri.get("prefix") or "")
            local = iri.get("localname") or ""
            return None if namespace is None or "\\" in local else namespace + local
        if isinstance(iri, str):
            return urljoin(self.base, str(iri)) if self.base else str(iri)
        return None


def _show(iri) -> str:
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(iri, CompValue) and iri.name == "pname":
        return f"{iri.get('prefix') or ''}:{iri.get('localname') or ''}"
    return f"<{iri}>"


def _inspect(root, resolve: _Resolver, limits: bool) -> None:
    """Walk every node under ``root`` (iteratively: depth is what is being checked) and refuse what
    must not run. A forbidden operator anywhere refuses the query, whatever encloses it."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    forbidden: str | None = None
    function: str | None = None
    nodes = 0
    seen: set[int] = set()
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if limits and depth > MAX_DEPTH:
            raise QueryRefused(TOO_DEEP_MESSAGE)
        if isinstance(node, CompValue):
            nodes += 1
            if limits and nodes > MAX_NODES:
                raise QueryRefused(TOO_DEEP_MESSAGE)
            if node.name == "ServiceGraphPattern":
                forbidden = forbidden or SERVICE_MESSAGE
            elif node.name == "DatasetClause":
                forbidden = forbidden or FROM_MESSAGE
            elif node.name == "Function":
                iri = resolve(node.get("iri"))
                if iri not in XSD_CASTS and function is None:
                    function = f"<{iri}>" if iri else _show(node.get("iri"))
            children = list(node.values())
        elif isinstance(node, ParseResults):
            children = list(node) + [value for _, value in node.items()]
        elif isinstance(node, (list, tuple)):
            children = list(node)
        elif isinstance(node, dict):
            children = list(node.values())
        else:
            continue
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, (CompValue, ParseResults, list, tuple, dict)))
    if forbidden:
        raise ForbiddenQuery(forbidden)
    if function is not None:
        raise QueryRefused(FUNCTION_MESSAGE.format(function))


# ---------------------------------------------------------------------- asking Oxigraph's parser

def _probe_variable(text: str) -> str:
    """A variable name that occurs nowhere in ``text``, even after unicode escapes are expanded."""
    from rdflib.plugins.sparql.parser import expandUnicodeEscapes

    try:
        haystack = (text + expandUnicodeEscapes(text)).lower()
    except ValueError:
        haystack = text.lower()
    while True:
        name = "mskg_guard_probe_" + secrets.token_hex(16)
        if name not in haystack:
            return name


def oxigraph_probe(text: str) -> tuple:
    """Oxigraph's verdict on ``text`` without evaluating it: ("syntax", message), ("parsed",).

    Oxigraph parses first and then checks the ``substitutions`` against the query's projection before it
    evaluates anything; a substitution of a variable the query cannot contain therefore stops it right
    after the parse (tests prove no connection is made even for a SERVICE). Call it only where a crash of
    the parser is contained (a worker or child process).
    """
    import pyoxigraph as ox

    from ..ontology.namespaces import NAMESPACES

    name = _probe_variable(text)
    try:
        ox.Store().query(text, prefixes={prefix: str(ns) for prefix, ns in NAMESPACES.items()},
                         substitutions={ox.Variable(name): ox.Literal("")})
    except SyntaxError as exc:
        return ("syntax", str(exc))
    except Exception:  # the substitution refused (the expected case) or anything else: it parsed
        return ("parsed",)
    return ("parsed",)


def oxigraph_probe_in_child(text: str, timeout: float = 30.0) -> tuple:
    """:func:`oxigraph_probe` in a child process, so that a crash of Oxigraph's parser is contained."""
    code = "from mskg.queries.guard import _probe_main; _probe_main()"
    try:
        done = subprocess.run([sys.executable, "-c", code], input=text.encode("utf-8", "surrogatepass"),
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return ("crashed", f"it did not finish within {timeout:g} s")
    except OSError as exc:
        return ("crashed", f"it could not be started: {exc.strerror}")
    if done.returncode < 0:
        return ("crashed", f"the parser was killed by {signal.Signals(-done.returncode).name}")
    try:
        outcome = json.loads(done.stdout)
    except ValueError:
        return ("crashed", f"the parser exited with status {done.returncode}")
    return tuple(outcome)


def _probe_main() -> None:
    text = sys.stdin.buffer.read().decode("utf-8", "surrogatepass")
    sys.stdout.write(json.dumps(list(oxigraph_probe(text))))
