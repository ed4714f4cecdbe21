"""A model built like torchvision's resnet18 (conv1 ... layer4, fc), from benchmarks/models.py:
torchvision's wheel here is the CUDA build, which does not import next to CPU torch."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from models import Resnet18Like  # noqa: E402


def ResNet18(num_classes: int = 1000, w: int = 8):  # torchvision's argument name
    return Resnet18Like(width=w, classes=num_classes)
