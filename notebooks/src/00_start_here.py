# %% [markdown]
# # 00 · Start here: see what autograd records
#
# PyTorch gives you several switches around gradients: `requires_grad`, `torch.no_grad()`,
# `torch.inference_mode()`, `set_grad_enabled`, `.detach()`, `zero_grad()` and `model.eval()`.
# They are easy to confuse, and much of what is written about them is half right. In this
# series you run each one, **see** the graph autograd records change, and every claim is
# checked by an `assert` that runs whenever the tests run.

# %% [markdown]
# ## The series, in order
#
# | # | notebook | the question | minutes |
# |---|---|---|---|
# | 01 | [the graph](01_the_graph.ipynb) | what does autograd record, and what does `backward()` do with it? | 20 |
# | 02 | [backward, step by step](02_backward_step_by_step.ipynb) | in what order does `backward()` run the graph, and what gradient travels each edge? | 25 |
# | 03 | [`no_grad`](03_no_grad.ipynb) | a layer in the middle runs under `no_grad`: who gets a gradient? | 20 |
# | 04 | [freezing](04_freezing.ipynb) | how do you train only part of a model? | 25 |
# | 05 | [`detach`](05_detach.ipynb) | how do you cut the graph at one tensor? | 20 |
# | 06 | [`zero_grad`](06_zero_grad.ipynb) | why do gradients add up, and when is that useful? | 15 |
# | 07 | [`eval` is not `no_grad`](07_eval_is_not_no_grad.ipynb) | what does `model.eval()` really change? | 15 |
# | 08 | [grad modes](08_grad_modes.ipynb) | `no_grad`, `enable_grad`, `set_grad_enabled`, `inference_mode`: how do they nest? | 20 |
# | 09 | [memory and speed](09_memory_and_speed.ipynb) | what do you save by turning autograd off? | 15 |
# | 10 | [in-place updates](10_in_place_and_updates.ipynb) | how do you change weights by hand without breaking autograd? | 15 |
# | 11 | [use cases](11_use_cases.ipynb) | which tool for which everyday job? | 20 |
# | 12 | [why is my gradient `None`?](12_why_no_grad.ipynb) | a layer does not learn: which of a dozen causes, and which line? | 25 |
#
# Each notebook asks a question, lets you predict, runs short PyTorch code you can read, draws
# the graph, asserts what it claimed in *checkpoint* cells, shows the usual pitfall, and ends
# with an exercise and the takeaways.

# %% [markdown]
# ## Where the claims come from: the "seeds"
#
# The series tests what four widely read articles about gradient control say. The notebooks call
# them *seeds* and quote them where they are right, half right or wrong:
#
# | seed | the article |
# |---|---|
# | 000 | an English paper-style overview of `requires_grad`, `torch.no_grad()` and `model.eval()`, with the lin0/lin1/lin2 experiment of [03](03_no_grad.ipynb) |
# | 001 | a Chinese blog post on `torch.no_grad()`: its principle, uses, and a "20–30% faster" claim |
# | 002 | a blog post on freezing parts of a model, which claims `model.eval()` freezes gradients |
# | 003 | a cheat sheet on clearing and stopping gradients, with ten everyday uses of `no_grad` |

# %% [markdown]
# ## Is everything installed?
#
# The doctor checks PyTorch, Graphviz's `dot` program (it draws the graphs), ipywidgets and the
# JupyterLab widget extension (they make the toggles work), and says how to fix what is missing.
# From a terminal: `python -m autogradviz doctor`. It checks the kernel's own environment: if
# JupyterLab runs from another environment, or you work in VS Code (which draws widgets itself),
# the widget-extension line may say missing while the toggles work.

# %%
from autogradviz.__main__ import doctor

if doctor() != 0:
    print("Follow the fix above, then restart the kernel (Kernel > Restart Kernel).")

# %% [markdown]
# ## How the toggles work
#
# An *explorer* re-runs a small experiment every time you click a control, redraws the autograd
# graph, runs `backward()` and shows which parameters received a gradient. Try it: the function
# below multiplies `w` by 3, either normally or under `torch.no_grad()`. Click **no_grad** and
# watch the graph shrink to a single output with no history, and `w` lose its gradient.

# %%
import torch

import autogradviz as agv

w = torch.tensor([1.0, 2.0], requires_grad=True)


def times_three(mode="grad"):
    if mode == "no_grad":
        with torch.no_grad():
            return (w * 3).sum()
    return (w * 3).sum()


# %%
agv.explore(times_three, params={"w": w}, mode=["grad", "no_grad"])

# %% [markdown]
# ### Reading the picture
#
# Every picture carries its own colour key, so you do not have to learn the colours by heart. The
# colours you meet first: **green** is what you drew, **grey** boxes are backward operations
# recorded during the forward pass, **blue** leaves will receive `.grad`, **orange** tensors were
# saved for backward, a **dashed oval** is an input with no history (here the constant `3`), a
# **yellow note** says why an output has no graph at all, **pink** dashed boxes are parameters
# that will get no gradient (with the reason) and **grey-blue** dashed boxes are frozen parameters
# (later pictures add a few more, each in its key). Under each picture, a summary says the same in
# words.

# %% [markdown]
# ### A first quiz
#
# Predict first: under `no_grad`, which kind of box is `w`? Then click **no_grad** in the
# explorer above and check. (The answer below is computed from the drawing itself, so it cannot
# disagree with the picture.)

# %%
graph = agv.draw(times_three("no_grad"), params={"w": w})
w_kind = next(node.kind for node in graph.nodes if node.name == "w")
fill = agv.render.STYLE[w_kind]["fillcolor"]  # the colour the picture paints w with
right = {"lightblue": "blue", "#f6c0c0": "pink", "#dde3ea": "grey-blue", "darkolivegreen1": "green"}[fill]

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert right == "pink" and w_kind == "no_path"  # the answer, checked on every test run (hidden with the quiz)
agv.quiz("Under no_grad, what colour is the box of w?", options=["blue", "pink", "grey-blue", "green"],
         answer=right,
         explain="Pink marks a parameter that requires grad but will get no .grad: nothing was recorded "
                 "under no_grad, so no path leads from the output back to w. In grad mode w is blue: "
                 "a leaf that backward() fills with .grad.")

# %% [markdown]
# The same checks, without the widget:

# %%
w.grad = None
times_three("grad").backward()
assert torch.equal(w.grad, torch.tensor([3.0, 3.0]))
assert [n.kind for n in agv.draw(times_three("grad")).nodes].count("cut") == 1  # the constant 3: no history
w.grad = None
assert not times_three("no_grad").requires_grad  # nothing recorded, nothing to backward
print("checkpoint passed")

# %% [markdown]
# ## Running the tests
#
# Every notebook is also a test. From the repository, `make test` runs the library's unit tests,
# re-runs every notebook and compares each output with the one stored here (`pytest --nbval`),
# and drives JupyterLab in a browser. If you change a notebook, regenerate the stored outputs
# with `make notebooks`.
#
# Next: [01 · the graph](01_the_graph.ipynb).
