"""DistributedSampler: PyTorch's index assignment, no MPI needed (num_replicas and rank given)."""
import pytest

import tinynn
from tinynn.utils.data import DataLoader, DistributedSampler, TensorDataset
from tests.helpers import needs_torch, torch

CASES = [(10, 4), (12, 4), (3, 8), (7, 1), (17, 3), (1, 2)]


@needs_torch
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("n, replicas", CASES)
def test_unshuffled_indices_match_torch(n, replicas, drop_last):
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    for rank in range(replicas):
        ours = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs) and ours.total_size == theirs.total_size


@needs_torch
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("n, replicas", CASES)
def test_shuffled_indices_are_torchs_assignment_of_tinynns_permutation(n, replicas, drop_last):
    """PyTorch pads and strides the permuted list; the permutation itself comes from tinynn's generator.

    So rank r's shuffled shard must be perm[i] for the positions i PyTorch gives rank r unshuffled.
    """
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    for epoch in (0, 3):
        whole = DistributedSampler(range(n), num_replicas=1, rank=0, shuffle=True, seed=5)
        whole.set_epoch(epoch)
        perm = list(whole)
        assert sorted(perm) == list(range(n))
        for rank in range(replicas):
            ours = DistributedSampler(range(n), num_replicas=replicas, rank=rank, seed=5, drop_last=drop_last)
            ours.set_epoch(epoch)
            positions = TorchSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
            assert list(ours) == [perm[i] for i in positions]


def test_shards_cover_the_data_and_change_with_epoch():
    n, replicas = 23, 4
    samplers = [DistributedSampler(range(n), num_replicas=replicas, rank=r, seed=1) for r in range(replicas)]
    shards = [list(s) for s in samplers]
    assert all(len(s) == 6 for s in shards)  # ceil(23 / 4)
    together = sum(shards, [])
    assert sorted(set(together)) == list(range(n)) and len(together) == 24  # one index repeated as padding
    assert shards == [list(s) for s in samplers]  # the same epoch gives the same order
    for s in samplers:
        s.set_epoch(1)
    assert [list(s) for s in samplers] != shards
    again = DistributedSampler(range(n), num_replicas=replicas, rank=0, seed=1)
    again.set_epoch(1)
    assert list(again) == list(samplers[0])  # a fresh sampler (another process) agrees: seed + epoch


def test_sampler_in_a_dataloader():
    data = TensorDataset(tinynn.arange(10))
    sampler = DistributedSampler(data, num_replicas=2, rank=1, shuffle=False)
    batches = [b[0].tolist() for b in DataLoader(data, batch_size=2, sampler=sampler)]
    assert batches == [[1, 3], [5, 7], [9]]


def test_sampler_errors():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas must be a positive int"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    import tinynn.distributed as dist

    if not dist.is_initialized():
        with pytest.raises(RuntimeError, match="init_process_group"):
            DistributedSampler(range(4))
