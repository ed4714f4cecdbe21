"""One long-running dot lays out every graph: the same SVG as one dot run, and a way back on errors."""
import subprocess

import pytest
import torch

import autogradviz as agv
from autogradviz import dot_process


@pytest.mark.skipif(dot_process.svg("digraph { a }") is None, reason="needs dot and a POSIX system")
def test_same_svg_as_one_dot_run_and_errors_fall_back():
    a = torch.ones(2, requires_grad=True)
    for out in [(a * 2).sum(), (a * 3).exp().sum()]:  # the second is the stream's next graph
        graph = agv.draw(out, params={"a": a})
        alone = subprocess.run(["dot", "-Tsvg"], input=graph.source.encode(), capture_output=True, check=True)
        assert graph.svg() == alone.stdout.decode()
    assert dot_process.svg("digraph { a -> ; }") is None  # dot stops at a syntax error: one run reports it
    assert dot_process.svg("digraph { b }").rstrip().endswith("</svg>")  # and a new dot takes over
