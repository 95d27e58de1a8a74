"""Fixtures the steps' tests share with the topic modules' tests."""

from tests.unit.tables.conftest import adult_like, write_lines

__all__ = ["adult_like", "write_lines"]
