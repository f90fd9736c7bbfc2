"""The ``mskg`` click group. Each feature module exports its commands; this module only assembles them."""
from __future__ import annotations

import click

from .browse import browse, export, tree
from .docs import docs
from .kb import build, stats, validate
from .query import load, query
from .reason import reason
from .serve import serve
from .triage import explain, search, triage

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}

@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="mskg", prog_name="mskg")  # looked up only when asked
def cli() -> None:
    """mskg: a provenance-traced knowledge graph of sports-related back and elbow pain.

    Information, not medical advice. In an emergency call 999.
    """


cli.add_command(triage)
cli.add_command(explain)
cli.add_command(search)
cli.add_command(browse)
cli.add_command(tree)
cli.add_command(export)
cli.add_command(docs)
cli.add_command(query)
cli.add_command(load)
cli.add_command(serve)
cli.add_command(reason)
cli.add_command(build)
cli.add_command(validate)
cli.add_command(stats)
