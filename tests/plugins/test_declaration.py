"""One typed op declaration: OpOptions is what every way of registering takes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

import opgrad
from opgrad.plugins.declaration import OPTION_NAMES, OpOptions
from opgrad.plugins.errors import RegistrationError
from opgrad.plugins.registry import Registry
from opgrad.plugins.stub import render

ROOT = Path(__file__).resolve().parents[2]


def test_a_misspelled_keyword_names_the_op_and_suggests_the_right_one(
    registry: Registry,
) -> None:
    with pytest.raises(RegistrationError, match=r"plugin 'tests.plugins.test_declaration', op "
                       r"'twice': unknown keyword 'local_grad'; did you mean 'local_grads'\?"):
        opgrad.register(twice, local_grad=lambda x, out: (2.0,),  # type: ignore[call-arg]  # the typo under test
                        formula="d/dx 2x = 2")
    assert "twice" not in registry


def test_the_public_register_takes_no_plugin_keyword(registry: Registry) -> None:
    # Naming another plugin would let any caller replace a built-in op silently.
    with pytest.raises(RegistrationError, match="unknown keyword 'plugin'"):
        opgrad.register(twice, plugin="opgrad.functions",  # type: ignore[call-arg]  # under test
                        local_grads=lambda x, out: (2.0,), formula="d/dx 2x = 2")


def twice(x: float) -> float:
    return 2.0 * x


def test_a_misspelled_keyword_is_a_type_error_for_mypy(tmp_path: Path,
                                                       mypy_api: ModuleType) -> None:
    source = tmp_path / "typo.py"
    source.write_text(textwrap.dedent('''
        import opgrad
        from opgrad.extend import RegisterOp

        @opgrad.op(local_grad=lambda x, out: (2.0,), formula="d/dx 2x = 2")
        def twice(x: float) -> float:
            return 2.0 * x

        @opgrad.hookimpl
        def register_ops(register: RegisterOp) -> None:
            register(twice, name="twice2", local_grads=lambda x, out: (2.0,), formla="d/dx")
        '''))
    out, _, status = mypy_api.run([str(source), "--strict", "--no-incremental"])
    assert status == 1
    assert 'Unexpected keyword argument "local_grad"' in out
    assert 'Unexpected keyword argument "formla"' in out


def test_the_hook_table_in_the_readme_lists_every_keyword() -> None:
    text = (ROOT / "README.md").read_text()
    table = text[text.index("| keyword | meaning |"):].split("\n\n")[0]
    documented = {cell.strip(" `") for row in table.splitlines()[2:]
                  for cell in row.split("|")[1].split(",")}
    assert documented == set(OPTION_NAMES) == set(OpOptions.__annotations__)


def test_opgrad_ops_holds_op_functions_only() -> None:
    # (pytest adds "@py_builtins" to modules it rewrites: not an identifier, not an op)
    public = {n for n in vars(opgrad.ops) if n.isidentifier() and not n.startswith("_")}
    assert public == set(opgrad.default_registry())
    assert all(getattr(opgrad.ops, name).__name__ == name for name in public)


def test_the_value_stub_matches_the_built_in_registry() -> None:
    expected = render(opgrad.build_registry(autoload=False).values())
    stub = Path(opgrad.__file__).parent / "_typed.pyi"  # as installed: package data too
    assert stub.read_text() == expected, (
        "opgrad/_typed.pyi is stale: regenerate it with OPGRAD_DISABLE_PLUGIN_AUTOLOAD=1 "
        "python -m opgrad.plugins.stub > opgrad/_typed.pyi")


def test_the_stub_module_is_the_core_value_at_run_time() -> None:
    result = subprocess.run([sys.executable, "-c", "import opgrad, opgrad._typed, opgrad.core; "
                             "print(opgrad._typed.Value is opgrad.core.Value is opgrad.Value)"],
                            capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "True"
