import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
class Block(nn.Module):
    def __init__(self, frozen=False):
        super().__init__(); self.fc = nn.Linear(6, 6); self.frozen = frozen
    def forward(self, x):
        if self.frozen:
            with torch.no_grad():
                return torch.relu(self.fc(x))  # HERE
        return torch.relu(self.fc(x))
model = nn.Sequential(Block(), Block(frozen=True), Block())
with agv.watch():
    loss = model(torch.randn(2, 6)).sum()
result = agv.why(model[0].fc.weight, loss)
expect = ("no_grad", "HERE")
