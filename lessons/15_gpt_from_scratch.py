# %% [markdown]
# # Lesson 15: a GPT from scratch
#
# A GPT is the transformer of lesson 13 with one change and one job. The change: a **causal
# mask**, so position t attends only to positions <= t. The job: predict the next token,
#
#     loss = mean over t of  -log p(x[t+1] | x[0..t])
#
# Every position of every training window is an example, and the mask keeps the answer out of
# sight. Once trained, the model writes: predict a distribution, draw a token, append it, repeat.
#
# This lesson trains `tinynn.models.GPT` (GPT-2's layout, nanoGPT's names) on a corpus of
# generated fables, one character per token; decodes with temperature, top-k, top-p and a
# repetition penalty; times generation with and without a key-value cache; contrasts next-token
# prediction with BERT's masked-language-model objective; and finally lets the same kind of model
# write sound: a waveform quantized to 256 mu-law levels is just another sequence of tokens.
#
# Run: `python lessons/15_gpt_from_scratch.py` (under a minute), or `--full` (about 17 minutes on
# a busy 2-core machine): a larger model and corpus, trained longer. Quick mode only shows the
# machinery (val loss about 2.2: word-like gibberish). With `--full` the GPT (158k parameters, 800
# steps) reaches a validation loss of about 0.61 nats per character (from log 59 = 4.08) and writes
# recognisable fables: '"Good day, heron," said the goat. "Where are you going?" "I am going to
# the ...'; the cache speeds generation up about 2.9x; the audio GPT reaches 0.42 nats per sample
# (uniform: 5.55) and writes a second of tones.

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.course import Lesson, Progress
from tinynn.datasets import CharTokenizer, fables, mu_law_decode, mu_law_encode, random_melody, write_wav
from tinynn.models import GPT, GPTConfig, KVCache, top_k_filter, top_p_filter
from tinynn.viz import plot_curves

lesson = Lesson(15, "a GPT from scratch", full_takes="about 17 minutes")
torch.manual_seed(lesson.seed)
FULL = lesson.full

# %% [markdown]
# ## The data: characters as tokens
# `fables()` writes a corpus of short animal fables. `CharTokenizer` maps each distinct character
# to an id. A training example is a window of `block_size` ids, and its target is the same window
# shifted by one: `x = ids[i : i+T]`, `y = ids[i+1 : i+T+1]`.

# %%
lesson.section()
text = fables(n_chars=200_000 if FULL else 60_000, seed=lesson.seed)
tok = CharTokenizer(text)
data = np.array(tok.encode(text), dtype=np.int64)
split = int(0.9 * len(data))
train_ids, val_ids = data[:split], data[split:]
print(f"{len(text):,} characters, vocabulary of {tok.vocab_size}; train {len(train_ids):,}, val {len(val_ids):,}")
rng = np.random.default_rng(lesson.seed)


def get_batch(ids, batch_size, block_size):
    """Random windows: x (B, T) and the next characters y (B, T)."""
    starts = rng.integers(0, len(ids) - block_size - 1, size=batch_size)
    x = np.stack([ids[s:s + block_size] for s in starts])
    y = np.stack([ids[s + 1:s + block_size + 1] for s in starts])
    return torch.from_numpy(x), torch.from_numpy(y)


# %% [markdown]
# ## The model
# `GPTConfig` holds the sizes. Each block is pre-norm: `x + attn(ln_1(x))`, then
# `x + mlp(ln_2(x))`; the output head reuses the token-embedding matrix (weight tying). Before
# training every character is equally likely, so the loss starts at `log(vocab_size)`.

# %%
lesson.section()
config = GPTConfig(block_size=64, vocab_size=tok.vocab_size, n_layer=3 if FULL else 2, n_head=4,
                   n_embd=64 if FULL else 48)
