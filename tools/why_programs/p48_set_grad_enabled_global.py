import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
torch.set_grad_enabled(False)  # copied from an inference script
try:
    with agv.watch():
        out = model(torch.randn(2, 3))  # HERE
finally:
    torch.set_grad_enabled(True)
loss = out.sum()
result = agv.why(model[0].weight, loss)
expect = ("no_grad", "HERE")
