import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
clf = nn.Linear(4, 3)
x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
history = []
with agv.watch():
    logits = clf(x)
    loss = nn.functional.cross_entropy(logits, y)
    history.append(logits.detach())   # logging
result = agv.why(clf.weight)
r2 = agv.why(clf.weight, loss)
assert r2.cause == "ok", r2
expect = ("no_backward_yet", None)
