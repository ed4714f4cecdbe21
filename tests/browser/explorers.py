"""What each explorer must show after a click, as its notebook says.

EXPECTED[notebook][explorer index][(control, value)] = {"gets_grad": names drawn light blue
(receiving a gradient), "shows": phrases the explorer must show}. The sweep clicks every other
option of a control in order, then returns to the start, so each entry is checked with the
other controls at their starting values.
"""
PARAMS_02 = {"x", "lin0.weight", "lin0.bias", "lin1.weight", "lin1.bias", "lin2.weight", "lin2.bias"}

EXPECTED = {
    "00_start_here.ipynb": {
        0: {
            ("mode", "no_grad"): {"gets_grad": set(), "shows": ["No backward: no output requires grad"]},
            ("mode", "grad"): {"gets_grad": {"w"}},
        },
    },
    "02_no_grad.ipynb": {
        0: {  # starts at the article's setting: lin0=grad, lin1=no_grad, lin2=grad
            ("lin0", "no_grad"): {"gets_grad": {"lin2.weight", "lin2.bias"}},
            ("lin0", "frozen"): {"gets_grad": {"lin2.weight", "lin2.bias"}},
            ("lin0", "grad"): {"gets_grad": {"lin2.weight", "lin2.bias"},
                               "shows": ["its layer ran under torch.no_grad()"]},
            ("lin1", "grad"): {"gets_grad": PARAMS_02},
            # freezing the middle layer: it gets nothing, but gradient still flows to lin0 and x
            ("lin1", "frozen"): {"gets_grad": PARAMS_02 - {"lin1.weight", "lin1.bias"},
                                 "shows": ["frozen: requires_grad=False"]},
            ("lin1", "detached output"): {"gets_grad": {"lin2.weight", "lin2.bias"},
                                          "shows": ["cut after its layer"]},
            ("lin2", "no_grad"): {"gets_grad": set(), "shows": ["No backward"]},
            ("lin2", "detached output"): {"gets_grad": set(), "shows": ["No backward"]},
            ("lin2", "frozen"): {"gets_grad": set(), "shows": ["frozen: requires_grad=False"]},
        },
    },
}
