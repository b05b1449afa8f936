"""One colour per replication strategy, the same as faultline's charts (src/plot/frame.rs,
STRATEGY_COLOURS and strategy_palette): a strategy keeps its colour whatever its variant is
called. Runs write each variant's strategy kind to variants.csv; for older results (and for
sweeps, whose variants are the base scenario's) the kind is guessed from the label."""

from pathlib import Path

import pandas as pd

STRATEGY_COLOURS = {
    "active": "#1f77b4",           # blue
    "passive": "#9467bd",          # purple
    "checkpoint-only": "#8c564b",  # brown
    "upstream-backup": "#17becf",  # cyan
    "none": "#7f7f7f",             # grey
}
# Variants of unknown strategy, in order.
OTHER_COLOURS = ["#e377c2", "#bcbd22", "#000080"]
# Red, orange, green and black mark faults, detections, recoveries and false failovers.


def strategy_from_label(label):
    words = label.replace("_", "-").split("-")
    has = lambda w: any(x.startswith(w) for x in words)  # noqa: E731
    if has("active"):
        return "active"
    if has("passive"):
        return "passive"
    if has("upstream"):
        return "upstream-backup"
    if has("checkpoint") or has("rollback"):
        return "checkpoint-only"
    if words and words[0] in ("none", "no"):
        return "none"
    return None


def _shade(hex_colour, repeat):
    # The colour itself (0), darker (odd) or lighter (even), further each round.
    if repeat == 0:
        return hex_colour
    rgb = [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]
    f = 0.6 ** ((repeat + 1) // 2)
    rgb = [c * f if repeat % 2 else c + (255 - c) * (1 - f) for c in rgb]
    return "#" + "".join(f"{int(c):02x}" for c in rgb)


def colours(variants, results_dir=None):
    """{variant: colour} for `variants` in order, from results_dir/variants.csv if present."""
    kinds = {}
    path = Path(results_dir) / "variants.csv" if results_dir else None
    if path and path.is_file():
        kinds = dict(pd.read_csv(path)[["variant", "strategy"]].itertuples(index=False))
    seen, others, out = [], 0, {}
    for v in variants:
        kind = kinds.get(v) or strategy_from_label(v)
        if kind in STRATEGY_COLOURS:
            out[v] = _shade(STRATEGY_COLOURS[kind], seen.count(kind))
            seen.append(kind)
        else:
            out[v] = _shade(OTHER_COLOURS[others % 3], others // 3)
            others += 1
    return out
