import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
class TwoHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 8); self.cls = nn.Linear(8, 3); self.aux = nn.Linear(8, 1)
    def forward(self, x):
        h = torch.relu(self.body(x))
        return self.cls(h)
m = TwoHead()
with agv.watch():
    loss = m(torch.randn(2, 4)).sum()
result = agv.why(m.aux.weight, loss)
expect = ("not_used", None)
