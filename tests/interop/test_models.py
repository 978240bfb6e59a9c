"""``MLP.to_torch()``: the same network in PyTorch, with the same outputs."""

from __future__ import annotations

import pickle
import random
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import opgrad
from opgrad.cli import main
from opgrad.interop import BridgeError, to_torch_module
from opgrad.nn import MLP, load_model
from opgrad.plugins.declaration import declare_op
from opgrad.plugins.registry import Registry


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


def test_float32_input_is_refused_naming_the_fix_and_dtype_builds_float32(
        torch: ModuleType) -> None:
    mlp = MLP(2, [4, 1], activation="tanh", seed=1)
    x = torch.tensor([[0.3, -0.7]], dtype=torch.float32)
    with pytest.raises(TypeError, match=r"has torch.float64 parameters but got a torch.float32 "
                       r"input: convert the input with x.to\(torch.float64\), or make the model "
                       r"in torch.float32 with mlp.to_torch\(dtype=torch.float32\)"):
        mlp.to_torch()(x)
    out = mlp.to_torch(dtype=torch.float32)(x)
    assert out.dtype == torch.float32
    assert out.item() == pytest.approx(mlp([0.3, -0.7]).data, rel=1e-6)  # type: ignore[union-attr]


def test_bridged_models_pickle_and_load_in_a_fresh_interpreter(
        torch: ModuleType, tmp_path: Path) -> None:
    model = torch.nn.Sequential(MLP(2, [4, 1], activation="tanh", seed=1).to_torch(),
                                to_torch_module("sigmoid", fused=True))
    x = torch.tensor([[0.3, -0.7], [1.5, 2.0]], dtype=torch.float64)
    again = pickle.loads(pickle.dumps(model))
    assert torch.equal(again(x), model(x))
    assert again[1].flavour == {"forward_mode": False, "fused": True, "export": False}
    path = tmp_path / "model.pt"
    torch.save(model, path)
    torch.save(model(x), tmp_path / "expected.pt")
    load = ("import sys, torch; d = sys.argv[1]; "
            "m = torch.load(d + '/model.pt', weights_only=False); x = torch.tensor("
            "[[0.3, -0.7], [1.5, 2.0]], dtype=torch.float64); "
            "assert torch.equal(m(x), torch.load(d + '/expected.pt')); print(type(m[0]).__name__)")
    result = subprocess.run([sys.executable, "-c", load, str(tmp_path)], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "BridgedMLP"


def test_loading_a_layer_whose_op_is_missing_or_changed_plugin_is_refused(
        torch: ModuleType, registry: Registry) -> None:
    opgrad.register(lambda x: x * x, name="square", local_grads=lambda x, out: (2 * x,),
                    formula="d/dx x^2 = 2x")
    saved = pickle.dumps(to_torch_module("square"))
    with opgrad.use_registry(opgrad.build_registry(autoload=False)):
        with pytest.raises(BridgeError, match=r"bridged layer of op 'square' \(plugin "
                           r"'tests.interop.test_models'\): no op of that name is registered"):
            pickle.loads(saved)
        other = declare_op(lambda x: x * x, "another-plugin", {
            "name": "square", "local_grads": lambda x, out: (2 * x,), "formula": "d/dx x^2"})
        opgrad.default_registry().add_all([other])
        with pytest.raises(BridgeError, match=r"saved with plugin 'tests.interop.test_models'"
                           r"'s op, but 'square' here comes from plugin 'another-plugin'"):
            pickle.loads(saved)
