"""``opgrad ops`` and ``opgrad check``: what is registered, and whether it is right."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterable
from typing import Any

from opgrad.assembly import default_registry
from opgrad.cli.common import CommandError, format_table, number
from opgrad.plugins.declaration import Op
from opgrad.suggest import closest

TORCH_TOLERANCE = 1e-9  # float64 on both sides: only rounding may differ


def describe_op(op: Op) -> dict[str, Any]:
    """One op as plain data (the ``opgrad ops --json`` record)."""
    return {
        "name": op.name,
        "arity": op.arity,
        "operator": op.operator,
        "formula": op.formula,
        "plugin": op.plugin,
        "domain": [[_finite(lo), _finite(hi)] for lo, hi in op.domain],
        "kinks": list(op.kinks),
        "torch": _equivalent(op.torch),
        "jax": _equivalent(op.jax),
    }


def _equivalent(spec: object) -> str | None:
    # A declared array equivalent as JSON: its dotted name, or "<callable>".
    return spec if isinstance(spec, str) or spec is None else "<callable>"


def _finite(bound: float) -> float | None:
    # JSON has no infinity: an unbounded side of a domain is null.
    return bound if math.isfinite(bound) else None


def markdown_table(ops: Iterable[Op]) -> str:
    """The ops as a Markdown table: name, operator, derivative formula, plugin."""
    lines = ["| op | operator | derivative | plugin |", "|---|---|---|---|"]
    for op in ops:
        operator = f"`{op.operator}`" if op.operator else ""
        formula = op.formula.replace("|", "\\|")
        lines.append(f"| `{op.name}` | {operator} | {formula} | {op.plugin} |")
    return "\n".join(lines)


def cmd_ops(args: argparse.Namespace) -> int:
    if args.markdown:
        print(markdown_table(default_registry().values()))
        return 0
    records = [describe_op(op) for op in default_registry().values()]
    if args.json:
        print(json.dumps(records, indent=2))
        return 0
    header = ["name", "arity", "operator", "plugin", "formula"]
    rows = [[str(r[key] if r[key] is not None else "") for key in header] for r in records]
    print(format_table([header, *rows]))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from opgrad.testing import check_op, compare_op_with_torch

    registry = default_registry()
    unknown = [name for name in args.names if name not in registry]
    if unknown:
        meant = [guess for name in unknown if (guess := closest(name, registry))]
        hint = f"did you mean {', '.join(meant)}? " if meant else ""
        raise CommandError(f"unknown op(s): {', '.join(unknown)}; {hint}`opgrad ops` lists the "
                           "registered ones")
    names = args.names or list(registry)
    failed = 0
    for name in names:
        result = check_op(name, points=args.points)
        ok, line = result.ok, str(result)
        if args.torch and ok:
            try:
                worst = compare_op_with_torch(name, args.points)
            except LookupError as exc:  # a declared torch equivalent that does not exist
                ok, line = False, f"{line}; torch: FAIL, {exc}"
            else:
                ok = worst is None or worst <= TORCH_TOLERANCE
                line += _torch_summary(worst, ok)
            ok, line = _with_bridge_check(registry[name], args.points, ok, line)
        failed += not ok
        print(line)
    print(f"{len(names) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _with_bridge_check(op: Op, points: int, ok: bool, line: str) -> tuple[bool, str]:
    """The op bridged to torch, checked against its rule on floats (``check --torch``)."""
    from opgrad.interop import BridgeError
    from opgrad.interop.checks import check_torch_bridge

    try:
        bridge = check_torch_bridge(op, points)
    except BridgeError as exc:
        return False, f"{line}; bridge: FAIL, {exc}"
    return ok and bridge.ok, f"{line}; {bridge}"


def _torch_summary(worst: float | None, ok: bool) -> str:
    if worst is None:
        return "; torch: no equivalent declared"
    return f"; torch: {'ok' if ok else 'FAIL'}, worst |opgrad - torch| = {worst:.2g}"


def add_commands(commands: Any) -> None:
    """Add ``ops`` and ``check`` to the sub-command parsers."""
    ops = commands.add_parser(
        "ops", help="list every registered op", description="List every registered op: "
        "name, arity, Python operator, the plugin that registered it, derivative formula."
    )
    ops.add_argument("--json", action="store_true", help="print a JSON list of objects")
    ops.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ops.set_defaults(run=cmd_ops)

    check = commands.add_parser(
        "check", help="check ops' derivatives against finite differences",
        description="For each op (all registered ops, or the NAMEs given): structure checks, "
        "then reverse mode, forward mode and second derivatives against central finite "
        "differences at sample points from its domain. Exits 1 if any op fails.",
    )
    check.add_argument("names", nargs="*", metavar="NAME", help="ops to check (default: all)")
    check.add_argument("--torch", action="store_true",
                       help="also compare each op with its PyTorch equivalent in float64, "
                       "and check its bridge (opgrad.interop.to_torch) against its rule")
    check.add_argument("--points", type=number(int, minimum=1), default=8,
                       help="sample points per op (default 8)")
    check.set_defaults(run=cmd_check)
