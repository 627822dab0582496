"""Reading a lesson script's own cells, so that the script can print what its notebook shows.

A lesson is a Python file in jupytext's *percent* format: ``# %% [markdown]`` starts a markdown
cell, written as comment lines, and a plain ``# %%`` starts a code cell. A notebook renders the
markdown; a script would never show it. So, run as a script, a lesson prints, at the start of each
section, the section's title and the sentence that says what to look for:

    # %% [markdown]                            Autograd in four lines
    # ## Autograd in four lines        ->      ----------------------
    # `y = x^2 + 3x`, so ...                   `y = x^2 + 3x`, so `dy/dx = 2x + 3`: at x = 2 ...

The note is the whole text when the cell is short, otherwise the first sentence of its first
paragraph of prose (tables, indented code and formulas are left to the notebook).
"""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

SHORT = 280          # characters: a cell this short is printed whole
WIDTH = 100          # the lessons' line length
MIN_SENTENCE = 40    # characters: "**Padding mask.**" alone says too little

# A sentence ends at . ! or ? (perhaps closed by quotes or brackets) followed by a space and a
# capital, a digit, a backtick or an opening bracket; "e.g. " and "et al. 2020" do not end one.
SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\bal)(?<!\bcf)[.!?][\"')\]*]*(?= +[A-Z0-9`(\[*\"])")


@dataclass
class Cell:
    """One cell of a percent-format script: its kind, the line of its ``# %%`` marker (1-based),
    and, for a markdown cell, its text without the leading ``# ``."""

    kind: str
    line: int
    text: str = ""


def read_cells(path: str | Path) -> list[Cell]:
    """The cells of the percent-format script at ``path``, in order."""
    cells: list[Cell] = []
    lines: list[str] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("# %%"):
            if cells and cells[-1].kind == "markdown":
                cells[-1].text = "\n".join(lines).strip("\n")
            cells.append(Cell("markdown" if "[markdown]" in line else "code", number))
            lines = []
        elif cells and cells[-1].kind == "markdown":
            lines.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
    if cells and cells[-1].kind == "markdown":
        cells[-1].text = "\n".join(lines).strip("\n")
    return cells


def markdown_above(cells: list[Cell], line: int) -> list[Cell]:
    """The markdown cells right before the code cell that holds ``line`` (none: an empty list)."""
    here = max((i for i, cell in enumerate(cells) if cell.line <= line), default=None)
    if here is None or cells[here].kind != "code":
        return []
    above = []
    for cell in reversed(cells[:here]):
        if cell.kind != "markdown":
            break
        above.insert(0, cell)
    return above


def title_and_note(markdown: str) -> tuple[str | None, str]:
    """Split a markdown cell into its first heading (without the #s) and what to print of the rest."""
    title, body = None, []
    for line in markdown.splitlines():
        if title is None and not body and line.startswith("#"):
            title = line.lstrip("#").strip()
        else:
            body.append(line)
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", "\n".join(body)) if p.strip()]
    prose = [leading_prose(p) for p in paragraphs if is_prose(p)]
    whole = " ".join(" ".join(p.split()) for p in paragraphs)
    if prose == paragraphs and len(whole) <= SHORT:
        return title, whole
    if prose:
        return title, first_sentence(" ".join(prose[0].split()))
    listed = [p for p in paragraphs if is_list(p)]
    if listed:  # a cell that is only a list (a summary): its first item
        first_item = re.split(r"\n\s*(?:[-*]|\d+\.) ", "\n" + listed[0])[1]
        return title, first_sentence(" ".join(first_item.split()))
    return title, ""


def leading_prose(paragraph: str) -> str:
    """A paragraph up to the first list item or indented line inside it (those break the prose)."""
    lines = paragraph.splitlines()
    for i, line in enumerate(lines[1:], start=1):
        if is_list(line) or line.startswith(("    ", "\t", "|")):
            return "\n".join(lines[:i])
    return "\n".join(lines)


def is_list(paragraph: str) -> bool:
    return re.match(r"\s*(?:[-*]|\d+\.) ", paragraph) is not None


def is_prose(paragraph: str) -> bool:
    """Not a table, an indented block (code or a formula), a fenced block or a list."""
    first = paragraph.lstrip("\n").splitlines()[0]
    return not (first.startswith(("    ", "\t", "|", "```", "$$")) or is_list(paragraph))


def first_sentence(text: str) -> str:
    """The first sentence of ``text``; a lead-in shorter than a line ("What to look for.") takes the
    next sentence along."""
    for end in SENTENCE_END.finditer(text):
        if end.end() >= MIN_SENTENCE:
            return text[:end.end()]
    return text


def format_note(cell: Cell, with_title: bool = True) -> str:
    """What a script prints for one markdown cell ("" if nothing): for each heading in the cell (most
    have one), the underlined title and its note."""
    chunks = re.split(r"\n(?=#{1,6} )", cell.text)
    return "\n\n".join(note for note in (format_chunk(chunk, with_title) for chunk in chunks) if note)


def format_chunk(markdown: str, with_title: bool) -> str:
    title, note = title_and_note(markdown)
    lines = [title, "-" * min(len(title), WIDTH)] if title and with_title else []
    # wrap between words, never inside a `code span`: its spaces are held by a placeholder meanwhile
    held = re.sub(r"`[^`]*`", lambda span: span.group().replace(" ", "\0"), note)
    wrapped = textwrap.wrap(held, WIDTH, break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines + [line.replace("\0", " ") for line in wrapped])
