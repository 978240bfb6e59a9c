"""``MLP.to_torch()``: the same network in PyTorch, with the same outputs."""

from __future__ import annotations

import random
from pathlib import Path
from types import ModuleType

import pytest

from opgrad.cli import main
from opgrad.nn import MLP, load_model


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", None])
def test_same_outputs_and_input_grads_in_float64(torch: ModuleType,
                                                 activation: str | None) -> None:
    mlp = MLP(3, [5, 4, 2], activation=activation, seed=1)
    model = mlp.to_torch()
    rng = random.Random(0)
    rows = [[rng.uniform(-2.0, 2.0) for _ in range(3)] for _ in range(6)]
    got = model(torch.tensor(rows, dtype=torch.float64))
    assert isinstance(model, torch.nn.Module) and got.shape == (6, 2)
    for row, out in zip(rows, got.tolist(), strict=True):
        expected = [v.data for v in mlp(row)]  # type: ignore[union-attr]
        assert out == pytest.approx(expected, rel=1e-12, abs=1e-14)
    assert sum(p.numel() for p in model.parameters()) == len(mlp.parameters())


def test_trained_and_saved_model_moves_to_torch(torch: ModuleType, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.json"
    assert main(["train", "--samples", "20", "--steps", "3", "--hidden", "4,4", "--quiet",
                 "--save", str(path)]) == 0
    mlp = load_model(path)
    model = mlp.to_torch()
    x = [0.3, -0.7]
    out = mlp(x)
    assert model(torch.tensor([x], dtype=torch.float64)).item() == pytest.approx(
        out.data, rel=1e-12)  # type: ignore[union-attr]
