"""What agv.watch() adds to a forward pass, and how long agv.why() takes, on a 20-block ResNet.

    .venv/bin/python benchmarks/why_overhead.py

Budgets (issue 12): watch() adds under 25% to the forward pass; why() answers in under 50 ms.
The forward runs single-threaded, plain and watched in alternation (40 rounds each); the ratio is
the median of the per-round ratios, which a busy machine disturbs less than two separate medians.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

import autogradviz as agv

sys.path.insert(0, str(Path(__file__).resolve().parent))
from models import resnet  # noqa: E402

BUDGET_WATCH, BUDGET_WHY_S = 1.25, 0.050


def forward_overhead(model, x, rounds: int = 40) -> tuple[float, float, float]:
    """(plain ms, watched ms, median ratio watched/plain)."""
    def plain():
        model(x).sum()

    def watched():
        with agv.watch():
            model(x).sum()

    for _ in range(3):
        plain(), watched()
    pairs = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        plain()
        t1 = time.perf_counter()
        watched()
        t2 = time.perf_counter()
        pairs.append((t1 - t0, t2 - t1))
    return (statistics.median(p for p, _ in pairs) * 1e3, statistics.median(w for _, w in pairs) * 1e3,
            statistics.median(w / p for p, w in pairs))


def why_seconds(model, x) -> dict[str, float]:
    """why() on the first conv's weight, for three programs: all fine, a cut in the middle, frozen."""
    times = {}
    for case in ("gets a gradient", "layer2 under no_grad", "backbone output detached"):
        with agv.watch():
            h = model.layer1(torch.relu(model.bn1(model.conv1(x))))
            if case == "layer2 under no_grad":
                with torch.no_grad():
                    h = model.layer2(h)
            else:
                h = model.layer2(h)
            h = model.layer4(model.layer3(h))
            if case == "backbone output detached":
                h = h.detach()
            loss = model.fc(torch.flatten(model.pool(h), 1)).sum()
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            answer = agv.why(model.conv1.weight, loss)
            runs.append(time.perf_counter() - t0)
        times[f"{case}: {answer.cause}"] = statistics.median(runs)
        every = time.perf_counter()
        agv.grads(model, outputs=loss)
        times[f"{case}: grads() of all {len(list(model.parameters()))} parameters"] = time.perf_counter() - every
    return times


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model, x = resnet(20), torch.randn(2, 3, 16, 16)
    plain, watched, ratio = forward_overhead(model, x)
    print(f"20-block ResNet forward, batch 2 of 3x16x16: plain {plain:.2f} ms, under watch() {watched:.2f} ms, "
          f"ratio {ratio:.3f} (budget {BUDGET_WATCH})")
    worst = 0.0
    for case, seconds in why_seconds(model, x).items():
        print(f"  {case:70} {seconds * 1e3:7.2f} ms")
        worst = max(worst, seconds) if "grads()" not in case else worst
    print(f"budgets: watch() overhead {'OK' if ratio <= BUDGET_WATCH else 'OVER'}; "
          f"why() {'OK' if worst <= BUDGET_WHY_S else 'OVER'} ({worst * 1e3:.1f} ms worst, budget 50 ms)")
    print(f"watch() overhead: {ratio:.3f}x")


if __name__ == "__main__":
    main()
