#!/usr/bin/env python3
"""The accuracy tables of README.md and train-math/README.md, over several seeds.

Every accuracy the docs quote comes from here: each configuration is trained with
`tasim train ... --seed S --out DIR` for every seed, and the table gives the mean, the sample
standard deviation and the range over the seeds (one seed's figure is not a claim).

    scripts/accuracy_tables.py                       # seeds 1-5, target/release/tasim
    scripts/accuracy_tables.py --tasim target/debug/tasim --seeds 1-3

Prints two Markdown tables: UCI digits (20 epochs, f32 against the int8 variants) and
personalisation (the pre-trained paper CNN on one writer, 5 int8 epochs). About 10 minutes
on one core with a release build.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

UCI = ["--model", "models/uci-cnn.yaml", "--dataset", "uci", "--epochs", "20"]
UCI_MODES = [
    ("f32", ["--precision", "f32"]),
    ("int8, 16-bit masters, stochastic rounding (default)", ["--precision", "int8"]),
    ("int8, 24-bit masters, stochastic", ["--precision", "int8", "--master-bits", "24"]),
    ("int8, 16-bit masters, nearest-even", ["--precision", "int8", "--rounding", "nearest-even"]),
    ("plain int8 (8-bit weights updated directly), nearest-even",
     ["--precision", "int8", "--master-bits", "8", "--rounding", "nearest-even"]),
    ("plain int8, stochastic rounding", ["--precision", "int8", "--master-bits", "8", "--rounding", "stochastic"]),
]
PERSONAL = ["--model", "models/paper-cnn.yaml", "--dataset", "synth:personal", "--precision", "int8",
            "--pretrained", "models/paper-cnn.pretrained", "--epochs", "5"]


def seeds(text):
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def train(tasim, args, seed):
    """One training run; returns metrics.json."""
    with tempfile.TemporaryDirectory() as out:
        cmd = tasim + ["train"] + args + ["--seed", str(seed), "--out", out]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(out, "metrics.json")) as f:
            return json.load(f)


def spread(values):
    """`mean% ± sd (min–max)` in percent."""
    pct = [100.0 * v for v in values]
    sd = statistics.stdev(pct) if len(pct) > 1 else 0.0
    return f"{statistics.mean(pct):.2f}% ± {sd:.2f} ({min(pct):.2f}–{max(pct):.2f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasim", default="target/release/tasim", help="the tasim binary")
    ap.add_argument("--seeds", default="1-5", type=seeds, help="seeds, e.g. 1-5")
    a = ap.parse_args()
    tasim = [a.tasim]
    n = len(a.seeds)
    s = f"seeds {a.seeds[0]}-{a.seeds[-1]}"

    print(f"UCI digits, 20 epochs, test accuracy over {n} {s} (mean ± sd (min-max)):\n")
    print("| mode | final (epoch 20) | mean of epochs 16-20 |")
    print("|------|-----------------:|---------------------:|")
    for name, args in UCI_MODES:
        runs = [train(tasim, UCI + args, seed) for seed in a.seeds]
        final = [r["epochs"][-1]["test_accuracy"] for r in runs]
        last5 = [statistics.mean(e["test_accuracy"] for e in r["epochs"][-5:]) for r in runs]
        print(f"| {name} | {spread(final)} | {spread(last5)} |")
        sys.stdout.flush()

    print(f"\nPersonalisation (pre-trained paper-cnn, one writer, int8), held-out accuracy over {s}:\n")
    runs = [train(tasim, PERSONAL, seed) for seed in a.seeds]
    cols = ["before"] + [f"epoch {e}" for e in range(1, 6)]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---:|" * len(cols))
    before = [r["initial_test_accuracy"] for r in runs]
    epochs = [[r["epochs"][e]["test_accuracy"] for r in runs] for e in range(5)]
    print("| " + " | ".join(spread(v) for v in [before] + epochs) + " |")


if __name__ == "__main__":
    main()
