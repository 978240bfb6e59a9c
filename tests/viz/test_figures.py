"""opgrad's plots leave the user's matplotlib alone: backend, pyplot and its open figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

from opgrad.nn import MLP, make_moons
from opgrad.viz import plot_decision_boundary, plot_function
from tests.conftest import optional

# Every way opgrad draws: a function, a decision boundary, fit(live=True) in a notebook.
DRAW_EVERYTHING = """
import opgrad.viz.live
from opgrad.nn import MLP, SGD, fit, make_moons
from opgrad.viz import plot_decision_boundary, plot_function

opgrad.viz.live.in_notebook = lambda: True  # draw as in a Jupyter kernel
plot_function(lambda x: x.tanh(), -2.0, 2.0, "function.png")
model, data = MLP(2, [4, 1], seed=0), make_moons(n=20, noise=0.1, seed=0)
plot_decision_boundary(model, data, "boundary.svg")
fit(model, data, SGD(model.parameters(), lr=0.5), steps=2, live=True)
"""


def test_drawing_keeps_the_users_backend_and_figures(tmp_path: Path,
                                                     matplotlib: ModuleType) -> None:
    backend = "svg"  # not the Agg that opgrad's plots used to switch every session to
    optional("IPython", "pip install 'opgrad[notebook]'")  # fit(live=True) displays through it
    code = (f"import matplotlib\nmatplotlib.use({backend!r})\nimport matplotlib.pyplot as plt\n"
            f"mine = plt.figure()\n{DRAW_EVERYTHING}\n"
            "print(matplotlib.get_backend(), plt.get_fignums(), plt.gcf() is mine)")
    shown = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                           text=True, check=True, timeout=120).stdout.splitlines()
    assert shown[-1] == f"{backend} [1] True"
    assert (tmp_path / "function.png").read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in (tmp_path / "boundary.svg").read_bytes()


def test_drawing_never_imports_pyplot(tmp_path: Path, matplotlib: ModuleType) -> None:
    optional("IPython", "pip install 'opgrad[notebook]'")
    code = f"import sys\n{DRAW_EVERYTHING}\nprint('matplotlib.pyplot' in sys.modules)"
    shown = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                           text=True, check=True, timeout=120).stdout.splitlines()
    assert shown[-1] == "False"


def test_plots_return_figures_a_notebook_shows(matplotlib: ModuleType) -> None:
    function = plot_function(lambda x: x * x, -1.0, 1.0)
    boundary = plot_decision_boundary(MLP(2, [3, 1], seed=0), make_moons(n=10, seed=0),
                                      resolution=5)
    for figure in (function, boundary):
        assert isinstance(figure, matplotlib.figure.Figure)
        assert figure._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"  # what Jupyter displays
