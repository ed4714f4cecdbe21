"""What each explorer must show after a click, as its notebook says.

EXPECTED[notebook][explorer index][(control, value)] = {"gets_grad": names drawn light blue
(receiving a gradient), "shows": phrases the explorer must show, "now": (the label of the node
drawn running, the step listed in bold) for a traced backward}. The sweep clicks every other
option of a control in order, then returns to the start, so each entry is checked with the
other controls at their starting values.
"""
# "(2, 2)" is x, the input: params names only the layers, so x is drawn unnamed when it gets .grad
PARAMS_02 = {"(2, 2)", "lin0.weight", "lin0.bias", "lin1.weight", "lin1.bias", "lin2.weight", "lin2.bias"}

def layers(*names):
    return {f"{n}.{p}" for n in names for p in ("weight", "bias")}


GAN = {"G.weight", "G.bias", "D.weight", "D.bias"}
MODEL_06 = {f"{layer}.{p}" for layer in ("lin0", "bn", "lin1") for p in ("weight", "bias")}
LIN1_07 = {"lin1.weight", "lin1.bias"}
HEAD_11 = {"head.weight", "head.bias"}

# The stepping explorer of a traced backward: at each step, the node drawn as running now and the
# step listed in bold beside the picture. L = (a * b + a) ** 2 with a = 2, b = -3.
STEPS_01B = ["step 0: MulBackward0 received (1,) sent (-4, -4)",
             "step 1: AddBackward0 received (-8,) sent (-8, -8)",
             "step 2: MulBackward0 received (-8,) sent (24, -16)",
             "step 3: AccumulateGrad (a) received (16,)",
             "step 4: AccumulateGrad (b) received (-16,)"]

