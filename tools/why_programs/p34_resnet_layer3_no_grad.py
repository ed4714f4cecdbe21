import torch, torch.nn as nn, autogradviz as agv
from resnet_like import ResNet18
torch.manual_seed(0)
model = ResNet18(10)
def forward(model, x):
    x = model.maxpool(model.relu(model.bn1(model.conv1(x))))
    x = model.layer2(model.layer1(x))
    with torch.no_grad():
        x = model.layer3(x)  # HERE
    x = model.layer4(x)
    return model.fc(model.avgpool(x).flatten(1))
with agv.watch():
    loss = forward(model, torch.randn(2, 3, 32, 32)).sum()
r2 = agv.why(model.layer3[1].conv2.weight, loss)
assert r2.cause == "no_grad" and "its layer" in r2.reason, r2
assert "model.layer3" in r2.message, r2.message
result = agv.why(model.layer1[0].conv1.weight, loss)
assert "model.layer3 ran" in result.message, result.message
expect = ("no_grad", "HERE")
