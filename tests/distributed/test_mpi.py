"""Two ranks under mpiexec: collectives, DistributedDataParallel equal to one process, ZeRO-1.

Skipped (with the reason) when mpi4py or mpiexec is missing; CI installs them
(``python -m pip install mpich mpi4py``).
"""
import json
import pathlib

import pytest

import tinynn.distributed as dist

WORKER = pathlib.Path(__file__).with_name("ddp_worker.py")
needs_mpi = pytest.mark.skipif(not dist.is_available() or dist.find_mpiexec() is None,
                               reason="needs mpi4py and mpiexec: python -m pip install mpich mpi4py")


@pytest.fixture(scope="module")
def two_ranks():
    result = dist.run_with_mpiexec(2, str(WORKER), timeout=120)
    assert result.returncode == 0, f"mpiexec failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    lines = [line for line in result.stdout.splitlines() if line.startswith("result: ")]
    assert len(lines) == 1, result.stdout[-3000:]
    return json.loads(lines[0][len("result: "):])


@needs_mpi
def test_collectives_on_two_ranks(two_ranks):
    assert two_ranks["world"] == 2
    assert two_ranks["collectives"] == {name: True for name in
                                        ["SUM", "AVG", "MAX", "MIN", "PRODUCT", "broadcast", "all_gather",
                                         "reduce_scatter", "reduce"]}


@needs_mpi
def test_ddp_equals_single_process_full_batch(two_ranks):
    diffs = two_ranks["max_diff_vs_single_process"]
    assert set(diffs) == {"sgd", "adam", "adam_per_param_buckets", "sgd_no_sync_accumulation", "sgd_tied_weight",
                          "sgd_find_unused"}
    for name, diff in diffs.items():
        assert diff < 1e-12, (name, diff)
    for name, spread in two_ranks["spread_across_ranks"].items():
        assert spread == 0.0, (name, spread)  # every rank applies the same averaged gradient
    assert two_ranks["buckets"]["adam"] == 1 and two_ranks["buckets"]["adam_per_param_buckets"] == 6


@needs_mpi
def test_ddp_unused_parameters(two_ranks):
    assert "spare.weight" in two_ranks["unused_error"] and "find_unused_parameters=True" in two_ranks["unused_error"]
    assert two_ranks["unused_grad_is_none"]


@needs_mpi
def test_zero_stage_1_equals_adam_with_half_the_state(two_ranks):
    assert two_ranks["zero_max_diff_vs_adam"] < 1e-12
    assert two_ranks["zero_spread_across_ranks"] == 0.0
    shards, full = two_ranks["zero_state_bytes_per_rank"], two_ranks["adam_state_bytes"]
    assert sum(shards) == full
    assert max(shards) < 0.6 * full
    assert two_ranks["zero_state_dict_diff"] < 1e-12
