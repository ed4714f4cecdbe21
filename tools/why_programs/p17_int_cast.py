import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
scale = nn.Linear(3, 1)
x = torch.randn(5, 3)
with agv.watch():
    n = scale(x).abs().int()  # HERE
    loss = (n.float() * 2.0).sum() + torch.zeros(1, requires_grad=True).sum()
result = agv.why(scale.weight, loss)
expect = ("non_differentiable", "HERE")
