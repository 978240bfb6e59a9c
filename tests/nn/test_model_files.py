"""Model files: corrupt and hostile files are refused fast, saves leave nothing behind."""

from __future__ import annotations

import json
import math
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from opgrad.nn import (
    MAX_MODEL_BYTES,
    MLP,
    ModelFileError,
    NonFiniteModelError,
    load_model,
    save_model,
)

SECONDS = 2.0  # the promise is "within a second"; twice that keeps a busy machine green


def valid_document() -> dict[str, Any]:
    model = MLP(2, [3, 1], activation="tanh", seed=1)
    return {"format": "opgrad-mlp", "version": 1,
            "architecture": {"nin": 2, "nouts": [3, 1], "activation": "tanh"},
            "parameters": model.state_dict()}


def valid_text() -> str:
    return json.dumps(valid_document())


def with_field(change: Callable[[dict[str, Any]], None]) -> str:
    document = valid_document()
    change(document)
    return json.dumps(document)


def setter(*keys: str) -> Callable[[Any], Callable[[dict[str, Any]], None]]:
    """``setter("architecture", "nin")(5)``: a change that puts 5 at that place."""
    def put(value: Any) -> Callable[[dict[str, Any]], None]:
        def change(document: dict[str, Any]) -> None:
            inner = document
            for key in keys[:-1]:
                inner = inner[key]
            inner[keys[-1]] = value
        return change
    return put


FIRST_WEIGHT = "layers.0.neurons.0.w.0"
WRONG_TYPES: dict[tuple[str, ...], list[Any]] = {
    ("format",): [None, 1, "mlp", [], {}],
    ("version",): [None, 0, 2, "1", 1.5, True, []],
    ("architecture",): [None, [], "2-3-1", 7],
    ("architecture", "nin"): [None, 0, -2, 1.5, "2", True, [2], 3],
    ("architecture", "nouts"): [None, [], [3], [3, 0, 1], [3, -1], [3, 1.0], "3,1", [True, 1],
                                [3, 1, 1], {"0": 3}],
    ("architecture", "activation"): [1, [], {}, "nosuch", "add"],
    ("parameters",): [None, [], "x", 1],
    ("parameters", FIRST_WEIGHT): [None, "0.5", [0.5], {}, True],
}


def corrupt_files() -> Iterator[tuple[str, str | bytes]]:
    """(case name, file content): each must be refused with a ModelFileError."""
    text = valid_text()
    for cut in range(0, len(text), max(1, len(text) // 40)):
        yield f"truncated at {cut}", text[:cut]
    for keys, values in WRONG_TYPES.items():
        for value in values:
            yield f"{'.'.join(keys)} = {value!r}", with_field(setter(*keys)(value))
    for token in ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" * 5000,
                  "0." + "1" * 5000, "1" * 5000 + ".0"]:
        yield f"parameter {token[:12]}", text.replace(
            f'"{FIRST_WEIGHT}": {valid_document()["parameters"][FIRST_WEIGHT]!r}',
            f'"{FIRST_WEIGHT}": {token}')
    yield from huge_sizes()
    yield from deep_nesting()
    yield "empty", ""
    yield "binary", bytes(range(256)) * 4
    yield "not utf-8", text.encode("utf-16")
    yield "a list", "[1, 2]"
    yield "parameters missing", with_field(lambda d: d.pop("parameters"))
    yield "one parameter renamed", with_field(
        lambda d: d["parameters"].update({"x": d["parameters"].pop(FIRST_WEIGHT)}))


def huge_sizes() -> Iterator[tuple[str, str]]:
    arch = setter("architecture", "nouts")
    for nouts in ([20000, 20000, 1], [1500, 1500, 1], [10**18, 1], [1] * 100_000):
        yield f"nouts {str(nouts)[:20]}", with_field(arch(nouts))
    yield "nin 10**18", with_field(setter("architecture", "nin")(10**18))
    yield "nin 10**4000", valid_text().replace('"nin": 2', '"nin": 1' + "0" * 4000)


def deep_nesting() -> Iterator[tuple[str, str]]:
    yield "deep list", "[" * 100_000 + "]" * 100_000
    yield "deep object", '{"a": ' * 50_000 + "1" + "}" * 50_000
    yield "deep inside parameters", valid_text().replace(
        f'"{FIRST_WEIGHT}": ', f'"{FIRST_WEIGHT}": ' + "[" * 10_000, 1)


CASES = list(corrupt_files())


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 100  # reported in the closing note


@pytest.mark.parametrize(("name", "content"), CASES, ids=[name[:40] for name, _ in CASES])
def test_each_corrupt_file_is_a_model_file_error_within_a_second(
        tmp_path: Path, name: str, content: str | bytes) -> None:
    path = tmp_path / "bad.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(ModelFileError) as caught:
        load_model(path)
    assert time.perf_counter() - start < SECONDS
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message


def test_a_huge_file_is_refused_at_the_size_cap_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as file:
        file.truncate(MAX_MODEL_BYTES + 1)  # sparse: nothing is written
    start = time.perf_counter()
    with pytest.raises(ModelFileError, match=r"huge.json: larger than 16,777,216 bytes, the "
                       r"limit for a model file; pass load_model\(..., max_bytes=N\)"):
        load_model(path)
    assert time.perf_counter() - start < SECONDS
    assert MAX_MODEL_BYTES == 16 * 1024 * 1024


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and /dev/zero are POSIX")
def test_fifos_devices_and_folders_are_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)  # no writer: opening it to read would block forever
    for path in (fifo, Path("/dev/zero"), tmp_path):
        start = time.perf_counter()
        with pytest.raises(ModelFileError, match=r": not a regular file \(a directory, FIFO or "
                           r"device\); save the model to a file and load that$"):
            load_model(path)
        assert time.perf_counter() - start < SECONDS


