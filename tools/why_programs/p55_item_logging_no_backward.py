import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
with agv.watch():
    loss = model(torch.randn(5, 3)).pow(2).mean()
    print(f"loss {loss.item():.3f}")
result = agv.why(model[0].weight)
expect = ("no_backward_yet", None)
