import pytest
import torch
import torch.nn as nn

import autogradviz as agv


@pytest.fixture
def seed_layers():
    """The lin0/lin1/lin2 experiment of seed 000, with lin1 under no_grad, recorded by watch()."""
    torch.manual_seed(0)
    x = torch.randn(2, 2, requires_grad=True)
    lin0, lin1, lin2 = nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2)
    with agv.watch():
        x1 = lin0(x)
        with torch.no_grad():
            x2 = lin1(x1)
        x3 = lin2(x2)
    return x3, {"lin0": lin0, "lin1": lin1, "lin2": lin2}
