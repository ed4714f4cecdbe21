# "grad is None after the first step"
import torch, autogradviz as agv
torch.manual_seed(0)
X, y = torch.randn(20, 2), torch.randn(20)
w = torch.zeros(2, requires_grad=True)
with agv.watch():
    for step in range(2):
        loss = ((X @ w - y) ** 2).mean()
        loss.backward()
        if step == 0:
            w = w - 0.1 * w.grad  # HERE
result = agv.why(w, loss)
expect = ("not_leaf", "HERE")
