"""tinynn.distributed without MPI: optional import, a world of one, DDP and ZeRO on one rank."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tinynn
import tinynn.distributed as dist
from tinynn import nn
from tests.helpers import assert_close


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60)


def test_import_never_imports_mpi4py():
    result = run_python("""
        import sys
        import tinynn, tinynn.distributed, tinynn.utils.data
        print("mpi4py" in sys.modules, any(name.startswith("mpi4py") for name in sys.modules))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_without_mpi4py_single_process_still_works_and_errors_say_how_to_install():
    result = run_python("""
        import sys
        sys.modules["mpi4py"] = None  # as if mpi4py were not installed
        import os
        for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS"):
            os.environ.pop(name, None)
        import tinynn, tinynn.distributed as dist
        print(dist.is_available(), dist.is_mpi_available())
        try:
            dist.init_process_group("mpi", world_size=2)
        except RuntimeError as error:
            print("error:", error)
        dist.init_process_group("mpi")
        t = tinynn.tensor([1.0, 2.0])
        dist.all_reduce(t, op=dist.ReduceOp.AVG)
        print(dist.get_rank(), dist.get_world_size(), t.tolist())
        from tinynn.distributed.process_group import import_mpi
        try:
            import_mpi()
        except ImportError as error:
            print("import error:", error)
    """)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "False False"
    assert lines[1].startswith("error:") and "pip install mpi4py mpich" in lines[1] and "mpiexec -n 2" in lines[1]
    assert lines[2] == "0 1 [1.0, 2.0]"
    assert lines[3].startswith("import error:") and "pip install mpi4py mpich" in lines[3]


@pytest.fixture
def world_of_one(monkeypatch):
    """A process group of one rank without MPI (mpi4py blocked), destroyed afterwards."""
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS"):
        monkeypatch.delenv(name, raising=False)
    if dist.is_initialized():
        dist.destroy_process_group()
    dist.init_process_group()
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


def test_before_init():
    assert not dist.is_initialized()
    assert dist.get_rank() == -1 and dist.get_world_size() == -1
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.all_reduce(tinynn.ones(2))
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.DistributedDataParallel(nn.Linear(2, 2))


def test_init_arguments(world_of_one):
    with pytest.raises(RuntimeError, match="twice"):
        dist.init_process_group()
    dist.destroy_process_group()
    with pytest.raises(ValueError, match="'mpi' only, got 'nccl'"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="rank=1 but MPI says this process is rank 0"):
        dist.init_process_group(rank=1)
    dist.init_process_group(world_size=1, rank=0)
    assert dist.get_backend() == "mpi" and dist.is_initialized()


def test_collectives_in_a_world_of_one(world_of_one):
    t = tinynn.tensor([1.0, -2.0, 3.0])
    for op in dist.ReduceOp:
        if op in (dist.ReduceOp.BAND, dist.ReduceOp.BOR, dist.ReduceOp.BXOR):
            with pytest.raises(TypeError, match="integer or bool"):
                dist.all_reduce(t, op=op)
            continue
        dist.all_reduce(t, op=op)
        assert t.tolist() == [1.0, -2.0, 3.0]
    with pytest.raises(TypeError, match="ReduceOp"):
        dist.all_reduce(t, op="sum")
    with pytest.raises(TypeError, match="AVG needs a floating-point"):
        dist.all_reduce(tinynn.tensor([1, 2]), op=dist.ReduceOp.AVG)
    with pytest.raises(ValueError, match="src must be a rank in 0..0, got 1"):
        dist.broadcast(t, src=1)
    with pytest.raises(NotImplementedError, match="async_op"):
        dist.all_reduce(t, async_op=True)
    out = [tinynn.zeros(3)]
    dist.all_gather(out, t)
    assert out[0].tolist() == [1.0, -2.0, 3.0]
    with pytest.raises(ValueError, match="world_size=1"):
        dist.all_gather([tinynn.zeros(3), tinynn.zeros(3)], t)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        dist.all_gather([tinynn.zeros(2)], t)
    scattered = tinynn.zeros(3)
    dist.reduce_scatter(scattered, [t * 2])
    assert scattered.tolist() == [2.0, -4.0, 6.0]
    gathered = tinynn.zeros(3)
    dist.all_gather_into_tensor(gathered, t)
    assert gathered.tolist() == t.tolist()
    dist.barrier()


def mlp(seed):
    tinynn.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2)).double()


def test_ddp_single_rank_equals_plain_training(world_of_one):
    rng = np.random.default_rng(0)
    x, y = tinynn.tensor(rng.standard_normal((8, 4))), tinynn.tensor(rng.standard_normal((8, 2)))
    plain, wrapped_model = mlp(0), mlp(0)
    ddp = dist.DistributedDataParallel(wrapped_model, bucket_cap_mb=0)
    assert ddp.module is wrapped_model
    assert [name for name, _ in ddp.named_parameters()][0] == "module.0.weight"  # PyTorch's state-dict keys
    assert len(ddp.buckets) == 4 and ddp.buckets[0] == [3]  # one per parameter, last layer first
    for model, net in ((plain, plain), (wrapped_model, ddp)):
        opt = tinynn.optim.Adam(net.parameters(), lr=0.05)
        for _ in range(3):
            opt.zero_grad()
            ((net(x) - y) ** 2).mean().backward()
            opt.step()
    for p, q in zip(plain.parameters(), wrapped_model.parameters()):
        assert_close(q, p, rtol=0, atol=1e-15)


