"""Grad mode, inference mode and autocast are per thread (tinynn/autograd/grad_mode.py), as in PyTorch:
threads training separate models, some of them inside ``no_grad``, give exactly the results of
training the same models one after another."""
import threading

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tinynn.amp import autocast, is_autocast_enabled


def make_model(seed: int) -> nn.Module:
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    model.load_state_dict({k: tinynn.tensor(rng.standard_normal(v.shape) * 0.5) for k, v in model.state_dict().items()})
    return model


def train(seed: int, steps: int, barrier=None) -> list:
    """Train one model on its own data with SGD. Odd seeds also validate under no_grad.

    With a barrier shared by all threads, every step goes in lock step: the odd threads validate
    inside ``no_grad`` exactly while the even threads run their training step, then the odd threads
    train while the even threads' backward passes run. A process-wide grad mode would record no
    graph for the even threads (backward fails) or leave the mode switched for the others.
    """
    wait = barrier.wait if barrier is not None else (lambda: None)
    rng = np.random.default_rng(100 + seed)
    x, y = tinynn.tensor(rng.standard_normal((16, 4))), tinynn.tensor(rng.standard_normal((16, 1)))
    model = make_model(seed)
    optimizer = tinynn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def step():
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimizer.step()

    for _ in range(steps):
        if seed % 2:
            with tinynn.no_grad():
                wait()                                    # the even threads train now ...
                assert not model(x).requires_grad
                wait()
            step()                                        # ... and the odd ones now
        else:
            wait()
            step()
            wait()
        assert tinynn.is_grad_enabled()
        wait()
    return [p.detach().numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("n_threads", [2, 4])
def test_threads_training_concurrently_equal_sequential_training(n_threads):
    steps = 20
    expected = [train(seed, steps) for seed in range(n_threads)]
    barrier = threading.Barrier(n_threads, timeout=60)
    results, errors = [None] * n_threads, []

    def worker(seed):
        try:
            results[seed] = train(seed, steps, barrier)
        except Exception as err:  # surfaced below: an assertion in a thread would otherwise be lost
            errors.append(err)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for seed in range(n_threads):
        for got, want in zip(results[seed], expected[seed]):
            np.testing.assert_array_equal(got, want)
    assert tinynn.is_grad_enabled()


def run_in_thread(fn):
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("value", fn()))
    thread.start()
    thread.join()
    return box["value"]


def test_a_new_thread_starts_with_grad_mode_on_whatever_the_caller_does():
    w = tinynn.ones(2, requires_grad=True)
    with tinynn.no_grad():
        assert run_in_thread(lambda: (tinynn.is_grad_enabled(), (w * 2).requires_grad)) == (True, True)
        assert not (w * 2).requires_grad
    with tinynn.inference_mode():
        assert run_in_thread(tinynn.is_inference_mode_enabled) is False
        assert tinynn.is_inference_mode_enabled()
    assert not tinynn.is_inference_mode_enabled()


def test_a_backward_in_one_thread_leaves_another_threads_mode_alone():
    ready, done = threading.Event(), threading.Event()
    seen = {}

    def other():
        with tinynn.no_grad():
            ready.set()
            done.wait(timeout=60)
            seen["mode"] = tinynn.is_grad_enabled()

    thread = threading.Thread(target=other)
    thread.start()
    ready.wait(timeout=60)
    x = tinynn.ones(3, requires_grad=True)
    (x * x).sum().backward()          # the engine switches grad mode off while it runs, in this thread
    assert tinynn.is_grad_enabled()
    done.set()
    thread.join()
    assert seen["mode"] is False


def test_autocast_is_per_thread():
    a = tinynn.randn(2, 2)
    with autocast("cpu"):
        assert (a @ a).dtype == tinynn.float16
        assert run_in_thread(lambda: (is_autocast_enabled("cpu"), (a @ a).dtype)) == (False, tinynn.float32)
    assert not is_autocast_enabled("cpu")


def test_inference_mode_as_context_manager_and_decorator():
    w = tinynn.ones(2, requires_grad=True)
    with tinynn.inference_mode():
        assert not (w * 2).requires_grad and not tinynn.is_grad_enabled()
    with tinynn.inference_mode(False):
        assert (w * 2).requires_grad

    @tinynn.inference_mode()
    def predict(x):
        return (w * x, tinynn.is_inference_mode_enabled())

    @tinynn.inference_mode
    def bare(x):
        return w * x

    out, inside = predict(3.0)
    assert not out.requires_grad and inside and not bare(2.0).requires_grad
    assert tinynn.is_grad_enabled() and not tinynn.is_inference_mode_enabled()
