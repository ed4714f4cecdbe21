# old tutorial style: using .data
import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
emb, head = nn.Embedding(10, 4), nn.Linear(4, 2)
idx = torch.tensor([1, 2, 3])
with agv.watch():
    e = emb(idx).data  # HERE
    loss = head(e).pow(2).sum()
result = agv.why(emb.weight, loss)
expect = ("data", "HERE")
