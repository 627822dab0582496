# %% [markdown]
# # Lesson 23: running on a GPU
#
# Everything so far ran on NumPy arrays in the computer's main memory. tinynn's ops never call
# NumPy directly: each asks `array_module_of(array)` for the library that holds its numbers. Put
# the numbers in GPU memory as **CuPy** arrays and the very same op code runs on the GPU:
#
#     model = GPT(config).to("cuda")        # parameters move to the GPU
#     x, y = x.to("cuda"), y.to("cuda")     # so does every batch
#     logits, loss = model(x, y)            # nothing else changes
#
# Two things decide whether that is faster:
#
# - **Arithmetic.** A GPU does tens of TFLOP/s where a laptop core does tens of GFLOP/s. Big
#   matrix products win by a factor of hundreds.
# - **Launches.** Every op is a *kernel launch* that costs the CPU ~10-20 microseconds however
#   little work it holds. A small model issues many tiny ops, so the GPU waits for the CPU. That
#   is why tinynn fuses hot chains (layer norm, GELU, the Adam update) into single kernels
#   (`tinynn/kernels/`), and why the GPU's advantage grows with the model's width.
#
# GPU work is *asynchronous*: a call returns once the kernel is queued. To time it honestly we
# call `tinynn.cuda.synchronize()` before reading the clock.
#
# Needs an NVIDIA GPU and `pip install 'tinynn-edu[gpu]'` (CuPy). Without one the lesson says so,
# runs the CPU half and shows what the GPU run would add. Run: `python lessons/23_running_on_a_gpu.py`
# (under a minute), or `--full` (about 5 minutes with a GPU): the lesson 15 GPT at nanoGPT's GPU
# size (6 layers, 6 heads, width 384, block 256, batch 64). On an H100 we measured 47 ms per
# training step there for tinynn on CuPy against 32 ms for PyTorch, and about 60x faster than
# tinynn on 2 CPU cores.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch
from tinynn.course import Lesson, Progress
from tinynn.datasets import CharTokenizer, fables
from tinynn.models import GPT, GPTConfig

lesson = Lesson(23, "running on a GPU", full_takes="about 5 minutes with a GPU")
torch.manual_seed(lesson.seed)
FULL = lesson.full

GPU = torch.cuda.is_available()
if GPU:
    import cupy

    name = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    print(f"GPU found: {name} (CuPy {cupy.__version__}); the lesson compares it with the CPU.")
else:
    print("No CUDA GPU with CuPy here (tinynn.cuda.is_available() is False): this run uses the CPU only.\n"
          "On a machine with an NVIDIA GPU: pip install 'tinynn-edu[gpu]', then run this lesson again.")
devices = ["cpu", "cuda"] if GPU else ["cpu"]

# %% [markdown]
# ## The same model on both devices
# We build the GPT once, copy its weights, and move one copy to the GPU. One training step on
# the same batch must give the same loss on both devices (up to float32 rounding: the GPU sums
# in a different order).

# %%
lesson.section()
text = fables(n_chars=40_000, seed=lesson.seed)
tok = CharTokenizer(text)
ids = np.array(tok.encode(text), dtype=np.int64)
rng = np.random.default_rng(lesson.seed)


def batch(batch_size, block_size):
    starts = rng.integers(0, len(ids) - block_size - 1, size=batch_size)
    x = np.stack([ids[s:s + block_size] for s in starts])
    y = np.stack([ids[s + 1:s + block_size + 1] for s in starts])
    return torch.tensor(x), torch.tensor(y)


small = GPTConfig(vocab_size=tok.vocab_size, block_size=64, n_layer=2, n_head=2, n_embd=64)
reference = GPT(small)
models = {}
for device in devices:
    model = GPT(small)
    model.load_state_dict(reference.state_dict())
    models[device] = model.to(device)

x, y = batch(16, small.block_size)
losses = {}
for device, model in models.items():
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for _ in range(3):
        _, loss = model(x.to(device), y.to(device))
        opt.zero_grad()
        loss.backward()
        opt.step()
    losses[device] = loss.item()
    print(f"{device:>4}: loss after 3 AdamW steps {losses[device]:.6f}  (parameters on {next(model.parameters()).device})")
