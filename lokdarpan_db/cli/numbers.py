"""Number options that refuse what Python's float() and int() accept but no option means: NaN,
infinities, `1e400` (an infinity once parsed), and values outside the option's range. click's
FloatRange lets NaN through (every comparison with NaN is false), so these check finiteness first.
The error is click's usual one line, exit 2."""

from __future__ import annotations

import math
from typing import Any

import click

from ..migrate.engine import MAX_LOCK_TIMEOUT


class Finite(click.ParamType):
    """A finite float within [low, high]."""

    name = "number"

    def __init__(self, low: float, high: float, unit: str = ""):
        self.low, self.high, self.unit = low, high, unit

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        text = str(value).strip()[:20]
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{text!r} is not a number", param, ctx)
        if not (math.isfinite(number) and self.low <= number <= self.high):
            unit = f" {self.unit}" if self.unit else ""
            self.fail(f"{text} is not a number{unit} from {self.low:.15g} to {self.high:.15g}", param, ctx)
        return number


# Every option that takes seconds to wait for the deploy lock.
LOCK_TIMEOUT = Finite(0, MAX_LOCK_TIMEOUT, "of seconds")
# Milliseconds of a threshold: up to a day.
MILLISECONDS = Finite(0, 86_400_000, "of milliseconds")
