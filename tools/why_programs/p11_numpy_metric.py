import numpy as np, torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
x = torch.randn(20, 4)
with agv.watch():
    pred = model(x).detach().numpy()  # HERE
    loss = torch.from_numpy(np.abs(pred - 1.0)).mean()
    loss.requires_grad_()
loss.backward()
result = agv.why(model[2].weight, loss)
expect = ("detached", "HERE")
