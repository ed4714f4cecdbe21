import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
model = nn.Linear(4, 3)
x = torch.randn(5, 4)
with agv.watch():
    scores = model(x)
    probs = torch.tensor([torch.softmax(s, 0).tolist() for s in scores])  # HERE
    w = torch.ones(3, requires_grad=True)
    loss = (probs * w).sum()
result = agv.why(model.bias, loss)
expect = ("copied", "HERE")
