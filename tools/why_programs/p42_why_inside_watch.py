import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
m1, m2 = nn.Linear(3, 3), nn.Linear(3, 1)
with agv.watch():
    h = m1(torch.randn(2, 3)).detach()  # HERE
    loss = m2(h).sum()
    result = agv.why(m1.weight, loss)
expect = ("detached", "HERE")
