"""The models the benchmark and tests/test_collapse.py draw: deep MLPs and a small ResNet.

There is no torchvision here; ``resnet(blocks=20)`` is a CIFAR-style ResNet of BasicBlocks
(conv-bn-relu-conv-bn plus the shortcut), in four stages.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp(depth: int, width: int = 16) -> nn.Sequential:
    """``depth`` Linear layers, each followed by a ReLU: a Sequential of 2 * depth modules."""
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, blocks: int = 20, width: int = 8, classes: int = 10):
        super().__init__()
        per_stage = [blocks // 4 + (i < blocks % 4) for i in range(4)]
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        cin = width
        for i, n in enumerate(per_stage):
            cout = width * 2 ** i
            stage = [BasicBlock(cin, cout, 1 if i == 0 else 2)] + [BasicBlock(cout, cout) for _ in range(n - 1)]
            setattr(self, f"layer{i + 1}", nn.Sequential(*stage))
            cin = cout
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        return self.fc(torch.flatten(self.pool(out), 1))


def resnet(blocks: int = 20) -> ResNet:
    return ResNet(blocks)


def run_mlp(depth: int, watch=None):
    """(loss, model) of one forward pass, inside ``watch`` when given (agv.watch)."""
    torch.manual_seed(0)
    model = mlp(depth)
    x = torch.randn(4, 16)
    with watch() if watch else _nothing():
        loss = model(x).sum()
    return loss, model


def run_resnet(blocks: int = 20, watch=None):
    torch.manual_seed(0)
    model = resnet(blocks)
    x = torch.randn(2, 3, 16, 16)
    with watch() if watch else _nothing():
        loss = model(x).sum()
    return loss, model


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
