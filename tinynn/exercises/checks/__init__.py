"""One grade module per exercise: ``grade(g, student, reference)`` runs its checks (see ../grading.py)."""
