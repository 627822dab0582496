"""Learning-rate schedulers (tinynn/optim/lr_scheduler): PyTorch's sequences, state dicts, errors.

Each scheduler drives an optimizer with two parameter groups (lr 0.1 and 0.05) in tinynn and in
PyTorch; the learning rates (and momenta/betas, for OneCycleLR) after every step must be equal.
"""
import math
import warnings

import numpy as np
import pytest

import tinynn
from tinynn import optim
from tinynn.optim import lr_scheduler
from tinynn.serialization import load, save
from tests.helpers import needs_torch, torch


def make_optimizer(lib, name="SGD", **kwargs):
    module = optim if lib is tinynn else torch.optim
    a, b = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
    kwargs = kwargs or ({"momentum": 0.9} if name == "SGD" else {})
    return getattr(module, name)([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1, **kwargs)


def group_snapshot(opt) -> list:
    return [(g["lr"], g.get("momentum"), g.get("betas")) for g in opt.param_groups]


def run(lib, factory, steps, optimizer_name="SGD"):
    """The (lr, momentum, betas) of every group and get_last_lr() after construction and each step."""
    opt = make_optimizer(lib, optimizer_name)
    scheduler = factory(lr_scheduler if lib is tinynn else torch.optim.lr_scheduler, opt)
    history = [(group_snapshot(opt), list(scheduler.get_last_lr()))]
    for _ in range(steps):
        opt.step()
        scheduler.step()
        history.append((group_snapshot(opt), list(scheduler.get_last_lr())))
    return history


SCHEDULES = {
    "StepLR": (lambda s, o: s.StepLR(o, step_size=7, gamma=0.5), 30),
    "MultiStepLR": (lambda s, o: s.MultiStepLR(o, milestones=[3, 8, 8, 20], gamma=0.3), 30),
    "ExponentialLR": (lambda s, o: s.ExponentialLR(o, gamma=0.93), 40),
    "LambdaLR": (lambda s, o: s.LambdaLR(o, lambda epoch: 0.95**epoch / (1 + epoch % 3)), 30),
    "LambdaLR-per-group": (lambda s, o: s.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9**e]), 30),
    "MultiplicativeLR": (lambda s, o: s.MultiplicativeLR(o, lambda epoch: 0.9 if epoch % 2 else 0.97), 30),
    "LinearLR": (lambda s, o: s.LinearLR(o), 30),
    "LinearLR-args": (lambda s, o: s.LinearLR(o, start_factor=0.2, end_factor=0.7, total_iters=12), 30),
    "ConstantLR": (lambda s, o: s.ConstantLR(o, factor=0.5, total_iters=4), 30),
    "PolynomialLR": (lambda s, o: s.PolynomialLR(o, total_iters=20, power=2.0), 30),
    "CosineAnnealingLR": (lambda s, o: s.CosineAnnealingLR(o, T_max=10, eta_min=0.001), 60),
    "CosineAnnealingWarmRestarts": (lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.01), 50),
    "SequentialLR": (lambda s, o: s.SequentialLR(
        o, [s.LinearLR(o, start_factor=0.1, total_iters=5), s.CosineAnnealingLR(o, T_max=20)], milestones=[5]), 40),
    "SequentialLR-three": (lambda s, o: s.SequentialLR(
        o, [s.ConstantLR(o, factor=0.3, total_iters=4), s.ExponentialLR(o, gamma=0.8), s.StepLR(o, 3, 0.5)],
        milestones=[3, 10]), 30),
    "ChainedScheduler": (lambda s, o: s.ChainedScheduler(
        [s.ConstantLR(o, factor=0.5, total_iters=3), s.ExponentialLR(o, gamma=0.9)]), 30),
    "OneCycleLR": (lambda s, o: s.OneCycleLR(o, max_lr=0.5, total_steps=40), 40),
    "OneCycleLR-linear-three-phase": (lambda s, o: s.OneCycleLR(
        o, max_lr=[0.4, 0.2], epochs=5, steps_per_epoch=9, pct_start=0.25, anneal_strategy="linear",
        three_phase=True, base_momentum=0.8, max_momentum=[0.9, 0.95], div_factor=10.0, final_div_factor=100.0), 45),
    "OneCycleLR-no-momentum": (lambda s, o: s.OneCycleLR(o, max_lr=1.0, total_steps=30, cycle_momentum=False), 30),
}


