"""``opgrad train``: the main job, its options, outputs and errors."""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

import pytest

from opgrad.cli import main, train_command
from opgrad.nn import MLP, load_model
from tests.cli.runner import run

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
        (["--steps", "0"], "argument --steps: must be at least 1, got 0"),
        (["--activation", "nosuch"], "activation 'nosuch' is not a registered unary op"),
        (["--dataset", "spiral", "--loss", "hinge"], "use --loss cross-entropy"),
        (["--save", "/nonexistent/dir/m.json"], "the folder /nonexistent/dir does not exist"),
        (["--samples", "1"], "argument --samples: must be at least 2, got 1"),
        (["--noise", "-1"], "argument --noise: must be at least 0.0, got -1"),
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


def no_nan(text: str) -> object:
    """Strict JSON: NaN and Infinity are not JSON."""
    def refuse(token: str) -> object:
        raise AssertionError(f"{token} in JSON output")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--lr", "inf", "must be a finite number"),
        ("--lr", "nan", "must be a finite number"),
        ("--lr", "1e999", "must be a finite number"),
        ("--lr", "-1e-3", "must be greater than 0.0"),
        ("--noise", "nan", "must be a finite number"),
        ("--noise", "inf", "must be a finite number"),
        ("--noise", "1e300", "must be at most 10.0"),
        ("--l2", "nan", "must be a finite number"),
        ("--l2", "inf", "must be a finite number"),
        ("--l2", "-1", "must be at least 0.0"),
        ("--momentum", "nan", "must be a finite number"),
        ("--momentum", "-5", "must be at least 0.0"),
        ("--momentum", "1", "must be less than 1.0"),
    ],
)
def test_nonsense_numbers_are_refused(capsys: pytest.CaptureFixture[str], flag: str,
                                      value: str, message: str) -> None:
    status, out, err = run(capsys, *SMALL, flag, value)
    assert status == 2 and out == ""
    assert err == (f"opgrad train: error: argument {flag}: {message}, got {value} "
                   "(see opgrad train --help)\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hidden", "1000000000"], "parameters (from --hidden) is 4,000,000,001, above the "
         "limit of 100,000"),
        (["--samples", "100000000"], "--samples is 100,000,000, above the limit of 10,000"),
        (["--steps", "1000000000"], "--steps is 1,000,000,000, above the limit of 100,000"),
        (["--dataset", "spiral", "--hidden", "20000"], "parameters (from --hidden) is 120,003, "
         "above the limit of 100,000"),  # 80,001 with one output: the classes count
        (["--samples", "10000", "--hidden", "300"], "samples x parameters (one step's graph) "
         "is 12,010,000, above the limit of 2,000,000"),
    ],
)
def test_sizes_beyond_the_limits_are_refused(capsys: pytest.CaptureFixture[str],
                                             args: list[str], message: str) -> None:
    status, out, err = run(capsys, *SMALL, *args)
    assert (status, out) == (2, "")
    assert err == f"opgrad: error: {message}; pass --no-limits to run it anyway\n"


def test_no_limits_lifts_them_and_help_documents_them(
        capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, *SMALL, "--samples", "10001", "--hidden", "1", "--steps", "1",
                         "--json", "--no-limits")
    assert status == 0 and no_nan(out) is not None
    assert json.loads(out)["samples"] == 10001
    _, help_text, _ = run(capsys, "train", "--help")
    flat = " ".join(help_text.split())
    assert "--samples at most 10,000; --steps at most 100,000; parameters" in flat
    assert "--no-limits lift the size limits below" in flat


@pytest.mark.parametrize("compiled", [[], ["--compile"]])
def test_divergence_exits_1_names_the_step_and_saves_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], compiled: list[str]) -> None:
    path = tmp_path / "m.json"
    status, out, err = run(capsys, *SMALL, "--steps", "20", "--lr", "1e6", "--json",
                           "--save", str(path), *compiled)
    assert status == 1
    assert err == ("opgrad: error: training diverged at step 8: the loss is inf (try a "
                   "smaller learning rate)\n")
    assert no_nan(out) == {"error": err.removeprefix("opgrad: error: ").rstrip(), "loss": None}
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("engine", "names"), [("--compile", "compiled step failed in op 'exp'"),
                                               ("--no-compile", "exp(")])
def test_an_overflowing_op_is_a_failure_with_its_step(capsys: pytest.CaptureFixture[str],
                                                      engine: str, names: str) -> None:
    status, out, err = run(capsys, *SMALL, "--steps", "20", "--activation", "exp", "--lr", "50",
                           engine)
    assert (status, out) == (1, "")
    assert err.startswith(f"opgrad: error: training failed at step 2: {names}")
    assert err.count("\n") == 1


def test_an_activation_undefined_for_some_inputs_is_bad_input(
        capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, *SMALL, "--activation", "log")
    assert (status, out) == (2, "")
    assert err == ("opgrad: error: --activation log: log(-1.0) is undefined: math domain error; "
                   "a hidden unit's input can be any number, so use an op defined everywhere "
                   "(e.g. relu, tanh)\n")


@pytest.mark.parametrize(
    ("flag", "name", "message"),
    [
        ("--plot", "p.txt", "use a file name ending in .png, .svg or .pdf"),
        ("--plot", ".", "it is a folder; give a file name"),
        ("--plot", "", "it is a folder; give a file name"),
        ("--save", ".", "it is a folder; give a file name"),
        ("--save", "sub", "it is a folder; give a file name"),
    ],
)
def test_outputs_are_checked_before_training(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        flag: str, name: str, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    status, out, err = run(capsys, *SMALL, flag, name)
    assert (status, out) == (2, "")  # nothing was trained
    assert err == f"opgrad: error: cannot write {Path(name)}: {message}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub"]


@pytest.mark.parametrize("l2", [[], ["--l2", "0"]])  # without L2 a nan weight may hide
def test_a_model_gone_non_finite_is_never_saved(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch,
                                                l2: list[str]) -> None:
    def poisoned_fit(model: MLP, *args: object, **options: object) -> list[object]:
        model.layers[0].neurons[0].w[0].data = math.nan  # as a diverging update would
        return []

    monkeypatch.setattr(train_command, "fit", poisoned_fit)
    path = tmp_path / "m.json"
    status, out, err = run(capsys, *SMALL, "--save", str(path), "--json", *l2)
    assert status == 1 and list(tmp_path.iterdir()) == []
    message = err.removeprefix("opgrad: error: ").rstrip()
    assert no_nan(out) == {"error": message, "loss": None}
    assert re.fullmatch(r"training diverged after step 0: the final loss is nan .*|cannot "
                        r"save the model to .*: parameter 'layers\.0\.neurons\.0\.w\.0' is "
                        r"nan .*", message)
