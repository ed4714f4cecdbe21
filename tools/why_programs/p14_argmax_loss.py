import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
clf = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
x, y = torch.randn(10, 5), torch.randint(0, 3, (10,))
with agv.watch():
    pred = clf(x).argmax(dim=1)  # HERE
    loss = (pred != y).float().mean()
    loss.requires_grad_(True)
loss.backward()
result = agv.why(clf[2].weight, loss)
expect = ("non_differentiable", "HERE")