@needs_torch
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_sequence_matches_torch(name):
    factory, steps = SCHEDULES[name]
    ours, theirs = run(tinynn, factory, steps), run(torch, factory, steps)
    assert ours == theirs
    assert len({entry[0][0][0] for entry in ours}) >= 2  # the lr actually moved


@needs_torch
@pytest.mark.parametrize("optimizer_name", ["Adam", "AdamW", "Lion"])
def test_one_cycle_cycles_beta1_of_adam_like_optimizers(optimizer_name):
    factory = SCHEDULES["OneCycleLR"][0]
    ours = run(tinynn, factory, 40, optimizer_name)
    theirs = run(torch, factory, 40, "Adam")  # PyTorch has no Lion; the betas schedule is the same
    assert [[(lr, betas[0]) for lr, _, betas in groups] for groups, _ in ours] == \
           [[(lr, betas[0]) for lr, _, betas in groups] for groups, _ in theirs]
    assert ours[0][0][0][2][0] == 0.95 and ours[11][0][0][2][0] == 0.85  # the peak: step 0.3 * 40 - 1


@needs_torch
def test_reduce_lr_on_plateau_matches_torch():
    metrics = [1.0, 0.9, 0.95, 0.91, 0.9, 0.92, 0.93, 0.8, 0.85, 0.86, 0.87, 0.88, 0.79, 0.9, 0.9, 0.9, 0.9, 0.9,
               0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
    configs = [dict(patience=1), dict(mode="max", factor=0.5, patience=0, threshold=0.01, threshold_mode="abs"),
               dict(factor=0.5, patience=1, cooldown=2, min_lr=[0.02, 0.01]), dict(factor=0.2, patience=0, eps=0.01)]
    for config in configs:
        sequences = []
        for lib in (tinynn, torch):
            opt = make_optimizer(lib)
            module = lr_scheduler if lib is tinynn else torch.optim.lr_scheduler
            scheduler = module.ReduceLROnPlateau(opt, **config)
            lrs = []
            for value in metrics:
                scheduler.step(lib.tensor(value))
                lrs.append((scheduler.get_last_lr(), scheduler.num_bad_epochs, scheduler.best))
            sequences.append(lrs)
        assert sequences[0] == sequences[1], config
        assert sequences[0][-1][0] != sequences[0][0][0], config


@needs_torch
def test_deprecated_step_with_epoch_uses_the_closed_form():
    results = []
    for lib in (tinynn, torch):
        module = lr_scheduler if lib is tinynn else torch.optim.lr_scheduler
        opt = make_optimizer(lib)
        schedulers = [module.StepLR(opt, 4, 0.5), module.CosineAnnealingLR(opt, T_max=10)]
        opt_restarts = make_optimizer(lib)
        restarts = module.CosineAnnealingWarmRestarts(opt_restarts, T_0=3, T_mult=2)
        lrs = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in (3, 9, 17, 2):
                for scheduler in schedulers:
                    scheduler.step(epoch)
                    lrs.append(scheduler.get_last_lr())
            for epoch in (0.5, 2.25, 7.0, 12.5, 1.0):
                restarts.step(epoch)
                lrs.append(restarts.get_last_lr())
        results.append(lrs)
    assert results[0] == results[1]


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "LambdaLR", "CosineAnnealingLR", "SequentialLR",
                                  "OneCycleLR", "CosineAnnealingWarmRestarts"])
