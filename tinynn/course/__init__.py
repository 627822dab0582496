"""The course around tinynn: what the lessons share, and the lessons and exercises as notebooks.

Every lesson starts with ``lesson = Lesson(NN, "title")`` and then reads its settings from it
(``lesson.full``, ``lesson.seed``, ``lesson.figures``), saves figures with ``lesson.save(fig, name)``,
opens each section with ``lesson.section()`` and ends with ``lesson.summary(...)``. The same file
runs as a script or as a notebook, from any folder (see ``tinynn.course.lesson``).

``tinynn.course.notebooks`` writes the lessons and the exercises as Jupyter notebooks; it needs the
``notebooks`` extra (``pip install -e ".[notebooks]"``: jupytext, nbformat, nbclient, ipykernel).
"""
from tinynn.course.lesson import Lesson, Progress, full_mode_requested, in_notebook

__all__ = ["Lesson", "Progress", "full_mode_requested", "in_notebook"]
