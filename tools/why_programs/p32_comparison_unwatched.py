import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
m = nn.Linear(4, 1)
acc = (m(torch.randn(5, 4)) > 0).float().mean()
result = agv.why(m.weight, acc)
expect = ("not_used", None)  # float output, no history, no watch: cannot tell which cut