def test_state_dict_through_save_and_load_resumes_the_same_sequence(tmp_path, name):
    factory, steps = SCHEDULES[name]
    reference = run(tinynn, factory, steps)
    opt = make_optimizer(tinynn)
    scheduler = factory(lr_scheduler, opt)
    for _ in range(steps // 2):
        opt.step()
        scheduler.step()
    save({"optimizer": opt.state_dict(), "scheduler": scheduler.state_dict()}, tmp_path / "checkpoint.pt")

    checkpoint = load(tmp_path / "checkpoint.pt")
    resumed_opt = make_optimizer(tinynn)
    resumed = factory(lr_scheduler, resumed_opt)  # construct first, then load (PyTorch's recipe)
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    resumed.load_state_dict(checkpoint["scheduler"])
    history = [(group_snapshot(resumed_opt), list(resumed.get_last_lr()))]
    for _ in range(steps - steps // 2):
        resumed_opt.step()
        resumed.step()
        history.append((group_snapshot(resumed_opt), list(resumed.get_last_lr())))
    assert history == reference[steps // 2:]


def test_closed_forms_agree_with_the_recursive_sequences():
    for name in ("StepLR", "ExponentialLR", "LinearLR-args", "CosineAnnealingLR", "PolynomialLR", "ConstantLR"):
        factory, steps = SCHEDULES[name]
        opt = make_optimizer(tinynn)
        scheduler = factory(lr_scheduler, opt)
        for _ in range(min(steps, 25)):
            opt.step()
            scheduler.step()
            np.testing.assert_allclose(scheduler._get_closed_form_lr(), scheduler.get_last_lr(), rtol=1e-12,
                                       atol=1e-15, err_msg=name)


def test_cosine_annealing_reaches_eta_min_at_t_max_and_base_lr_after_a_period():
    opt = make_optimizer(tinynn)
    scheduler = lr_scheduler.CosineAnnealingLR(opt, T_max=8, eta_min=0.01)
    lrs = [scheduler.get_last_lr()[0]]
    for _ in range(16):
        opt.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    assert lrs[0] == 0.1 and math.isclose(lrs[8], 0.01) and math.isclose(lrs[16], 0.1)
    assert math.isclose(lrs[4], 0.01 + 0.09 * (1 + math.cos(math.pi / 2)) / 2)


def test_warns_when_the_scheduler_steps_before_the_optimizer():
    opt = make_optimizer(tinynn)
    scheduler = lr_scheduler.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        scheduler.step()


def test_bad_arguments_are_refused():
    opt = make_optimizer(tinynn)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR("sgd", 3)
    with pytest.raises(ValueError, match="total_steps OR"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="momentum or beta1"):
        lr_scheduler.OneCycleLR(optim.Adagrad([tinynn.zeros(1, requires_grad=True)]), max_lr=0.1, total_steps=5)
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        lr_scheduler.OneCycleLR(make_optimizer(tinynn), max_lr=[0.1, 0.2, 0.3], total_steps=5)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(make_optimizer(tinynn), 3, last_epoch=4)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas"):
        lr_scheduler.LambdaLR(make_optimizer(tinynn), [lambda e: 1.0])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        o = make_optimizer(tinynn)
        lr_scheduler.SequentialLR(o, [lr_scheduler.ReduceLROnPlateau(o), lr_scheduler.StepLR(o, 2)], [3])
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        o = make_optimizer(tinynn)
        lr_scheduler.SequentialLR(o, [lr_scheduler.StepLR(o, 2)], [3])
    one_cycle_opt = make_optimizer(tinynn)
    one_cycle = lr_scheduler.OneCycleLR(one_cycle_opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        one_cycle_opt.step()
        one_cycle.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        one_cycle.step()


@needs_torch
@pytest.mark.parametrize("kwargs", [
    dict(base_lr=0.01, max_lr=0.1, step_size_up=4),
    dict(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=5, mode="triangular2"),
    dict(base_lr=0.01, max_lr=0.1, step_size_up=2, mode="exp_range", gamma=0.9),
    dict(base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=3, base_momentum=0.7, max_momentum=0.95),
    dict(base_lr=0.01, max_lr=0.1, step_size_up=2, scale_fn=lambda x: 0.5 ** x, scale_mode="iterations"),
])
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_cyclic_lr_matches_torch(kwargs, optimizer):
    def run(lib):
        a, b = lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(1))
        opt_kwargs = {"momentum": 0.9} if optimizer == "SGD" else {}
        opt = getattr(lib.optim, optimizer)([{"params": [a]}, {"params": [b]}], lr=1.0, **opt_kwargs)
        sched = lib.optim.lr_scheduler.CyclicLR(opt, **kwargs)
        trace = []
        for _ in range(20):
            opt.step()
            sched.step()
            momentum = [g["momentum"] if optimizer == "SGD" else g["betas"][0] for g in opt.param_groups]
            trace.append(sched.get_last_lr() + momentum)
        return trace

    np.testing.assert_allclose(run(tinynn), run(torch), rtol=1e-12)


def test_cyclic_lr_errors():
    opt = tinynn.optim.SGD([tinynn.nn.Parameter(tinynn.ones(1))], lr=0.1)
    with pytest.raises(ValueError, match="mode is invalid"):
        tinynn.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, mode="sawtooth")
    with pytest.raises(ValueError, match="momentum"):
        tinynn.optim.lr_scheduler.CyclicLR(tinynn.optim.Adagrad([tinynn.nn.Parameter(tinynn.ones(1))]), 0.01, 0.1)