EXPECTED = {
    "00_start_here.ipynb": {
        0: {
            ("mode", "no_grad"): {"gets_grad": set(), "shows": ["No backward: no output requires grad"]},
            ("mode", "grad"): {"gets_grad": {"w"}},
        },
    },
    "02_backward_step_by_step.ipynb": {
        0: {("step", k): {"gets_grad": {"a", "b"}, "now": (line.split()[2], line)} for k, line in enumerate(STEPS_01B)},
    },
    "03_no_grad.ipynb": {
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
                                          "shows": ["no path: .detach() of out (lin1's output)"]},
            ("lin2", "no_grad"): {"gets_grad": set(), "shows": ["No backward"]},
            ("lin2", "detached output"): {"gets_grad": set(), "shows": ["No backward"]},
            ("lin2", "frozen"): {"gets_grad": set(), "shows": ["frozen: requires_grad=False"]},
        },
    },
    "04_freezing.ipynb": {
        0: {  # starts with lin1 frozen by requires_grad_(False)
            ("lin0", "frozen"): {"gets_grad": layers("lin2")},
            ("lin0", "trainable"): {"gets_grad": layers("lin0", "lin2")},
            ("lin1", "trainable"): {"gets_grad": layers("lin0", "lin1", "lin2")},
            ("lin1", "frozen"): {"gets_grad": layers("lin0", "lin2"), "shows": ["frozen: requires_grad=False"]},
            ("lin2", "frozen"): {"gets_grad": layers("lin0")},
            ("lin2", "trainable"): {"gets_grad": layers("lin0", "lin2")},
            # freezing the middle layer with no_grad cuts everything before it
            ("freeze_by", "no_grad"): {"gets_grad": layers("lin2"), "shows": ["ran under torch.no_grad()"]},
            ("freeze_by", "requires_grad_(False)"): {"gets_grad": layers("lin0", "lin2")},
        },
    },
    "05_detach.ipynb": {
        0: {  # starts at D step with fake detached
            ("step", "G step"): {"gets_grad": {"D.weight", "D.bias"}},  # the bug: G learns nothing
            ("step", "D step"): {"gets_grad": {"D.weight", "D.bias"}, "shows": ["no path: .detach() of fake (G's output)"]},
            ("detach_fake", False): {"gets_grad": GAN},
            ("detach_fake", True): {"gets_grad": {"D.weight", "D.bias"}},
        },
    },
    "06_zero_grad.ipynb": {
        0: {  # calls=3, no zero_grad: the gradient is 3x one backward's (0.weight: 3 x 0.3443)
            ("calls", 4): {"shows": ["norm 1.3773"]},
            ("calls", 3): {"shows": ["norm 1.0330"]},
            ("zero_grad_each", True): {"shows": ["norm 0.3443"]},
            ("zero_grad_each", False): {"shows": ["norm 1.0330"]},
        },
    },
    "07_eval_is_not_no_grad.ipynb": {
        0: {  # starts at train / grad
            ("mode", "eval"): {"gets_grad": MODEL_06, "shows": ["(unchanged)"]},
            ("mode", "train"): {"gets_grad": MODEL_06, "shows": ["(changed)"]},
            ("grad", "no_grad"): {"gets_grad": set(), "shows": ["No backward", "(changed)"]},
            ("grad", "grad"): {"gets_grad": MODEL_06},
        },
    },
    "08_grad_modes.ipynb": {
        0: {  # starts at outer=no_grad, inner=enable_grad: only lin1 (the inner layer) records
            ("outer", "none"): {"gets_grad": LIN1_07 | {"lin0.weight", "lin0.bias"}},
            ("outer", "inference_mode"): {"gets_grad": set(), "shows": ["ran under torch.inference_mode()"]},
            ("outer", "no_grad"): {"gets_grad": LIN1_07, "shows": ["ran with grad mode off"]},
            ("inner", "none"): {"gets_grad": set()},
            ("inner", "no_grad"): {"gets_grad": set()},
            ("inner", "inference_mode"): {"gets_grad": set()},
            ("inner", "inference_mode(False)"): {"gets_grad": LIN1_07},
            ("inner", "enable_grad"): {"gets_grad": LIN1_07},
        },
    },
    "10_in_place_and_updates.ipynb": {
        0: {  # starts with the update under no_grad: w stays a leaf
            ("update", "no no_grad: p -= lr * p.grad"): {
                "shows": ["a leaf Variable that requires grad is being used in an in-place operation"]},
            ("update", "out of place: p = p - lr * p.grad"): {"gets_grad": {"w"}, "shows": ["leaf: False"]},
            ("update", "under no_grad: p -= lr * p.grad"): {"gets_grad": {"w"}, "shows": ["leaf: True grad_fn: None"]},
        },
    },
    "11_use_cases.ipynb": {
        0: {  # starts at the seed's validation snippet: no_grad on, eval() forgotten
            ("eval_mode", True): {"gets_grad": set(), "shows": ["running_mean changed: False"]},
            ("eval_mode", False): {"gets_grad": set(), "shows": ["running_mean changed: True"]},
            ("no_grad", False): {"gets_grad": MODEL_06, "shows": ["graph built: NllLossBackward0"]},
            ("no_grad", True): {"gets_grad": set(), "shows": ["graph built: no"]},
        },
    },
    "12_why_no_grad.ipynb": {
        0: {  # starts at cut="no_grad", freeze_body=False: the head learns, the body gets no path
            ("cut", "none"): {"gets_grad": HEAD_11 | {"body.0.weight", "body.0.bias"}},
            ("cut", "inference_mode"): {"shows": ["Inference tensors cannot be saved for backward"]},
            ("cut", ".detach()"): {"gets_grad": HEAD_11, "shows": ["no path: .detach() of h (body's output)"]},
            ("cut", ".data"): {"gets_grad": HEAD_11, "shows": ["no path: .data of h (body's output)"]},
            ("cut", "torch.tensor(h.tolist())"): {
                "gets_grad": HEAD_11, "shows": ["no path: tolist() copied the values of h (body's output) out of torch"]},
            ("cut", "no_grad"): {"gets_grad": HEAD_11, "shows": ["no path: its layer ran under torch.no_grad()"]},
            ("freeze_body", True): {"gets_grad": HEAD_11, "shows": ["frozen: requires_grad=False"]},
            ("freeze_body", False): {"gets_grad": HEAD_11, "shows": ["no path: its layer ran under torch.no_grad()"]},
        },
    },
}
