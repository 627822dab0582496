"""tinynn.course.script: a percent-format script's cells, and the note a script prints for each."""
from tinynn.course.script import format_note, markdown_above, read_cells, title_and_note

SCRIPT = '''# %% [markdown]
# # Lesson 99: a test
#
# The first sentence says what the lesson is. A second sentence says more.

# %%
lesson = make_it()

# %% [markdown]
# ## Section one
# A short cell is printed whole. Both of its sentences.

# %%
lesson.section()
x = 1

# %% [markdown]
# First of two cells in a row.

# %% [markdown]
# ## Section two
# Second cell.

# %%
lesson.section()
'''


def test_cells_and_the_markdown_right_above_a_line(tmp_path):
    path = tmp_path / "99_test.py"
    path.write_text(SCRIPT)
    cells = read_cells(path)
    assert [(c.kind, c.line) for c in cells] == [("markdown", 1), ("code", 6), ("markdown", 9), ("code", 13),
                                                 ("markdown", 17), ("markdown", 20), ("code", 24)]
    assert cells[0].text.startswith("# Lesson 99: a test\n\nThe first sentence")
    assert markdown_above(cells, 7) == [cells[0]]             # inside the first code cell
    assert markdown_above(cells, 14) == [cells[2]]
    assert markdown_above(cells, 25) == [cells[4], cells[5]]  # consecutive markdown cells, in order
    assert markdown_above(cells, 10) == []                    # a line inside a markdown cell: no code cell
    assert format_note(cells[2]) == "Section one\n-----------\nA short cell is printed whole. Both of its sentences."
    assert format_note(cells[0], with_title=False) == ("The first sentence says what the lesson is. "
                                                       "A second sentence says more.")


def test_long_cells_give_their_first_sentence_and_skip_formulas_tables_and_lists():
    long_tail = " More words follow here." * 20
    title, note = title_and_note("## Title\nThe point of the section, in one sentence. Then detail." + long_tail)
    assert (title, note) == ("Title", "The point of the section, in one sentence.")
    # a short lead-in takes the next sentence along; "e.g." does not end a sentence
    _, note = title_and_note("What to look for. The loss falls, e.g. by half, in ten steps. Then." + long_tail)
    assert note == "What to look for. The loss falls, e.g. by half, in ten steps."
    # an indented formula, a table and a list are left to the notebook
    prose = "With W of shape (out, in) and b of shape (out,), then more."
    _, note = title_and_note("## Formula\n    y = W x + b\n\n" + prose + long_tail)
    assert note == prose
    prose = "After the table comes the text that explains it."
    _, note = title_and_note("## Table\n| a | b |\n|---|---|\n\n" + prose + long_tail)
    assert note == prose
    _, note = title_and_note("## Steps\nThree steps:\n- one, the first step.\n- two.\n\nLater text." + long_tail)
    assert note == "Three steps:"
    _, note = title_and_note("## Take away\n- The first point. The rest of it.\n- The second point." + long_tail)
    assert note == "The first point. The rest of it."


def test_a_cell_with_two_headings_gives_two_notes():
    cell = read_cells_from("## First\nThe first section's point.\n\n## Second\nThe second section's point.")
    assert format_note(cell) == ("First\n-----\nThe first section's point.\n\n"
                                 "Second\n------\nThe second section's point.")


def test_a_note_wraps_between_words_but_never_inside_a_code_span():
    text = "word " * 15 + "`a = b + c * d - e`" + " word" * 30
    lines = format_note(read_cells_from(text)).splitlines()
    assert all(len(line) <= 100 or "`" in line for line in lines)
    assert any("`a = b + c * d - e`" in line for line in lines)


def read_cells_from(markdown: str):
    from tinynn.course.script import Cell

    return Cell("markdown", 1, markdown)
