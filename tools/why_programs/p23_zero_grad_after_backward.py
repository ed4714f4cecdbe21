import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
model = nn.Linear(3, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
with agv.watch():
    loss = model(torch.randn(4, 3)).sum()
    loss.backward()
    opt.zero_grad()
result = agv.why(model.weight)
expect = ("no_backward_yet", None)
