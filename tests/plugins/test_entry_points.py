"""Plugins found through real entry points (a generated .dist-info on sys.path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import opgrad
from opgrad.plugins.errors import PluginLoadWarning

GOOD = '''
import math
from opgrad import hookimpl

@hookimpl
def register_ops(register):
    register(lambda x: math.log1p(math.exp(x)), name="smoothrelu",
             local_grads=lambda x, out: (1.0 - 1.0 / (1.0 + __import__("opgrad").ops.exp(x)),),
             formula="d/dx smoothrelu(x) = sigmoid(x)")
'''
BROKEN_IMPORT = "raise ImportError('missing dependency frobnicate')\n"
BAD_REGISTRATION = '''
from opgrad import hookimpl

@hookimpl
def register_ops(register):
    register(lambda x: x, name="exp", local_grads=lambda x, out: (1.0,), formula="d/dx")
'''

MISSPELLED_HOOK = '''
from opgrad import hookimpl

@hookimpl
def register_op(register):
    register(lambda x: x, name="ident", local_grads=lambda x, out: (1.0,), formula="d/dx x = 1")
'''
EXITS = "import sys\nsys.exit(3)\n"
AT_IMPORT = '''
import opgrad

@opgrad.op(local_grads=lambda x, out: (2.0,), formula="d/dx twice(x) = 2")
def twice(x):
    return 2.0 * x
'''
HALF_AT_IMPORT = '''
import opgrad

@opgrad.op(local_grads=lambda x, out: (3.0,), formula="d/dx thrice(x) = 3")
def thrice(x):
    return 3.0 * x

raise ImportError("fails after registering thrice")
'''
HALF_IN_HOOK = '''
import opgrad
from opgrad import hookimpl

@hookimpl
def register_ops(register):
    opgrad.register(lambda x: 4.0 * x, name="fourfold", local_grads=lambda x, out: (4.0,),
                    formula="d/dx fourfold(x) = 4")
    register(lambda x: x, name="log", local_grads=lambda x, out: (1.0,), formula="d/dx")
'''
NO_HOOK = '''
def register_ops(register):  # the @hookimpl marker is missing
    pass
'''


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    """A directory holding three plugin modules and one distribution declaring them."""
    (tmp_path / "goodops.py").write_text(GOOD)
    (tmp_path / "brokenops.py").write_text(BROKEN_IMPORT)
    (tmp_path / "clashops.py").write_text(BAD_REGISTRATION)
    (tmp_path / "typoops.py").write_text(MISSPELLED_HOOK)
    (tmp_path / "exitops.py").write_text(EXITS)
    (tmp_path / "importops.py").write_text(AT_IMPORT)
    (tmp_path / "nohookops.py").write_text(NO_HOOK)
    (tmp_path / "halfimportops.py").write_text(HALF_AT_IMPORT)
    (tmp_path / "halfhookops.py").write_text(HALF_IN_HOOK)
    dist = tmp_path / "testops-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: testops\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(textwrap.dedent("""\
        [opgrad]
        good = goodops
        broken = brokenops
        clash = clashops
        typo = typoops
        exits = exitops
        atimport = importops
        nohook = nohookops
        halfimport = halfimportops
        halfhook = halfhookops
        """))
    return tmp_path


def test_good_plugin_loads_beside_broken_ones(
    plugin_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(plugin_dir))
    with pytest.warns(PluginLoadWarning) as caught:
        registry = opgrad.build_registry(autoload=True)
    messages = {str(w.message).split("'")[1]: str(w.message) for w in caught}
    assert sorted(messages) == ["broken", "clash", "exits", "halfhook", "halfimport", "nohook",
                                "typo"]
    assert "plugin 'broken' (brokenops) was not loaded" in messages["broken"]
    assert "missing dependency frobnicate" in messages["broken"]
    assert "plugin 'clash' (clashops) was not loaded" in messages["clash"]
    assert ("'exp' is registered by both plugin 'opgrad.functions' and plugin 'clash'"
            in messages["clash"])
    assert ("plugin 'typo' implements unknown hook 'register_op' (did you mean 'register_ops'?)"
            in messages["typo"])
    assert "plugin 'exits' (exitops) was not loaded: it called sys.exit(3)" in messages["exits"]
    assert ("plugin 'nohook' (nohookops) implements no opgrad hook: decorate its register_ops with "
            "@opgrad.hookimpl" in messages["nohook"])
    assert "ident" not in registry
    # a plugin reported as not loaded keeps none of its ops, however it registered them
    assert "thrice" not in registry and "fourfold" not in registry
    assert registry["log"].plugin == "opgrad.functions"
    assert registry["twice"].plugin == "importops"  # registered at import: kept, not lost
    assert registry["smoothrelu"].plugin == "good"
    assert registry["exp"].plugin == "opgrad.functions"
    with opgrad.use_registry(registry):
        out = opgrad.Value(0.3).smoothrelu()
        out.backward()
        assert out.parents[0].grad == pytest.approx(1 / (1 + 2.718281828459045**-0.3))


def test_autoload_off_skips_entry_points(
    plugin_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(plugin_dir))
    monkeypatch.setenv("OPGRAD_DISABLE_PLUGIN_AUTOLOAD", "1")
    registry = opgrad.build_registry()
    assert "smoothrelu" not in registry


def run_python(code: str, plugin_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ)
    environment.pop("OPGRAD_DISABLE_PLUGIN_AUTOLOAD", None)
    environment.update(PYTHONPATH=str(plugin_dir), **env)
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True,
                          text=True, timeout=120, check=False)


def test_import_opgrad_picks_up_installed_plugins(plugin_dir: Path) -> None:
    result = run_python("import opgrad; print(opgrad.Value(0.0).smoothrelu().data, "
                        "opgrad.Value(1.5).twice().data)", plugin_dir)
    assert result.returncode == 0, result.stderr
    smoothrelu, twice = map(float, result.stdout.split())
    assert smoothrelu == pytest.approx(0.6931471805599453)
    assert twice == 3.0  # registered with @opgrad.op while its module was imported
    assert "opgrad plugin 'exits' (exitops) was not loaded: it called sys.exit(3)" in result.stderr
    assert "opgrad plugin 'broken' (brokenops) was not loaded" in result.stderr
    assert "opgrad plugin 'clash' (clashops) was not loaded" in result.stderr


def test_import_with_autoload_disabled_skips_them(plugin_dir: Path) -> None:
    result = run_python("import opgrad; print('smoothrelu' in opgrad.default_registry())",
                        plugin_dir, OPGRAD_DISABLE_PLUGIN_AUTOLOAD="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
    assert result.stderr == ""


def test_opgrad_ops_lists_plugin_ops_with_their_plugin(plugin_dir: Path) -> None:
    result = run_python("from opgrad.cli import main; main(['ops', '--json'])", plugin_dir)
    assert result.returncode == 0, result.stderr
    records = {r["name"]: r for r in json.loads(result.stdout)}
    assert records["smoothrelu"]["plugin"] == "good"
    assert records["smoothrelu"]["formula"] == "d/dx smoothrelu(x) = sigmoid(x)"
    assert records["exp"]["plugin"] == "opgrad.functions"


def test_a_plugin_calling_sys_exit_does_not_end_a_pytest_run(
    plugin_dir: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(plugin_dir))
    monkeypatch.delenv("OPGRAD_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    pytester.makepyfile(test_uses_opgrad='''
import opgrad

def test_twice():
    assert opgrad.Value(1.5).twice().data == 3.0
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, warnings=7)  # one warning per broken plugin
    assert result.ret == 0
