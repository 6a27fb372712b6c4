"""The five import packages come from this repository, not from PyPI namesakes."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.mark.parametrize("name", ["gis311", "registry", "boundaries", "tiles", "importers"])
def test_package_is_this_repositorys(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve().is_relative_to(REPO)
