"""opgrad.compile: trace a loss once, generate Python for its forward and backward step.

The generated step recomputes the forward pass from the current ``.data`` of
the traced leaves, then the backward pass, and adds each leaf's gradient to
its ``.grad`` as ``backward()`` would: the same floats, in the same order
(a zero may come out with the other sign). Each op's own ``forward`` and
``local_grads`` are what runs: inlined when they are one expression, called
otherwise. Regions of the graph that repeat (one per example of a batch)
are written once, as a loop. ``.source`` shows the code.

``compile(fn, backend="numpy")`` writes array code instead (see
:mod:`opgrad.compiler.arrays`): the same numbers within 1e-12, relative.
"""

from opgrad.compiler.step import BACKENDS, CompiledStep, StructureChanged, compile_step

compile = compile_step  # opgrad.compile: the public name (it shadows the builtin here only)

__all__ = ["BACKENDS", "CompiledStep", "StructureChanged", "compile", "compile_step"]
