import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(4, 4), nn.Tanh()) for _ in range(3)])
        self.freeze_at = 1
    def forward(self, x):
        for i, block in enumerate(self.blocks):
            if i == self.freeze_at:
                with torch.inference_mode():
                    x = block(x)  # HERE
                x = x.clone()
            else:
                x = block(x)
        return x
net = Net()
with agv.watch():
    loss = net(torch.randn(2, 4)).sum()
result = agv.why(net.blocks[0][0].weight, loss)
assert "net.blocks[1]" in result.message, result.message
r2 = agv.why(net.blocks[1][0].weight, loss)
assert "net.blocks[1]" in r2.message and "its layer" in r2.reason, (r2.reason, r2.message)
expect = ("inference_mode", "HERE")
