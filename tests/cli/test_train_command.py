"""``opgrad train`` and ``opgrad eval`` as the installed command, in a new process each.

Compiled by default with the dynamic engine's floats, progress a log file can
hold, a summary that repeats the last progress line, and saved models loaded
back (``train --init``, ``eval``).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from types import ModuleType

import pytest

from opgrad.nn import StepResult
from opgrad.nn.progress import progress_reporter
from tests.cli.runner import command
from tests.conftest import optional

SMALL = ["train", "--samples", "30", "--hidden", "6,6"]
DATA = ["--samples", "30"]  # with --init the saved model brings its widths
PROGRESS = re.compile(r"step +(\d+)/(\d+)  loss (\S+)  accuracy (\S+)  lr \S+")


def train(tmp_path: Path, *args: str) -> dict[str, object]:
    """Run ``opgrad train`` quietly; its JSON summary."""
    small = ["train", *DATA] if "--init" in args else SMALL
    result = command(*small, "--quiet", "--json", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


def test_compiled_by_default_with_the_dynamic_engines_numbers(tmp_path: Path) -> None:
    runs = {flags: command(*SMALL, "--steps", "15", "--save", f"{i}.json", *flags.split(),
                           cwd=tmp_path) for i, flags in enumerate(["", "--no-compile",
                                                                    "--compile"])}
    assert all(run.returncode == 0 for run in runs.values())
    default, dynamic, compiled = (PROGRESS.findall(run.stderr) for run in runs.values())
    assert len(default) >= 10
    assert default == dynamic == compiled  # every progress line: loss, accuracy
    saved = [(tmp_path / f"{i}.json").read_bytes() for i in range(3)]
    assert saved[0] == saved[1] == saved[2]  # every parameter, to the last bit
    flags = [train(tmp_path, "--steps", "3", *extra)["compiled"]
             for extra in ([], ["--no-compile"], ["--compile"])]
    assert flags == [True, False, True]


def test_the_summary_repeats_the_last_progress_line_and_a_log_gets_lines(
        tmp_path: Path) -> None:
    optional("tqdm", "pip install 'opgrad[progress]'")  # installed, yet not used in a log
    result = command(*SMALL, "--steps", "7", cwd=tmp_path)
    assert result.returncode == 0
    assert "\r" not in result.stderr
    lines = result.stderr.splitlines()
    assert [PROGRESS.fullmatch(line) is not None for line in lines] == [True] * len(lines)
    last = PROGRESS.fullmatch(lines[-1])
    assert last is not None and last.group(1) == last.group(2) == "7"
    loss, accuracy = last.group(3), last.group(4)
    assert result.stdout.rstrip().endswith(f"at the last step, loss {loss}, accuracy {accuracy}")
    summary = train(tmp_path, "--steps", "7")
    assert f"{summary['loss']:.4f}" == loss


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_the_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    optional("tqdm", "pip install 'opgrad[progress]'")
    shown = Terminal()
    monkeypatch.setattr("sys.stderr", shown)
    with progress_reporter(3) as report:
        for step in (1, 2, 3):
            report(StepResult(step, 0.5, 1.0, 0.1))
    assert "\r" in shown.getvalue() and "3/3" in shown.getvalue()
    assert "loss=0.5000" in shown.getvalue()


def test_graph_never_prints_minus_zero(tmp_path: Path) -> None:
    result = command("graph", "-tanh(a) * b", "--set", "a=0", "--set", "b=5", cwd=tmp_path)
    assert result.returncode == 0
    assert "-0.0000" not in result.stdout
    assert "{ b | data 5.0000 | grad 0.0000 }" in result.stdout  # backward gives it -0.0


def test_init_goes_on_training_a_saved_model(tmp_path: Path) -> None:
    steady = ["--constant-lr", "--lr", "0.5"]  # a schedule would restart with --init
    train(tmp_path, "--steps", "6", *steady, "--save", "first.json")
    train(tmp_path, "--steps", "6", *steady, "--init", "first.json", "--save", "then.json")
    train(tmp_path, "--steps", "12", *steady, "--save", "straight.json")
    assert (tmp_path / "then.json").read_bytes() == (tmp_path / "straight.json").read_bytes()


def test_eval_measures_a_saved_model(tmp_path: Path) -> None:
    train(tmp_path, "--steps", "5", "--save", "m.json")
    result = command("eval", "m.json", *DATA, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout)
    assert measured["model"] == [2, 6, 6, 1] and measured["samples"] == 30
    first_step = train(tmp_path, "--steps", "1", "--init", "m.json")
    assert measured["loss"] == first_step["loss"]  # the same objective, the same floats
    assert measured["accuracy"] == first_step["accuracy"]
    text = command("eval", "m.json", "--seed", "1", cwd=tmp_path).stdout
    assert re.fullmatch(r"MLP 2-6-6-1 from m\.json on moons \(100 points, seed 1\): "
                        r"loss \d\.\d{4}, accuracy \d+\.\d%\n", text)


def test_eval_draws_the_boundary(tmp_path: Path, matplotlib: ModuleType) -> None:
    train(tmp_path, "--steps", "2", "--save", "m.json")
    result = command("eval", "m.json", "--plot", "b.png", cwd=tmp_path)
    assert result.returncode == 0
    assert (tmp_path / "b.png").read_bytes()[:4] == b"\x89PNG"


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a saved model, m.json, and a broken one, bad.json."""
    folder = tmp_path_factory.mktemp("models")
    train(folder, "--steps", "1", "--save", "m.json")
    (folder / "bad.json").write_text("{")
    return folder


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--init", "m.json", "--hidden", "4,4"], "--init m.json brings its own widths "
         "and activation: leave out --hidden"),
        (["train", "--init", "m.json", "--dataset", "spiral"], "the model has 1 output(s), and "
         "the cross-entropy loss on spiral needs 3"),
        (["eval", "m.json", "--loss", "cross-entropy"], "the model has 1 output(s), and the "
         "cross-entropy loss on moons needs 2"),
        (["eval", "missing.json"], "missing.json: no such model file"),
        (["eval", "bad.json"], "bad.json: not a readable JSON model file"),
        (["eval", "m.json", "--plot", "b.txt"], "use a file name ending in .png, .svg or .pdf"),
    ],
)
def test_a_model_that_cannot_be_used_is_one_line(models: Path, args: list[str],
                                                 message: str) -> None:
    result = command(*args, cwd=models)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("opgrad: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
