"""``mskg serve``: the SPARQL 1.1 Protocol endpoint over the embedded graph."""
from __future__ import annotations

import click

from .params import SECONDS


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--timeout", default=10.0, show_default=True, type=SECONDS, help="Seconds a query may run before it is stopped.")
@click.option("--max-results", default=10_000, show_default=True, type=int, help="Most result rows (or triples) per query.")
@click.option("--workers", default=2, show_default=True, type=int, help="Query worker processes.")
@click.option("--memory-limit", default=2048, show_default=True, type=int, help="Memory cap per worker, in MB.")
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN",
              help="Allow browser clients from this origin (repeatable; '*' for any). Off by default; never with credentials.")
def serve(host, port, timeout, max_results, workers, memory_limit, cors_origins):
    """Serve the graph at http://HOST:PORT/sparql (SPARQL 1.1 Protocol, read-only)."""
    from ..queries.endpoint.server import ServerConfig
    from ..queries.endpoint.server import serve as run

    if timeout <= 0 or max_results <= 0 or workers <= 0 or memory_limit <= 0:
        raise click.BadParameter("limits must be positive")
    config = ServerConfig(timeout=timeout, max_rows=max_results, workers=workers, memory_mb=memory_limit,
                          cors_origins=list(cors_origins))
    click.echo(f"mskg: SPARQL endpoint on http://{host}:{port}/sparql (read-only; {timeout:g} s and "
               f"{max_results} rows per query)", err=True)
    run(host, port, config)
