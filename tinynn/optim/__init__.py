"""Optimizers (``tinynn.optim.SGD``, ``Adam``, ...) and learning-rate schedules (``lr_scheduler``).

Every optimizer follows PyTorch's update rule step for step (each docstring gives it); ``Lion``
and ``Adafactor`` go beyond PyTorch's core set.
"""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from .lion import Lion
from .adafactor import Adafactor
from . import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Lion", "Adafactor", "lr_scheduler"]
