import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
class Seq2One(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(4, 8, batch_first=True); self.fc = nn.Linear(8, 1)
    def forward(self, x):
        with torch.no_grad():
            out, _ = self.rnn(x)  # HERE
        return self.fc(out.mean(1))
m = Seq2One()
with agv.watch():
    loss = m(torch.randn(2, 6, 4)).sum()
result = agv.why(m.rnn.bias_ih_l0, loss)
expect = ("no_grad", "HERE")
