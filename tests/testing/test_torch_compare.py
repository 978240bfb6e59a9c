"""The seed's 'comparison with PyTorch' lesson as a function, and its missing-torch message."""

from __future__ import annotations

import sys

import pytest

from opgrad.cli import main
from opgrad.testing import compare_op_with_torch, compare_with_torch


def neuron(x1: object, x2: object, w1: object, w2: object, b: object) -> object:
    return (x1 * w1 + x2 * w2 + b).tanh()  # type: ignore[operator]


def test_neuron_gradients_agree_with_torch(torch: object) -> None:
    inputs = [2.0, 0.0, -3.0, 1.0, 6.881373587019543]
    comparison = compare_with_torch(neuron, inputs)
    assert comparison.output[0] == pytest.approx(0.7071067811865476, rel=1e-14)
    assert comparison.max_difference < 1e-14
    ours = [pair[0] for pair in comparison.grads]
    assert ours == pytest.approx([-1.5, 0.5, 1.0, 0.0, 0.5], abs=1e-12)
    text = str(comparison).splitlines()
    assert text[0].split() == ["opgrad", "torch", "(float64)", "difference"]
    assert text[2].startswith("d/dx0") and len(text) == 7


def test_every_op_with_a_torch_equivalent_agrees(torch: object) -> None:
    for name in ["add", "sub", "mul", "div", "neg", "pow", "tanh", "exp", "log", "relu",
                 "sigmoid"]:
        worst = compare_op_with_torch(name)
        assert worst is not None and worst < 1e-12, name


def test_missing_torch_names_the_extra(monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(ImportError, match=r"pip install torch==2\.13\.0"):
        compare_with_torch(neuron, [1.0, 2.0, 3.0, 4.0, 5.0])
    assert main(["check", "tanh", "--torch"]) == 2
    assert "pip install torch==2.13.0" in capsys.readouterr().err
