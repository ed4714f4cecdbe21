# "my backbone doesn't train" -- froze it for warmup and forgot
import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3))
for p in model[:4].parameters():
    p.requires_grad = False
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x, y = torch.randn(16, 10), torch.randint(0, 3, (16,))
with agv.watch():
    loss = nn.functional.cross_entropy(model(x), y)
loss.backward()
result = agv.why(model[0].weight, loss)
expect = ("frozen", None)
