import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
a, b, c, d = (nn.Linear(3, 3) for _ in range(4))
x = torch.randn(2, 3)
with agv.watch():
    with torch.no_grad():
        h = a(x)  # FIRST
    h = b(h)
    with torch.no_grad():
        h = c(h)  # HERE
    loss = d(h).sum()
result = agv.why(b.weight, loss)
r2 = agv.why(a.weight, loss)
assert r2.cause == "no_grad" and r2.where.endswith(":7"), (r2.cause, r2.where, r2.message)
expect = ("no_grad", "HERE")
