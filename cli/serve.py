"""``mskg serve``: the SPARQL 1.1 Protocol endpoint over the embedded graph."""
from __future__ import annotations

import click

from .params import SECONDS


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65_535))
@click.option("--timeout", default=10.0, show_default=True, type=SECONDS,
              help="Seconds a query may run before it is stopped.")
@click.option("--max-results", default=10_000, show_default=True, type=click.IntRange(1, 10_000_000),
              help="Most result rows (or triples) per query.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 256), help="Query worker processes.")
@click.option("--memory-limit", default=2048, show_default=True, type=click.IntRange(64, 1_048_576),
              help="Memory cap per worker, in MB.")
@click.option("--max-result-bytes", default=16_000_000, show_default=True, type=click.IntRange(1, 2**31 - 1),
              help="Most bytes of one written result; a larger one gets 413 before anything is sent.")
@click.option("--max-buffered-bytes", default=None, type=click.IntRange(1, 2**40),
              help="Most bytes of answers the server holds while their clients read them, over all "
                   "connections; an answer that does not fit gets 503 (one of at most 64 KB always fits). At "
                   "least --max-result-bytes. [default: 4 x --max-result-bytes]")
@click.option("--header-timeout", default=10.0, show_default=True, type=SECONDS,
              help="Seconds a client has to send a request line and headers (408, or closed if it sent "
                   "nothing), and again for a POST body.")
@click.option("--idle-timeout", default=10.0, show_default=True, type=SECONDS,
              help="Seconds a connection may stay silent between requests, or take nothing of a response "
                   "being sent, before it is closed.")
@click.option("--send-timeout", default=300.0, show_default=True, type=SECONDS,
              help="Seconds the sending of one response may last in all once the client reads slower than it "
                   "is written (a client that takes nothing is cut off after --idle-timeout).")
@click.option("--max-header-bytes", default=16_384, show_default=True, type=click.IntRange(1_024, 1_048_576),
              help="Most bytes of a request line and headers (431 above).")
@click.option("--max-connections", default=256, show_default=True, type=click.IntRange(1, 100_000),
              help="Most open connections; one more gets 503 and is closed.")
@click.option("--max-client-connections", default=32, show_default=True, type=click.IntRange(1, 100_000),
              help="Most open connections from one client address; one more gets 503 and is closed.")
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN",
              help="Allow browser clients from this origin (repeatable; '*' for any). Off by default; never with credentials.")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="HOST",
              help="A Host name clients may use (repeatable; '*' for any). Default: the --host address, localhost, "
                   "127.0.0.1 and ::1. Other Host headers get 421 (guards against DNS rebinding).")
def serve(host, port, timeout, max_results, workers, memory_limit, max_result_bytes, max_buffered_bytes,
          header_timeout, idle_timeout, send_timeout, max_header_bytes, max_connections, max_client_connections, cors_origins, allowed_hosts):
    """Serve the graph at http://HOST:PORT/sparql (SPARQL 1.1 Protocol, read-only)."""
    from ..queries.endpoint.server import LOCAL_HOSTS, ServerConfig
    from ..queries.endpoint.server import serve as run

    if max_buffered_bytes is not None and max_buffered_bytes < max_result_bytes:
        raise click.BadParameter(f"{max_buffered_bytes} is less than --max-result-bytes ({max_result_bytes}): "
                                 "a result of that size could never be sent", param_hint="'--max-buffered-bytes'")
    hosts = list(allowed_hosts) or list(LOCAL_HOSTS)
    config = ServerConfig(timeout=timeout, max_rows=max_results, workers=workers, memory_mb=memory_limit,
                          max_result_bytes=max_result_bytes, max_buffered_bytes=max_buffered_bytes,
                          header_timeout=header_timeout,
                          idle_timeout=idle_timeout, send_timeout=send_timeout, max_header_bytes=max_header_bytes,
                          max_connections=max_connections, max_client_connections=max_client_connections, cors_origins=list(cors_origins), allowed_hosts=hosts)
    click.echo(f"mskg: SPARQL endpoint on http://{host}:{port}/sparql (read-only; {timeout:g} s and "
               f"{max_results} rows per query)", err=True)
    if host in ("0.0.0.0", "::") and not allowed_hosts:
        click.echo("mskg: listening on every address, but answering only for localhost: name the host clients "
                   "use with --allowed-host", err=True)
    run(host, port, config)
