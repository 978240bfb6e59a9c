"""``opgrad train``: the main job, its options, outputs and errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from opgrad.cli import main
from opgrad.nn import load_model

SMALL = ["train", "--samples", "20", "--steps", "4", "--hidden", "4,4", "--quiet"]


def run_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, object]:
    assert main([*SMALL, "--json", *extra]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1
    result: dict[str, object] = json.loads(out)
    return result


def test_defaults_reproduce_the_micrograd_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--json", "--quiet", "--compile"]) == 0  # compiled: same numbers, fast
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == [2, 16, 16, 1] and result["samples"] == 100
    assert result["steps"] == 100 and result["loss_name"] == "hinge"
    assert result["accuracy"] == 1.0
    assert result["loss"] < 0.05


def test_json_has_the_documented_keys_and_same_seed_same_numbers(
        capsys: pytest.CaptureFixture[str]) -> None:
    first = run_json(capsys, "--seed", "3")
    second = run_json(capsys, "--seed", "3")
    assert {"loss", "accuracy", "steps", "seconds"} <= set(first)
    first.pop("seconds"), second.pop("seconds")
    assert first == second
    assert run_json(capsys, "--seed", "4")["loss"] != first["loss"]


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
def test_every_optimizer_and_dataset_runs(capsys: pytest.CaptureFixture[str],
                                          optimizer: str) -> None:
    for dataset in ["moons", "circles", "spiral"]:
        result = run_json(capsys, "--optimizer", optimizer, "--dataset", dataset)
        assert result["optimizer"] == optimizer and result["dataset"] == dataset


def test_progress_and_summary_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--samples", "20", "--steps", "10", "--hidden", "4"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("trained MLP 2-4-1 on moons (20 points) for 10 steps in ")
    assert "accuracy" in captured.out
    assert "10/10" in captured.err  # tqdm's bar or the plain fallback line


def test_save_writes_a_loadable_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.json"
    run_json(capsys, "--save", str(path))
    assert load_model(path).sizes == [2, 4, 4, 1]


def test_plot_writes_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                          matplotlib: object) -> None:
    path = tmp_path / "boundary.png"
    run_json(capsys, "--plot", str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hidden", "16,x"], "expected widths like 16,16"),
        (["--steps", "0"], "must be positive"),
        (["--activation", "nosuch"], "activation 'nosuch' is not a registered unary op"),
        (["--dataset", "spiral", "--loss", "hinge"], "use --loss cross-entropy"),
        (["--save", "/nonexistent/dir/m.json"], "the folder /nonexistent/dir does not exist"),
        (["--samples", "1"], "a dataset needs at least 2 points"),
        (["--noise", "-1"], "noise must be >= 0"),
        (["--save", "/proc/model.json"], "/proc/model.json"),
    ],
)
def test_bad_options_get_one_clear_line(capsys: pytest.CaptureFixture[str], args: list[str],
                                        message: str) -> None:
    try:
        status = main([*SMALL, *args])
    except SystemExit as exit_info:  # argparse's own errors
        status = int(exit_info.code or 0)
    assert status == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_plot_without_matplotlib_fails_before_training(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main([*SMALL, "--plot", str(tmp_path / "b.png")]) == 2
    captured = capsys.readouterr()
    assert "pip install 'opgrad[viz]'" in captured.err
    assert captured.out == "" and not (tmp_path / "b.png").exists()
