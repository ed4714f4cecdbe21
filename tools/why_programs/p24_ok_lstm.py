import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
lstm, head = nn.LSTM(4, 8, batch_first=True), nn.Linear(8, 2)
opt = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()))
x = torch.randn(3, 5, 4)
with agv.watch():
    out, (h, c) = lstm(x)
    loss = head(out[:, -1]).pow(2).mean()
loss.backward()
result = agv.why(lstm.weight_ih_l0, loss, optimizer=opt)
expect = ("ok", None)
