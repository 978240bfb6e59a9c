"""Scaling out: a bridged third-party op as the activation under DistributedDataParallel.

Two real processes (gloo, localhost, a port free at run time) each take half
the batch; after one step their gradients must equal one process's on the
whole batch. The model has a layer of each flavour of the bridge (the DDP row
of docs/plugins.md's flavour table).
"""

from __future__ import annotations

import datetime
import socket
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from opgrad.plugins.registry import Registry

ROWS, WORLD, TIMEOUT = 8, 2, 60.0


FLAVOURS: list[dict[str, bool]] = [{}, {"forward_mode": True}, {"fused": True}, {"export": True}]


def make_model(torch: Any) -> Any:
    """Linear -> bridged mish (a plugin's op), each flavour in turn -> Linear, float64, the
    same weights everywhere."""
    import opgrad
    from opgrad.interop import to_torch_module
    from tests.interop import mish_plugin

    registry = opgrad.default_registry()
    if "mish" not in registry:
        registry.add_plugin(mish_plugin, name="mish-plugin")
    torch.manual_seed(0)
    activations = [to_torch_module("mish", **flavour) for flavour in FLAVOURS]
    return torch.nn.Sequential(torch.nn.Linear(3, 8), *activations,
                               torch.nn.Linear(8, 1)).double()


def uncompiled(function: Any, **options: Any) -> Any:
    """torch.compile as the identity: the fused flavour's backward takes its own path
    without an Inductor compile in each process (test_fused.py tests the kernels)."""
    return function


def batch(torch: Any) -> tuple[Any, Any]:
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(ROWS, 3, generator=generator, dtype=torch.float64)
    return x, x.sum(dim=1, keepdim=True).sin()


def one_step(torch: Any, model: Any, x: Any, y: Any) -> list[Any]:
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    return [p.grad.detach().clone() for p in model.parameters()]


def worker(rank: int, port: int, result: str) -> None:
    import torch
    import torch.distributed as dist

    torch.compile = uncompiled
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=WORLD, timeout=datetime.timedelta(seconds=TIMEOUT))
    try:
        model = torch.nn.parallel.DistributedDataParallel(make_model(torch))
        x, y = batch(torch)
        share = ROWS // WORLD
        grads = one_step(torch, model, x[rank * share:(rank + 1) * share],
                         y[rank * share:(rank + 1) * share])
        if rank == 0:
            torch.save(grads, result)
        dist.barrier()  # both ranks done with the group before either tears it down
    finally:
        dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_ddp_gradients_equal_a_single_process_step(torch: ModuleType, tmp_path: Path,
                                                   registry: Registry,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch, "compile", uncompiled)
    result = str(tmp_path / "grads.pt")
    context = torch.multiprocessing.spawn(worker, args=(free_port(), result), nprocs=WORLD,
                                          join=False)
    deadline = time.monotonic() + TIMEOUT
    while not context.join(timeout=1.0):
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            pytest.fail(f"DDP workers did not finish within {TIMEOUT} s")
    distributed = torch.load(result)
    x, y = batch(torch)
    single = one_step(torch, make_model(torch), x, y)
    assert len(distributed) == len(single) == 4
    for a, b in zip(distributed, single, strict=True):
        assert torch.allclose(a, b, rtol=1e-12, atol=1e-15)
