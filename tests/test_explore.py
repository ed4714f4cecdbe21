import ipywidgets
import pytest
import torch
import torch.nn as nn

import autogradviz as agv

MODES = ["grad", "no_grad", "frozen"]


@pytest.fixture
def layers():
    torch.manual_seed(0)
    return {"lin0": nn.Linear(2, 2), "lin1": nn.Linear(2, 2)}


def experiment_for(layers):
    x = torch.randn(2, 2)

    def experiment(lin0="grad", lin1="grad", scaled=False):
        h = x
        for name, mode in [("lin0", lin0), ("lin1", lin1)]:
            layers[name].requires_grad_(mode != "frozen")
            with torch.set_grad_enabled(mode != "no_grad"):
                h = layers[name](h)
        return h

    return experiment


def controls(explorer):
    return {w.description: w for w in explorer.children[0].children}


def test_controls_and_first_drawing(layers):
    ex = agv.explore(experiment_for(layers), params=layers, lin0=MODES, lin1=MODES, scaled=True)
    c = controls(ex)
    assert isinstance(c["lin0"], ipywidgets.ToggleButtons)
    assert isinstance(c["scaled"], ipywidgets.Checkbox)
    html = ex.view.value
    assert "<svg" in html and "<?xml" not in html
    assert "data-param='lin0.weight'" in html and "norm" in html


def test_toggle_redraws_graph_and_table(layers):
    ex = agv.explore(experiment_for(layers), params=layers, lin0=MODES, lin1=MODES)
    before = ex.view.value
    controls(ex)["lin0"].value = "no_grad"
    after = ex.view.value
    assert after != before
    assert "its layer ran under torch.set_grad_enabled(mode != &quot;no_grad&quot;)" in after  # the learner's own words
    assert layers["lin0"].weight.grad is None and layers["lin1"].weight.grad is not None
    controls(ex)["lin1"].value = "frozen"
    assert "frozen: requires_grad=False" in ex.view.value
    assert "No backward: no output requires grad" in ex.view.value


def test_a_smaller_graph_or_an_error_keeps_the_explorer_as_tall_as_before():
    """The page below an explorer does not jump up at a click (nor get laid out and painted again)."""
    x = torch.ones(2, requires_grad=True)

    def chain(steps=4):
        if steps == 0:
            raise ValueError("no steps")
        y = x
        for _ in range(steps):
            y = y * 2
        return y

    ex = agv.explore(chain, steps=(0, 4))
    tall = ex.view.value
    controls(ex)["steps"].value = 1
    controls(ex)["steps"].value = 0
    height = "min-height:{}px".format
    assert height(round(ex.tallest)) in tall and height(round(ex.tallest)) in ex.view.value
    assert "agv-error" in ex.view.value and ex.tallest > 100


def test_grads_are_fresh_each_run(layers):
    ex = agv.explore(experiment_for(layers), params=layers, lin0=MODES, lin1=MODES)
    first = layers["lin1"].bias.grad.clone()
    controls(ex)["lin0"].value = "frozen"
    assert torch.equal(layers["lin1"].bias.grad, first), "not accumulated over runs"


def test_error_in_fn_shows_in_widget_and_widget_recovers(layers):
    def fn(fail=False):
        if fail:
            raise ValueError("boom from the experiment")
        return layers["lin0"](torch.randn(1, 2))

    ex = agv.explore(fn, params=layers, fail=False)
    controls(ex)["fail"].value = True
    assert "agv-error" in ex.view.value and "boom from the experiment" in ex.view.value
    assert "raise ValueError" in ex.view.value, "the failing line of fn is shown"
    controls(ex)["fail"].value = False
    assert "<svg" in ex.view.value


def test_fn_returning_non_tensor_is_explained():
    ex = agv.explore(lambda: 3)
    assert "must return tensors" in ex.view.value


def test_bad_control_and_bad_fn():
    with pytest.raises(TypeError, match="is not a control"):
        agv.explore(lambda v: torch.ones(1), v=object())
    with pytest.raises(TypeError, match="takes a function first"):
        agv.explore(3)
    with pytest.raises(TypeError, match=r"is one string; give the choices as a list: mode=\['grad', \.\.\.\]"):
        agv.explore(lambda mode: torch.ones(1), mode="grad")


