import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
m = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
with torch.inference_mode():
    out = m(torch.randn(3, 4))
loss = out.sum()
result = agv.why(m[0].weight, loss)
expect = ("not_used", None)  # loss = out.sum() is a normal tensor: cannot tell without watch
