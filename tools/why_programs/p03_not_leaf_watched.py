import torch, autogradviz as agv
torch.manual_seed(0)
X = torch.randn(100, 3); y = X @ torch.tensor([1., -2., 3.])
with agv.watch():
    w = torch.randn(3, 1, requires_grad=True).double()  # HERE
    pred = X.double() @ w
    loss = ((pred.squeeze() - y) ** 2).mean()
loss.backward()
result = agv.why(w)
expect = ("not_leaf", "HERE")
