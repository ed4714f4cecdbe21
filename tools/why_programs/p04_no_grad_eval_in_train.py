# wrapped the whole step in no_grad by copying validation code
import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(32, 8), torch.randn(32, 1)
with agv.watch():
    with torch.no_grad():
        out = model(x)  # HERE
    loss = nn.functional.mse_loss(out, y)
result = agv.why(model[0].weight, loss)
expect = ("no_grad", "HERE")
