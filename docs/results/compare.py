#!/usr/bin/env python3
"""Test-split R@1 of two models and the paired bootstrap interval of their difference, for a change that is not the
local-branch ablation (e.g. the item term against the goal-sized config):

    python3 docs/results/compare.py BASELINE_RUN... --candidate CANDIDATE_RUN... [--by-category]

Each run is a folder holding a test.json written by `fashionnet evaluate --out`, or such a file itself (e.g. a
run's test-no-local.json). As `fashionnet ablation` does
(PairedBootstrap): each query's hit at 1 is averaged over a model's runs, the per-query difference (candidate minus
baseline) is resampled with replacement 10,000 times with a fixed seed, and the 95% interval is read off the
percentiles of the resampled means. Python's random numbers are not .NET's, so the interval's ends can differ from
`fashionnet ablation`'s in the third decimal (global-s1 against full-s1 of the goal-sized config: [-0.0240, +0.0078]
here, [-0.0243, +0.0078] in docs/results/ablation-long.json's first version).

--by-category also prints R@1 per garment category of the queries (the category in each query's image path), reading
the query list from the In-shop sample's Eval/list_eval_partition.txt under the dataset root the test.json names
(`evaluate` lists the queries in that file's order). Per-category differences are descriptive: no interval.
"""
import json
import random
import statistics
import sys
from pathlib import Path


def test_file(run: str) -> Path:
    return Path(run) if Path(run).is_file() else Path(run) / "test.json"


def hits_at_1(run: str) -> list[float]:
    path = test_file(run)
    try:
        ranks = json.loads(path.read_text())["retrieval"]["firstHitRanks"]
    except (OSError, json.JSONDecodeError, KeyError) as error:
        raise SystemExit(f"{path}: no retrieval ranks ({error})")
    return [1.0 if rank == 1 else 0.0 for rank in ranks]


def per_query_means(runs: list[str]) -> list[float]:
    scores = [hits_at_1(run) for run in runs]
    if len({len(s) for s in scores}) != 1:
        raise SystemExit(f"the runs {runs} were tested on different query sets")
    return [statistics.mean(column) for column in zip(*scores)]


def query_categories(run: str) -> list[str]:
    try:
        root = Path(json.loads(test_file(run).read_text())["dataset"])
    except (OSError, json.JSONDecodeError, KeyError) as error:
        raise SystemExit(f"{test_file(run)}: no dataset root ({error})")
    partition = root / "Eval" / "list_eval_partition.txt"
    try:
        rows = [line.split() for line in partition.read_text().splitlines()[2:]]
    except OSError as error:
        raise SystemExit(f"{partition}: cannot read the query list ({error})")
    return [row[0].split("/")[2] for row in rows if len(row) == 3 and row[2] == "query"]


def print_by_category(categories: list[str], baseline: list[float], candidate: list[float]) -> None:
    if len(categories) != len(baseline):
        raise SystemExit(f"the partition file lists {len(categories)} queries, the runs {len(baseline)}")
    groups: dict[str, list[tuple[float, float]]] = {}
    for category, b, c in zip(categories, baseline, candidate):
        groups.setdefault(category, []).append((b, c))
    print(f"{'category':22} {'queries':>7} {'baseline':>8} {'candidate':>9} {'difference':>10}")
    for category, pairs in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
        b = statistics.mean(x for x, _ in pairs)
        c = statistics.mean(y for _, y in pairs)
        print(f"{category:22} {len(pairs):7d} {b:8.4f} {c:9.4f} {c - b:+10.4f}")


def percentile(sorted_values: list[float], fraction: float) -> float:
    position = fraction * (len(sorted_values) - 1)
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def main(arguments: list[str]) -> None:
    if "--candidate" not in arguments:
        raise SystemExit(__doc__)
    by_category = "--by-category" in arguments
    arguments = [a for a in arguments if a != "--by-category"]
    split = arguments.index("--candidate")
    baseline_runs, candidate_runs = arguments[:split], arguments[split + 1:]
    if not baseline_runs or not candidate_runs:
        raise SystemExit(__doc__)
    baseline, candidate = per_query_means(baseline_runs), per_query_means(candidate_runs)
    if len(baseline) != len(candidate):
        raise SystemExit(f"baseline has {len(baseline)} queries, candidate {len(candidate)}: not the same test split")
    differences = [c - b for b, c in zip(baseline, candidate)]
    n = len(differences)
    rng = random.Random(1)
    means = sorted(sum(differences[rng.randrange(n)] for _ in range(n)) / n for _ in range(10_000))
    print(f"baseline R@1 {statistics.mean(baseline):.4f} ({len(baseline_runs)} run(s)), "
          f"candidate R@1 {statistics.mean(candidate):.4f} ({len(candidate_runs)} run(s))")
    print(f"candidate - baseline: {statistics.mean(differences):+.4f} "
          f"[{percentile(means, 0.025):+.4f}, {percentile(means, 0.975):+.4f}] (paired bootstrap over {n} queries)")
    if by_category:
        print_by_category(query_categories(baseline_runs[0]), baseline, candidate)


if __name__ == "__main__":
    main(sys.argv[1:])
