import torch
import torch.nn as nn

import autogradviz as agv


def mlp():
    torch.manual_seed(0)
    return nn.Sequential(*[nn.Linear(256, 256) for _ in range(4)])


def test_no_grad_saves_nothing():
    model, x = mlp(), torch.randn(64, 256)
    with torch.no_grad():
        _, saved = agv.saved_memory(lambda: model(x), params=model)
    assert saved.tensors == 0 and saved.bytes == 0


def test_counts_each_activation_storage_once_and_leaves_out_parameters():
    model, x = mlp(), torch.randn(64, 256)
    out, saved = agv.saved_memory(lambda: model(x), params=model)
    # each Linear saves its input (64x256 floats); the first input is x itself
    assert saved.activations == 4
    assert saved.bytes == 4 * 64 * 256 * 4
    assert saved.naive_bytes > saved.bytes, "weights (saved as weight.t() views) are counted naively"
    assert out.grad_fn is not None


def test_freezing_the_leading_layers_saves_less():
    model, x = mlp(), torch.randn(64, 256)
    _, everything = agv.saved_memory(lambda: model(x), params=model)
    model[:2].requires_grad_(False)
    _, frozen_front = agv.saved_memory(lambda: model(x), params=model)
    assert frozen_front.bytes == everything.bytes // 2
    assert "2 saved activation storages, 0.12 MiB" in str(frozen_front)
