"""The base class of every probability distribution (PyTorch's ``torch.distributions.Distribution``).

Shapes. A distribution object holds a whole batch of distributions with the same family: a
``Normal(loc, scale)`` with loc of shape (64, 10) is 640 independent normals. Three shapes say
how a sample is laid out::

    sample.shape == sample_shape + batch_shape + event_shape

``batch_shape`` indexes the independent distributions, ``event_shape`` is the shape of one draw
of one of them (``()`` for a number, ``(d,)`` for a ``MultivariateNormal`` over R^d), and
``sample_shape`` is how many draws you asked for. ``log_prob(value)`` scores values of shape
``(..., *batch_shape, *event_shape)`` and returns shape ``(..., *batch_shape)``: one log density
per event.

Two ways to sample. ``sample()`` draws without recording a graph. ``rsample()`` (when
``has_rsample``) writes the draw as a differentiable function of the parameters and of
parameter-free noise: ``loc + scale * eps`` with ``eps ~ N(0, 1)``. Gradients of a loss on the
sample then flow into loc and scale: the reparameterisation trick behind VAEs.

Validation. With ``validate_args`` (on by default, as in PyTorch, and switched for all
distributions by ``Distribution.set_default_validate_args``), the constructor checks each
parameter against ``arg_constraints`` and ``log_prob`` checks its value against ``support``;
both raise ``ValueError`` naming the parameter, the constraint and the offending values.
"""
from __future__ import annotations

import warnings

from ..autograd import no_grad
from ..tensor import Tensor
from . import constraints
from .utils import as_shape, lazy_property

__all__ = ["Distribution"]


class Distribution:
    """A batch of probability distributions of one family.

    Args:
        batch_shape: the shape over which parameters are batched.
        event_shape: the shape of a single sample (without batching).
        validate_args: check parameters and values (None: the default, see
            ``set_default_validate_args``).
    """

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__  # like ``assert``: on, unless Python runs with -O

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Switch argument validation on or off for every distribution created afterwards."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: expected True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args: bool | None = None):
        self._batch_shape = as_shape(batch_shape, "batch_shape")
        self._event_shape = as_shape(event_shape, "event_shape")
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            self._check_parameters()

    def _check_parameters(self) -> None:
        try:
            arg_constraints = self.arg_constraints
        except NotImplementedError:
            arg_constraints = {}
            warnings.warn(f"{type(self).__name__} does not define `arg_constraints`. Set `arg_constraints = {{}}` "
                          "or create the distribution with `validate_args=False` to turn off validation.",
                          stacklevel=3)
        for param, constraint in arg_constraints.items():
            if constraints.is_dependent(constraint):
                continue  # depends on other parameters: cannot be checked alone
            if param not in self.__dict__ and isinstance(getattr(type(self), param, None), lazy_property):
                continue  # not computed yet (a Bernoulli given logits has no probs until asked)
            value = getattr(self, param)
            if not bool(constraint.check(value).all()):
                raise ValueError(
                    f"Expected parameter {param} ({type(value).__name__} of shape {tuple(value.shape)}) "
                    f"of distribution {self!r} to satisfy the constraint {constraint!r}, "
                    f"but found invalid values:\n{value}"
                )

    # ------------------------------------------------------------------ shapes
    @property
    def batch_shape(self) -> tuple:
        """The shape over which parameters are batched."""
        return self._batch_shape

    @property
    def event_shape(self) -> tuple:
        """The shape of a single sample (without batching)."""
        return self._event_shape

    def _extended_shape(self, sample_shape=()) -> tuple:
        """``sample_shape + batch_shape + event_shape``: the shape of ``sample(sample_shape)``."""
        return as_shape(sample_shape) + self._batch_shape + self._event_shape

    def expand(self, batch_shape, _instance=None):
        """The same distribution with its parameters expanded (as views) to ``batch_shape``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement expand")

    def _get_checked_instance(self, cls, _instance=None):
        """A blank instance of type(self) for ``expand`` to fill in."""
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {type(self).__name__} of {cls.__name__} that defines a custom __init__ method "
                "must also define a custom .expand() method."
            )
        return self.__new__(type(self)) if _instance is None else _instance

    # ------------------------------------------------------------------ what a family defines
    @property
    def arg_constraints(self) -> dict:
        """{parameter name: Constraint} for the parameters validation checks."""
        raise NotImplementedError

    @property
    def support(self):
        """The Constraint that values of this distribution satisfy."""
        raise NotImplementedError

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self)} does not implement mode")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def sample(self, sample_shape=()) -> Tensor:
        """Draws of shape ``sample_shape + batch_shape + event_shape``, with no graph recorded."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        """Reparameterised draws: differentiable functions of the parameters."""
        raise NotImplementedError

    def sample_n(self, n: int) -> Tensor:
        """Deprecated: ``sample((n,))``."""
        warnings.warn("`sample_n(n)` will be deprecated. Use `sample((n,))` instead.", FutureWarning, stacklevel=2)
        return self.sample((n,))

    def log_prob(self, value: Tensor) -> Tensor:
        """log p(value): log density (continuous) or log mass (discrete); shape ``(..., *batch_shape)``."""
        raise NotImplementedError

    def cdf(self, value: Tensor) -> Tensor:
        """P(X <= value)."""
        raise NotImplementedError

    def icdf(self, value: Tensor) -> Tensor:
        """The inverse of cdf: the x with P(X <= x) = value."""
        raise NotImplementedError

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """Every value of a discrete distribution, along dimension 0: ``(cardinality, *batch, *event)``
        (``(cardinality, 1, ..., 1, *event)`` with expand=False)."""
        raise NotImplementedError

    def entropy(self) -> Tensor:
        """-E[log p(X)], of shape batch_shape."""
        raise NotImplementedError

    def perplexity(self) -> Tensor:
        """exp(entropy)."""
        return self.entropy().exp()

    # ------------------------------------------------------------------ validation
    def _validate_sample(self, value) -> None:
        """Check that ``value`` broadcasts with batch_shape + event_shape and lies in the support."""
        if not isinstance(value, Tensor):
            raise ValueError(f"The value argument to log_prob must be a Tensor, got {type(value).__name__}")
        shape = tuple(value.shape)
        event_start = len(shape) - len(self._event_shape)
        if shape[event_start:] != self._event_shape:
            raise ValueError(f"The right-most size of value must match event_shape: {shape} vs {self._event_shape}.")
        expected = self._batch_shape + self._event_shape
        for i, j in zip(reversed(shape), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: {shape} vs {expected}.")
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(f"{type(self).__name__} does not define `support` to enable sample validation. Create the "
                          "distribution with `validate_args=False` to turn off validation.", stacklevel=3)
            return
        if not bool(support.check(value).all()):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape {shape}) to be within the support "
                f"({support!r}) of the distribution {self!r}, but found invalid values:\n{value}"
            )

    def __repr__(self) -> str:
        try:
            names = [k for k in self.arg_constraints if k in self.__dict__]
        except NotImplementedError:
            names = []
        shown = []
        for name in names:
            value = self.__dict__[name]
            shown.append(f"{name}: {value if value.numel() == 1 else tuple(value.shape)}")
        return f"{type(self).__name__}({', '.join(shown)})"
