import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 3), nn.Sigmoid(), nn.Linear(3, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
def train_step(x, y):
    with torch.no_grad():
        pred = model(x)  # HERE
    loss = ((pred - y) ** 2).mean()
    loss.requires_grad_(True)
    opt.zero_grad(); loss.backward(); opt.step()
    return loss
with agv.watch():
    loss = train_step(torch.randn(4, 3), torch.randn(4, 1))
result = agv.why(model[2].bias, loss)
expect = ("no_grad", "HERE")
