#!/usr/bin/env python3
"""The start of stage 2 (issue 13, item 6): does the triplet loss sit at its margin after stage 1?

Reads the metrics.jsonl of each run folder given and prints, per run, the stage-2 triplet loss averaged over windows
of steps, and the first step from which the 20-step moving average stays below 0.9 x margin (the margin is read from
the run's config.json). A batch-hard triplet loss equal to the margin means the hardest positive and negative are at
the same distance: the embedding does not separate the batch's items.

    python3 docs/results/stage2-start.py docs/results/ablation/full-s1 docs/results/ablation/global-s1 ...
"""
import json
import sys
from pathlib import Path

WINDOWS = [(1, 10), (11, 50), (51, 100), (101, 150), (151, 226)]
MOVING = 20


def read_config_margin(run: Path) -> float:
    config = run / "config.json"
    try:
        return float(json.loads(config.read_text())["tripletMargin"])
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise SystemExit(f"{config}: no readable tripletMargin ({error})")


def stage2_triplet(run: Path) -> list[float]:
    losses = []
    with open(run / "metrics.jsonl") as lines:
        for number, line in enumerate(lines, 1):
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise SystemExit(f"{run / 'metrics.jsonl'} line {number}: {error}")
            if row.get("kind") == "step" and row.get("stage") == 2 and "loss/triplet" in row["values"]:
                losses.append(row["values"]["loss/triplet"])
    return losses


def first_step_below(losses: list[float], level: float) -> int | None:
    """The first step from which the moving average stays below level to the end."""
    averages = [sum(losses[i - MOVING:i]) / MOVING for i in range(MOVING, len(losses) + 1)]
    last_above = max((i for i, value in enumerate(averages) if value >= level), default=-1)
    return None if last_above == len(averages) - 1 else last_above + MOVING + 1


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    header = ["run", "margin", "steps"] + [f"steps {a}-{b}" for a, b in WINDOWS] + ["below 0.9 x margin from step"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for folder in sys.argv[1:]:
        run = Path(folder)
        margin = read_config_margin(run)
        losses = stage2_triplet(run)
        cells = [run.name, f"{margin:g}", str(len(losses))]
        for a, b in WINDOWS:
            window = losses[a - 1:b]
            cells.append(f"{sum(window) / len(window):.3f}" if window else "–")
        step = first_step_below(losses, 0.9 * margin)
        cells.append(str(step) if step else "never")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
