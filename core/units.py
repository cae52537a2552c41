"""Readable counts: 3_663_761_408 -> '3.66 G' (the papers quote multiply-adds in G, parameters in M)."""
from __future__ import annotations

PREFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K"))


def human(n: float, digits: int = 3) -> str:
    """Engineering prefix with `digits` significant figures; plain digits below a thousand."""
    for scale, prefix in PREFIXES:
        # 999_999 rounds to 1.00 M, not 1000 K: compare after rounding to the shown precision
        if abs(n) >= scale * (1 - 0.5 * 10 ** -digits):
            value = n / scale
            decimals = max(digits - len(str(int(abs(value)))), 0)
            if len(f"{abs(value):.{decimals}f}".split(".")[0]) > len(str(int(abs(value)))):  # 99.99 -> 100
                decimals = max(decimals - 1, 0)
            return f"{value:.{decimals}f} {prefix}"
    return f"{n:g}"
