import torch, torch.nn as nn, autogradviz as agv
torch.manual_seed(0)
class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.classifier = nn.Linear(8, 10)
    def forward(self, x):
        with torch.inference_mode():
            f = self.features(x)  # HERE
        return self.classifier(f.flatten(1).clone())
net = CNN()
x = torch.randn(4, 1, 8, 8)
with agv.watch():
    loss = net(x).logsumexp(1).mean()
result = agv.why(net.features[4].weight, loss)
expect = ("inference_mode", "HERE")