model = GPT(config)
print(f"GPT: {model.num_parameters():,} parameters ({model.num_parameters(non_embedding=True):,} without "
      f"position embeddings); state_dict keys like nanoGPT's: {list(model.state_dict())[2:5]}")
xb, yb = get_batch(val_ids, 32, config.block_size)
_, loss0 = model(xb, yb)
print(f"untrained loss {loss0.item():.3f}  (expect about log({tok.vocab_size}) = {math.log(tok.vocab_size):.3f})")


@torch.no_grad()
def estimate_loss(model, batches=8, batch_size=32):
    """Mean loss over a few fixed random batches of each split (eval mode: no dropout)."""
    model.eval()
    out = {}
    for name, ids in (("train", train_ids), ("val", val_ids)):
        out[name] = float(np.mean([model(*get_batch(ids, batch_size, model.config.block_size))[1].item()
                                   for _ in range(batches)]))
    model.train()
    return out


# %% [markdown]
# ## Training
# AdamW with weight decay on the matrices only (`configure_optimizers`), a short warm-up and a
# cosine decay of the learning rate, gradient clipping at 1: nanoGPT's recipe, scaled down.

# %%
lesson.section()
steps, batch_size, lr = (800, 16, 3e-3) if FULL else (130, 8, 5e-3)
optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=lr, betas=(0.9, 0.95))
warmup = 50 if FULL else 10
scheduler = torch.optim.lr_scheduler.LambdaLR(
    optimizer, lambda s: min(1.0, (s + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * s / steps))))
history = {"train": [], "val": []}
batch_losses = []
eval_every = steps // 8
progress = Progress(steps, lines=8, label="step")
model.train()
for step in range(1, steps + 1):
    xb, yb = get_batch(train_ids, batch_size, config.block_size)
    _, loss = model(xb, yb)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    if step % eval_every == 0 or step == steps:
        losses = estimate_loss(model, batches=4 if not FULL else 8)
        history["train"].append(losses["train"])
        history["val"].append(losses["val"])
    batch_losses.append(loss.item())
    progress(step, loss=loss.item())
model.eval()
final = estimate_loss(model, batches=8 if not FULL else 20)
print(f"train loss {final['train']:.3f}, val loss {final['val']:.3f} nats/char  "
      f"(expect about 2.2 for val in quick mode, 0.6 with --full)")
eval_steps = [eval_every * (i + 1) for i in range(len(history["val"]) - 1)] + [steps]
fig = plot_curves({"one batch": batch_losses, "GPT": history}, xlabel="training step",
                  ylabel="cross-entropy (nats per character)", x={"GPT": eval_steps},
                  title="GPT on the fables: loss per batch, and train (solid) / validation (dashed)")
lesson.save(fig, "loss_curve.png")

# %% [markdown]
# ## Decoding: temperature, top-k, top-p, repetition penalty
# The model gives logits z for the next character. How we turn them into a choice matters:
#
# - **greedy**: argmax. Deterministic, and prone to loops ("the the the").
# - **temperature** T: sample from softmax(z / T). T < 1 sharpens, T > 1 flattens.
# - **top-k**: keep the k most likely characters, renormalise.
# - **top-p** (nucleus): keep the smallest set of most likely characters whose mass reaches p:
#   few candidates where the model is sure, many where it is not.
# - **repetition penalty** (CTRL): a logit z of a character already in the text becomes z / r
#   (z > 0) or z * r (z < 0), so repeats get less likely.
#
# First the distributions themselves, after the prompt "The rabbit said":

# %%
lesson.section()
prompt_text = "The rabbit said"
prompt = torch.tensor([tok.encode(prompt_text)])
with torch.no_grad():
    z = model(prompt)[0][:, -1]  # (1, V): the next-character logits
shown = {"T = 1": torch.softmax(z, -1), "T = 0.5": torch.softmax(z / 0.5, -1),
         "T = 2": torch.softmax(z / 2, -1), "top-k = 5": torch.softmax(top_k_filter(z, 5), -1),
         "top-p = 0.9": torch.softmax(top_p_filter(z, 0.9), -1)}
