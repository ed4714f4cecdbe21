"""What agv.watch() adds to a forward pass, and how long agv.why() takes, on a 20-block ResNet.

    .venv/bin/python benchmarks/why_overhead.py

Budgets (issue 12): watch() adds under 25% to a forward pass; why() answers in under 50 ms.

watch() costs a fixed amount per tensor call (torch's TorchFunctionMode dispatch into Python, then
a few checks) and per module call (two hooks): about 240 calls and 135 module calls per forward
of this ResNet. So the share depends on how much work each call does. It is measured on two
inputs: a CIFAR-10 batch (32 images of 3x32x32, what a 20-block ResNet is made for), and the
tiny batch the render benchmark draws (2 images of 3x16x16), where nearly all of the forward's
time is Python overhead and the share is largest. Single thread; plain and watched forwards in
alternation (each first in half the rounds); the ratio of the two minima over all rounds (the minimum is what a busy machine
disturbs least), and the median of the per-round ratios (the budget's measure).
CPU time of this thread (time.thread_time), so waiting for a busy CPU is not counted.
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


def forward_overhead(model, x, rounds: int) -> tuple[float, float, float, float]:
    """(plain ms, watched ms, ratio of the minima, median of the per-round ratios)."""
    def plain():
        model(x).sum()

    def watched():
        with agv.watch():
            model(x).sum()

    for _ in range(3):
        plain(), watched()
    pairs = []
    for i in range(rounds):
        timed = []
        for run in (plain, watched) if i % 2 else (watched, plain):  # each goes first in half the rounds
            t0 = time.thread_time()
            run()
            timed.append(time.thread_time() - t0)
        pairs.append(tuple(timed) if i % 2 else tuple(reversed(timed)))
    best_plain, best_watched = min(p for p, _ in pairs), min(w for _, w in pairs)
    return (best_plain * 1e3, best_watched * 1e3, best_watched / best_plain,
            statistics.median(w / p for p, w in pairs if p > 0))


def why_seconds(model, x) -> dict[str, float]:
    """why() on the first conv's weight, and grads() of every parameter, for three programs."""
    times = {}
    for case in ("nothing cut", "layer2 under no_grad", "the backbone's output detached"):
        with agv.watch():
            h = model.layer1(torch.relu(model.bn1(model.conv1(x))))
            if case == "layer2 under no_grad":
                with torch.no_grad():
                    h = model.layer2(h)
            else:
                h = model.layer2(h)
            h = model.layer4(model.layer3(h))
            if case == "the backbone's output detached":
                h = h.detach()
            loss = model.fc(torch.flatten(model.pool(h), 1)).sum()
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            answer = agv.why(model.conv1.weight, loss)
            runs.append(time.perf_counter() - t0)
        times[f"why(conv1.weight): {case} -> {answer.cause}"] = min(runs)
        t0 = time.perf_counter()
        agv.grads(model, outputs=loss)
        times[f"grads() of all {len(list(model.parameters()))} parameters: {case}"] = time.perf_counter() - t0
    return times


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = resnet(20)
    ratios = {}
    for label, shape, rounds in (("CIFAR-10 batch, 32x3x32x32", (32, 3, 32, 32), 60),
                                 ("tiny batch, 2x3x16x16 (overhead-bound)", (2, 3, 16, 16), 150)):
        plain, watched, ratio, median = forward_overhead(model, torch.randn(*shape), rounds)
        ratios[label] = median
        print(f"20-block ResNet forward, {label}: plain {plain:.2f} ms, under watch() {watched:.2f} ms: "
              f"{ratio:.3f}x (median of rounds {median:.3f}x)")
    worst = 0.0
    for case, seconds in why_seconds(model, torch.randn(2, 3, 16, 16)).items():
        print(f"  {case:72} {seconds * 1e3:7.2f} ms")
        worst = max(worst, seconds) if case.startswith("why") else worst
    cifar = ratios["CIFAR-10 batch, 32x3x32x32"]  # the median of the per-round ratios
    print(f"budgets: watch() on a CIFAR-10 batch {'OK' if cifar <= BUDGET_WATCH else 'OVER'} ({cifar:.3f}x, budget "
          f"{BUDGET_WATCH}x); why() {'OK' if worst <= BUDGET_WHY_S else 'OVER'} ({worst * 1e3:.1f} ms, budget 50 ms)")
    print(f"watch() overhead: {cifar:.3f}x")


if __name__ == "__main__":
    main()
