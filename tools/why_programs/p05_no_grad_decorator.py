import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
enc, dec = nn.Linear(8, 4), nn.Linear(4, 8)
@torch.no_grad()
def encode(x):
    return torch.tanh(enc(x))  # HERE
x = torch.randn(10, 8)
with agv.watch():
    z = encode(x)
    loss = ((dec(z) - x) ** 2).mean()
result = agv.why(enc.weight, loss)
expect = ("no_grad", "HERE")
