"""The GPU backend's own behaviour: devices, moves, mixed-device errors, saving, seeds.

The tests marked ``cuda`` need CuPy and a GPU and skip cleanly without them; the others check what
tinynn does on a machine without a GPU. The rest of the suite runs on the GPU with ``--device cuda``.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tests import device_run
from tests.helpers import rand

cuda = pytest.mark.cuda


# ---------------------------------------------------------------------------- without a GPU
@pytest.mark.skipif(tinynn.cuda.is_available(), reason="checks the behaviour without a GPU")
def test_without_a_gpu_the_cuda_functions_say_so():
    assert tinynn.cuda.device_count() == 0
    tinynn.cuda.synchronize()          # nothing to wait for
    tinynn.cuda.manual_seed_all(0)     # nothing to seed
    for move in (lambda: tinynn.ones(2).cuda(), lambda: tinynn.zeros(2, device="cuda"),
                 lambda: nn.Linear(2, 2).to("cuda"), lambda: tinynn.set_default_device("cuda")):
        with pytest.raises(RuntimeError, match="CUDA is not available.*CuPy"):
            move()


def test_device_objects_parse_and_compare():
    assert tinynn.device("cuda:1").index == 1 and str(tinynn.device("cuda", 0)) == "cuda:0"
    assert tinynn.device("cuda") == tinynn.device("cuda:0") and tinynn.device("cpu") != "cuda"
    with pytest.raises(ValueError, match="expected 'cpu' or 'cuda'"):
        tinynn.device("tpu")


# ---------------------------------------------------------------------------- with a GPU
@cuda
def test_cuda_functions():
    assert tinynn.cuda.is_available() and tinynn.cuda.device_count() >= 1
    tinynn.cuda.manual_seed_all(3)
    tinynn.cuda.synchronize()
    tinynn.cuda.synchronize(0)


@cuda
def test_moves_keep_values_and_report_the_device():
    x = rand(3, 4)
    t = tinynn.tensor(x, device="cpu")
    g = t.cuda()
    assert g.device == tinynn.device("cuda:0") and g.is_cuda and str(g.device) == "cuda:0"
    assert g.to("cpu").device.type == "cpu" and t.to("cuda").is_cuda and g.to(t).device.type == "cpu"
    np.testing.assert_array_equal(g.cpu().numpy(), x)
    assert "device='cuda:0'" in repr(g)


@cuda
@pytest.mark.parametrize("make", [
    lambda d: tinynn.zeros(2, 3, device=d), lambda d: tinynn.ones(2, device=d),
    lambda d: tinynn.full((2,), 7.0, device=d), lambda d: tinynn.arange(5, device=d),
    lambda d: tinynn.linspace(0, 1, 4, device=d), lambda d: tinynn.eye(3, device=d),
    lambda d: tinynn.tensor([1.0, 2.0], device=d), lambda d: tinynn.randint(0, 9, (4,), device=d),
])
def test_creation_functions_take_a_device(make):
    tinynn.manual_seed(0)
    on_gpu = make("cuda")
    tinynn.manual_seed(0)
    on_cpu = make("cpu")
    assert on_gpu.is_cuda and not on_cpu.is_cuda and on_gpu.dtype == on_cpu.dtype
    np.testing.assert_array_equal(on_gpu.cpu().numpy(), on_cpu.numpy())
    assert tinynn.empty(2, device="cuda").is_cuda


@cuda
def test_random_numbers_repeat_under_manual_seed_and_match_the_cpu():
    tinynn.manual_seed(0)
    a = tinynn.randn(5, device="cuda")
    tinynn.manual_seed(0)
    b = tinynn.randn(5, device="cuda")
    tinynn.manual_seed(0)
    c = tinynn.randn(5, device="cpu")
    np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())
    np.testing.assert_array_equal(a.cpu().numpy(), c.numpy())  # drawn on the host: same on every device
    x = tinynn.ones(1000, device="cuda")
    tinynn.manual_seed(1)
    first = nn.functional.dropout(x, 0.5).cpu().numpy()
    tinynn.manual_seed(1)
    second = nn.functional.dropout(x, 0.5).cpu().numpy()
    np.testing.assert_array_equal(first, second)
    assert 400 < (first == 0).sum() < 600


@cuda
def test_mixing_devices_raises_pytorchs_error():
    g, c = tinynn.ones(3, device="cuda"), tinynn.ones(3, device="cpu")
    for op in (lambda: g + c, lambda: c * g, lambda: g @ c, lambda: tinynn.cat([g, c])):
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device.*cuda:0 and cpu"):
            op()
    scalar = tinynn.tensor(2.0, device="cpu")   # a 0-dim CPU tensor may meet a GPU tensor, as in PyTorch
    np.testing.assert_array_equal((g * scalar).cpu().numpy(), [2.0, 2.0, 2.0])
    with pytest.raises(RuntimeError, match="same device"):
        nn.Linear(3, 2, device="cpu")(g)


@cuda
def test_numpy_on_a_gpu_tensor_points_at_cpu():
    g = tinynn.ones(2, device="cuda")
    with pytest.raises(TypeError, match=r"\.cpu\(\)"):
        device_run.library_numpy(g)
    assert np.asarray(g.cpu()).tolist() == [1.0, 1.0] and g.tolist() == [1.0, 1.0] and g.sum().item() == 2.0


@cuda
def test_a_model_trains_on_the_gpu_exactly_as_on_the_cpu():
    """float64: a small MLP with Adam, 10 steps, on both devices from the same weights."""
    def run(device):
        tinynn.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 16), nn.GELU(), nn.LayerNorm(16), nn.Linear(16, 3)).double().to(device)
        opt = tinynn.optim.Adam(model.parameters(), lr=0.01)
        x = tinynn.tensor(rand(32, 4), device=device)
        y = tinynn.tensor(np.arange(32) % 3, device=device)
        losses = []
        for _ in range(10):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert all(p.device.type == device for p in model.parameters())
        assert all(p.grad.device.type == device for p in model.parameters())
        return losses, [p.detach().cpu().numpy() for p in model.parameters()]

    gpu_losses, gpu_params = run("cuda")
    cpu_losses, cpu_params = run("cpu")
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-10)
    for a, b in zip(gpu_params, cpu_params):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@cuda
def test_saving_a_gpu_model_stores_host_arrays_and_map_location_chooses(tmp_path):
    model = nn.Linear(3, 2).to("cuda")
    path = tmp_path / "model.pt"
    tinynn.save(model.state_dict(), path)
    with np.load(path, allow_pickle=False) as archive:   # plain NumPy arrays in the file
        assert all(isinstance(archive[k], np.ndarray) for k in archive.files)
    back = tinynn.load(path)
    assert all(v.is_cuda for v in back.values())            # saved from cuda: back to cuda
    on_cpu = tinynn.load(path, map_location="cpu")
    assert all(v.device.type == "cpu" for v in on_cpu.values())
    mapped = tinynn.load(path, map_location={"cuda:0": "cpu"})
    assert all(v.device.type == "cpu" for v in mapped.values())
    fresh = nn.Linear(3, 2)
    fresh.load_state_dict(on_cpu)
    np.testing.assert_array_equal(fresh.weight.detach().numpy(), model.weight.detach().cpu().numpy())


@cuda
def test_module_to_moves_parameters_buffers_and_gradients():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    model.to("cuda")
    assert all(t.is_cuda for t in list(model.parameters()) + list(model.buffers()))
    out = model(tinynn.randn(2, 1, 5, 5, device="cuda"))
    out.sum().backward()
    assert all(p.grad.is_cuda for p in model.parameters())
    model.cpu()
    assert not any(t.is_cuda for t in model.parameters())


@cuda
def test_the_data_loader_feeds_the_gpu():
    data = tinynn.utils.data.TensorDataset(tinynn.arange(10.0, device="cpu"), tinynn.arange(10, device="cpu"))
    loader = tinynn.utils.data.DataLoader(data, batch_size=4, pin_memory=True)
    total = 0.0
    for x, y in loader:
        total += (x.to("cuda") * 2).sum().item()
    assert total == 90.0


@cuda
def test_default_device_puts_new_tensors_and_layers_on_the_gpu():
    before = tinynn.get_default_device()
    try:
        tinynn.set_default_device("cuda")
        assert tinynn.zeros(2).is_cuda and tinynn.tensor([1.0]).is_cuda and nn.Linear(2, 2).weight.is_cuda
        assert tinynn.from_numpy(np.ones(2)).device.type == "cpu"   # from_numpy shares host memory
    finally:
        tinynn.set_default_device(before)
