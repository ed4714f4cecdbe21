import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
model[1].weight = nn.Parameter(torch.zeros(1, 3))  # re-init after the optimizer was built
loss = model(torch.randn(4, 3)).sum()
loss.backward()
result = agv.why(model[1].weight, loss, optimizer=opt)
expect = ("not_in_optimizer", None)
assert "replaced after the optimizer" in result.message
