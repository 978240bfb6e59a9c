"""``opgrad graph``, ``opgrad explain``, ``opgrad plot``: looking at an expression."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from opgrad.cli.common import PLOT_SUFFIXES, CommandError, check_output, file_path, number
from opgrad.core import Value
from opgrad.expr import ExpressionError, evaluate, parse, variables
from opgrad.files import write_file

EXPRESSION_HELP = ("Python syntax: numbers, variables, + - * / **, unary minus, parentheses "
                   "and calls of registered ops, e.g. 'tanh(a * b + b ** 2)' or '-a * 2'")
GRAPH_SUFFIXES = (".dot", ".gv", ".svg", ".png")
INSTALL_DOT = ("install Graphviz for images (Debian/Ubuntu: apt-get install graphviz; "
               "macOS: brew install graphviz)")


def assignment(text: str) -> tuple[str, float]:
    """``a=2`` -> ("a", 2.0)."""
    name, equals, number = text.partition("=")
    if not equals or not name.strip().isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER, got {text!r}")
    try:
        return name.strip(), float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{number!r} is not a number (in {text!r})") from None


def add_commands(commands: Any) -> None:
    """Add ``graph``, ``explain`` and ``plot`` to the sub-command parsers."""
    graph = commands.add_parser(
        "graph", help="draw an expression's graph with its gradients",
        description="Build EXPR, run backward, and draw the graph (label | data | grad per "
        f"value). {EXPRESSION_HELP}.")
    _expression_arguments(graph)
    graph.add_argument("-o", "--output", type=file_path, metavar="FILE",
                       help="graph.svg, graph.png or graph.dot (default: DOT on stdout)")
    graph.set_defaults(run=cmd_graph)

    explain = commands.add_parser(
        "explain", help="print the forward and backward pass step by step",
        description=f"A worked chain-rule exercise for EXPR. {EXPRESSION_HELP}.")
    _expression_arguments(explain)
    explain.add_argument("--html", type=file_path, metavar="FILE",
                         help="also write the backprop explorer: one self-contained page")
    explain.set_defaults(run=cmd_explain)

    plot = commands.add_parser(
        "plot", help="plot f(x) and its derivative (needs the viz extra)",
        description="Plot EXPR as a function of one variable, its derivative by backward, "
        f"and finite-difference slopes. {EXPRESSION_HELP}.")
    _expression_arguments(plot)
    plot.add_argument("--var", default="x", help="the variable on the x axis (default x)")
    plot.add_argument("--range", nargs=2, type=number(float), default=[-5.0, 5.0],
                      metavar=("LO", "HI"), help="the x range, finite (default -5 5)")
    plot.add_argument("-o", "--output", type=file_path, default=Path("plot.png"), metavar="FILE",
                      help="a .png, .svg or .pdf file to write (default plot.png)")
    plot.set_defaults(run=cmd_plot)


def _expression_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", metavar="EXPR", help="the expression, quoted")
    parser.add_argument("--set", type=assignment, action="append", default=[],
                        metavar="NAME=NUMBER", help="a variable's value (repeatable)")


def build(args: argparse.Namespace, **extra: float) -> Value:
    """The expression's graph over the --set values, as a clear error if it is not valid."""
    try:
        return evaluate(args.expression, {**dict(args.set), **extra})
    except ExpressionError as exc:
        raise CommandError(str(exc)) from None


def cmd_graph(args: argparse.Namespace) -> int:
    from opgrad.viz import to_dot

    output: Path | None = args.output
    if output is not None:
        check_output(output, GRAPH_SUFFIXES)
    root = build(args)
    root.backward()
    text = to_dot(root)
    if output is None:
        sys.stdout.write(text)
        return 0
    suffix = output.suffix.lower()
    if suffix in (".dot", ".gv"):
        write_file(output, text)
    elif shutil.which("dot") is None:
        fallback = output.with_suffix(".dot")
        write_file(fallback, text)
        print(f"Graphviz's dot program is not installed: wrote {fallback} instead; "
              f"{INSTALL_DOT}, then: dot -T{suffix[1:]} {fallback} -o {output}", file=sys.stderr)
        return 0
    else:  # dot renders to memory, so the image is written the way every opgrad file is
        image = subprocess.run(["dot", f"-T{suffix[1:]}"], input=text.encode(), check=True,
                               capture_output=True, timeout=60).stdout
        write_file(output, image)
    print(f"wrote {output}", file=sys.stderr)
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from opgrad.viz import GraphTooLargeError, explain, explore

    if args.html is not None:
        check_output(args.html, (".htm", ".html"))  # before any work
    root = build(args)
    print(explain(root))
    if args.html is not None:
        try:
            explore(root, args.html)
        except GraphTooLargeError as exc:
            raise CommandError(str(exc)) from None
        print(f"wrote {args.html}", file=sys.stderr)
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from opgrad.viz import plot_function

    lo, hi = args.range
    check_output(args.output, PLOT_SUFFIXES)
    try:
        unknown = [v for v in variables(parse(args.expression))
                   if v != args.var and v not in dict(args.set)]
    except ExpressionError as exc:
        raise CommandError(str(exc)) from None
    if unknown:
        raise CommandError(f"no value given for {', '.join(unknown)} (plotting over {args.var}; "
                           f"e.g. --set {unknown[0]}=1.5)")

    def f(x: Value) -> Value:
        return evaluate(args.expression, {**dict(args.set), args.var: x})

    try:
        plot_function(f, lo, hi, args.output, title=args.expression)
    except ValueError as exc:  # an empty or infinite range, or f nowhere defined
        raise CommandError(str(exc)) from None
    print(f"wrote {args.output}", file=sys.stderr)
    return 0