loss_difference = abs(losses["cuda"] - losses["cpu"]) if GPU else None
if GPU:
    print(f"difference {loss_difference:.2e} (expect below 1e-4: float32 rounding, not a different model)")

# %% [markdown]
# ## Timing: synchronize, warm up, take the median
# The first calls on a GPU compile kernels (CuPy caches them), so we warm up first. Each timed
# step ends with `synchronize()`; otherwise we would time the queueing, not the work.

# %%
lesson.section()


def time_steps(config, device, batch_size, steps):
    torch.manual_seed(0)
    model = GPT(config).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    xb, yb = (t.to(device) for t in batch(batch_size, config.block_size))

    def step():
        _, loss = model(xb, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(2):  # warm-up: kernel compilation, memory pools
        step()
    torch.cuda.synchronize()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


widths = [64, 128, 256] if not FULL else [64, 128, 256, 384]
batch_size, block = (16, 64) if not FULL else (32, 128)
timings = {device: [] for device in devices}
progress = Progress(len(widths), label="width")
for i, width in enumerate(widths):
    config = GPTConfig(vocab_size=tok.vocab_size, block_size=block, n_layer=2, n_head=4, n_embd=width)
    for device in devices:
        timings[device].append(time_steps(config, device, batch_size, steps=3 if device == "cpu" else 10))
    progress(i + 1, **{f"{d}_ms": timings[d][-1] for d in devices})

print("\nms per training step (2 layers, batch", batch_size, "x", block, "tokens):")
print(f"{'width':>6} " + " ".join(f"{d:>10}" for d in devices) + ("   GPU speed-up" if GPU else ""))
for i, width in enumerate(widths):
    row = f"{width:6d} " + " ".join(f"{timings[d][i]:10.1f}" for d in devices)
    if GPU:
        row += f"   {timings['cpu'][i] / timings['cuda'][i]:8.1f}x"
    print(row)
if GPU:
    print("expect the speed-up to grow with width: the GPU's time barely moves while the CPU's grows ~w^2")

# %%
fig, ax = plt.subplots(figsize=(6, 4))
for device in devices:
    ax.plot(widths, timings[device], "o-", label=device)
ax.set_xlabel("model width (n_embd)")
ax.set_ylabel("ms per training step (median)")
ax.set_yscale("log")
ax.set_title("The same GPT step on CPU and GPU")
ax.legend()
lesson.save(fig, "cpu_vs_gpu_step_time.png")

# %% [markdown]
# ## The nanoGPT size (with `--full` and a GPU)
# With a GPU, `--full` trains the lesson 15 model at nanoGPT's GPU size for a few hundred steps
# and generates text from it, all on the GPU.

# %%
lesson.section()
big_ms = None
if FULL and GPU:
    config = GPTConfig(vocab_size=tok.vocab_size, block_size=256, n_layer=6, n_head=6, n_embd=384)
    big_ms = time_steps(config, "cuda", 64, steps=10)
    print(f"nanoGPT size on the GPU: {big_ms:.1f} ms per step (PyTorch eager measured 32 ms on an H100)")
    torch.manual_seed(lesson.seed)
    model = GPT(config).to("cuda")
    opt = model.configure_optimizers(weight_decay=0.1, learning_rate=1e-3)
    progress = Progress(300, lines=6, label="step")
    for step in range(300):
        xb, yb = batch(64, config.block_size)
        _, loss = model(xb.to("cuda"), yb.to("cuda"))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (step + 1) % 50 == 0:
            progress(step + 1, loss=loss.item())
    model.eval()
    prompt = torch.tensor([tok.encode("The fox")], device="cuda")
    out = model.generate(prompt, 200, temperature=0.8, top_k=20, generator=torch.Generator().manual_seed(1))
    print(tok.decode(out[0].tolist()))
elif FULL:
    print("--full without a GPU: the nanoGPT-size run needs CUDA; the CPU timings above are the result.")

# %%
speedup = timings["cpu"][-1] / timings["cuda"][-1] if GPU else None
lesson.summary(gpu=GPU, cpu_ms=timings["cpu"][-1], gpu_ms=timings["cuda"][-1] if GPU else None,
               speedup_at_largest_width=speedup, loss_difference=loss_difference, nanogpt_gpu_ms=big_ms,
               widths=widths)
