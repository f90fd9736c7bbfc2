"""``mskg docs``: the educators' pages as a static site (relative links, no server needed)."""
from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("mskg-site"),
              show_default=True, help="Folder to write the site into.")
def docs(out: Path) -> None:
    """Write the concept pages, the hierarchy, red flags by urgency and search as a static site."""
    from ..kg.load import load_graph
    from ..queries.site.pages import build_site

    site = build_site(load_graph())
    for path, (_, body) in sorted(site.items()):
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    click.echo(f"wrote {len(site)} files to {out}; open {out / 'index.html'}")
