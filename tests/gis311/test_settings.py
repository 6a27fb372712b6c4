"""Every setting is documented in the README's settings table."""

from __future__ import annotations

import re

from gis311.settings import Settings
from tests.conftest import REPO


def _documented() -> set[str]:
    readme = (REPO / "README.md").read_text()
    return set(re.findall(r"^\|\s*`(GIS311_[A-Z0-9_]+)`", readme, flags=re.MULTILINE))


def test_every_setting_is_in_the_readme_table() -> None:
    names = {f"GIS311_{name.upper()}" for name in Settings.model_fields}
    missing = names - _documented()
    assert not missing, f"settings missing from the README table: {sorted(missing)}"


def test_the_readme_table_lists_no_setting_that_does_not_exist() -> None:
    names = {f"GIS311_{name.upper()}" for name in Settings.model_fields}
    assert _documented() - names == set()


def test_settings_read_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("GIS311_PORT", "9000")
    monkeypatch.setenv("GIS311_MAX_BODY_BYTES", "2048")
    settings = Settings()
    assert settings.port == 9000
    assert settings.max_body_bytes == 2048


def test_compose_file_uses_only_documented_settings() -> None:
    compose = (REPO / "docker-compose.yml").read_text()
    used = set(re.findall(r"\b(GIS311_[A-Z0-9_]+)\b", compose))
    names = {f"GIS311_{name.upper()}" for name in Settings.model_fields}
    assert used <= names, used - names
