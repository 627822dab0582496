"""The errors ``tinynn.load`` raises for a file it will not load."""
from __future__ import annotations

import pickle


class CheckpointError(ValueError, RuntimeError):
    """A file that is not a valid tinynn checkpoint: corrupt, truncated, forged or foreign.

    A RuntimeError, as ``torch.load``'s errors for a bad file are; also a ValueError (bad content).
    """


class WeightsOnlyError(CheckpointError, pickle.UnpicklingError):
    """``weights_only=True`` refused a file: its pickled object needs a global that is not allowed.

    Also a ``pickle.UnpicklingError``, the class ``torch.load`` raises in this case, so code written
    for PyTorch (``except pickle.UnpicklingError``) catches it.
    """
