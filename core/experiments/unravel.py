"""Unravelling a residual net into its paths (Veit, Wilber & Belongie, NeurIPS 2016): the picture and the count.

A residual net of n blocks, x_i = x_{i-1} + H_i(x_{i-1}), unrolls into 2^n paths from input to
output; a path of length k goes through the branch of k blocks and the skip of the other n - k.
This module draws that picture (DOT, LaTeX) and counts path lengths: plain data, no model needed.
"""

from __future__ import annotations

import math

import pandas as pd

from core.errors import UserError

SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

MAX_UNRAVEL = 5  # 2^5 = 32 paths: the largest graph that still reads on a projector


def _check_unravel(n: int) -> None:
    if not 1 <= n <= MAX_UNRAVEL:
        raise UserError(f"the unraveled view draws 1 to {MAX_UNRAVEL} blocks, got {n}")


def stacked_dot(n: int) -> str:
    """The usual view: n blocks in a chain, each with its skip connection around it."""
    _check_unravel(n)
    lines = [
        "digraph stacked {",
        "  rankdir=TB; nodesep=0.4; ranksep=0.3;",
        '  node [fontname="Helvetica", fontsize=16];',
        '  x0 [label="input x₀", shape=box, style="rounded,filled", fillcolor="#e8eef7"];',
    ]
    for i in range(1, n + 1):
        lines += [
            f'  H{i} [label="H{str(i).translate(SUB)}", shape=box, style=filled, fillcolor="#fde2c8"];',
            f'  x{i} [label="+", shape=circle, width=0.35, fixedsize=true];',
            f"  x{i - 1} -> H{i};",
            f"  H{i} -> x{i};",
            f'  x{i - 1} -> x{i} [style=dashed, color="#1f5fbf", constraint=false];',
        ]
    lines += [
        f'  out [label="output x{str(n).translate(SUB)}", shape=box, style="rounded,filled", fillcolor="#e8eef7"];',
        f"  x{n} -> out;",
        "}",
    ]
    return "\n".join(lines)


def unraveled_dot(n: int) -> str:
    """All 2^n paths. Each node H_i(S) is the end of the path through the blocks S ∪ {i} in order;
    from there the path may enter any later block or go straight to the output sum."""
    _check_unravel(n)
    lines = [
        "digraph unraveled {",
        "  rankdir=LR; nodesep=0.08; ranksep=0.5;",
        '  node [fontname="Helvetica", fontsize=14, shape=box, style=filled, fillcolor="#fde2c8", '
        "height=0.3, margin=0.04];",
        '  edge [color="#888888", arrowsize=0.5];',
        '  in [label="x₀", shape=box, style="rounded,filled", fillcolor="#e8eef7"];',
        f'  out [label="Σ: {2**n} paths", shape=box, style="rounded,filled", fillcolor="#e8eef7"];',
    ]
    nodes = [("in", ())]  # (node id, blocks on the path so far)
    by_block: dict[int, list[str]] = {i: [] for i in range(1, n + 1)}
    edges = []
    for node, path in nodes:  # grows while iterating: breadth-first over path prefixes
        last = path[-1] if path else 0
        for i in range(last + 1, n + 1):
            child = "p" + "_".join(map(str, path + (i,)))
            nodes.append((child, path + (i,)))
            by_block[i].append(child)
            edges.append(f"  {node} -> {child};")
    for node, path in nodes[1:]:
        tip = "→".join(f"H{j}" for j in path)
        lines.append(f'  {node} [label="H{str(path[-1]).translate(SUB)}", tooltip="path {tip} (length {len(path)})"];')
    for group in by_block.values():
        lines.append("  { rank=same; " + " ".join(group) + " }")
    lines += edges
    lines += [f'  {node} -> out [color="#1f5fbf"];' for node, _ in nodes]
    lines.append("}")
    return "\n".join(lines)


def _expand(i: int, base: int) -> str:
    """x_i written in terms of x_base: x_i = x_{i-1} + H_i(x_{i-1}), unrolled down to x_base."""
    if i == base:
        return f"x_{{{base}}}"
    inner = _expand(i - 1, base)
    return f"{inner} + H_{{{i}}}({inner})"


def unrolled_latex(n: int) -> list[str]:
    """The unrolling of x_n one level at a time, each a LaTeX line: x_n = x_{n-1} + H_n(x_{n-1}) = ...
    The last line is in terms of the input x_0 alone; its top-level terms go one per line."""
    _check_unravel(n)
    steps = [f"x_{{{n}}} = " + _expand(n, n - 1)]
    steps += [r"\phantom{x_{" + str(n) + "}} = " + _expand(n, base) for base in range(n - 2, 0, -1)]
    terms = ["x_{0}"] + [f"H_{{{i}}}({_expand(i - 1, 0)})" for i in range(1, n + 1)]
    full = (
        r"\begin{aligned} x_{"
        + str(n)
        + r"} = {} & "
        + terms[0]
        + "".join(r" \\ & + " + t for t in terms[1:])
        + r"\end{aligned}"
    )
    return steps + [full] if n > 1 else [full]


def gradient_product_latex(n: int) -> str:
    """The same count seen through the chain rule: each factor (1 + H_i') picks skip or branch."""
    _check_unravel(n)
    factors = "".join(f"(1 + H_{{{i}}}')" for i in range(n, 0, -1))
    return (
        r"\frac{\partial x_{"
        + str(n)
        + r"}}{\partial x_0} = "
        + factors
        + rf" = \sum_{{S \subseteq \{{1..{n}\}}}} \prod_{{i \in S}} H_i' \quad ({2**n} \text{{ terms}} = {2**n} \text{{ paths}})"
    )


def path_lengths(n_blocks: int) -> pd.DataFrame:
    """Paths of each length k = 0..n in a residual net of n blocks: C(n, k) of 2^n (binomial, p = 1/2)."""
    if n_blocks < 1:
        raise UserError(f"a net needs at least one block, got {n_blocks}")
    counts = [math.comb(n_blocks, k) for k in range(n_blocks + 1)]
    total = 2**n_blocks
    return pd.DataFrame({"length": range(n_blocks + 1), "paths": counts, "fraction": [c / total for c in counts]})


def central_range(lengths: list[int], weights: list[float], mass: float = 0.95) -> tuple[int, int]:
    """Narrowest contiguous range of lengths holding at least `mass` of the total weight."""
    total = float(sum(weights))
    best = (lengths[0], lengths[-1])
    for lo in range(len(lengths)):
        acc = 0.0
        for hi in range(lo, len(lengths)):
            acc += weights[hi]
            if acc >= mass * total:
                if lengths[hi] - lengths[lo] < best[1] - best[0]:
                    best = (lengths[lo], lengths[hi])
                break
    return best
