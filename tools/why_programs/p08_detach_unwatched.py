import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
a, b = nn.Linear(5, 5), nn.Linear(5, 1)
h = a(torch.randn(2, 5)).detach()
loss = b(h).sum()
loss.backward()
result = agv.why(a.weight, loss)
expect = ("not_used", None)  # without watch: cannot tell; says watch would tell
