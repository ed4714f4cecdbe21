# layers in a plain python list: optimizer never sees them
import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(4, 4) for _ in range(3)]
        self.out = nn.Linear(4, 1)
    def forward(self, x):
        for l in self.layers:
            x = torch.relu(l(x))
        return self.out(x)
m = MLP()
opt = torch.optim.SGD(m.parameters(), lr=0.1)
with agv.watch():
    loss = m(torch.randn(5, 4)).pow(2).mean()
loss.backward()
result = agv.why(m.layers[1].weight, loss, optimizer=opt)
expect = ("not_in_optimizer", None)
assert "plain Python list" in result.message
