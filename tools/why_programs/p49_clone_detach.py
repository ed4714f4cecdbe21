import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
enc, dec = nn.Linear(4, 2), nn.Linear(2, 4)
x = torch.randn(3, 4)
with agv.watch():
    z = enc(x).clone().detach()  # HERE
    loss = ((dec(z) - x) ** 2).mean()
result = agv.why(enc.bias, loss)
assert "enc" in result.message, result.message
expect = ("detached", "HERE")
