import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
layers = nn.ModuleList([nn.Linear(5, 5) for _ in range(4)])
x = torch.randn(2, 5)
with agv.watch():
    h = x
    for i, layer in enumerate(layers):
        if i == 1:
            with torch.no_grad():
                h = layer(h)  # HERE
        else:
            h = torch.relu(layer(h))
    loss = h.sum()
result = agv.why(layers[0].weight, loss)
assert "layers[1]" in result.message, result.message
expect = ("no_grad", "HERE")
