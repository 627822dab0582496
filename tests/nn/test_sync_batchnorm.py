"""SyncBatchNorm (tinynn/nn/sync_batchnorm.py): in one process it is BatchNorm (PyTorch parity of outputs,
gradients, running statistics, state_dict and repr, float64 gradchecks); convert_sync_batchnorm; errors;
and, under mpiexec with two ranks, statistics synchronized so that the ranks together equal one
process's BatchNorm on the whole batch (skipped when mpi4py or mpiexec is missing)."""
import json
import pathlib

import pytest

import tinynn
import tinynn.distributed as dist
import tinynn.nn as nn
from tests.helpers import assert_close, assert_module_matches_torch, check_gradients, needs_torch, rand, torch

WORKER = pathlib.Path(__file__).with_name("sync_batchnorm_worker.py")
needs_mpi = pytest.mark.skipif(not dist.is_available() or dist.find_mpiexec() is None,
                               reason="needs mpi4py and mpiexec: python -m pip install mpich mpi4py")


def _random_affine(layer, seed=3):
    with tinynn.no_grad():
        for i, p in enumerate(layer.parameters()):
            p.copy_(tinynn.tensor(rand(*p.shape, seed=seed + i, low=0.5, high=1.5)))
    return layer


@needs_torch
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 2, 3), (2, 3, 2, 2, 2)])
@pytest.mark.parametrize("kwargs", [{}, {"momentum": None, "eps": 1e-3}, {"affine": False},
                                    {"track_running_stats": False}])
def test_sync_batch_norm_in_one_process_matches_torch(shape, kwargs):
    ours = _random_affine(nn.SyncBatchNorm(3, **kwargs).double())
    theirs = torch.nn.SyncBatchNorm(3, **kwargs).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    for step in range(2):   # training: batch statistics, running ones updated
        assert_module_matches_torch(ours, theirs, [rand(*shape, seed=step) * 2 + step])
    theirs_buffers = dict(theirs.named_buffers())
    for name, buffer in ours.named_buffers():
        assert_close(buffer, theirs_buffers[name], what=name)
    ours.eval()
    theirs.eval()
    assert_module_matches_torch(ours, theirs, [rand(*shape, seed=5)])


def test_sync_batch_norm_gradients_and_equality_with_batch_norm():
    check_gradients(_random_affine(nn.SyncBatchNorm(3, eps=1e-3).double()), rand(4, 3, 2))
    layer = _random_affine(nn.SyncBatchNorm(3, eps=1e-3).double())
    reference = _random_affine(nn.BatchNorm1d(3, eps=1e-3).double())
    x = tinynn.tensor(rand(5, 3, 4, seed=1))
    assert_close(layer(x), reference(x))
    assert_close(layer.running_var, reference.running_var)


def test_convert_sync_batchnorm_replaces_every_batch_norm_and_shares_its_state():
    model = nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3), nn.Sequential(nn.BatchNorm1d(4, affine=False)))
    model[1](tinynn.randn(2, 3, 2, 2))   # some running statistics to carry over
    model.eval()
    weight, running_mean = model[1].weight, model[1].running_mean
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert converted is model
    assert type(converted[1]) is nn.SyncBatchNorm and type(converted[2][0]) is nn.SyncBatchNorm
    assert converted[1].weight is weight and converted[1].running_mean is running_mean
    assert int(converted[1].num_batches_tracked) == 1 and not converted[1].training
    assert converted[2][0].weight is None and converted[2][0].bias is None
    assert list(converted.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                            "1.running_var", "1.num_batches_tracked", "2.0.running_mean",
                                            "2.0.running_var", "2.0.num_batches_tracked"]
    single = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(5, eps=1e-3, momentum=0.2))
    assert type(single) is nn.SyncBatchNorm and (single.eps, single.momentum) == (1e-3, 0.2)


def test_sync_batch_norm_errors():
    with pytest.raises(ValueError, match=r"expected at least 2D input \(got 1D input\)"):
        nn.SyncBatchNorm(3)(tinynn.randn(3))
    with pytest.raises(ValueError, match="SyncBatchNorm number of input channels should be non-zero"):
        nn.SyncBatchNorm(0)(tinynn.randn(3, 0))
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 4"):
        nn.SyncBatchNorm(4)(tinynn.randn(3, 3))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.SyncBatchNorm(3)(tinynn.randn(1, 3))


@needs_mpi
def test_sync_batch_norm_on_two_ranks_equals_one_process_on_the_whole_batch():
    result = dist.run_with_mpiexec(2, str(WORKER), timeout=120)
    assert result.returncode == 0, f"mpiexec failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    lines = [line for line in result.stdout.splitlines() if line.startswith("result: ")]
    assert len(lines) == 1, result.stdout[-3000:]
    out = json.loads(lines[0][len("result: "):])
    assert out["world"] == 2 and out["batches"] == 2
    assert set(out["diffs"]) == {"output", "input_grad", "weight_grad", "bias_grad", "running"}
    for name, diff in out["diffs"].items():
        assert diff < 1e-12, (name, diff)
    assert out["eval_diff"] < 1e-12   # eval: the (synchronized) running statistics, no communication
    assert out["tiny_shape"] == [1, 3]   # one value per channel per rank, two over both: allowed