order = np.argsort(-shown["T = 1"].numpy()[0])[:12]
fig, ax = plt.subplots(figsize=(9, 3.6))
width = 0.16
for i, (name, p) in enumerate(shown.items()):
    ax.bar(np.arange(12) + (i - 2) * width, p.numpy()[0][order], width, label=name)
ax.set_xticks(np.arange(12), [repr(tok.decode([int(j)])) for j in order])
ax.set(xlabel="next character (the 12 most likely)", ylabel="probability",
       title=f'Next-character distribution after "{prompt_text}"')
ax.legend(fontsize=8)
lesson.save(fig, "sampling_distributions.png")
kept = {name: int((p.numpy() > 0).sum()) for name, p in shown.items()}
print(f"characters with non-zero probability: {kept}  (top-k keeps 5; top-p keeps a few)")


# %% [markdown]
# Now whole samples. `generate` runs the decoding loop; `num_return_sequences=3` draws three
# continuations of the same prompt (the prompt row is repeated). We count how often a sample
# repeats one of its own 8-character strings: greedy loops, the penalty breaks loops.

# %%
lesson.section()


def repeated_fraction(s, n=8):
    grams = [s[i:i + n] for i in range(len(s) - n + 1)]
    return 1 - len(set(grams)) / max(1, len(grams))


new_tokens = 300 if FULL else 80
settings = {"greedy": dict(do_sample=False), "T = 0.8": dict(temperature=0.8),
            "T = 0.8, top-k 10": dict(temperature=0.8, top_k=10), "top-p 0.9": dict(top_p=0.9),
            "greedy, penalty 1.3": dict(do_sample=False, repetition_penalty=1.3)}
repeats = {}
gen = torch.Generator().manual_seed(lesson.seed)
for name, options in settings.items():
    out = model.generate(prompt, new_tokens, generator=gen, **options)
    sample = tok.decode(out[0])
    repeats[name] = repeated_fraction(sample[len(prompt_text):])
    print(f"--- {name}  (repeated 8-grams {repeats[name]:.0%}):\n{sample}\n")
print("three samples of one prompt (T = 0.8, top-p 0.95):")
three = model.generate(torch.tensor([tok.encode("Moral:")]), 60, temperature=0.8, top_p=0.95,
                       num_return_sequences=3, generator=gen)
for row in three:
    print("   ", tok.decode(row).split("\n")[0])

# %% [markdown]
# ## A key-value cache
# Step t of plain generation runs the model on all t characters, though only the last is new:
# with causal attention, earlier positions' keys and values never change. A `KVCache` keeps them;
# after one *prefill* of the prompt, each step runs the model on a single token whose query
# attends to the cached keys. Cost per step: O(t) instead of O(t^2) attention plus t times the
# matmuls. The learned positions stop at `block_size`; beyond it the window slides, every
# position shifts, and generate() recomputes the window (the cache cannot be slid). So we time
# 63 new tokens from 1-character prompts, filling the 64-position window exactly, for a batch of
# 8 prompts at once (a batch is how generation is served; it also lets the arithmetic, not
# Python's per-step overhead, decide the time).

# %%
lesson.section()
starts = torch.tensor([[tok.stoi[c]] for c in "TtAaOoSs"])  # 8 one-character prompts, run as one batch


def timed_generate(use_cache, repeats=1):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        out = model.generate(starts, config.block_size - 1, generator=torch.Generator().manual_seed(7),
                             use_cache=use_cache)
        best = min(best, time.perf_counter() - start)
    return out, best


