import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
model = nn.Linear(3, 1)
loss = model(torch.randn(4, 3)).sum()
result = agv.why(model.weight)
expect = ("no_backward_yet", None)
