import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
m = nn.Linear(3, 1)
with agv.watch():
    penalty = float(m.weight.norm())  # HERE
    loss = m(torch.randn(4, 3)).sum() * 0 + torch.tensor(penalty, requires_grad=True)
result = agv.why(m.weight, loss)
expect = ("ok", None)   # m.weight still has a path through m(...)
