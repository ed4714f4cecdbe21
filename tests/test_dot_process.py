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


def test_a_dot_that_answers_only_at_the_end_of_its_input_is_run_once_per_graph(tmp_path, monkeypatch):
    fake = tmp_path / "dot"  # like a wrapper around another Graphviz: reads everything, then answers
    fake.write_text("#!/bin/sh\ncat >/dev/null\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{__import__('os').environ['PATH']}")
    monkeypatch.setattr(dot_process, "TIMEOUT", 0.2)
    monkeypatch.setattr(dot_process, "_kept", {})
    monkeypatch.setattr(dot_process, "_streams", True)
    dot_process.stop()
    assert dot_process.svg("digraph { a }") is None  # waited TIMEOUT once ...
    assert dot_process._streams is False and dot_process._dot is None
    assert dot_process.svg("digraph { b }") is None  # ... and never again in this process
    assert dot_process._dot is None
