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


@pytest.mark.parametrize("name", list(workloads.WORKLOADS))
def test_one_reference_step_matches_one_tinynn_step(name):
    workload = workloads.make(name, tinynn)
    reference = numpy_reference.make(name)
    reference.load({k: v.numpy() for k, v in workload.model.state_dict().items()})
    share_data(name, workload, reference)
    workload.step()
    reference.step()
    # Adam's first step is about lr * g / (|g| + eps): for gradients near eps, float32 rounding of g
    # moves the update by a fair part of lr (PyTorch differs from the reference by 2e-5 there too),
    # so the tolerance is a tenth of the learning rate, not a relative one.
    for param_name, param in workload.model.named_parameters():
        theirs = reference.params[reference.aliases.get(param_name, param_name)]
        np.testing.assert_allclose(theirs, param.detach().numpy(), rtol=1e-4, atol=1e-4, err_msg=param_name)
