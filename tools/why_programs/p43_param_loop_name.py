import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1))
model[0].requires_grad_(False)
with agv.watch():
    loss = model(torch.randn(2, 3)).sum()
loss.backward()
answers = {n: agv.why(p, loss) for n, p in model.named_parameters()}
assert [a.cause for a in answers.values()] == ["frozen", "frozen", "ok", "ok"], answers
result = answers["0.weight"]
expect = ("frozen", None)
