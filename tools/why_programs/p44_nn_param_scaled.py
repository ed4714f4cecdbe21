import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
class Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.s = nn.Parameter(torch.ones(3))
with agv.watch():
    w = nn.Parameter(torch.randn(3)) * 0.1  # HERE
with agv.watch():
    loss = (w * torch.randn(3)).sum()
loss.backward()
result = agv.why(w, loss)
expect = ("not_leaf", "HERE")
