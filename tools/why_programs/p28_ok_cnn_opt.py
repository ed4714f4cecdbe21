import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))
opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
x, y = torch.randn(8, 1, 8, 8), torch.randint(0, 10, (8,))
with agv.watch():
    loss = nn.functional.cross_entropy(net(x), y)
loss.backward()
result = agv.why(net[1].weight, loss, optimizer=opt)
expect = ("ok", None)
