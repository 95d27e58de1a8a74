"""Step versions: what a step runs changes its version; nothing else does."""

from __future__ import annotations

from pathlib import Path

import pytest

from supertml.provenance import clear_caches, code_version, step_version

PACKAGE = "provenance_pkg"

STEPS = '''
"""Two steps."""
from {pkg} import lib1
from {pkg}.lib2 import helper2


def _helper(x):
    return lib1.double(x) + 1


def step_f(x):
    """Docstring of f."""
    return _helper(x)


def step_g(x):
    return helper2(x)
'''
LIB1 = '''
"""lib1."""
from {pkg} import lib3


def double(x):
    # a comment
    return 2 * x + lib3.OFFSET
'''
LIB2 = "def helper2(x):\n    return x - 1\n"
LIB3 = "OFFSET = 0\n"


def package(root: Path, monkeypatch: pytest.MonkeyPatch, **edits: tuple[str, str]) -> str:
    """The test package, with edited files, on the import path (written afresh each time)."""
    name = PACKAGE
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    clear_caches()
    (folder / "__init__.py").write_text("")
    for module, template in {"steps": STEPS, "lib1": LIB1, "lib2": LIB2, "lib3": LIB3}.items():
        source = template.format(pkg=name)
        if module in edits:
            old, new = edits[module]
            assert old in source
            source = source.replace(old, new)
        (folder / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(root))
    return name


def versions(
    root: Path, monkeypatch: pytest.MonkeyPatch, **edits: tuple[str, str]
) -> tuple[str, str]:
    name = package(root, monkeypatch, **edits)
    return code_version(f"{name}.steps", "step_f"), code_version(f"{name}.steps", "step_g")


def test_a_step_follows_its_own_code_and_what_it_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f, g = versions(tmp_path, monkeypatch)
    assert f != g
    # Through a helper of its module, an imported module, and that module's import:
    for edit in ({"steps": ("+ 1", "+ 2")}, {"lib1": ("2 * x", "3 * x")},
                 {"lib3": ("OFFSET = 0", "OFFSET = 1")}):  # fmt: skip
        changed_f, same_g = versions(tmp_path, monkeypatch, **edit)
        assert changed_f != f, edit
        assert same_g == g, edit  # step_g runs none of that code
    changed_f, changed_g = versions(tmp_path, monkeypatch, lib2=("x - 1", "x - 2"))
    assert (changed_f, changed_g != g) == (f, True)


def test_comments_docstrings_and_formatting_change_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f, g = versions(tmp_path, monkeypatch)
    reformatted = ("return 2 * x + lib3.OFFSET", "return (2*x\n            + lib3.OFFSET)")
    for edit in ({"lib1": ("# a comment", "# another comment, longer")},
                 {"steps": ('"""Docstring of f."""', '"""Reworded."""')},
                 {"lib1": reformatted}):  # fmt: skip
        assert versions(tmp_path, monkeypatch, **edit) == (f, g), edit


def test_every_rule_has_a_stable_version_of_its_own() -> None:
    rules = ["split_events", "encode_images", "plot_panel", "train_model", "write_verdict"]
    versions = [step_version(rule) for rule in rules]
    assert len(set(versions)) == len(rules)
    assert [step_version(rule) for rule in rules] == versions
    with pytest.raises(ValueError, match="0 step functions"):
        step_version("no_such_rule")


def test_the_step_functions_are_the_rules_of_the_workflow() -> None:
    # Every rule of the workflow has a step function of its name (scripts call exactly those).
    root = Path(__file__).resolve().parents[2]
    rules = {
        line.split("rule ", 1)[1].rstrip(":\n")
        for path in (root / "workflow/rules").glob("*.smk")
        for line in path.read_text().splitlines()
        if line.strip().startswith("rule ")
    }
    assert len(rules) > 20
    for rule in rules:
        step_version(rule)  # raises unless exactly one supertml.steps function is named so
