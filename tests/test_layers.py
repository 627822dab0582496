"""The core reads one way: the Tensor, the creation functions and the autograd engine import nothing
from ``tinynn/ops/`` (the ops import them); ``tinynn/dims.py``, below both, imports nothing of tinynn."""
import ast
import pathlib

import pytest

import tinynn

PACKAGE = pathlib.Path(tinynn.__file__).parent
CORE = [PACKAGE / "tensor.py", PACKAGE / "creation.py", PACKAGE / "dims.py",
        *sorted((PACKAGE / "autograd").glob("*.py"))]


def imported_names(source: str, package: str) -> list:
    """(line, absolute dotted name) of everything ``source`` imports, at module level or inside
    functions; ``package`` resolves relative imports (``from ..ops import join`` -> tinynn.ops.join)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def package_of(path: pathlib.Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])


def is_ops(name: str) -> bool:
    return name == "tinynn.ops" or name.startswith("tinynn.ops.")


def test_the_scan_resolves_relative_absolute_and_function_level_imports():
    source = ("import tinynn.ops.join\nfrom tinynn import ops\n\n\ndef f():\n"
              "    from ..ops.shape import sum_to_shape\n    from .. import ops\n    from .engine import grad\n")
    names = [name for _, name in imported_names(source, "tinynn.autograd")]
    assert [is_ops(n) for n in names] == [True, True, True, True, False]
    assert names[2] == "tinynn.ops.shape.sum_to_shape" and names[4] == "tinynn.autograd.engine.grad"


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_core_does_not_import_the_ops(path):
    upward = [f"line {line}: {name}" for line, name in imported_names(path.read_text(), package_of(path))
              if is_ops(name)]
    assert not upward, f"{path.relative_to(PACKAGE)} imports the ops layer: {upward}"


def test_dims_imports_nothing_of_tinynn():
    path = PACKAGE / "dims.py"
    names = [name for _, name in imported_names(path.read_text(), package_of(path))]
    assert not [n for n in names if n.startswith("tinynn")], names