model.generate(starts, 4)  # warm-up
cached_out, t_cached = timed_generate(True, 2)
plain_out, t_plain = timed_generate(False)
same_tokens = bool((cached_out == plain_out).all().item())
n_new = len(starts) * (config.block_size - 1)
print(f"cached   {n_new / t_cached:7.0f} tokens/s\nuncached {n_new / t_plain:7.0f} tokens/s\n"
      f"speed-up {t_plain / t_cached:.2f}x  (expect about 2x in quick mode, 3x with --full's larger "
      f"model: it grows with the context and the model)\nsame tokens with and without the cache: {same_tokens}  (expect True)")
cache = KVCache(config.n_layer)
with torch.no_grad():
    model(cached_out[:1, :config.block_size], cache=cache)
print(f"a full cache for one sequence holds {cache.nbytes:,} bytes = 2 (k, v) x {config.n_layer} layers x {config.block_size} "
      f"positions x {config.n_embd} numbers x 4 bytes")

# %% [markdown]
# ## Next-token prediction vs masked language modelling
# BERT is trained differently: hide 15% of the characters behind a [MASK] token and predict them
# from *both* sides, with no causal mask. Once trained, that is the right tool to fill a blank
# (it sees the right context a GPT never does), but it defines no left-to-right distribution, so
# it cannot simply write text. And it is a far slower learner, for two reasons we can measure:
#
# - only the hidden 15% of positions give a training signal (a GPT scores all of them);
# - a [MASK] carries no information about itself. A GPT's input at position t *is* character t,
#   so its MLP alone learns "after q comes u" (bigrams) at once. The MLM's masked position can
#   only guess the character frequencies (the unigram entropy) until its attention has learned
#   to look at the neighbours, a plateau that lasts hundreds of steps.
#
# We train a small bidirectional model (the same pre-norm blocks without the causal mask:
# `nn.TransformerEncoder`) for a comparable budget and compare both on the same validation blanks:
# the MLM sees both sides, the GPT only the left.

# %%
lesson.section()
MASK = tok.vocab_size  # one extra id for [MASK]


class MaskedLM(nn.Module):
    def __init__(self, vocab_size, block_size, d_model, n_layer, n_head):
        super().__init__()
        self.tok = nn.Embedding(vocab_size + 1, d_model)
        self.pos = nn.Embedding(block_size, d_model)
        layer = nn.TransformerEncoderLayer(d_model, n_head, 4 * d_model, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layer, norm=nn.LayerNorm(d_model))
        self.head = nn.Linear(d_model, vocab_size)
        for emb in (self.tok, self.pos):  # GPT-2's small embedding init, as in the GPT
            nn.init.normal_(emb.weight, std=0.02)

    def forward(self, idx):
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        return self.head(self.encoder(x))


def mask_batch(x, rate=0.15):
    """BERT's corruption, simplified: chosen positions become [MASK]; only they are scored."""
    chosen = torch.from_numpy(rng.random(tuple(x.shape)) < rate)
    return x.masked_fill(chosen, MASK), torch.where(chosen, x, torch.full_like(x, -100))


mlm = MaskedLM(tok.vocab_size, config.block_size, config.n_embd, config.n_layer, config.n_head)
mlm_opt = torch.optim.AdamW(mlm.parameters(), lr=lr, weight_decay=0.1)
mlm_steps = 400 if FULL else 40
mlm_losses = []
progress = Progress(mlm_steps, lines=4, label="MLM step")
for step in range(1, mlm_steps + 1):
    corrupted, targets = mask_batch(get_batch(train_ids, batch_size, config.block_size)[0])
    loss = F.cross_entropy(mlm(corrupted).reshape(-1, tok.vocab_size), targets.reshape(-1))
    mlm_opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(mlm.parameters(), 1.0)
    mlm_opt.step()
    mlm_losses.append(loss.item())
    progress(step, loss=loss.item())
mlm.eval()

