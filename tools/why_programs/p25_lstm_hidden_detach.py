# tBPTT: detaching the state also before the *first* use
import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
lstm, head = nn.LSTM(4, 8, batch_first=True), nn.Linear(8, 2)
x = torch.randn(3, 5, 4)
with agv.watch():
    out, (h, c) = lstm(x)
    feat = h[-1].detach()  # HERE
    loss = head(feat).pow(2).mean()
result = agv.why(lstm.weight_hh_l0, loss)
expect = ("detached", "HERE")
