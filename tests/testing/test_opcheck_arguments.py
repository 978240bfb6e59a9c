"""check_op refuses arguments it cannot work with, naming the argument."""

from __future__ import annotations

import math

import pytest

from opgrad.testing import check_op


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"points": 0}, r"^check_op: points must be a whole number >= 1, got 0$"),
        ({"points": -3}, r"points must be a whole number >= 1, got -3"),
        ({"points": 2.5}, r"points must be a whole number >= 1, got 2.5"),
        ({"points": True}, r"points must be a whole number >= 1, got True"),
        ({"eps": 0.0}, r"^check_op: eps must be a finite number > 0, got 0.0$"),
        ({"eps": math.nan}, r"eps must be a finite number > 0, got nan"),
        ({"atol": -1e-5}, r"^check_op: atol must be a finite number >= 0, got -1e-05$"),
        ({"rtol": math.inf}, r"^check_op: rtol must be a finite number >= 0, got inf$"),
    ],
)
def test_bad_arguments_are_value_errors(options: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        check_op("tanh", **options)  # type: ignore[arg-type]  # deliberately wrong types


def test_one_point_and_zero_tolerances_are_fine() -> None:
    result = check_op("tanh", points=1, atol=0.0, rtol=0.0)
    assert result.points == 1 and result.worst_error > 0  # zero tolerance: any error fails
    assert not result.ok