def test_static_fallback_for_viewers_without_a_kernel(layers):
    ex = agv.explore(experiment_for(layers), params=layers, lin0=MODES)
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "data:image/png;base64," in bundle["text/html"] and "<svg" not in bundle["text/html"]
    assert bundle["text/plain"] == "explore(experiment: lin0='grad')"


def test_ranges_use_interact_abbreviations():
    ex = agv.explore(lambda n=1: torch.ones(n, requires_grad=True) * 2, n=(1, 4))
    slider = controls(ex)["n"]
    assert isinstance(slider, ipywidgets.IntSlider)
    slider.value = 3
    assert "(3)" in ex.view.value


def test_controls_start_at_fn_defaults(layers):
    def experiment(lin0="grad", lin1="no_grad"):
        return experiment_for(layers)(lin0, lin1)

    ex = agv.explore(experiment, params=layers, lin0=MODES, lin1=MODES)
    assert controls(ex)["lin1"].value == "no_grad"
    assert "its layer ran under torch.set_grad_enabled(mode != &quot;no_grad&quot;)" in ex.view.value


def test_what_fn_prints_is_shown_in_the_widget():
    def fn(scale=1):
        out = torch.ones(2, requires_grad=True) * scale
        print(f"out = {out.tolist()} <ok>")
        return out

    ex = agv.explore(fn, scale=(1, 3))
    assert "<pre class='agv-printed'>out = [1.0, 1.0] &lt;ok&gt;</pre>" in ex.view.value
    controls(ex)["scale"].value = 2
    assert "out = [2.0, 2.0]" in ex.view.value


def test_each_redraw_is_numbered_even_when_it_looks_the_same(layers):
    ex = agv.explore(experiment_for(layers), params=layers, lin0=MODES, lin1=MODES)
    assert "data-run='1'" in ex.view.value
    controls(ex)["lin0"].value = "no_grad"
    controls(ex)["lin0"].value = "grad"
    assert "data-run='3'" in ex.view.value


def test_static_mode_draws_every_combination(layers, monkeypatch):
    monkeypatch.setenv("AUTOGRADVIZ_STATIC", "1")
    ex = agv.explore(experiment_for(layers), params=layers, lin0=MODES, lin1=MODES, scaled=False)
    page = ex._repr_mimebundle_()["text/html"]
    assert page.count("<template data-key=") == 3 * 3 * 2
    assert "data-key='[&quot;no_grad&quot;,&quot;frozen&quot;,true]'" in page
    assert layers["lin0"].weight.grad is not None, "left as the widget shows it (lin0 = grad)"


def test_static_mode_with_too_many_combinations_says_so(monkeypatch):
    monkeypatch.setenv("AUTOGRADVIZ_STATIC", "1")
    ex = agv.explore(lambda n=1: torch.ones(n, requires_grad=True) * 2, n=(1, 100))
    assert "too many combinations" in ex._repr_mimebundle_()["text/html"]


def test_error_points_at_the_line_of_fn_not_inside_torch():
    lin = torch.nn.Linear(2, 2)

    def fn(bad=True):
        y = lin(torch.ones(3)) if bad else lin(torch.ones(2))  # 3 features into a Linear(2, 2)
        return y

    ex = agv.explore(fn, bad=True)
    assert "y = lin(torch.ones(3))" in ex.view.value
    assert "mat1 and mat2 shapes cannot be multiplied" in ex.view.value or "shape" in ex.view.value


def test_a_redraw_from_a_widget_callback_still_names_the_notebooks_tensors():
    # a click runs the callback with no frame of the learner's on the stack: fn's globals stand in
    from autogradviz.learner import at_home, names_near
    real = torch.ones(2)
    assert names_near(None, [real]) == {}
    with at_home({"real": real, "_hidden": real}):
        assert names_near(None, [real]) == {id(real): "real"}
    assert names_near(None, [real]) == {}
