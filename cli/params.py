"""Click parameter types shared by several commands."""
from __future__ import annotations

import math

import click


class Seconds(click.ParamType):
    """A positive, finite number of seconds: ``nan``, ``inf``, zero and negatives are usage errors (exit 2)."""

    name = "seconds"

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(number) or number <= 0:
            self.fail(f"{value!r} is not a positive, finite number of seconds", param, ctx)
        return number


SECONDS = Seconds()