with torch.no_grad():
    xv, _ = get_batch(val_ids, 64, config.block_size)
    corrupted, targets = mask_batch(xv)
    scored = (targets != -100) & (torch.arange(config.block_size) > 0)  # GPT needs a left neighbour
    mlm_pred = mlm(corrupted).argmax(-1)
    gpt_pred = torch.cat([torch.zeros(64, 1, dtype=torch.int64), model(xv)[0].argmax(-1)[:, :-1]], dim=1)
    mlm_fill = ((mlm_pred == xv) & scored).sum().item() / scored.sum().item()
    gpt_fill = ((gpt_pred == xv) & scored).sum().item() / scored.sum().item()
counts = np.bincount(train_ids, minlength=tok.vocab_size) / len(train_ids)
unigram = float(-(counts[counts > 0] * np.log(counts[counts > 0])).sum())
mlm_final = float(np.mean(mlm_losses[-10:]))
print(f"MLM loss after {mlm_steps} steps {mlm_final:.2f}; unigram entropy (guessing by character frequency) "
      f"{unigram:.2f}; GPT {final['val']:.2f}  (expect the MLM near the unigram plateau, in both modes)")
print(f"filling blanks, accuracy: MLM (both sides) {mlm_fill:.1%}, GPT (left side only) {gpt_fill:.1%}  "
      f"(expect about 20% (the MLM guesses the most frequent character, a space) vs 35%, 83% with --full:\n"
      f"  at this budget the GPT wins even though it sees less; an MLM needs many more steps to use both sides)")
print(f"per training window the GPT learns from {config.block_size} predictions, the MLM from about "
      f"{0.15 * config.block_size:.0f}")
blank = "The fox ran to the ri_er."
with torch.no_grad():
    filled = mlm(torch.tensor([[MASK if c == "_" else tok.stoi[c] for c in blank]])).argmax(-1)
print(f'MLM fills "{blank}" -> {tok.decode(filled[0][blank.index("_"):blank.index("_") + 1])!r} at the blank '
      "(a trained MLM answers 'v' from both sides; a GPT has to guess before seeing 'er.')")

# %% [markdown]
# Asked to write left to right (append a [MASK], fill it, repeat), the MLM was never trained for
# a mask with nothing to its right, and with its plateau it writes character soup; the GPT was
# trained for exactly that:

# %%
lesson.section()
with torch.no_grad():
    ids = tok.encode(prompt_text)
    for _ in range(60):
        window = ids[-(config.block_size - 1):] + [MASK]
        logits = mlm(torch.tensor([window]))[0, -1]
        ids.append(int(torch.multinomial(torch.softmax(logits / 0.8, -1), 1, generator=gen).item()))
print("MLM writing:", repr(tok.decode(ids)))
print("GPT writing:", repr(tok.decode(model.generate(prompt, 60, temperature=0.8, generator=gen)[0])))

# %% [markdown]
# ## The same model writes sound
# Nothing in a GPT is about text. A waveform sampled 4,000 times a second, each sample mu-law
# quantized to one of 256 levels (`mu_law_encode`: quiet samples get finer steps than loud ones),
# is a sequence of tokens like any other; WaveNet generated speech this way. We synthesize random
# melodies (sums of harmonics under an envelope), train a GPT with a 256-token vocabulary on them,
# prompt it with the start of an unseen melody and write what it generates to a WAV file.

# %%
lesson.section()
sample_rate = 4000
melody, notes = random_melody(160 if FULL else 40, note_duration=0.1, sample_rate=sample_rate, seed=lesson.seed,
                              harmonics=(1.0, 0.4))
audio_ids = mu_law_encode(melody).numpy()
audio_split = int(0.9 * len(audio_ids))
audio_config = GPTConfig(block_size=64, vocab_size=256, n_layer=2, n_head=4, n_embd=64 if FULL else 48)
sound_model = GPT(audio_config)
sound_opt = sound_model.configure_optimizers(weight_decay=0.1, learning_rate=lr)
audio_steps = 400 if FULL else 60
progress = Progress(audio_steps, lines=4, label="audio step")
for step in range(1, audio_steps + 1):
    xa, ya = get_batch(audio_ids[:audio_split], batch_size, audio_config.block_size)
    _, loss = sound_model(xa, ya)
    sound_opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(sound_model.parameters(), 1.0)
    sound_opt.step()
    progress(step, loss=loss.item())
