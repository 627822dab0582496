"""Constraints: each check against PyTorch's on the same values, reprs, dependent constraints, errors."""
import numpy as np
import pytest

import tinynn
from tests.helpers import needs_torch, torch
from tinynn.distributions import constraints as C

VALUES = np.array([[-1.0, 0.0, 0.5, 1.0], [2.0, 3.0, np.inf, np.nan], [0.25, 0.25, 0.5, 0.0]])
MATRICES = np.stack([np.array([[2.0, 0.0], [0.5, 1.0]]), np.array([[2.0, 0.5], [0.5, 1.0]]),
                     np.array([[1.0, 2.0], [2.0, 1.0]]), np.array([[1.0, 0.0], [0.0, 0.0]]),
                     np.array([[1.0, 0.0], [3.0, -1.0]])])


def _pairs(module):
    return [
        ("real", module.real), ("positive", module.positive), ("nonnegative", module.nonnegative),
        ("unit_interval", module.unit_interval), ("boolean", module.boolean),
        ("nonnegative_integer", module.nonnegative_integer), ("positive_integer", module.positive_integer),
        ("simplex", module.simplex), ("one_hot", module.one_hot), ("real_vector", module.real_vector),
        ("interval", module.interval(0.0, 2.0)), ("half_open_interval", module.half_open_interval(0.0, 2.0)),
        ("integer_interval", module.integer_interval(0, 2)), ("greater_than", module.greater_than(0.5)),
        ("greater_than_eq", module.greater_than_eq(0.5)), ("less_than", module.less_than(0.5)),
        ("independent2", module.independent(module.positive, 2)),
    ]


MATRIX_NAMES = ["lower_cholesky", "lower_triangular", "positive_definite", "positive_semidefinite", "symmetric",
                "square"]


@needs_torch
def test_checks_and_reprs_match_torch():
    from torch.distributions import constraints as TC

    for (name, ours), (_, theirs) in zip(_pairs(C), _pairs(TC)):
        got = ours.check(tinynn.tensor(VALUES)).numpy()
        want = theirs.check(torch.tensor(VALUES)).numpy()
        np.testing.assert_array_equal(got, want, err_msg=name)
        assert repr(ours) == repr(theirs), name
        assert ours.event_dim == theirs.event_dim and ours.is_discrete == theirs.is_discrete, name
    for name in MATRIX_NAMES:
        for matrix in MATRICES:  # one at a time: PyTorch's definiteness checks judge a batch as a whole
            got = getattr(C, name).check(tinynn.tensor(matrix)).numpy()
            want = getattr(TC, name).check(torch.tensor(matrix)).numpy()
            np.testing.assert_array_equal(got, want, err_msg=name)
        assert repr(getattr(C, name)) == repr(getattr(TC, name))


def test_checks():
    np.testing.assert_array_equal(C.positive.check(tinynn.tensor(VALUES[0])).numpy(), [False, False, True, True])
    np.testing.assert_array_equal(C.simplex.check(tinynn.tensor(VALUES)).numpy(), [False, False, True])
    np.testing.assert_array_equal(C.lower_cholesky.check(tinynn.tensor(MATRICES)).numpy(),
                                  [True, False, False, False, False])
    # each matrix judged on its own, though the first is not symmetric (PyTorch: [F, T, T, T, F])
    np.testing.assert_array_equal(C.positive_definite.check(tinynn.tensor(MATRICES)).numpy(),
                                  [False, True, False, False, False])
    np.testing.assert_array_equal(C.positive_semidefinite.check(tinynn.tensor(MATRICES[1:4])).numpy(),
                                  [True, False, True])
    np.testing.assert_array_equal(C.square.check(tinynn.zeros(3, 2, 4)).numpy(), [False] * 3)
    np.testing.assert_array_equal(C.symmetric.check(tinynn.zeros(3, 2, 4)).numpy(), [False] * 3)
    assert C.real_vector.check(tinynn.tensor(VALUES)).shape == (3,)
    bounds = C.interval(tinynn.tensor([0.0, 1.0]), tinynn.tensor([1.0, 2.0]))  # tensor bounds broadcast
    np.testing.assert_array_equal(bounds.check(tinynn.tensor([0.5, 0.5])).numpy(), [True, False])


def test_dependent_constraints():
    assert C.is_dependent(C.dependent) and not C.is_dependent(C.real)
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        C.dependent.check(tinynn.zeros(1))
    with pytest.raises(NotImplementedError, match="cannot be determined statically"):
        C.dependent.event_dim
    typed = C.dependent(is_discrete=True, event_dim=1)
    assert typed.is_discrete is True and typed.event_dim == 1 and repr(typed) == "Dependent()"

    class Thing:
        @C.dependent_property(is_discrete=False, event_dim=0)
        def support(self):
            return C.interval(0.0, self.high)

    thing = Thing()
    thing.high = 3.0
    assert repr(thing.support) == "Interval(lower_bound=0.0, upper_bound=3.0)"
    assert C.is_dependent(Thing.support) and Thing.support.event_dim == 0


def test_independent_errors():
    with pytest.raises(ValueError, match=r"Expected value.dim\(\) >= 2 but got 1"):
        C.independent(C.real, 2).check(tinynn.zeros(3))
    with pytest.raises(TypeError, match="expected a Constraint"):
        C.independent("real", 1)
    with pytest.raises(ValueError, match="non-negative int"):
        C.independent(C.real, -1)
    assert repr(C.independent(C.real, 1)) == "IndependentConstraint(Real(), 1)"
