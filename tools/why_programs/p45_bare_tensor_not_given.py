import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
model = nn.Linear(3, 1)
temperature = torch.ones(1, requires_grad=True)
opt = torch.optim.Adam(model.parameters())
with agv.watch():
    loss = (model(torch.randn(4, 3)) / temperature).sum()
loss.backward()
result = agv.why(temperature, loss, optimizer=opt)
assert "not among the tensors the optimizer was given" in result.message, result.message
expect = ("not_in_optimizer", None)
