"""Seeing graphs and functions: DOT text, graphviz drawings, matplotlib plots."""

from opgrad.viz.boundary import plot_decision_boundary

__all__ = ["plot_decision_boundary"]
