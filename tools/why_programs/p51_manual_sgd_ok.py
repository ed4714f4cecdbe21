import torch, autogradviz as agv
torch.manual_seed(0)
X, y = torch.randn(20, 2), torch.randn(20)
w = torch.zeros(2, requires_grad=True)
with agv.watch():
    for step in range(3):
        loss = ((X @ w - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= 0.1 * w.grad
        w.grad.zero_()
    loss = ((X @ w - y) ** 2).mean()
result = agv.why(w, loss)
expect = ("ok", None)
