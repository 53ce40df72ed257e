"""Summaries of timing samples: percentiles by nearest rank, in the unit asked for."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values (fraction in 0..1)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return float(sorted_values[rank - 1])


def summarise(samples_ns: Sequence[int], unit: str = "us") -> dict[str, Any]:
    """Count, mean, p50, p90, p99 and max of durations in nanoseconds, converted to unit (us or ms)."""
    scale = {"us": 1e3, "ms": 1e6}[unit]
    values = sorted(v / scale for v in samples_ns)
    return {
        "unit": unit,
        "n": len(values),
        "mean": sum(values) / len(values) if values else math.nan,
        "p50": percentile(values, 0.50),
        "p90": percentile(values, 0.90),
        "p99": percentile(values, 0.99),
        "max": values[-1] if values else math.nan,
    }


def ratio(value: float | None, baseline: float | None) -> float | None:
    """value / baseline, or None when either is missing or the baseline is zero."""
    if value is None or baseline is None or baseline == 0 or math.isnan(value) or math.isnan(baseline):
        return None
    return value / baseline
