import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
trunk, a, b = nn.Linear(3, 3), nn.Linear(3, 1), nn.Linear(3, 1)
with agv.watch():
    h = trunk(torch.randn(4, 3))
    outs = {"a": a(h).sum(), "b": b(h.detach()).sum()}  # HERE
result = agv.why(b.weight, outs)
r2 = agv.why(trunk.weight, outs)
assert r2.cause == "ok", r2
expect = ("ok", None)
