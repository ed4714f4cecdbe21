import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
class Gated(nn.Module):
    def __init__(self):
        super().__init__(); self.a = nn.Linear(3, 3); self.b = nn.Linear(3, 1)
    def forward(self, x):
        h = self.a(x)
        if h.mean().item() > 10:  # data-dependent branch
            h = h * 2
        return self.b(h)
m = Gated()
with agv.watch():
    loss = m(torch.randn(4, 3)).sum()
r1 = agv.why(m.a.weight, loss)
assert r1.cause == "ok", r1
result = agv.why(m.a.weight)
expect = ("no_backward_yet", None)
