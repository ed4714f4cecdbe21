"""What autograd saved for backward, measured exactly with torch's saved_tensors_hooks.

A recorded graph keeps alive every tensor its backward needs. Some of them the forward pass
created: the activations, the memory the graph adds. The others existed before it ran (the
caller's input, the parameters and their views such as ``weight.t()``, buffers such as
BatchNorm's running statistics): the graph keeps them alive too, but they exist anyway. To tell
the two apart, a TorchDispatchMode watches which storages the operations inside ``fn`` allocate.
Each storage is counted once (two ops saving the same tensor, or views of it, cost memory once);
empty ones (placeholders some ops save) cost nothing and are not counted.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass

import torch
from torch.autograd.graph import saved_tensors_hooks
from torch.utils._python_dispatch import TorchDispatchMode

MiB = 2**20


@dataclass(frozen=True)
class SavedMemory:
    tensors: int          # how many saves of a tensor the graph holds (one tensor may be saved twice)
    activations: int      # distinct storages the forward created and autograd kept
    bytes: int            # their size: the memory the graph adds
    existing: int         # distinct storages it saved that existed before: inputs, parameters, buffers
    existing_bytes: int   # their size: kept alive by the graph too, but they exist anyway
    naive_bytes: int      # the sum over every save, counting shared storage again and again

    @property
    def mib(self) -> float:
        return self.bytes / MiB

    def __str__(self) -> str:
        return (f"{count(self.activations, 'activation')}, {size(self.bytes)} kept for backward (also "
                f"saved: {count(self.existing, 'existing tensor')}, {size(self.existing_bytes)} of inputs, "
                f"parameters and buffers; {count(self.tensors, 'save')} in all)")


def size(n: int) -> str:
    return f"{n / MiB:.2f} MiB" if n >= MiB else f"{n:,} bytes"


def count(n: int, thing: str) -> str:
    return f"{n} {thing}" + ("" if n == 1 else "s")


def storage_key(t: torch.Tensor) -> int:
    return t.untyped_storage().data_ptr()


class NewStorages(TorchDispatchMode):
    """Notes every storage an operation allocates: an output whose storage none of its inputs had."""

    def __init__(self):
        super().__init__()
        self.created: set[int] = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        tensors_in = {storage_key(t) for t in tensors(args) + tensors(kwargs.values())}
        fresh = func.__name__.startswith("lift_fresh")  # torch.tensor(data): built, then announced here
        for t in tensors([out]):
            if fresh or storage_key(t) not in tensors_in:
                self.created.add(storage_key(t))
        return out


def tensors(values) -> list[torch.Tensor]:
    """The tensors among values, and inside the lists and tuples among them (as ops take them)."""
    found = []
    for v in values:
        if isinstance(v, torch.Tensor):
            found.append(v)
        elif isinstance(v, (list, tuple)):
            found += tensors(v)
    return found


def saved_memory(fn) -> tuple[object, SavedMemory]:
    """Run ``fn()`` and measure what autograd saved for backward and still keeps when fn returns.

    ``fn`` is a function of no arguments that runs the forward pass, e.g. ``lambda: model(x)``.
    Returns ``(fn's result, SavedMemory)``: ``.bytes`` is what the graph adds (tensors the forward
    created and autograd keeps), ``.existing_bytes`` what it keeps that existed anyway. A graph
    dropped inside fn (``lambda: model(x).detach()``) keeps nothing. Keep the result alive if you
    want the graph, and what it saved, to stay.
    """
    if not callable(fn):
        got = "a Tensor (already computed)" if isinstance(fn, torch.Tensor) else repr(fn)
        raise TypeError(f"saved_memory(fn) runs fn and watches what autograd saves: pass a function "
                        f"that runs the forward pass, e.g. saved_memory(lambda: model(x)); got {got}.")
    watch = NewStorages()
    saves: list[tuple[weakref.ref, int, int, int]] = []  # (what autograd holds, storage, its bytes, this save's)

    def pack(t: torch.Tensor):
        # detached: autograd rebuilds the saved tensor's history itself when it unpacks; handing
        # back t would tie a saved output to its own grad_fn and keep the graph alive after `del`
        held = t.detach()
        saves.append((weakref.ref(held), storage_key(t), t.untyped_storage().nbytes(),
                      t.numel() * t.element_size()))
        return held

    with saved_tensors_hooks(pack, lambda t: t), watch:
        result = fn()
    kept = [(key, nbytes, one) for held, key, nbytes, one in saves if held() is not None]  # still held
    saved = {key: nbytes for key, nbytes, _ in kept if nbytes}  # each storage once; empty ones cost nothing
    new = {k: n for k, n in saved.items() if k in watch.created}
    old = {k: n for k, n in saved.items() if k not in watch.created}
    naive = sum(one for _, _, one in kept)
    return result, SavedMemory(len(kept), len(new), sum(new.values()), len(old), sum(old.values()), naive)