def test_the_size_cap_can_be_raised(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    save_model(MLP(2, [3, 1], seed=1), path)
    size = path.stat().st_size
    with pytest.raises(ModelFileError, match=f"larger than {size - 1:,} bytes"):
        load_model(path, max_bytes=size - 1)
    assert load_model(path, max_bytes=size).sizes == [2, 3, 1]
    for wrong in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match=rf"^load_model: max_bytes must be a whole number "
                           rf">= 1, got {wrong}$"):
            load_model(path, max_bytes=wrong)  # type: ignore[arg-type]  # deliberately wrong


@pytest.mark.parametrize("limit", [10**12, sys.maxsize, 10**30])
def test_a_size_cap_beyond_any_memory_is_no_practical_limit(tmp_path: Path, limit: int) -> None:
    path = tmp_path / "m.json"
    save_model(MLP(2, [3, 1], seed=1), path)
    assert load_model(path, max_bytes=limit).state_dict() == MLP(2, [3, 1], seed=1).state_dict()


def test_the_errors_say_what_is_wrong(tmp_path: Path) -> None:
    expectations = {
        with_field(setter("architecture", "nouts")([20000, 20000, 1])):
            "the architecture [2, 20000, 20000, 1] has 400,100,001 parameters, the file gives 13",
        valid_text().replace("-0.", "1" * 5000 + ".", 1): "a number 5,0",
        "[" * 100_000: "JSON nested too deeply",
        valid_text().replace("-0.", "NaN, \"x\": -0.", 1): "NaN is not a number a model can hold",
        valid_text().replace("-0.", "1e400, \"x\": -0.", 1): "the number 1e400 is too large",
    }
    for content, message in expectations.items():
        (tmp_path / "m.json").write_text(content)
        with pytest.raises(ModelFileError) as caught:
            load_model(tmp_path / "m.json")
        assert message in str(caught.value)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_model_is_not_saved(tmp_path: Path, bad: float) -> None:
    model = MLP(2, [3, 1], seed=1)
    model.layers[1].neurons[0].w[2].data = bad
    with pytest.raises(NonFiniteModelError, match=r"cannot save the model to .*m\.json: "
                       rf"parameter 'layers\.1\.neurons\.0\.w\.2' is {bad}"):
        save_model(model, tmp_path / "m.json")
    assert list(tmp_path.iterdir()) == []


def test_random_byte_changes_load_or_are_model_file_errors(tmp_path: Path) -> None:
    """200 seeded mutations of a valid file: each loads, or is refused as a ModelFileError."""
    rng = random.Random(11)
    original = valid_text().encode()
    path = tmp_path / "m.json"
    outcomes = {"loaded": 0, "refused": 0}
    for _ in range(200):
        data = bytearray(original)
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] = rng.choice(b'0123456789-.eE+[]{}",: nN\x00\xff')
        path.write_bytes(bytes(data))
        try:
            load_model(path)
        except ModelFileError:
            outcomes["refused"] += 1
        else:
            outcomes["loaded"] += 1
    assert outcomes["refused"] > 100 and outcomes["loaded"] > 10
