import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(4, 4); self.extra = nn.Linear(4, 4); self.use_extra = False
    def forward(self, x):
        x = self.enc(x)
        if self.use_extra:
            x = self.extra(x)
        return x
net = Net()
with agv.watch():
    loss = net(torch.randn(2, 4)).sum()
result = agv.why(net.extra.weight, loss)
assert "did not run" in result.message
expect = ("not_used", None)
