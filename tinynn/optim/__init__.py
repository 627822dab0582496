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
from .adadelta import Adadelta
from .adamax import Adamax
from .nadam import NAdam
from .radam import RAdam
from .asgd import ASGD
from .lbfgs import LBFGS
from .sparse_adam import SparseAdam
from . import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Lion", "Adafactor",
           "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "LBFGS", "SparseAdam", "lr_scheduler"]
