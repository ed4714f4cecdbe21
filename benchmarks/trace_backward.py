"""What tracing a backward costs: agv.trace_backward and drawing one of its steps.

    .venv/bin/python benchmarks/trace_backward.py     # about 30 s here

For MLPs of depth 8, 32 and 128 (128 is drawn collapsed by module) and a 20-block ResNet:
plain backward(); trace_backward() (hooks on every node, copies of every gradient); drawing the
middle step (graph with marks and edge labels, then its SVG); a redraw of a step already drawn
(the explorer's cache); trace + one step drawn. Medians of 5 rounds (time.perf_counter), each
on a fresh forward. The budget (issue 13): tracing and drawing one step of a 32-layer MLP under 1 s.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import autogradviz as agv

sys.path.insert(0, str(Path(__file__).resolve().parent))
from models import run_mlp, run_resnet  # noqa: E402

BUDGET_S = 1.0
ROUNDS = 5


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(name: str, make) -> dict:
    rows = {"backward": [], "trace": [], "draw step": [], "redraw": [], "trace + step": []}
    for _ in range(ROUNDS):
        loss, _ = make()
        rows["backward"].append(seconds(loss.backward))
        loss, model = make()
        start = time.perf_counter()
        trace = agv.trace_backward(loss, model)
        rows["trace"].append(time.perf_counter() - start)
        middle = len(trace.steps) // 2
        rows["draw step"].append(seconds(lambda: trace.draw(middle).svg()))
        rows["trace + step"].append(time.perf_counter() - start)
        rows["redraw"].append(seconds(lambda: trace.draw(middle).svg()))
    shown = trace.draw(middle)
    result = {k: statistics.median(v) for k, v in rows.items()}
    result.update(name=name, steps=len(trace.steps), nodes=len(shown.nodes), collapsed=shown.collapsed)
    return result


def main() -> None:
    models = [(f"MLP depth {d}", lambda d=d: run_mlp(d, agv.watch)) for d in (8, 32, 128)]
    models.append(("ResNet 20 blocks", lambda: run_resnet(20, agv.watch)))
    results = [measure(name, make) for name, make in models]
    print(f"{'model':18} {'steps':>5} {'drawn':>6} {'backward':>9} {'trace':>7} {'draw step':>10} "
          f"{'redraw':>7} {'trace+step':>11}")
    for r in results:
        drawn = f"{r['nodes']}{'c' if r['collapsed'] else ''}"
        print(f"{r['name']:18} {r['steps']:5d} {drawn:>6} {r['backward']:8.3f}s {r['trace']:6.3f}s "
              f"{r['draw step']:9.3f}s {r['redraw']:6.4f}s {r['trace + step']:10.3f}s")
    print("(drawn: nodes in the picture; c: collapsed by module)")
    mlp32 = next(r for r in results if r["name"] == "MLP depth 32")["trace + step"]
    verdict = "OK" if mlp32 < BUDGET_S else "OVER BUDGET"
    print(f"budget: trace + one step of a 32-layer MLP {mlp32:.3f} s (< {BUDGET_S} s): {verdict}")


if __name__ == "__main__":
    main()
