"""The exercises' sources: the student's functions with the reference solutions in fences."""
