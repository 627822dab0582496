"""The hand-written NumPy references of benchmarks/ compute the same gradients as tinynn.

They are the floor the benchmarks compare tinynn with; this test is what makes that floor
trustworthy (a reference that skipped work would look fast and be wrong).
"""
import os
import sys

import numpy as np
import pytest

import tinynn

BENCHMARKS = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks")
sys.path.insert(0, os.path.abspath(BENCHMARKS))

import numpy_reference  # noqa: E402
import workloads  # noqa: E402

pytestmark = pytest.mark.cpu_only  # hand-written NumPy steps on host arrays


def share_data(name, workload, reference):
    x, y = workload.inputs.numpy(), workload.targets.numpy()
    if name == "W_cnn":
        reference.x, reference.y = np.ascontiguousarray(x.transpose(0, 2, 3, 1)), y
    elif name == "W_gpt":
        reference.idx, reference.targets = x, y
    else:
        reference.x, reference.y = x, y


@pytest.mark.parametrize("name", list(workloads.WORKLOADS))
def test_reference_gradients_equal_tinynn(name):
    workload = workloads.make(name, tinynn)
    reference = numpy_reference.make(name)
    reference.load({k: v.numpy() for k, v in workload.model.state_dict().items()})
    share_data(name, workload, reference)
    loss = workload.loss_fn(workload.model(workload.inputs), workload.targets)
    loss.backward()
    ref_loss, ref_grads = reference.forward_backward()
    assert ref_loss == pytest.approx(loss.item(), rel=1e-5)
    for param_name, param in workload.model.named_parameters():
        ours = param.grad.numpy()
        theirs = ref_grads[reference.aliases.get(param_name, param_name)]
        scale = np.abs(ours).max() + 1e-12
        np.testing.assert_allclose(theirs / scale, ours / scale, atol=2e-5, err_msg=f"{name}: {param_name}")


def first_update(optimizer, grad: np.ndarray) -> np.ndarray:
    """The change the optimizer's first step makes to a parameter with gradient ``grad`` (float64)."""
    group = optimizer.param_groups[0]
    if isinstance(optimizer, tinynn.optim.SGD):      # first step: the momentum buffer is the gradient
        return group["lr"] * grad
    # Adam and AdamW: m = (1 - b1) g and v = (1 - b2) g^2, so after bias correction lr * g / (|g| + eps)
    # (AdamW's decay lr * wd * p is the same on both sides: it does not depend on the gradient)
    return group["lr"] * grad / (np.abs(grad) + group["eps"])


@pytest.mark.parametrize("name", list(workloads.WORKLOADS))
def test_one_reference_step_matches_one_tinynn_step(name):
    """After one step, parameters differ only by what the two engines' float32 gradients explain.

    Both compute the gradient in float32 with different operation orders, so the gradients differ
    by rounding (the test above bounds that). An optimizer step maps that difference into the
    parameters: Adam's first step is lr * g / (|g| + eps), whose slope lr * eps / (|g| + eps)^2 is
    huge where |g| is near eps (a rounding-sized change of g moves the update by a fair part of lr
    there). So the allowed difference per element is the first update computed in float64 from each
    engine's own gradient, |u(g_tinynn) - u(g_reference)|, plus float32 rounding of the update and
    of the parameter (8 units in the last place of |p| + lr). A wrong update rule (a missed bias
    correction, a wrong beta) differs by about lr wherever |g| >> eps and fails.
    """
    workload = workloads.make(name, tinynn)
    reference = numpy_reference.make(name)
    reference.load({k: v.numpy() for k, v in workload.model.state_dict().items()})
    share_data(name, workload, reference)
    before = {param_name: param.detach().numpy().astype(np.float64) for param_name, param in workload.model.named_parameters()}
    workload.step()
    reference.step()
    lr = workload.optimizer.param_groups[0]["lr"]
    for param_name, param in workload.model.named_parameters():
        key = reference.aliases.get(param_name, param_name)
        ours, theirs = param.detach().numpy().astype(np.float64), reference.params[key].astype(np.float64)
        explained = np.abs(first_update(workload.optimizer, param.grad.numpy().astype(np.float64))
                           - first_update(workload.optimizer, reference.last_grads[key].astype(np.float64)))
        rounding = 8 * 2.0**-24 * (np.abs(before[param_name]) + lr)
        excess = np.abs(ours - theirs) - (explained + rounding)
        assert excess.max() <= 0, (f"{param_name}: {int((excess > 0).sum())} of {excess.size} elements differ by more "
                                   f"than their gradients explain (worst by {excess.max():.3g})")
