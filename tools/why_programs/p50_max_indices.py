import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
clf = nn.Linear(4, 3)
x, y = torch.randn(6, 4), torch.randint(0, 3, (6,))
with agv.watch():
    _, pred = clf(x).max(dim=1)  # HERE
    loss = (pred - y).float().pow(2).mean()
result = agv.why(clf.weight, loss)
expect = ("non_differentiable", "HERE")
