import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
cell, head = nn.GRUCell(3, 5), nn.Linear(5, 1)
with agv.watch():
    h = torch.zeros(2, 5)
    for t in range(4):
        h = cell(torch.randn(2, 3), h)
    h.detach_()  # HERE
    loss = head(h).sum()
result = agv.why(cell.weight_ih, loss)
expect = ("detached", "HERE")
