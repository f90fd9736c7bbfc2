"""``mskg docs``: the educators' pages as a static site (relative links, no server needed)."""
from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("mskg-site"),
              show_default=True, help="Folder to write the site into.")
def docs(out: Path) -> None:
    """Write the concept pages, the hierarchy, red flags by urgency and search as a static site.

    All or nothing: the pages are written beside (or, for an existing folder, inside) OUT first and moved
    into place only when every one is written; on a failure OUT is unchanged (exit 1).
    """
    from ..kg.load import load_graph
    from ..kg.output import write_files
    from ..queries.site.pages import build_site
    from .kb import write_error

    site = build_site(load_graph())
    try:  # all or nothing: a failure half-way leaves ``out`` as it was
        write_files(out, {path: body for path, (_, body) in sorted(site.items())})
    except Exception as exc:
        click.echo(f"mskg docs: {write_error(exc, out)}; nothing was written, {out} is unchanged.", err=True)
        raise SystemExit(1) from None
    click.echo(f"wrote {len(site)} files to {out}; open {out / 'index.html'}")
