import torch, torch.nn as nn, autogradviz as agv
from resnet_like import ResNet18
torch.manual_seed(0)
model = ResNet18(10).eval()  # "eval freezes it?"
opt = torch.optim.Adam(model.parameters())
with agv.watch():
    loss = model(torch.randn(2, 3, 32, 32)).sum()
loss.backward()
result = agv.why(model.layer2[0].downsample[0].weight, loss, optimizer=opt)
expect = ("ok", None)
