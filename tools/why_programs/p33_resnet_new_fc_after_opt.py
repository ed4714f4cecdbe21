import torch, torch.nn as nn, autogradviz as agv
from resnet_like import ResNet18
torch.manual_seed(0)
model = ResNet18()
for p in model.parameters():
    p.requires_grad = False
opt = torch.optim.SGD(model.parameters(), lr=0.01)
model.fc = nn.Linear(64, 10)  # new head, after the optimizer
with agv.watch():
    loss = nn.functional.cross_entropy(model(torch.randn(2, 3, 32, 32)), torch.tensor([1, 2]))
loss.backward()
result = agv.why(model.fc.weight, loss, optimizer=opt)
expect = ("not_in_optimizer", None)
assert "replaced after the optimizer" in result.message
