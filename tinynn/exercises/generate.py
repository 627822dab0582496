"""Make a student's exercise file from its source: every solution fence becomes a ``raise``.

In a source file (``tinynn/exercises/source/eNN_name.py``) the reference solution of each function
sits between two comment lines, indented like the code they hold::

    def sigmoid(x):
        '''... the maths ...'''
        # >>> solution
        return ...
        # <<< solution

The student's file is the same text with each fence, markers included, replaced by one line at the
fence's indentation::

        raise NotImplementedError("exercise 01: sigmoid")

naming the function (``Class.method`` for methods) that holds the fence. Everything outside the
fences (imports, docstrings, helpers given to the student) is copied unchanged, so the student file
and the reference cannot drift apart: ``python -m tinynn.exercises build`` regenerates them and a
test checks that the committed files are exactly what it writes.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Fence", "build", "find_fences", "strip_solutions", "student_text"]

FENCE_START = "# >>> solution"
FENCE_END = "# <<< solution"


@dataclass(frozen=True)
class Fence:
    start: int      # index of the "# >>> solution" line (0-based)
    end: int        # index of the "# <<< solution" line
    indent: str
    function: str   # qualified name of the function holding it, e.g. "Sigmoid.backward"


def _functions(tree: ast.AST) -> list:
    """(qualified name, first line, last line) of every function and method in the module."""
    found = []

    def visit(node, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.append((prefix + child.name, child.lineno, child.end_lineno))
                visit(child, prefix + child.name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")

    visit(tree, "")
    return found


def find_fences(text: str, filename: str = "<source>") -> list:
    """The solution fences of a source file, checked: paired, not nested, one per function."""
    lines = text.splitlines()
    functions = _functions(ast.parse(text, filename))
    fences, start = [], None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped == FENCE_START:
            if start is not None:
                raise ValueError(f"{filename}:{i + 1}: a solution fence opens inside another one")
            start = i
        elif stripped == FENCE_END:
            if start is None:
                raise ValueError(f"{filename}:{i + 1}: '{FENCE_END}' without a matching '{FENCE_START}'")
            indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
            if not line.startswith(indent + FENCE_END):
                raise ValueError(f"{filename}:{i + 1}: the fence's end is not indented like its start (line {start + 1})")
            # a function's end_lineno is its last statement, so the closing comment may lie past it
            holders = [f for f in functions if f[1] < start + 1 <= f[2]]
            if not holders:
                raise ValueError(f"{filename}:{start + 1}: a solution fence outside any function")
            innermost = max(holders, key=lambda f: f[1])
            fences.append(Fence(start, i, indent, innermost[0]))
            start = None
    if start is not None:
        raise ValueError(f"{filename}:{start + 1}: '{FENCE_START}' is never closed")
    names = [f.function for f in fences]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"{filename}: more than one solution fence in {', '.join(repeated)}")
    return fences


def strip_solutions(text: str, number: str, filename: str = "<source>") -> str:
    """The source text with each fence replaced by ``raise NotImplementedError("exercise NN: name")``."""
    lines = text.splitlines(keepends=True)
    out, position = [], 0
    for fence in find_fences(text, filename):
        out.extend(lines[position:fence.start])
        out.append(f'{fence.indent}raise NotImplementedError("exercise {number}: {fence.function}")\n')
        position = fence.end + 1
    out.extend(lines[position:])
    return "".join(out)


def student_text(exercise) -> str:
    """The full student file of ``exercise`` (a ``catalog.Exercise``): a header, then the stripped source."""
    header = (
        f"# Exercise {exercise.number}, generated from tinynn/exercises/source/{exercise.source.name} by\n"
        "# `python -m tinynn.exercises build`. Work on a copy of this file, replace each\n"
        "# `raise NotImplementedError(...)` with your code, and grade it from the repository root:\n"
        f"#     cp lessons/exercises/{exercise.source.name} my_{exercise.source.name}\n"
        f"#     python -m tinynn.exercises check {exercise.number} my_{exercise.source.name}\n"
    )
    text = exercise.source.read_text(encoding="utf-8")
    return header + strip_solutions(text, exercise.number, str(exercise.source))


def build(exercises: list, out_dir: Path, write: bool = True) -> list:
    """Write each exercise's student file into ``out_dir``; return the paths that were (or would be) changed.

    With ``write=False`` nothing is written: the result lists the files that differ from what the
    generator would write (missing ones included), which is how CI catches drift.
    """
    out_dir = Path(out_dir)
    changed = []
    for exercise in exercises:
        path = out_dir / exercise.source.name
        text = student_text(exercise)
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        changed.append(path)
        if write:
            out_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return changed
