"""Argument types shared by several subcommands."""

from __future__ import annotations

import argparse
import math

MAX_SECONDS = 24 * 3600.0


def positive_seconds(text: str) -> float:
    """A finite number of seconds above zero and at most a day (``inf`` and ``nan`` refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0 or value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give a number of seconds above 0 and at most {MAX_SECONDS:g}"
        )
    return value
