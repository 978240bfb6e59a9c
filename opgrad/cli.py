"""The ``opgrad`` command."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from typing import Any

from opgrad.assembly import default_registry
from opgrad.plugins import Op


def describe_op(op: Op) -> dict[str, Any]:
    """One op as plain data (the ``opgrad ops --json`` record)."""
    torch = op.torch if isinstance(op.torch, str) or op.torch is None else "<callable>"
    return {
        "name": op.name,
        "arity": op.arity,
        "operator": op.operator,
        "formula": op.formula,
        "plugin": op.plugin,
        "domain": [[_finite(lo), _finite(hi)] for lo, hi in op.domain],
        "kinks": list(op.kinks),
        "torch": torch,
    }


def _finite(bound: float) -> float | None:
    # JSON has no infinity: an unbounded side of a domain is null.
    return bound if math.isfinite(bound) else None


def format_table(rows: Sequence[Sequence[str]]) -> str:
    """Rows of cells as aligned text columns (the first row is the header)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def cmd_ops(args: argparse.Namespace) -> int:
    records = [describe_op(op) for op in default_registry().values()]
    if args.json:
        print(json.dumps(records, indent=2))
        return 0
    header = ["name", "arity", "operator", "plugin", "formula"]
    rows = [[str(r[key] if r[key] is not None else "") for key in header] for r in records]
    print(format_table([header, *rows]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="opgrad",
        description="A scalar autograd engine in which every operation is a plugin.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    ops = commands.add_parser(
        "ops", help="list every registered op", description="List every registered op: "
        "name, arity, Python operator, the plugin that registered it, derivative formula."
    )
    ops.add_argument("--json", action="store_true", help="print a JSON list of objects")
    ops.set_defaults(run=cmd_ops)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    status: int = args.run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
