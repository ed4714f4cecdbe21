import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
backbone = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
head = nn.Linear(8, 5)
backbone.requires_grad_(False)
with agv.watch():
    feats = backbone(torch.randn(2, 3, 8, 8))  # HERE
    loss = head(feats).sum()
loss.backward()
result = agv.why(feats, loss)
expect = ("frozen", "HERE")
