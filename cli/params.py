"""Click parameter types shared by several commands."""
from __future__ import annotations

import math

import click


class Seconds(click.ParamType):
    """A positive, finite number of seconds: ``nan``, ``inf``, zero and negatives are usage errors (exit 2)."""

    name = "seconds"

    def __init__(self, maximum: float = 86_400.0):
        self.maximum = maximum  # a day: a longer limit is a typing error, not a query

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(number) or number <= 0 or number > self.maximum:
            self.fail(f"{value!r} is not a number of seconds between 0 (excluded) and {self.maximum:g}", param, ctx)
        return number


SECONDS = Seconds()
