"""Seeing graphs and functions: DOT text, graphviz drawings, chain-rule traces, plots,
the backprop explorer."""

from opgrad.viz.boundary import plot_decision_boundary
from opgrad.viz.dot import describe, draw_dot, to_dot
from opgrad.viz.explain import backward_steps, explain
from opgrad.viz.explore import MAX_NODES, Explorer, GraphTooLargeError, explore
from opgrad.viz.plots import plot_function

__all__ = ["MAX_NODES", "Explorer", "GraphTooLargeError", "backward_steps", "describe",
           "draw_dot", "explain", "explore", "plot_decision_boundary", "plot_function", "to_dot"]
