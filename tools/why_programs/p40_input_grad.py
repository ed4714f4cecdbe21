# saliency map: "why is x.grad None"
import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
m = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
x = torch.randn(1, 4)
with agv.watch():
    score = m(x)[0, 1]
score.backward()
result = agv.why(x, score)
assert "never asked for a gradient" in result.message
expect = ("frozen", None)
