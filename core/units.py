"""Readable numbers, the one place they are formatted: counts (3_663_761_408 -> '3.66 G'; the papers quote
multiply-adds in G, parameters in M) and durations."""

from __future__ import annotations

PREFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K"))


def human(n: float, digits: int = 3, textbook: bool = False) -> str:
    """Engineering prefix with `digits` significant figures; plain digits below a thousand.
    `textbook=True`: the papers' style of the Cost Lab, 120422400 -> '120.4M' (one decimal for K and M,
    two for G, no space)."""
    if textbook:
        for scale, suffix, decimals in ((1e9, "G", 2), (1e6, "M", 1), (1e3, "K", 1)):
            if abs(n) >= scale:
                return f"{n / scale:.{decimals}f}{suffix}"
        return f"{n:g}"
    for scale, prefix in PREFIXES:
        # 999_999 rounds to 1.00 M, not 1000 K: compare after rounding to the shown precision
        if abs(n) >= scale * (1 - 0.5 * 10**-digits):
            value = n / scale
            decimals = max(digits - len(str(int(abs(value)))), 0)
            if len(f"{abs(value):.{decimals}f}".split(".")[0]) > len(str(int(abs(value)))):  # 99.99 -> 100
                decimals = max(decimals - 1, 0)
            return f"{value:.{decimals}f} {prefix}"
    return f"{n:g}"


def format_duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"
