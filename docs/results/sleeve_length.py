#!/usr/bin/env python3
"""Sleeve landmark error split by sleeve length, from `fashionnet evaluate --landmarks-csv FILE`.

Per upper-body image whose collars and hems are annotated, a visible sleeve's height is its y between the mean collar
y (0) and the mean hem y (1), for the truth and the prediction. Sleeves whose true height is at least 0.6 (the cuff in
the lower 40% of the garment: long sleeves hanging down) and the others (short sleeves, or long ones raised) are
reported apart: normalized error (x by width, y by height), mean vertical offset, mean true and predicted height.

    python3 docs/results/sleeve_length.py landmarks.csv[.gz] [more.csv ...]
"""
import collections
import csv
import gzip
import math
import sys

LONG = 0.6


def sleeves(path):
    images = collections.defaultdict(dict)
    with (gzip.open(path, "rt", newline="") if path.endswith(".gz") else open(path, newline="")) as f:
        reader = csv.DictReader(f)
        missing = {"image", "image_width", "image_height", "slot", "predicted_y", "true_visibility", "true_y"} - set(reader.fieldnames or [])
        if missing:
            raise SystemExit(f"{path}: not a landmark CSV of `fashionnet evaluate --landmarks-csv` (no column {', '.join(sorted(missing))})")
        for row in reader:
            images[row["image"]][row["slot"]] = row
    for slots in images.values():
        frame = ["LeftCollar", "RightCollar", "LeftHem", "RightHem"]
        if any(slots[s]["true_visibility"] == "" for s in frame + ["LeftSleeve", "RightSleeve"]):
            continue  # not an upper-body annotation
        collar = (float(slots["LeftCollar"]["true_y"]) + float(slots["RightCollar"]["true_y"])) / 2
        hem = (float(slots["LeftHem"]["true_y"]) + float(slots["RightHem"]["true_y"])) / 2
        if hem - collar <= 0:
            continue
        for slot in ("LeftSleeve", "RightSleeve"):
            r = slots[slot]
            if r["true_visibility"] != "0":
                continue
            width, height = float(r["image_width"]), float(r["image_height"])
            dx = (float(r["predicted_x"]) - float(r["true_x"])) / width
            dy = (float(r["predicted_y"]) - float(r["true_y"])) / height
            yield ((float(r["true_y"]) - collar) / (hem - collar), (float(r["predicted_y"]) - collar) / (hem - collar),
                   math.hypot(dx, dy), dy)


def main(paths):
    for path in paths:
        groups = collections.defaultdict(list)
        for sleeve in sleeves(path):
            groups["long" if sleeve[0] >= LONG else "short"].append(sleeve)
        print(path)
        print("| sleeves | count | error | mean y offset | true height | predicted height |")
        print("|---|---|---|---|---|---|")
        for name in ("long", "short"):
            g = groups[name]
            if not g:
                continue
            mean = lambda i: sum(s[i] for s in g) / len(g)
            print(f"| {name} | {len(g)} | {mean(2):.4f} | {mean(3):+.4f} | {mean(0):.2f} | {mean(1):.2f} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
