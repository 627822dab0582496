"""tinynn.threads: NumPy's BLAS threads found and set at run time, and the policy that gives the BLAS
only the cores other programs leave free (the machine's load is simulated: no test depends on it)."""
import pytest

from tinynn import threads


@pytest.fixture
def blas():
    info = threads.blas_info()
    if info is None:
        pytest.skip("NumPy's BLAS library was not found (not OpenBLAS or MKL)")
    before = info["threads"]
    yield info
    threads.set_blas_threads(before)


def test_the_blas_library_is_found_and_its_threads_set(blas):
    assert blas["library"] in ("OpenBLAS", "MKL") and blas["threads"] >= 1
    assert threads.set_blas_threads(1) and threads.blas_threads() == 1
    assert threads.blas_info()["threads"] == 1                # read back from the library itself


def _simulated_policy(monkeypatch, ticks, cpus=4, default=4):
    """A policy on a machine of ``cpus`` cores whose load follows ``ticks``: (machine busy, own) pairs
    at 100 ticks a second, one pair per check, checks 1 s apart."""
    readings = iter(ticks)
    chosen = []
    monkeypatch.setattr(threads, "_machine_busy_and_own_ticks", lambda: next(readings))
    monkeypatch.setattr(threads, "_cpu_count", lambda: cpus)
    monkeypatch.setattr(threads, "blas_threads", lambda: default)
    monkeypatch.setattr(threads, "_library", lambda: object())
    monkeypatch.setattr(threads, "set_blas_threads", chosen.append)
    monkeypatch.setattr(threads.os, "sysconf", lambda name: 100)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    policy = threads._Policy()
    for second in range(len(ticks)):
        policy.check(float(second))
    return policy, chosen


def test_the_policy_gives_the_blas_the_cores_others_leave_free(monkeypatch):
    # each second: the machine's busy ticks grow by (own + others) * 100, this process's by own * 100
    loads = [(2.0, 0.0), (2.0, 0.0), (2.0, 3.0), (1.0, 1.4), (2.0, 0.2)]   # (own cores, others' cores)
    busy = own = 0
    ticks = [(busy, own)]
    for mine, others in loads:
        busy, own = busy + round((mine + others) * 100), own + round(mine * 100)
        ticks.append((busy, own))
    policy, chosen = _simulated_policy(monkeypatch, ticks)
    assert policy.active
    assert chosen == [4, 4, 1, 3, 4]     # quiet: all 4; 3 cores taken: 1; 1.4 taken: 3; almost free again: 4


def test_the_policy_leaves_a_users_choice_alone(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    monkeypatch.setattr(threads, "_library", lambda: object())
    chosen = []
    monkeypatch.setattr(threads, "set_blas_threads", chosen.append)
    policy = threads._Policy()
    policy.check(0.0)
    policy.check(1.0)
    assert policy.active is False and chosen == []


def test_the_policy_is_idle_without_proc_or_with_one_thread(monkeypatch):
    def no_proc():
        raise OSError("no /proc here")

    monkeypatch.setattr(threads, "_machine_busy_and_own_ticks", no_proc)
    monkeypatch.setattr(threads, "_library", lambda: object())
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    policy = threads._Policy()
    policy.check(0.0)
    assert policy.active is False
    policy, chosen = _simulated_policy(monkeypatch, [(0, 0), (100, 100)], cpus=1, default=1)
    assert policy.active is False and chosen == []


def test_operations_look_at_the_machine_at_most_every_interval(monkeypatch):
    import itertools

    import tinynn
    from tinynn.autograd import function

    calls = []
    clock = itertools.count(0.0, 0.001)              # each operation reads a clock 1 ms later
    monkeypatch.setattr(function, "_clock", lambda: next(clock))
    monkeypatch.setattr(threads.policy, "next_check", 0.0)
    monkeypatch.setattr(threads.policy, "check", lambda now: (calls.append(now), setattr(
        threads.policy, "next_check", now + threads.INTERVAL)))
    x = tinynn.ones(3)
    for _ in range(1000):                            # 1 s of operations: a look every 0.3 s
        x = x + 1
    assert len(calls) == 4 and calls[1] - calls[0] >= threads.INTERVAL
