"""Query-layer commands: ``mskg query`` (the named library, a file, or -e) and ``mskg load`` (to a triplestore)."""
from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

from .params import SECONDS

FORMATS = ["table", "json", "csv", "tsv", "xml", "turtle", "nt", "json-ld"]


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"mskg query: {message}", err=True)
    raise SystemExit(code)


def _list_queries() -> None:
    """Each named query: its name and title, then its parameters and the question it answers, indented."""
    from ..queries import query_info, query_names

    for info in (query_info(n) for n in query_names()):
        click.echo(f"{info.name}  {info.title}")
        params = " ".join(f"--param {p}=…" for p in info.parameters) or "none"
        click.echo(f"    parameters: {params}")
        if info.question:
            click.echo(f"    question: {info.question}")


def _source(name_or_file: str | None, expression: str | None) -> tuple[str, tuple[str, ...] | None]:
    """The query text and, for a named query, its declared parameters."""
    from ..queries import UnknownQueryError, query_info, query_names

    if expression is not None:
        if name_or_file:
            _fail("give a query name, a file, or -e, not several")
        return expression, None
    if not name_or_file:
        _fail("give a query name (see `mskg query --list`), a FILE.rq, or -e 'QUERY'")
    path = Path(name_or_file)
    if name_or_file.endswith(".rq") or path.is_file():
        try:
            return path.read_text(encoding="utf-8"), None
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"cannot read {name_or_file}: {exc}")
    try:
        info = query_info(name_or_file)
    except UnknownQueryError:
        close = difflib.get_close_matches(name_or_file, query_names(), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `mskg query --list`"
        _fail(f"no query named {name_or_file!r}{hint}")
    return info.text, info.parameters


@click.command()
@click.argument("name_or_file", required=False, metavar="NAME | FILE.rq")
@click.option("-e", "--expression", metavar="QUERY", help="A SPARQL query given on the command line.")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="Bind a query variable (repeatable): id:tennis-elbow, <iri>, tennis-elbow, 42, text.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="table (default for SELECT/ASK), json|csv|tsv|xml (W3C results), turtle (default for graphs)|nt|json-ld.")
@click.option("--engine", type=click.Choice(["pyoxigraph", "rdflib", "oxrdflib"]), default="pyoxigraph",
              show_default=True, help="In-process query engine (see benchmarks/queries.py).")
@click.option("--endpoint", metavar="URL", help="Run on an external SPARQL 1.1 endpoint instead (e.g. Oxigraph's /query).")
@click.option("--timeout", type=SECONDS, default=30.0, show_default=True,
              help="Seconds a query given with -e or as a FILE.rq may run before it is stopped; with --endpoint, "
                   "seconds the whole request (connecting, sending, the complete answer) may take.")
@click.option("--max-response-bytes", type=click.IntRange(1, 2**40), default=64_000_000, show_default=True,
              help="With --endpoint: most bytes of the endpoint's answer (a larger one is an error, not read).")
@click.option("--list", "list_", is_flag=True,
              help="List the named queries: name and title, then their parameters and question.")
@click.option("--show", "show", is_flag=True, help="Print the named query's SPARQL text instead of running it.")
def query(name_or_file, expression, params, fmt, engine, endpoint, timeout, max_response_bytes, list_, show):
    """Run a named query from the library, a .rq file, or -e 'QUERY' on the mskg graph.

    A syntax error reports its line and column and exits 2. Updates, LOAD, SERVICE, FROM and custom
    function calls are refused (exit 2), on the parsed query, before it is run or sent. A query given with
    -e or as a file runs (with the default engine) in a worker process that is stopped after --timeout
    seconds (exit 1), as `mskg serve` runs every query. With --endpoint, a request that takes longer than
    --timeout in all exits 1; an answer over --max-response-bytes, a redirect (not followed), a connection
    closed early or an answer that is not HTTP exit 2 with one line that repeats nothing the endpoint sent.
    Control characters in values are written out (\x1b) in the table, and in every format when the output is
    a terminal; piped or redirected, json|csv|tsv|xml|turtle|nt|json-ld are the exact data.
    """
    if list_:
        _list_queries()
        return
    text, declared = _source(name_or_file, expression)
    if show:
        click.echo(text, nl=not text.endswith("\n"))
        return
    from ..kg.load import load_graph
    from ..queries.engine import QueryError
    from ..queries.results import FormatError, for_terminal, serialize, to_table
    from ..queries.run import (ParameterError, QueryRefused, QueryTimeout, check_param_used, parse_param,
                               resource_param, run_killable, run_local, run_remote)

    # The graph is loaded also for --endpoint when there are parameters: a bare id names the same resource
    # on every path (it used to go to an endpoint as a plain string and match nothing).
    graph = load_graph() if endpoint is None or params else None
    bindings = {}
    for param in params:
        try:
            if declared is not None:  # a library query: every parameter is a resource of the graph
                name = param.partition("=")[0].strip().lstrip("?$")
                if name not in declared:
                    _fail(f"query {name_or_file!r} has no parameter {name!r}; its parameters: "
                          + (", ".join(declared) or "none"))
                name, term = resource_param(param, graph)
            else:
                name, term = parse_param(param, graph)
                check_param_used(name, text)
        except ParameterError as exc:
            _fail(str(exc))
        bindings[name] = term
    try:
        if endpoint:
            result = run_remote(text, endpoint, bindings, timeout=timeout, max_bytes=max_response_bytes)
        elif declared is None and engine == "pyoxigraph":  # text from the user: killable, off this process
            result = run_killable(text, graph, bindings, timeout)
        else:
            result = run_local(text, graph, bindings, engine)
    except QueryRefused as exc:  # the query guard: SERVICE, FROM, an update, a custom function, too deep …
        _fail(str(exc))
    except QueryTimeout as exc:
        _fail(str(exc), 1)
    except QueryError as exc:
        _fail(str(exc))
    chosen = fmt or ("turtle" if result.kind == "graph" else "table")
    try:
        if chosen == "table":
            click.echo(to_table(result))
        else:
            data = serialize(result, chosen)
            if sys.stdout.isatty():  # for eyes: no ANSI escape, terminal title or bell gets through raw
                data = for_terminal(data.decode("utf-8")).encode("utf-8")
            sys.stdout.buffer.write(data)  # piped or redirected: the exact data
            sys.stdout.flush()
    except FormatError as exc:
        _fail(str(exc))


@click.command()
@click.option("--endpoint", required=True, metavar="URL",
              help="A SPARQL 1.1 Graph Store Protocol endpoint, e.g. http://127.0.0.1:7878/store (Oxigraph).")
@click.option("--graph", "named_graph", metavar="IRI", help="Load into this named graph instead of the default graph.")
@click.option("--timeout", type=SECONDS, default=120.0, show_default=True,
              help="Seconds the whole request (connecting, sending the graph, the store's complete answer) may take.")
def load(endpoint, named_graph, timeout):
    """Push the ontology and instance graph to an external triplestore (replacing what the target graph held).

    Success is reported only for a 2xx answer with a complete, well-formed status line and headers; a
    request that takes longer than --timeout in all, a redirect (not followed), a connection closed early
    or an answer that is not HTTP exit 1 with one line that repeats nothing the store sent."""
    from ..kg.load import load_graph
    from ..queries.engine import QueryError
    from ..queries.run import load_remote

    try:
        count = load_remote(load_graph(), endpoint, named_graph, timeout=timeout)
    except QueryError as exc:
        click.echo(f"mskg load: {exc}", err=True)
        raise SystemExit(1)
    click.echo(f"loaded {count} triples into {'the default graph' if named_graph is None else named_graph} "
               f"at {endpoint}")
