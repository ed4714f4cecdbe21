import torch
import torch.nn as nn

import autogradviz as agv


def test_report_after_seed_000(seed_layers):
    x3, layers = seed_layers
    x3.sum().backward()
    report = agv.grads(layers)
    assert [r.has_grad for r in report.rows] == [False] * 4 + [True] * 2
    assert "no_grad" in report["lin1.weight"].why_none
    assert report["lin0.bias"].why_none == "no path: lin1 ran under torch.no_grad()"
    assert report["lin1.bias"].why_none == "no path: its layer ran under torch.no_grad()"
    assert report["lin0.bias"].cause == report["lin1.bias"].cause == "no_grad"
    assert report["lin2.bias"].norm == torch.tensor([2.0, 2.0]).norm().item()
    text = str(report)
    assert text.splitlines()[0].split() == ["parameter", "requires_grad", ".grad", "why", "no", ".grad"]
    assert "data-param='lin2.weight'" in report._repr_html_()


def test_frozen_and_not_yet_run():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    model[0].weight.requires_grad_(False)
    report = agv.grads(model)
    assert report["0.weight"].why_none == "frozen: requires_grad=False"
    assert report["0.bias"].cause == "no_backward_yet"
    assert str(report) == ("No parameter has a .grad: no backward has run yet (or zero_grad() cleared them). "
                           "Frozen (requires_grad=False): 0.weight.")
    assert "<table" not in report._repr_html_(), "one line, not a row of guesses per parameter"


def test_bad_input():
    import pytest
    with pytest.raises(ValueError, match="found no parameters"):
        agv.grads({})
    with pytest.raises(ValueError, match="ReLU has none"):
        agv.grads(nn.ReLU())
    with pytest.raises(TypeError, match="params takes"):
        agv.grads(3)


def test_after_backward_drops_the_no_backward_yet_hint():
    w = torch.randn(2, requires_grad=True)
    assert agv.grads({"w": w})["w"].why_none == "no backward has run yet"
    assert agv.grads({"w": w}, after_backward=True)["w"].why_none.startswith("no path to the output")


def test_bad_outputs_say_what_to_pass():
    import pytest
    with pytest.raises(TypeError, match=r"grads\(\) takes outputs= the tensor backward"):
        agv.grads(nn.Linear(2, 2), outputs="loss")
