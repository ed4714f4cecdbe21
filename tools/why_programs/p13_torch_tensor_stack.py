# collecting losses in a list and wrapping with torch.tensor
import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
xs = [torch.randn(3, 2) for _ in range(4)]
with agv.watch():
    losses = [net(x).pow(2).mean() for x in xs]
    loss = torch.tensor(losses, requires_grad=True).mean()  # HERE
result = agv.why(net[0].weight, loss)
expect = ("copied", "HERE")
