import gc
import weakref

import pytest
import torch
import torch.nn as nn

import autogradviz as agv

FLOAT = 4  # bytes


def mlp():
    torch.manual_seed(0)
    return nn.Sequential(*[nn.Linear(256, 256) for _ in range(4)])


def test_no_grad_saves_nothing():
    model, x = mlp(), torch.randn(64, 256)
    with torch.no_grad():
        _, saved = agv.saved_memory(lambda: model(x))
    assert saved.tensors == 0 and saved.bytes == 0 and saved.existing_bytes == 0


def test_counts_what_the_forward_created_once_and_what_existed_apart():
    model, x = mlp(), torch.randn(64, 256)
    out, saved = agv.saved_memory(lambda: model(x))
    # each Linear saves its input: x (the caller's, existing) and the 3 outputs before the last (new);
    # the 3 Linears after the first also save their weight (as a weight.t() view: existing)
    assert saved.activations == 3 and saved.bytes == 3 * 64 * 256 * FLOAT
    assert saved.existing == 4 and saved.existing_bytes == (64 * 256 + 3 * 256 * 256) * FLOAT
    assert saved.tensors == 7 and saved.naive_bytes == saved.bytes + saved.existing_bytes
    assert out.grad_fn is not None


def test_shared_storage_counts_once():
    x = torch.randn(1000, requires_grad=True)
    def forward():
        h = x.sigmoid()  # sigmoid saves its output h; h * h saves h twice more
        return h * h

    _, saved = agv.saved_memory(forward)
    assert saved.tensors == 3 and saved.naive_bytes == 3 * 1000 * FLOAT
    assert saved.activations == 1 and saved.bytes == 1000 * FLOAT


def test_batchnorm_buffers_are_existing_and_empty_placeholders_cost_nothing():
    torch.manual_seed(0)
    model, x = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).eval(), torch.randn(8, 3)
    _, saved = agv.saved_memory(lambda: model(x))
    assert saved.activations == 1 and saved.bytes == 8 * 4 * FLOAT  # the Linear's output, saved by BN
    # x, BN's weight, running_mean and running_var existed before; the empty save_mean is not counted
    assert saved.existing == 4 and saved.existing_bytes == (8 * 3 + 3 * 4) * FLOAT


def test_tensors_made_inside_fn_are_new():
    w = torch.randn(3, requires_grad=True)
    _, from_data = agv.saved_memory(lambda: w * torch.tensor([1.0, 2.0, 3.0]))
    _, from_factory = agv.saved_memory(lambda: w * torch.randn(3))
    assert from_data.bytes == from_factory.bytes == 3 * FLOAT and from_data.existing == 0


def test_freezing_the_leading_layers_saves_less():
    model, x = mlp(), torch.randn(64, 256)
    _, everything = agv.saved_memory(lambda: model(x))
    model[:1].requires_grad_(False)
    _, first_frozen = agv.saved_memory(lambda: model(x))
    model[:2].requires_grad_(False)
    _, two_frozen = agv.saved_memory(lambda: model(x))
    # the second Linear's input no longer requires grad: x and that Linear's weight are not saved
    # any more, but both existed anyway; the activations the graph adds are the same
    assert first_frozen.bytes == everything.bytes
    assert first_frozen.existing_bytes == everything.existing_bytes - (64 * 256 + 256 * 256) * FLOAT
    assert two_frozen.bytes == 2 * 64 * 256 * FLOAT
    assert str(two_frozen).startswith("2 activations, 131,072 bytes kept for backward")


def test_the_graph_is_freed_as_soon_as_its_result_is_dropped_and_backward_is_right():
    x = torch.randn(1000, requires_grad=True)
    gc.disable()  # no cycle collector: the graph must go by reference counting alone
    try:
        out, saved = agv.saved_memory(lambda: x.sigmoid())  # sigmoid saves its own output
        alive = weakref.ref(out)
        del out
        assert alive() is None
    finally:
        gc.enable()
    out, _ = agv.saved_memory(lambda: (x ** 3).sum())
    (grad,) = torch.autograd.grad(out, x, create_graph=True)
    assert torch.allclose(grad, 3 * x.detach() ** 2)
    grad.sum().backward()  # a double backward through the saved x
    assert torch.allclose(x.grad, 6 * x.detach())


def test_counts_only_what_the_graph_still_keeps_when_fn_returns():
    x = torch.randn(1000, requires_grad=True)
    _, detached = agv.saved_memory(lambda: x.sigmoid().detach())  # the graph is dropped inside fn
    assert detached.tensors == 0 and detached.bytes == 0

    def three_graphs_keep_one():
        outs = [(x * i).sigmoid() for i in range(3)]  # each sigmoid saves its output
        return outs[-1]                                # the other two graphs die here

    _, last = agv.saved_memory(three_graphs_keep_one)
    assert last.tensors == 1 and last.activations == 1 and last.bytes == 1000 * FLOAT


@pytest.mark.parametrize("bad", [None, 3, torch.ones(2)])
def test_bad_input_says_to_pass_a_function(bad):
    with pytest.raises(TypeError, match=r"pass a function .*saved_memory\(lambda: model\(x\)\)"):
        agv.saved_memory(bad)
