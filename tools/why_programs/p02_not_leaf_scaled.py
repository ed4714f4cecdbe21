# "why is w.grad None?" manual linear regression
import torch, autogradviz as agv
torch.manual_seed(0)
X = torch.randn(100, 3); y = X @ torch.tensor([1., -2., 3.])
w = torch.randn(3, requires_grad=True) * 0.01  # HERE
b = torch.zeros(1, requires_grad=True)
for epoch in range(1):
    pred = X @ w + b
    loss = ((pred - y) ** 2).mean()
    loss.backward()
result = agv.why(w, loss)
expect = ("not_leaf", None)
