"""Toy datasets, saving and loading models, and the training loop."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from opgrad.nn import (
    LOSSES,
    MLP,
    SGD,
    Adam,
    DivergenceError,
    ModelFileError,
    StepResult,
    fit,
    linear_decay,
    load_model,
    make_circles,
    make_moons,
    make_spiral,
    objective,
    save_model,
)


@pytest.mark.parametrize("make", [make_moons, make_circles, make_spiral])
def test_datasets_are_seeded_and_balanced(make: object) -> None:
    first, again, other = make(n=60, seed=3), make(n=60, seed=3), make(n=60, seed=4)  # type: ignore[operator]
    assert first == again and first.x != other.x
    assert len(first) == 60 and all(len(p) == 2 for p in first.x)
    counts = [first.y.count(k) for k in range(first.classes)]
    assert max(counts) - min(counts) <= 1


def test_dataset_argument_errors() -> None:
    with pytest.raises(ValueError, match="at least 2 points"):
        make_moons(n=1)
    with pytest.raises(ValueError, match="noise must be >= 0"):
        make_circles(noise=-1.0)
    with pytest.raises(ValueError, match="signed labels need two classes"):
        make_spiral().signed_labels()


def test_training_lowers_the_loss_and_raises_accuracy() -> None:
    data = make_moons(n=30, seed=1)
    model = MLP(2, [8, 8, 1], seed=1)
    history = fit(model, data, SGD(model.parameters(), lr=linear_decay(1.0, 0.1, 30)), 30)
    assert history[-1].loss < 0.5 * history[0].loss
    assert history[-1].accuracy > history[0].accuracy
    assert history[-1].accuracy >= 0.9


def test_multiclass_training_with_adam() -> None:
    data = make_spiral(n=45, seed=2)
    model = MLP(2, [12, 12, 3], seed=2)
    history = fit(model, data, Adam(model.parameters(), lr=0.05), 40, loss="cross-entropy")
    assert history[-1].loss < 0.7 * history[0].loss
    assert history[-1].accuracy > history[0].accuracy


def test_same_seed_same_numbers() -> None:
    def run() -> list[float]:
        data = make_moons(n=20, seed=5)
        model = MLP(2, [4, 1], seed=5)
        return [r.loss for r in fit(model, data, SGD(model.parameters(), lr=0.5), 5)]

    assert run() == run()


def test_loss_that_does_not_fit_the_model_is_explained() -> None:
    with pytest.raises(ValueError, match="hinge loss needs one output per example"):
        objective(MLP(2, [3, 3], seed=0), make_moons(n=10), "hinge")
    with pytest.raises(ValueError, match=r"needs one output per class \(3\)"):
        objective(MLP(2, [3, 1], seed=0), make_spiral(n=9), "cross-entropy")
    with pytest.raises(ValueError, match=r"unknown loss 'hindge' \(one of: hinge, bce, mse, "
                                         r"cross-entropy\)"):
        objective(MLP(2, [3, 1], seed=0), make_moons(n=10), "hindge")


@pytest.mark.parametrize("name", list(LOSSES))
def test_every_loss_in_the_table_trains(name: str) -> None:
    data = make_spiral(n=9, seed=0) if name == "cross-entropy" else make_moons(n=10, seed=0)
    model = MLP(2, [4, data.classes if name == "cross-entropy" else 1], seed=0)
    history = fit(model, data, SGD(model.parameters(), lr=0.1), 3, loss=name)
    assert all(math.isfinite(r.loss) for r in history) and history[-1].loss < history[0].loss


def test_save_and_load_give_identical_predictions(tmp_path: Path) -> None:
    model = MLP(2, [5, 3, 1], activation="tanh", seed=9)
    path = tmp_path / "model.json"
    save_model(model, path)
    loaded = load_model(path)
    assert loaded.sizes == model.sizes and loaded.activation == "tanh"
    for point in make_moons(n=10).x:
        assert loaded(point).data == model(point).data  # type: ignore[union-attr]
    assert os.listdir(tmp_path) == ["model.json"]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ('{"format": "opgrad-mlp", "version": 1, "archi', "not a readable JSON model file"),
        ('[1, 2]', "not an opgrad model file"),
        ('{"format": "opgrad-mlp", "version": 9}', "unsupported version 9"),
        ('{"format": "opgrad-mlp", "version": 1, "architecture": {"nin": 2, "nouts": [0]}}',
         "nin and nouts as positive integers"),
        ('{"format": "opgrad-mlp", "version": 1, "architecture": {"nin": 2, "nouts": [1], '
         '"activation": null}}', "'parameters' is missing"),
        ('{"format": "opgrad-mlp", "version": 1, "architecture": {"nin": 2, "nouts": [1], '
         '"activation": null}, "parameters": {"layers.0.neurons.0.w.0": 1.0}}',
         "the architecture \\[2, 1\\] has 3 parameters, the file gives 1"),
        ('{"format": "opgrad-mlp", "version": 1, "architecture": {"nin": 2, "nouts": [1], '
         '"activation": null}, "parameters": {"layers.0.neurons.0.w.0": 1.0, '
         '"layers.0.neurons.0.w.1": 1.0, "layers.0.neurons.0.x": 1.0}}',
         "missing \\['layers.0.neurons.0.b'\\], unexpected \\['layers.0.neurons.0.x'\\]"),
        ('{"format": "opgrad-mlp", "version": 1, "architecture": {"nin": 1, "nouts": [1], '
         '"activation": "nosuch"}, "parameters": {"a": 1, "b": 2}}',
         "activation 'nosuch' is not a registered"),
    ],
)
def test_corrupt_or_mismatched_files_are_rejected(tmp_path: Path, content: str,
                                                  match: str) -> None:
    with pytest.raises(ModelFileError, match=match):
        load_model(write(tmp_path / "bad.json", content))


def test_missing_file_is_a_model_file_error(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "absent.json")


def test_a_crash_mid_write_keeps_the_old_file(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "model.json"
    save_model(MLP(2, [2, 1], seed=1), path)
    before = path.read_text()

    def crash(descriptor: int) -> None:
        raise KeyboardInterrupt  # the process dies half-way through the write

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        save_model(MLP(2, [2, 1], seed=2), path)
    assert path.read_text() == before
    assert os.listdir(tmp_path) == ["model.json"]
    assert json.loads(before)["format"] == "opgrad-mlp"


def test_fit_stops_at_a_non_finite_loss_naming_the_step() -> None:
    model, data = MLP(2, [4, 1], seed=0), make_moons(n=20)
    seen: list[StepResult] = []
    with pytest.raises(DivergenceError, match=r"^training diverged at step \d+: the loss is "
                       r"(inf|nan) \(try a smaller learning rate\)$") as caught:
        fit(model, data, SGD(model.parameters(), lr=1e6), 50, on_step=seen.append)
    assert caught.value.step == len(seen) + 1 > 1
    assert all(math.isfinite(result.loss) for result in seen)
    assert not math.isfinite(caught.value.loss)
