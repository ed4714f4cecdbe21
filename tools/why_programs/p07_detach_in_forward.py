import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(6, 6) for _ in range(4)])
    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = torch.relu(layer(x))
            if i == 1:
                x = x.detach()  # HERE
        return x
net = Net()
with agv.watch():
    loss = net(torch.randn(3, 6)).sum()
result = agv.why(net.layers[0].weight, loss)
expect = ("detached", "HERE")
