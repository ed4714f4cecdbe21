import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
gate = nn.Linear(4, 4)
value = nn.Linear(4, 4)
x = torch.randn(6, 4)
with agv.watch():
    mask = (torch.sigmoid(gate(x)) > 0.5).float()  # HERE
    loss = (mask * value(x)).sum()
result = agv.why(gate.weight, loss)
expect = ("non_differentiable", "HERE")
