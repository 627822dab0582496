"""Reproducible random numbers (tinynn/random.py and the random functions of creation.py)."""
import numpy as np
import pytest

import tinynn

PROBS = tinynn.tensor([[0.1, 0.2, 0.3, 0.4], [0.0, 0.5, 0.5, 0.0]])

# Every random function, called with an optional generator.
DRAWS = {
    "rand": lambda g: tinynn.rand(3, 4, generator=g),
    "randn": lambda g: tinynn.randn(5, generator=g),
    "randint": lambda g: tinynn.randint(0, 100, (6,), generator=g),
    "randperm": lambda g: tinynn.randperm(10, generator=g),
    "normal": lambda g: tinynn.normal(2.0, 3.0, size=(4,), generator=g),
    "normal_tensors": lambda g: tinynn.normal(tinynn.zeros(3), tinynn.ones(3), generator=g),
    "bernoulli": lambda g: tinynn.bernoulli(tinynn.full((8,), 0.5), generator=g),
    "multinomial": lambda g: tinynn.multinomial(PROBS, 2, generator=g),
    "uniform_": lambda g: tinynn.empty(5).uniform_(-1.0, 1.0, generator=g),
    "normal_": lambda g: tinynn.empty(5).normal_(1.0, 0.1, generator=g),
}


@pytest.mark.parametrize("name", list(DRAWS))
def test_manual_seed_makes_each_random_function_repeat(name):
    tinynn.manual_seed(1234)
    first = [DRAWS[name](None).tolist() for _ in range(2)]
    tinynn.manual_seed(1234)
    again = [DRAWS[name](None).tolist() for _ in range(2)]
    assert first == again
    assert first[0] != first[1]  # the stream moves on between calls
    tinynn.manual_seed(4321)
    assert DRAWS[name](None).tolist() != first[0]


@pytest.mark.parametrize("name", list(DRAWS))
def test_a_generator_is_independent_of_the_default(name):
    g = tinynn.Generator().manual_seed(7)
    alone = DRAWS[name](g).tolist()
    g.manual_seed(7)
    tinynn.manual_seed(0)
    tinynn.rand(100)  # draws from the default generator do not disturb g
    assert DRAWS[name](g).tolist() == alone
    tinynn.manual_seed(0)
    expected_default = tinynn.rand(3).tolist()
    tinynn.manual_seed(0)
    DRAWS[name](g)  # ... and draws from g do not disturb the default
    assert tinynn.rand(3).tolist() == expected_default


def test_new_generators_start_from_a_fixed_seed_and_seed_reports_back():
    assert tinynn.Generator().initial_seed() == 67280421310721  # as torch.Generator()
    assert tinynn.rand(4, generator=tinynn.Generator()).tolist() == tinynn.rand(4, generator=tinynn.Generator()).tolist()
    g = tinynn.Generator()
    assert g.manual_seed(99) is g and g.initial_seed() == 99
    assert str(g.device) == "cpu"
    assert tinynn.manual_seed(5) is tinynn.default_generator and tinynn.initial_seed() == 5
    new_seed = tinynn.seed()
    assert isinstance(new_seed, int) and tinynn.initial_seed() == new_seed


def test_get_state_set_state_round_trip():
    g = tinynn.Generator().manual_seed(3)
    tinynn.rand(2, generator=g)  # advance the stream a little first
    state = g.get_state()
    assert state.dtype == tinynn.uint8 and state.dim() == 1
    first = tinynn.randn(6, generator=g).tolist()
    g.set_state(state)
    assert tinynn.randn(6, generator=g).tolist() == first
    tinynn.manual_seed(11)
    saved = tinynn.get_rng_state()
    a = tinynn.rand(3).tolist()
    tinynn.set_rng_state(saved)
    assert tinynn.rand(3).tolist() == a
    other = tinynn.Generator().set_state(state)  # a state moves between generators
    assert tinynn.randn(6, generator=other).tolist() == first


def test_randn_and_rand_statistics():
    g = tinynn.Generator().manual_seed(0)
    normal = tinynn.randn(100_000, generator=g).numpy().astype(np.float64)
    assert abs(normal.mean()) < 0.015 and abs(normal.std() - 1.0) < 0.01
    uniform = tinynn.rand(100_000, generator=g).numpy()
    assert uniform.min() >= 0.0 and uniform.max() < 1.0
    assert abs(uniform.mean() - 0.5) < 0.005 and abs(uniform.var() - 1 / 12) < 0.002
    shifted = tinynn.normal(2.0, 3.0, size=(100_000,), generator=g).numpy()
    assert abs(shifted.mean() - 2.0) < 0.05 and abs(shifted.std() - 3.0) < 0.05
    ints = tinynn.randint(3, 7, (10_000,), generator=g).numpy()
    assert set(np.unique(ints).tolist()) == {3, 4, 5, 6}
    hits = tinynn.bernoulli(tinynn.full((100_000,), 0.3), generator=g).numpy()
    assert set(np.unique(hits).tolist()) == {0.0, 1.0} and abs(hits.mean() - 0.3) < 0.01


def test_randperm_and_multinomial_values():
    g = tinynn.Generator().manual_seed(1)
    assert sorted(tinynn.randperm(50, generator=g).tolist()) == list(range(50))
    picks = tinynn.multinomial(PROBS, 2, generator=g).tolist()
    assert picks[1] in ([1, 2], [2, 1])  # without replacement, only the two nonzero categories
    assert len(set(picks[0])) == 2


@pytest.mark.parametrize("make, dtype", [
    (lambda: tinynn.rand(2), tinynn.float32),
    (lambda: tinynn.rand(2, dtype=tinynn.float64), tinynn.float64),
    (lambda: tinynn.randn(2, dtype=tinynn.float16), tinynn.float16),
    (lambda: tinynn.randint(0, 5, (2,)), tinynn.int64),
    (lambda: tinynn.randint(5, (2,), dtype=tinynn.int32), tinynn.int32),
    (lambda: tinynn.randperm(4), tinynn.int64),
    (lambda: tinynn.normal(0.0, 1.0, size=(2,)), tinynn.float32),
    (lambda: tinynn.normal(tinynn.zeros(2, dtype=tinynn.float64), 1.0), tinynn.float64),
    (lambda: tinynn.bernoulli(tinynn.full((2,), 0.5, dtype=tinynn.float64)), tinynn.float64),
    (lambda: tinynn.multinomial(PROBS, 1), tinynn.int64),
    (lambda: tinynn.rand_like(tinynn.zeros(2, dtype=tinynn.float16)), tinynn.float16),
    (lambda: tinynn.randint_like(tinynn.zeros(2), 3), tinynn.float32),
])
def test_result_dtypes(make, dtype):
    assert make().dtype == dtype


def test_shapes_and_errors():
    assert tinynn.rand(2, 3).shape == tinynn.rand((2, 3)).shape == (2, 3)
    assert tinynn.randn(()).shape == ()
    assert tinynn.randint(10, (3, 2)).shape == (3, 2)
    assert tinynn.rand(2, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="expected a floating point dtype"):
        tinynn.rand(2, dtype=tinynn.int64)
    with pytest.raises(RuntimeError, match="to be less than"):
        tinynn.randint(5, 5, (2,))
    with pytest.raises(TypeError, match="size"):
        tinynn.randint(5)
    with pytest.raises(TypeError, match="size argument is required"):
        tinynn.normal(0.0, 1.0)
