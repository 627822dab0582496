"""Learning-rate schedules: ``tinynn.optim.lr_scheduler.StepLR`` and friends, as in PyTorch.

    base.py        LRScheduler: last_epoch, base_lrs, step(), get_last_lr(), state_dict()
    decay.py       LambdaLR, MultiplicativeLR, StepLR, MultiStepLR, ConstantLR, LinearLR,
                   ExponentialLR, PolynomialLR
    cosine.py      CosineAnnealingLR, CosineAnnealingWarmRestarts
    one_cycle.py   OneCycleLR (with momentum / beta1 cycling)
    cyclic.py      CyclicLR (triangular, triangular2, exp_range)
    plateau.py     ReduceLROnPlateau
    composite.py   SequentialLR, ChainedScheduler
"""
from .base import LRScheduler
from .decay import (
    ConstantLR, ExponentialLR, LambdaLR, LinearLR, MultiplicativeLR, MultiStepLR, PolynomialLR, StepLR,
)
from .cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from .one_cycle import OneCycleLR
from .cyclic import CyclicLR
from .plateau import ReduceLROnPlateau
from .composite import ChainedScheduler, SequentialLR

_LRScheduler = LRScheduler  # PyTorch's old name

__all__ = [
    "LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
    "ExponentialLR", "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "OneCycleLR",
    "ReduceLROnPlateau", "SequentialLR", "ChainedScheduler", "CyclicLR",
]
