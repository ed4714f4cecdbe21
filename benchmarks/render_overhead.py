"""How much autogradviz costs over plain torchviz, how big graphs get, and the time budgets.

    .venv/bin/python benchmarks/render_overhead.py            # everything (about 3 minutes here)
    .venv/bin/python benchmarks/render_overhead.py --no-nbval # skip the notebooks (about 30 s)

Prints, in order:
1. for MLPs of depth 2, 8, 32 and 128, a 20-block ResNet and a resnet18 built like torchvision's,
   each drawn from the same output tensor in the same run: torchviz.make_dot + SVG, agv.draw +
   SVG at default options (a graph too big to read is drawn collapsed by module), agv.draw(
   collapse=False) + SVG (every node, like torchviz), the ratios, the node counts; then the
   collapsed view's size and time;
2. when draw() collapses: for each graph, its size drawn in full and by default, and how big a
   label shows in a notebook output 1,000 px wide;
3. huge graphs with no modules (20,000 and 100,000 ops): walk, draw and SVG;
4. the explorer's redraw time for the 03_no_grad explorer (one control change);
5. nbval time per notebook, and for the whole suite in one run;
6. the budgets, checked; the last line is ``render overhead vs torchviz: X.XXx``, the median
   over the models of (agv.draw + SVG) / (make_dot + SVG) at default options.

Times are medians of interleaved rounds (time.perf_counter); a ratio is the median of the
ratios of each round, whose two runs were back to back. Both sides do equal work: draw() keeps
the layouts it made (an explorer revisits them), so that store is emptied before every run, and
torchviz's graph goes to the same long-running `dot` as ours. The "cpu" ratio counts the CPU time of
this process and of the `dot` processes it starts, which a busy machine disturbs less.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import jupytext
import torch
from torchviz import make_dot

import autogradviz as agv
from autogradviz import dot_process
from autogradviz.collapse import MAX_NODES

sys.path.insert(0, str(Path(__file__).resolve().parent))
from models import ResMLP, resnet18_like, run_mlp, run_resnet  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BUDGET_NOTEBOOK_S, BUDGET_SUITE_S, BUDGET_COLLAPSED_S, BUDGET_RATIO, BUDGET_HUGE_S = 10.0, 60.0, 0.5, 1.15, 2.0


def cpu_now() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime + kept_dot_cpu()


def kept_dot_cpu() -> float:
    """CPU seconds of the long-running dot so far (rusage counts a child only once it has exited)."""
    dot = dot_process._dot
    try:
        fields = Path(f"/proc/{dot.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (AttributeError, OSError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def timed(fn) -> tuple[float, float]:
    """(wall seconds, cpu seconds of this process and its children) of one call."""
    c0, t0 = cpu_now(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, cpu_now() - c0


def interleaved(fns: dict, repeats: int, samples: dict | None = None) -> dict[str, tuple[float, float]]:
    """Median (wall, cpu) of each function, run in turn: A B C A B C ... (one warm-up round first).
    ``samples``, when given, receives every (wall, cpu) measurement."""
    for fn in fns.values():
        fn()
    samples = {} if samples is None else samples
    samples.update({name: [] for name in fns})
    for _ in range(repeats):
        for name, fn in fns.items():
            samples[name].append(timed(fn))
    return {name: (statistics.median(s[0] for s in v), statistics.median(s[1] for s in v))
            for name, v in samples.items()}


def paired_ratio(samples: dict, a: str, b: str, which: int = 0) -> float:
    """Median of a/b over the rounds: each pair ran back to back, under the same load."""
    return statistics.median(x[which] / y[which] for x, y in zip(samples[a], samples[b]))


def uncached(fn):
    """Equal work: our kept layouts forgotten first, so every round lays its graph out again."""
    dot_process._kept.clear()
    return fn()


def torchviz_svg(loss, named) -> str:
    """torchviz's graph laid out by the same long-running dot as ours (no process start for either)."""
    source = make_dot(loss, params=named).source
    return dot_process.svg(source) or make_dot(loss, params=named).pipe(format="svg").decode()


