"""GradScaler against torch.amp.GradScaler("cpu"), live: the same scale sequence, the same skipped
steps and the same parameters through a run with injected inf/NaN gradients; its errors and state."""
import math

import numpy as np
import pytest

import tinynn
from tinynn.amp import GradScaler
from tests.helpers import needs_torch, rand, torch

# steps at which a gradient is made non-finite (inf at 2, 3; NaN at 7)
BAD_STEPS = {2: math.inf, 3: math.inf, 7: math.nan}


class PlainSGD:
    """p -= lr * grad: the optimizer interface GradScaler uses (torch.optim's first use costs seconds)."""

    def __init__(self, params, lr):
        self.param_groups = [{"params": list(params), "lr": lr}]

    def zero_grad(self):
        for p in self.param_groups[0]["params"]:
            p.grad = None

    def step(self):
        for p in self.param_groups[0]["params"]:
            p.data -= self.param_groups[0]["lr"] * p.grad


def _run(lib, steps, **settings):
    """Train w on a fixed quadratic with SGD through a GradScaler; return per-step records."""
    w0 = rand(5, seed=3).astype(np.float32)
    x = rand(5, seed=4).astype(np.float32)
    w = lib.tensor(w0, requires_grad=True)
    opt = PlainSGD([w], lr=0.1)
    scaler = lib.amp.GradScaler("cpu", **settings)
    records = []
    for step in range(steps):
        opt.zero_grad()
        loss = ((w * lib.tensor(x)) ** 2).sum()
        scaler.scale(loss).backward()
        if step in BAD_STEPS:
            with lib.no_grad():
                w.grad[1] = BAD_STEPS[step]
        before = w.detach().cpu().numpy().copy()
        scaler.step(opt)
        scaler.update()
        after = w.detach().cpu().numpy().copy()
        tracker = scaler._get_growth_tracker() if lib is torch else scaler._growth_tracker
        records.append((scaler.get_scale(), bool(np.array_equal(before, after)), tracker, after))
    return records


@needs_torch
@pytest.mark.cpu_only
@pytest.mark.parametrize("settings", [
    dict(init_scale=2.0**4, growth_interval=3),
    dict(init_scale=1000.0, growth_factor=1.7, backoff_factor=0.3, growth_interval=2),
    dict(),  # the defaults: 2^16, x2, x0.5, every 2000 steps
])
def test_scale_sequence_and_skipped_steps_match_torch(settings):
    ours, theirs = _run(tinynn, 12, **settings), _run(torch, 12, **settings)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        assert a[0] == b[0], f"step {step}: scale {a[0]} != PyTorch's {b[0]}"
        assert a[1] == (step in BAD_STEPS), f"step {step}: skipped={a[1]}"
        assert a[2] == b[2], f"step {step}: growth tracker {a[2]} != {b[2]}"
        np.testing.assert_allclose(a[3], b[3], rtol=1e-6, atol=1e-7, err_msg=f"parameters after step {step}")


def test_known_sequence_backs_off_on_inf_and_grows_after_interval():
    records = _run(tinynn, 10, init_scale=8.0, growth_interval=2)
    scales = [r[0] for r in records]
    # 0: ok (1 clean), 1: ok -> x2 = 16, 2: inf -> 8, 3: inf -> 4, 4: ok, 5: ok -> 8, 6: ok, 7: NaN -> 4, 8, 9 -> 8
    assert scales == [8.0, 16.0, 8.0, 4.0, 4.0, 8.0, 8.0, 4.0, 4.0, 8.0]
    assert [r[1] for r in records] == [s in BAD_STEPS for s in range(10)]
    # a skipped step leaves the parameters as they were
    np.testing.assert_array_equal(records[2][3], records[1][3])


def test_unscale_divides_gradients_and_step_uses_them_once():
    w = tinynn.tensor([1.0, -2.0], requires_grad=True)
    opt = tinynn.optim.SGD([w], lr=1.0)
    scaler = GradScaler("cpu", init_scale=1024.0)
    scaler.scale((w * w).sum()).backward()
    np.testing.assert_allclose(w.grad.cpu().numpy(), [2048.0, -4096.0])
    scaler.unscale_(opt)
    np.testing.assert_allclose(w.grad.cpu().numpy(), [2.0, -4.0])
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)                       # does not unscale a second time
    np.testing.assert_allclose(w.detach().cpu().numpy(), [-1.0, 2.0])
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    with pytest.raises(RuntimeError, match="after step"):
        scaler.unscale_(opt)
    scaler.update()
    assert scaler.get_scale() == 1024.0


def test_errors_disabled_mode_and_state_dict():
    w = tinynn.tensor([1.0], requires_grad=True)
    opt = tinynn.optim.SGD([w], lr=1.0)
    scaler = GradScaler("cpu")
    with pytest.raises(RuntimeError, match="No inf checks"):
        scaler.update()
    with pytest.raises(ValueError, match="growth factor"):
        GradScaler("cpu", growth_factor=0.9)
    with pytest.raises(ValueError, match="backoff factor"):
        GradScaler("cpu", backoff_factor=1.5)
    half = tinynn.tensor([1.0], dtype=tinynn.float16, requires_grad=True)
    half.grad = tinynn.tensor([1.0], dtype=tinynn.float16)
    with pytest.raises(ValueError, match="FP16 gradients"):
        scaler.unscale_(tinynn.optim.SGD([half], lr=1.0))
    with pytest.raises(RuntimeError, match="Closure"):
        GradScaler("cpu").step(opt, closure=lambda: 0.0)

    off = GradScaler("cpu", enabled=False)
    loss = (w * 3).sum()
    assert off.scale(loss) is loss and off.get_scale() == 1.0 and not off.is_enabled()
    assert off.state_dict() == {}

    scaler = GradScaler("cpu", init_scale=64.0, growth_interval=5)
    scaler.update(new_scale=32.0)
    state = scaler.state_dict()
    assert state == {"scale": 32.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 5,
                     "_growth_tracker": 0}
    other = GradScaler("cpu")
    other.load_state_dict(state)
    assert other.get_scale() == 32.0 and other.get_growth_interval() == 5
    with pytest.raises(RuntimeError, match="state dict is empty"):
        other.load_state_dict({})
    scaled = scaler.scale([w * 1.0, (w * 2.0, w * 3.0)])
    assert isinstance(scaled, list) and isinstance(scaled[1], tuple)
    np.testing.assert_allclose(scaled[1][1].detach().cpu().numpy(), [96.0])


def test_step_returns_what_the_optimizer_returns_or_none_when_skipped():
    class Recorder:
        def __init__(self, grad):
            self.param_groups = [{"params": [tinynn.tensor([1.0], requires_grad=True)]}]
            self.param_groups[0]["params"][0].grad = tinynn.tensor([grad])

        def step(self):
            return "stepped"

    assert GradScaler("cpu").step(Recorder(1.0)) == "stepped"
    assert GradScaler("cpu").step(Recorder(math.inf)) is None


def test_float16_outputs_stay_float16_when_scaled():
    outputs = tinynn.tensor([0.5, -1.0], dtype=tinynn.float16)
    scaled = GradScaler("cpu", init_scale=256.0).scale(outputs)
    assert scaled.dtype == tinynn.float16
    np.testing.assert_array_equal(scaled.cpu().numpy(), [128.0, -256.0])
