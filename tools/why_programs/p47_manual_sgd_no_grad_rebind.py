# "element 0 of tensors does not require grad" on the second step
import torch, autogradviz as agv
torch.manual_seed(0)
X, y = torch.randn(20, 2), torch.randn(20)
w = torch.zeros(2, requires_grad=True)
with agv.watch():
    loss = ((X @ w - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w = w - 0.1 * w.grad  # HERE
result = agv.why(w)
assert "w -= " in result.message or "in place" in result.message, result.message
expect = ("no_grad", "HERE")