def svg_height_px(svg: str) -> int:
    match = re.search(r'<svg width="[\d.]+pt" height="([\d.]+)pt"', svg)
    return round(float(match.group(1)) * 96 / 72) if match else 0


def torchviz_nodes(dot) -> int:
    return sum(1 for line in dot.body if "->" not in line and "[" in line)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def run_resnet18_like():
    model, x = resnet18_like()
    with agv.watch():
        return model(x).sum(), model


def run_resmlp():
    torch.manual_seed(0)
    model = ResMLP()
    with agv.watch():
        return model(torch.randn(8, 4)).sum(), model


MODELS = [("MLP depth 2", lambda: run_mlp(2, agv.watch)), ("MLP depth 8", lambda: run_mlp(8, agv.watch)),
          ("MLP depth 32", lambda: run_mlp(32, agv.watch)), ("MLP depth 128", lambda: run_mlp(128, agv.watch)),
          ("ResNet, 20 blocks", lambda: run_resnet(20, agv.watch)), ("resnet18 (like tv)", run_resnet18_like)]


def overhead(repeats: int) -> tuple[list[float], list[float], list[float], float]:
    print("1. Render time: torchviz.make_dot + SVG vs agv.draw + SVG, same output tensor, same run "
          f"(ms, median of {repeats} rounds, {max(3, repeats // 3)} for MLP depth 128; a ratio is the median of "
          "the rounds' ratios; forward recorded under agv.watch())")
    head = (f"{'model':18} {'nodes tv/agv':>13} {'torchviz':>8} {'agv':>8} {'ratio':>6} {'cpu':>5} "
            f"{'agv full':>8} {'ratio':>6} {'cpu':>5}   collapsed view: nodes   ms   height px (full -> collapsed)")
    print(head)
    print("-" * len(head))
    ratios, full_ratios, cpu_ratios, resnet_collapsed = [], [], [], 0.0
    for name, make in MODELS:
        loss, model = make()
        named = dict(model.named_parameters())
        n = max(3, repeats if "128" not in name else repeats // 3)
        fns = {
            "torchviz": lambda: uncached(lambda: torchviz_svg(loss, named)),
            "agv": lambda: uncached(lambda: agv.draw(loss, params=model).svg()),
            "full": lambda: uncached(lambda: agv.draw(loss, params=model, collapse=False).svg()),
            "collapsed": lambda: uncached(lambda: agv.draw(loss, params=model, collapse=True).svg()),
        }
        samples: dict = {}
        t = interleaved(fns, n, samples)
        default, full, collapsed = (agv.draw(loss, params=model), agv.draw(loss, params=model, collapse=False),
                                    agv.draw(loss, params=model, collapse=True))
        tv_nodes = torchviz_nodes(make_dot(loss, params=named))
        ratio, full_ratio = paired_ratio(samples, "agv", "torchviz"), paired_ratio(samples, "full", "torchviz")
        cpu_ratio, full_cpu = paired_ratio(samples, "agv", "torchviz", 1), paired_ratio(samples, "full", "torchviz", 1)
        ratios.append(ratio)
        full_ratios.append(full_ratio)
        cpu_ratios.append(cpu_ratio)
        if name.startswith("resnet18"):
            resnet_collapsed = t["collapsed"][0]
        shown = f"{len(default.nodes)}{'*' if default.collapsed else ''}"
        print(f"{name:18} {tv_nodes:>6}/{shown:<6} {ms(t['torchviz'][0])} {ms(t['agv'][0])} {ratio:6.2f} {cpu_ratio:5.2f} "
              f"{ms(t['full'][0])} {full_ratio:6.2f} {full_cpu:5.2f}   "
              f"{len(collapsed.nodes):>21} {t['collapsed'][0] * 1000:5.0f}   "
              f"{svg_height_px(full.svg()):>6} -> {svg_height_px(collapsed.svg())}")
    print("* drawn collapsed by default (too big to read in full); 'agv full' is collapse=False, every node.")
    print(f"median ratio, default options: {statistics.median(ratios):.2f}x (cpu {statistics.median(cpu_ratios):.2f}x); "
          f"every node (collapse=False): {statistics.median(full_ratios):.2f}x")
    return ratios, full_ratios, cpu_ratios, resnet_collapsed


def threshold() -> None:
    print("\n2. When draw() collapses: decided from the whole drawing (no-.grad boxes included), so that a "
          "10 pt label shows at 11 px or more in a notebook output 1,000 px wide")
    print(f"{'graph':22} {'nodes':>6} {'full: px (w x h)':>17} {'label px':>8}   {'default: px':>12} {'label px':>8} collapsed")
    cases = [(f"MLP depth {d}", lambda d=d: run_mlp(d, agv.watch)) for d in (8, 16, 32, 128)]
    cases += [("residual MLP, 1 no_grad", run_resmlp), ("resnet18 (like tv)", run_resnet18_like)]
    for name, make in cases:
        loss, model = make()
        full, default = agv.draw(loss, params=model, collapse=False), agv.draw(loss, params=model)
        print(f"{name:22} {len(full.nodes):>6} {svg_size(full):>17} {full.label_px():>8.1f}   "
              f"{svg_size(default):>12} {default.label_px():>8.1f} {default.collapsed}")


def svg_size(graph) -> str:
    match = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', graph.svg())
    return f"{float(match.group(1)) * 4 / 3:.0f} x {float(match.group(2)) * 4 / 3:.0f}"


def huge() -> float:
    """Chains of identical ops (folded) and of alternating ops (capped), walked, drawn and laid out."""
    print("\n3. Huge graphs with no modules: walk + draw + SVG (one run each; ms)")
    print(f"{'graph':34} {'nodes':>8} {'draw':>7} {'SVG':>6} {'total':>7}   drawn")
    slowest = 0.0
    for ops, kind in ((20_000, "y = y + w"), (100_000, "y = y + w"), (100_000, "y.sin(), y.cos() in turn")):
        w = torch.randn(3, requires_grad=True)
        y = w
        for i in range(ops):
            y = y + w if kind.startswith("y = y") else (y.sin() if i % 2 else y.cos())
        t0 = time.perf_counter()
        graph = agv.draw(y, params={"w": w})
        t1 = time.perf_counter()
        graph.svg()
        t2 = time.perf_counter()
        slowest = max(slowest, t2 - t0)
        print(f"{f'{ops:,} ops: {kind}':34} {len(graph.full.nodes):>8,} {ms(t1 - t0)[1:]:>7} {ms(t2 - t1)[2:]:>6} "
              f"{ms(t2 - t0)[1:]:>7}   {len(graph.nodes)} nodes")
    return slowest


def notebook_02_explorer():
    """Run 03_no_grad's own cells up to its explorer, and return the explorer (not a copy of its code)."""
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in jupytext.read(ROOT / "notebooks" / "src" / "03_no_grad.py").cells:
            if cell.cell_type != "code":
                continue
            source = "\n" + "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))  # no magics
            if "\nagv.explore(" in source:
                exec(source.replace("\nagv.explore(", "\n_explorer = agv.explore("), namespace)
                return namespace["_explorer"], namespace["MODES"]
            exec(source, namespace)
    raise RuntimeError("03_no_grad has no explorer cell")


def explorer_redraw(repeats: int) -> float:
    """The 03_no_grad explorer, as the notebook builds it; one control change, timed."""
    ex, modes = notebook_02_explorer()
    t0 = time.perf_counter()
    ex._repr_mimebundle_()  # what displaying it in the notebook costs (the PNG for static viewers)
    first = time.perf_counter() - t0
    control = {w.description: w for w in ex.children[0].children}["lin1"]
    samples = []
    for i in range(repeats * len(modes)):
        mode = modes[(i + 1) % len(modes)]
        t = time.perf_counter()
        control.value = mode
        samples.append(time.perf_counter() - t)
    redraw = statistics.median(samples)
    print(f"\n4. Explorer (03_no_grad's own cells: three nn.Linear(2, 2), four modes per layer): displaying "
          f"it (its static PNG) {first * 1000:.0f} ms; one control change (re-run, draw + SVG, backward, grads "
          f"table) {redraw * 1000:.1f} ms median of {len(samples)}, slowest {max(samples) * 1000:.0f} ms")
    return redraw


def nbval() -> tuple[dict[str, tuple[float, float, str]], float, str]:
    print("\n5. nbval (pytest --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg), "
          "one pytest run per notebook; 'pytest' is the time pytest reports, 'wall' includes "
          "starting pytest")
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
            "--nbval-sanitize-with", "tests/sanitize.cfg"]
    results = {}
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        t = time.perf_counter()
        proc = subprocess.run(base + [str(notebook.relative_to(ROOT))], cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t
        last = (proc.stdout.strip().splitlines() or [""])[-1]
        inner = re.search(r"in ([\d.]+)s", last)
        results[notebook.name] = (wall, float(inner.group(1)) if inner else float("nan"), last.strip("= "))
        print(f"  {notebook.name:34} wall {wall:5.1f} s  pytest {results[notebook.name][1]:5.1f} s  {results[notebook.name][2]}")
    t = time.perf_counter()
    proc = subprocess.run(base + ["notebooks"], cwd=ROOT, capture_output=True, text=True)
    suite = time.perf_counter() - t
    summary = (proc.stdout.strip().splitlines() or [""])[-1].strip("= ")
    print(f"  whole suite, one run: wall {suite:5.1f} s  {summary}")
    return results, suite, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="timing rounds per measurement (default 15)")
    parser.add_argument("--no-nbval", action="store_true", help="skip running the notebooks under nbval")
    args = parser.parse_args()
    torch.set_num_threads(1)  # forward/backward of the models: no thread pool competing with `dot`
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else ["?"]
    print(f"torch {torch.__version__}, {len(__import__('os').sched_getaffinity(0))} CPUs, load average "
          f"{' '.join(load)} at start\n")

    ratios, full_ratios, cpu_ratios, resnet_collapsed = overhead(args.repeats)
    threshold()
    slowest_huge = huge()
    explorer_redraw(max(2, args.repeats // 4))
    results, suite, summary = ({}, float("nan"), "skipped") if args.no_nbval else nbval()

    print("\n6. Budgets")
    verdict = lambda ok: "ok" if ok else "OVER"  # noqa: E731
    median = statistics.median(ratios)
    print(f"  render overhead, median at default options <= {BUDGET_RATIO:.2f}x: {median:.2f}x {verdict(median <= BUDGET_RATIO)}"
          f"  (every node: {statistics.median(full_ratios):.2f}x, cpu {statistics.median(cpu_ratios):.2f}x)")
    print(f"  collapsed resnet18 (like torchvision's), draw + SVG < {BUDGET_COLLAPSED_S} s: "
          f"{resnet_collapsed * 1000:.0f} ms {verdict(resnet_collapsed < BUDGET_COLLAPSED_S)}")
    print(f"  huge graphs (up to 100,000 nodes), walk + draw + SVG < {BUDGET_HUGE_S:.0f} s: "
          f"slowest {slowest_huge * 1000:.0f} ms {verdict(slowest_huge < BUDGET_HUGE_S)}")
    print(f"  collapsed views <= about {MAX_NODES} nodes: see table 1")
    if results:
        slowest = max(results, key=lambda k: results[k][0])
        print(f"  every notebook < {BUDGET_NOTEBOOK_S:.0f} s under nbval (wall): slowest {slowest} "
              f"{results[slowest][0]:.1f} s {verdict(results[slowest][0] < BUDGET_NOTEBOOK_S)}")
        print(f"  whole nbval suite < {BUDGET_SUITE_S:.0f} s: {suite:.1f} s {verdict(suite < BUDGET_SUITE_S)}")
        failed = [k for k, v in results.items() if "failed" in v[2] or "error" in v[2]]
        if failed:
            print(f"  (notebooks with failing cells: {', '.join(failed)})")
    print(f"  load average at the end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print(f"render overhead vs torchviz: {median:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
