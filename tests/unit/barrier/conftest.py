"""Barrier tests run over every embedded storage: in memory and SQLite."""

from __future__ import annotations

from tests.unit.embedded_storage import every_embedded_storage

storage = every_embedded_storage()