sound_model.eval()
with torch.no_grad():
    audio_val = float(np.mean([sound_model(*get_batch(audio_ids[audio_split:], 32, 64))[1].item() for _ in range(4)]))
print(f"audio val loss {audio_val:.2f} nats per sample  (uniform over 256 levels: {math.log(256):.2f}; "
      f"expect about 4 in quick mode, 0.4 with --full)")

seconds = 1.0 if FULL else 0.06
audio_prompt = torch.from_numpy(audio_ids[audio_split:audio_split + 64][None])
generated = sound_model.generate(audio_prompt, int(seconds * sample_rate), temperature=0.9, top_k=20,
                                 generator=gen)
waveform = mu_law_decode(generated[0])
wav_path = lesson.figures / "generated_tones.wav"
write_wav(wav_path, waveform, sample_rate)
print(f"wrote {wav_path} ({len(waveform) / sample_rate:.2f} s at {sample_rate} Hz; the first 64 samples are the prompt)")
new_part = waveform.numpy()[64:]
spectrum = np.abs(np.fft.rfft(new_part * np.hanning(len(new_part))))
peak_hz = float(np.argmax(spectrum[1:]) + 1) * sample_rate / len(new_part)
print(f"generated audio: RMS {np.sqrt(np.mean(new_part ** 2)):.3f} (the melodies: "
      f"{np.sqrt(np.mean(melody.numpy() ** 2)):.3f}); strongest frequency {peak_hz:.0f} Hz (the notes lie "
      f"between 262 and 523 Hz)")

fig, axes = plt.subplots(2, 1, figsize=(9, 5))
t = np.arange(len(waveform)) / sample_rate
axes[0].plot(np.arange(400) / sample_rate, melody.numpy()[:400], lw=0.8)
axes[0].set(title="Training audio: synthesized tones (the first 0.1 s)", xlabel="time (s)", ylabel="amplitude")
axes[1].plot(t[:64], waveform.numpy()[:64], lw=0.8, color="gray", label="prompt")
axes[1].plot(t[63:], waveform.numpy()[63:], lw=0.8, color="C1", label="generated")
axes[1].set(title="GPT-generated audio (mu-law tokens decoded)", xlabel="time (s)", ylabel="amplitude")
axes[1].legend(loc="upper right", fontsize=8)
fig.tight_layout()
lesson.save(fig, "audio_waveform.png")

# %% [markdown]
# ## What to take away
# - A GPT is a causal transformer trained to predict the next token; sampling it writes text.
# - Decoding choices (temperature, top-k, top-p, repetition penalty) trade sureness for variety.
# - The KV cache makes each step cost one token's work: same tokens, faster.
# - Masked-LM models fill blanks from both sides but do not write; next-token models write.
# - Tokens can be anything: mu-law audio samples work with the very same model.

# %%
lesson.section()
lesson.summary(val_loss=round(final["val"], 4), train_loss=round(final["train"], 4),
               initial_loss=round(loss0.item(), 4), log_vocab=round(math.log(tok.vocab_size), 4),
               cache_speedup=round(t_plain / t_cached, 3), cached_tokens_per_s=round(n_new / t_cached, 1),
               same_tokens=same_tokens, greedy_repeats=round(repeats["greedy"], 3),
               penalty_repeats=round(repeats["greedy, penalty 1.3"], 3), mlm_fill_accuracy=round(mlm_fill, 4),
               gpt_fill_accuracy=round(gpt_fill, 4), mlm_loss=round(mlm_final, 4),
               unigram_entropy=round(unigram, 4), audio_val_loss=round(audio_val, 4),
               topk_kept=kept["top-k = 5"], wav_bytes=wav_path.stat().st_size)
