import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
clf = nn.Linear(4, 3)
opt = torch.optim.SGD(clf.parameters(), lr=0.1)
x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
with agv.watch():
    logits = clf(x)
    loss = nn.functional.cross_entropy(logits, y)
    acc = (logits.argmax(1) == y).float().mean()   # logging
    opt.zero_grad()
    loss.backward()
result = agv.why(clf.weight)
expect = ("ok", None)
