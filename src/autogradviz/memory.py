"""What autograd saved for backward, measured exactly with torch's saved_tensors_hooks.

Each storage is counted once (two ops saving the same tensor, or views of it, cost memory once),
and parameters (and views of them, such as ``weight.t()``) are left out: they exist anyway,
whether or not autograd records anything.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.autograd.graph import saved_tensors_hooks

from .graph import named_params

MiB = 2**20


@dataclass(frozen=True)
class SavedMemory:
    tensors: int          # how many times an op saved a tensor (parameters included)
    activations: int      # distinct non-parameter storages saved
    bytes: int            # their size: the memory the graph keeps alive
    naive_bytes: int      # the sum over every save, counting shared storage again and again

    @property
    def mib(self) -> float:
        return self.bytes / MiB

    def __str__(self) -> str:
        return (f"{self.activations} saved activation storages, {self.mib:.2f} MiB "
                f"({self.tensors} saves; counted naively {self.naive_bytes / MiB:.2f} MiB)")


def saved_memory(fn, params=None) -> tuple[object, SavedMemory]:
    """Run ``fn()`` and measure what autograd saved for backward while it ran.

    ``params`` (an nn.Module or a dict, as for draw) are left out of the count. Returns
    ``(fn's result, SavedMemory)``; keep the result alive if you want the graph to stay.
    """
    param_storages = {p.untyped_storage().data_ptr() for p in named_params(params).values()}
    seen: dict[int, int] = {}
    count = naive = 0

    def pack(t: torch.Tensor):
        nonlocal count, naive
        count += 1
        storage = t.untyped_storage()
        naive += t.numel() * t.element_size()
        if storage.data_ptr() not in param_storages:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    with saved_tensors_hooks(pack, lambda t: t):
        result = fn()
    return result, SavedMemory(count, len(seen), sum(seen.values()), naive)
