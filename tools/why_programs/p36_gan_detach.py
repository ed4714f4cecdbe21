import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
G = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 4))
D = nn.Sequential(nn.Linear(4, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
z = torch.randn(5, 2)
with agv.watch():
    fake = G(z)
    d_out = D(fake.detach())  # HERE
    g_loss = -d_out.mean()  # bug: generator loss computed from the detached pass
g_loss.backward()
result = agv.why(G[2].weight, g_loss)
assert "fake (G's output)" in result.message, result.message
expect = ("detached", "HERE")
