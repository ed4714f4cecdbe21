# builds the loss from python floats
import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
model = nn.Linear(3, 1)
x, y = torch.randn(8, 3), torch.randn(8, 1)
with agv.watch():
    total = 0.0
    for i in range(8):
        err = (model(x[i]) - y[i]) ** 2
        total += err.item()  # HERE
    loss = torch.tensor(total / 8, requires_grad=True)
loss.backward()
result = agv.why(model.weight, loss)
expect = ("copied", "HERE")
