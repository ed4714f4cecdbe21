"""autogradviz: see what autograd records, and what it does not."""
from .grads import grads
from .memory import SavedMemory, saved_memory
from .modes import watch
from .quiz import quiz
from .render import Graph, GraphvizMissing, draw
from .trace import Step, Trace, trace_backward
from .why import Why, why
from .widgets import explore

__all__ = ["draw", "grads", "explore", "quiz", "watch", "why", "Why", "saved_memory", "SavedMemory", "Graph",
           "GraphvizMissing", "trace_backward", "Trace", "Step"]
__version__ = "0.1.0"
