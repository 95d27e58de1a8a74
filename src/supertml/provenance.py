"""Reruns that follow the code: a version of each workflow step from the code it runs.

Every rule passes :func:`step_version` of its step as a ``params`` entry, so Snakemake's params
trigger reruns exactly the jobs whose code changed: the step function itself, the helpers of its
module it calls, and every module of this package it imports, directly or through others
(``import`` statements anywhere in a module, function-level ones included), plus the package
data those modules read (:data:`PACKAGE_DATA`). Code is compared as its syntax tree without
docstrings, so comments, docstrings and formatting do not rerun anything; the versions of other
libraries are not part of it (an environment change reruns nothing by itself).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Final

__all__ = ["PACKAGE_DATA", "clear_caches", "code_version", "step_version"]

#: Modules that read package data, and the data folders (relative to the package) they read.
PACKAGE_DATA: Final[dict[str, tuple[str, ...]]] = {"supertml.encoding.glyphs": ("fonts",)}

_STEPS: Final[str] = "supertml.steps"


def _origin(module: str) -> Path | None:
    """The source file of ``module``, found on disk without importing anything (importing the
    training modules alone takes seconds: torch)."""
    top, *rest = module.split(".")
    spec = importlib.util.find_spec(top)
    if spec is None or spec.origin is None:
        return None
    base = Path(spec.origin).parent.joinpath(*rest)
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _without_docstrings(node: ast.AST) -> str:
    """The syntax tree as text, docstrings removed (they do not change what code does)."""
    copy = ast.parse(ast.unparse(node))
    for item in ast.walk(copy):
        body = getattr(item, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            item.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return ast.dump(copy)


def _imported(node: ast.AST, package: str) -> Iterator[str]:
    """Modules of ``package`` imported anywhere inside ``node``."""
    for item in ast.walk(node):
        if isinstance(item, ast.Import):
            for alias in item.names:
                if alias.name.split(".")[0] == package:
                    yield alias.name
        elif isinstance(item, ast.ImportFrom) and item.module and item.level == 0:
            if item.module.split(".")[0] != package:
                continue
            for alias in item.names:
                # ``from a import b`` imports module a.b when b is a module, else a name of a.
                child = f"{item.module}.{alias.name}"
                yield child if _origin(child) is not None else item.module


@functools.cache
def _module_closure(module: str) -> frozenset[str]:
    """``module`` and every module of its package it imports by name, transitively."""
    package = module.split(".", maxsplit=1)[0]
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _origin(name)
        if path is None:
            continue
        seen.add(name)
        # Not the parent packages' __init__ modules that importing a.b.c also runs: they only
        # re-export; code that takes a name from one imports it by name and counts it then.
        todo += list(_imported(_tree(path), package))
    return frozenset(seen)


def _module_bindings(tree: ast.Module) -> dict[str, ast.AST]:
    """Top-level functions, classes, assignments and imports of a module by the name they bind."""
    bindings: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bindings[node.name] = node
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                bindings[(alias.asname or alias.name).split(".")[0]] = node
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        bindings[name.id] = node
    return bindings


def code_version(module: str, function: str) -> str:
    """A 16-hex-digit version of ``module.function`` and all the code it depends on.

    Within ``module``, only what the function refers to counts (so two steps of one module
    have separate versions); every module it reaches that way counts whole.
    """
    path = _origin(module)
    if path is None:
        raise ValueError(f"no module {module!r}")
    tree = _tree(path)
    bindings = _module_bindings(tree)
    if not isinstance(bindings.get(function), ast.FunctionDef | ast.AsyncFunctionDef):
        raise ValueError(f"{module} defines no function {function!r}")
    package = module.split(".", maxsplit=1)[0]
    local: dict[str, ast.AST] = {}
    modules: set[str] = set()
    todo = [function]
    while todo:
        name = todo.pop()
        node = bindings.get(name)
        if node is None or name in local:
            continue
        local[name] = node
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules |= set(_imported(node, package))
            continue
        modules |= set(_imported(node, package))
        todo += [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]
    closure = set().union(*(_module_closure(name) for name in modules)) - {module}
    digest = hashlib.sha256()
    for name in sorted(local):
        digest.update(f"{module}:{name}\0{_without_docstrings(local[name])}\0".encode())
    for name in sorted(closure):
        digest.update(f"{name}\0{_module_digest(name)}\0".encode())
    return digest.hexdigest()[:16]


@functools.cache
def _module_digest(module: str) -> str:
    """Digest of one module's code without docstrings, and of the package data it reads."""
    source = _origin(module)
    assert source is not None
    digest = hashlib.sha256(_without_docstrings(_tree(source)).encode())
    package = _origin(module.split(".", maxsplit=1)[0])
    for folder in PACKAGE_DATA.get(module, ()):
        root = (package or source).parent / folder
        for data in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(f"{data.relative_to(root)}\0".encode() + data.read_bytes())
    return digest.hexdigest()


@functools.cache
def step_version(rule: str) -> str:
    """:func:`code_version` of the step function named ``rule`` in :mod:`supertml.steps`."""
    steps_dir = _origin(_STEPS)
    if steps_dir is None:
        raise ValueError(f"no package {_STEPS}")
    owners = [
        f"{_STEPS}.{path.stem}"
        for path in sorted(steps_dir.parent.glob("*.py"))
        if path.stem != "__init__"
        and isinstance(_module_bindings(_tree(path)).get(rule), ast.FunctionDef)
    ]
    if len(owners) != 1:
        raise ValueError(f"rule {rule!r}: {len(owners)} step functions of that name {owners}")
    return code_version(owners[0], rule)


def clear_caches() -> None:
    """Forget every parsed module: for a process that edits code between two versions (tests);
    a Snakemake run reads each file once."""
    for cached in (_tree, _module_closure, _module_digest, step_version):
        cached.cache_clear()