def test_ddp_no_sync_accumulates_like_one_big_batch(world_of_one):
    rng = np.random.default_rng(1)
    x, y = tinynn.tensor(rng.standard_normal((8, 4))), tinynn.tensor(rng.standard_normal((8, 2)))
    model = mlp(0)
    ddp = dist.DistributedDataParallel(model)
    with ddp.no_sync():
        assert not ddp.require_backward_grad_sync
        ((ddp(x[:4]) - y[:4]) ** 2).mean().backward()
    assert ddp.require_backward_grad_sync
    ((ddp(x[4:]) - y[4:]) ** 2).mean().backward()
    reference = mlp(0)
    (((reference(x[:4]) - y[:4]) ** 2).mean() + ((reference(x[4:]) - y[4:]) ** 2).mean()).backward()
    for p, q in zip(reference.parameters(), model.parameters()):
        assert_close(q.grad, p.grad, rtol=0, atol=1e-15)


def test_ddp_arguments(world_of_one):
    with pytest.raises(TypeError, match="tinynn.nn.Module"):
        dist.DistributedDataParallel(lambda x: x)
    with pytest.raises(NotImplementedError, match="gradient_as_bucket_view"):
        dist.DistributedDataParallel(mlp(0), gradient_as_bucket_view=True)
    with pytest.raises(ValueError, match="bucket_cap_mb"):
        dist.DistributedDataParallel(mlp(0), bucket_cap_mb=-1)
    with pytest.raises(ValueError, match="device_ids"):
        dist.DistributedDataParallel(mlp(0), device_ids=[0, 1])
    # 4 float64 parameters: 192, 48, 96 and 16 bytes; a 200-byte cap packs them last-first: 16+96+48, 192
    ddp = dist.DistributedDataParallel(mlp(0), bucket_cap_mb=200 / 2**20)
    assert ddp.buckets == [[3, 2, 1], [0]]


def test_ddp_incomplete_reduction_is_reported(world_of_one):
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(3, 1), nn.Linear(3, 1)

        def forward(self, x):
            return self.a(x), self.b(x)

    ddp = dist.DistributedDataParallel(TwoHeads())
    first, _ = ddp(tinynn.ones(2, 3))
    first.sum().backward()  # b never gets its gradient
    with pytest.raises(RuntimeError, match="did not finish reducing"):
        ddp(tinynn.ones(2, 3))


def test_zero_single_rank_equals_wrapped_optimizer(world_of_one):
    rng = np.random.default_rng(2)
    x, y = tinynn.tensor(rng.standard_normal((8, 4))), tinynn.tensor(rng.standard_normal((8, 2)))
    plain, sharded = mlp(0), mlp(0)
    adam = tinynn.optim.Adam(plain.parameters(), lr=0.05, weight_decay=0.01)
    zero = dist.ZeroRedundancyOptimizer(sharded.parameters(), tinynn.optim.Adam, lr=0.05, weight_decay=0.01)
    scheduler = tinynn.optim.lr_scheduler.StepLR(zero, step_size=1, gamma=0.5)
    plain_scheduler = tinynn.optim.lr_scheduler.StepLR(adam, step_size=1, gamma=0.5)
    for _ in range(3):
        for model, opt, sched in ((plain, adam, plain_scheduler), (sharded, zero, scheduler)):
            opt.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            opt.step()
            sched.step()
    for p, q in zip(plain.parameters(), sharded.parameters()):
        assert_close(q, p, rtol=0, atol=1e-15)
    assert zero.param_groups[0]["lr"] == pytest.approx(0.05 / 8)
    assert zero.optim.param_groups[0]["lr"] == pytest.approx(0.05 / 4)  # copied at the last step()
    assert dist.optimizer_state_bytes(zero) == dist.optimizer_state_bytes(adam) == 2 * 8 * 44  # two moments, float64
    zero.consolidate_state_dict()
    state = zero.state_dict()
    assert sorted(state["state"]) == [0, 1, 2, 3]
    assert_close(state["state"][2]["exp_avg"], adam.state_dict()["state"][2]["exp_avg"], rtol=0, atol=1e-15)
    with pytest.raises(TypeError, match="optimizer_class"):
        dist.ZeroRedundancyOptimizer(plain.parameters(), "Adam", lr=0.1)
    with pytest.raises(NotImplementedError, match="overlap_with_ddp"):
        dist.ZeroRedundancyOptimizer(plain.parameters(), tinynn.optim.Adam, overlap_with_ddp=True)


def test_zero_partition_balances_sizes():
    from tinynn.distributed.zero import partition_parameters

    params = [tinynn.zeros(n, requires_grad=True) for n in (10, 3, 7, 5, 2)]
    shards = partition_parameters([{"params": params}], world_size=2)
    sizes = [[p.numel() for p in shard[0]] for shard in shards]
    assert sizes == [[10, 3], [7, 5, 2]]  # largest first, each to the lighter rank: 13 and 14
