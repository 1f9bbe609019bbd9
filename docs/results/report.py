#!/usr/bin/env python3
"""The tables of docs/RESULTS.md (issue 13) from the files the ablation keeps, so every figure there can be re-derived:

    python3 docs/results/report.py [ABLATION_JSON]     (default docs/results/ablation.json; the run folders it names)

Per variant, over its seeds (mean and sample standard deviation): test category top-1/3/5 (test.json), robot-set
landmark error per slot (robot.json); for the full runs, the share of test photos pooling each slot per clothes type
(gating.json, written by docs/results/gating.sh); then the validation R@1 at the end of each epoch (metrics.jsonl) of
every ablation run and of every probe of docs/results/probes.sh (docs/results/probes/*/), and the held-out R@1,
category top-1 and landmark error (parsing-derived labels) at the last epoch of each.
"""
import json
import statistics
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent
SLOTS = ["LeftCollar", "RightCollar", "LeftSleeve", "RightSleeve", "LeftWaistline", "RightWaistline", "LeftHem", "RightHem"]


def load(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise SystemExit(f"{path}: {error}")


def mean_sd(values: list[float]) -> str:
    if not values:
        return "–"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.4f} ± {sd:.4f}"


def table(header: list[str], rows: list[list[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


def validation_table(folders: list[Path]) -> None:
    """Held-out validation R@1 (training items the run never trained on) at the end of every epoch of each run."""
    rows, last_rows = [], []
    for folder in folders:
        try:
            records = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines() if line.strip()]
        except (OSError, json.JSONDecodeError) as error:
            raise SystemExit(f"{folder / 'metrics.jsonl'}: {error}")
        epochs = [r for r in records if r.get("kind") == "epoch" and "r@1" in r["values"]]
        rows.append([f"{folder.parent.name}/{folder.name}", *(f"s{r['stage']}e{r['epoch']} {r['values']['r@1']:.3f}" for r in epochs)])
        last = epochs[-1]["values"]
        last_rows.append([rows[-1][0], *(f"{last[name]:.3f}" if name in last else "–" for name in ("r@1", "category_top1", "landmark_error"))])
    width = max(len(row) for row in rows)
    table(["run", *(f"epoch {i}" for i in range(1, width))], [row + [""] * (width - len(row)) for row in rows])
    table(["run, last epoch (held-out)", "R@1", "category top-1", "landmark error"], last_rows)


def main() -> None:
    ablation = load(Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS / "ablation.json")
    runs = ablation["runs"]
    folders = {(run["variant"], run["seed"]): RESULTS.parent.parent / run["folder"] for run in runs}
    variants = ["global", "full"]

    print(f"config: {ablation['config']}\n")
    table(["variant", "seed", "R@1", "R@5", "R@10", "R@20", "robot landmark error", "training wall"],
          [[r["variant"], str(r["seed"]), *(f"{r[f'r@{k}']:.4f}" for k in (1, 5, 10, 20)),
            f"{r['robotLandmarkError']:.4f}", f"{r['trainingWallSeconds'] / 60:.1f} min"] for r in runs])

    summary = ablation["summary"]
    table(["variant", "seeds", "R@1", "R@5", "R@10", "R@20", "robot landmark error"],
          [[v, str(len(summary[v]["seeds"])), *(f"{summary[v][f'r@{k}']['mean']:.4f} ± {summary[v][f'r@{k}']['sd']:.4f}" for k in (1, 5, 10, 20)),
            f"{summary[v]['robotLandmarkError']['mean']:.4f} ± {summary[v]['robotLandmarkError']['sd']:.4f}"] for v in variants])
    gain = summary["r@1FullMinusGlobal"]
    print(f"R@1 full - global: {gain['estimate']:+.4f}, 95% interval [{gain['lower95']:+.4f}, {gain['upper95']:+.4f}] ({gain['method']})\n")

    def seeds_of(variant: str) -> list[Path]:
        return [folder for (v, _), folder in sorted(folders.items()) if v == variant]

    rows = []
    for variant in variants:
        tops = {k: [] for k in (1, 3, 5)}
        for folder in seeds_of(variant):
            category = load(folder / "test.json")["category"]
            for rate in category["topK"]:
                if rate["k"] in tops:
                    tops[rate["k"]].append(rate["rate"])
        rows.append([variant, *(mean_sd(tops[k]) for k in (1, 3, 5))])
    table(["variant", "category top-1", "top-3", "top-5"], rows)

    rows = []
    for variant in variants:
        per_slot = {slot: [] for slot in SLOTS}
        for folder in seeds_of(variant):
            for entry in load(folder / "robot.json")["landmarks"]["perSlot"]:
                per_slot[entry["slot"]].append(entry["error"])
        rows.append([variant, *(mean_sd(per_slot[slot]) for slot in SLOTS)])
    table(["robot-set error", *SLOTS], rows)

    validation_table([folder for variant in variants for folder in seeds_of(variant)] + sorted((RESULTS / "probes").glob("*-s*")))

    gated = [folder for folder in seeds_of("full") if (folder / "gating.json").exists()]
    if not gated:
        print("no gating.json yet: run docs/results/gating.sh")
        return
    groups: dict[str, dict[str, list[float]]] = {}
    counts: dict[str, int] = {}
    for folder in gated:
        gating = load(folder / "gating.json")["gating"]
        for group in [gating["all"], *gating["byClothesType"]]:
            counts[group["group"]] = group["imageCount"]
            shares = groups.setdefault(group["group"], {slot: [] for slot in SLOTS + ["pooled per image"]})
            shares["pooled per image"].append(group["meanPooledSlots"])
            for slot in group["slots"]:
                shares[slot["slot"]].append(slot["share"])
    print(f"gating over {len(gated)} full runs (share of photos pooling each slot, mean over seeds):\n")
    table(["photos", "count", "pooled per image", *SLOTS],
          [[name, str(counts[name]), f"{statistics.mean(shares['pooled per image']):.2f}",
            *(f"{statistics.mean(shares[slot]):.3f}" for slot in SLOTS)] for name, shares in groups.items()])


if __name__ == "__main__":
    sys.exit(main())
