import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
backbone, head = nn.Linear(6, 6), nn.Linear(6, 2)
backbone.requires_grad_(False)
opt = torch.optim.Adam([p for p in list(backbone.parameters()) + list(head.parameters()) if p.requires_grad])
backbone.requires_grad_(True)  # later: unfreeze for fine-tuning
with agv.watch():
    loss = head(backbone(torch.randn(3, 6))).sum()
loss.backward()
result = agv.why(backbone.bias, loss, optimizer=opt)
expect = ("not_in_optimizer", None)
assert "built while the parameter was frozen" in result.message
