"""A rule returning the wrong number of partials: the bridges give backward()'s error."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("bridge", ["to_torch", "to_jax"])
def test_a_wrong_number_of_partials_is_the_same_error_in_the_bridges(
        registry: object, bridge: str, request: pytest.FixtureRequest) -> None:
    request.getfixturevalue("torch" if bridge == "to_torch" else "jax")
    import opgrad.interop

    opgrad.register(lambda x: 2.0 * x, name="double_bad", formula="d/dx 2x = 2",
                    local_grads=lambda x, out: (2.0, 1.0), torch=lambda x: 2.0 * x,
                    jax=lambda x: 2.0 * x)
    with pytest.raises(opgrad.BackwardError, match=r"op 'double_bad': local_grads returned "
                       r"the wrong number of partials: 2 partial\(s\) for 1 input\(s\)"):
        getattr(opgrad.interop, bridge)("double_bad")
