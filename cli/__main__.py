"""``python -m mskg.cli``: the same as the ``mskg`` console script."""
from .main import cli

cli()
