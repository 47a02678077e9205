"""The packages' layers (docs/decisions/0005-layers.md): the import-linter contracts hold, and
every package of `app` has its place in them, so that a new package cannot sit outside the order."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

from importlinter.cli import lint_imports

import app

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _layers() -> list[str]:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    [layers] = [c for c in config["contracts"] if c["type"] == "layers"]
    return layers["layers"]


def test_contracts_are_kept():
    assert lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True) == 0


def test_every_package_has_a_layer():
    placed = {name.strip() for layer in _layers() for name in layer.split("|")}
    modules = {f"app.{m.name}" for m in pkgutil.iter_modules(app.__path__)}
    assert modules == placed
