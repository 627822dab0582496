"""Sound as a sequence of tokens: synthesized tones, mu-law quantization and WAV files.

A waveform is a list of air-pressure samples in [-1, 1], ``sample_rate`` of them per second.
A language model needs tokens, so each sample is quantized to one of 256 levels. Levels spaced
evenly waste resolution on loud samples, which are rare; **mu-law companding** (ITU-T G.711, used
by WaveNet) first stretches quiet values and squeezes loud ones, then quantizes evenly::

    encode:  y = sign(x) ln(1 + mu |x|) / ln(1 + mu)         x in [-1, 1] -> y in [-1, 1]
             q = floor((y + 1) / 2 * mu + 0.5)                 -> integer 0 .. mu   (mu = 255)
    decode:  y = 2 q / mu - 1,   x = sign(y) ((1 + mu)^|y| - 1) / mu

(torchaudio's ``mu_law_encoding`` / ``mu_law_decoding`` compute the same.)

    mu_law_encode(x), mu_law_decode(q)   waveform <-> int64 tokens 0..255
    synth_tone(frequency, duration)      a sum of harmonics under an attack/release envelope
    synth_melody(frequencies, ...)       tones one after another (0 = a rest)
    random_melody(n_notes, ...)          notes drawn from a scale, seeded
    midi_to_hz(note)                     440 * 2^((note - 69) / 12)
    write_wav(path, x, sr), read_wav(path)   16-bit PCM files through the standard ``wave`` module
"""
from __future__ import annotations

import math
import os
import wave
from typing import Sequence

import numpy as np

from .. import dtypes
from ..creation import from_numpy, tensor
from ..random import Generator
from ..tensor import Tensor
from ._seeding import make_rng

__all__ = ["mu_law_encode", "mu_law_decode", "midi_to_hz", "synth_tone", "synth_melody", "random_melody",
           "write_wav", "read_wav", "PENTATONIC"]

PENTATONIC = (60, 62, 64, 67, 69, 72)  # C major pentatonic, C4 to C5, as MIDI note numbers


def _as_float_tensor(x, who: str) -> Tensor:
    if not isinstance(x, Tensor):
        x = tensor(np.asarray(x, dtype=np.float64), dtype=dtypes.get_default_dtype())
    if x.dtype.kind != "f":
        raise TypeError(f"{who}: expected a float waveform, got dtype {x.dtype}")
    return x


def _check_channels(quantization_channels: int, who: str) -> int:
    if isinstance(quantization_channels, bool) or not isinstance(quantization_channels, int) \
            or quantization_channels < 2:
        raise ValueError(f"{who}: quantization_channels should be an int >= 2, got {quantization_channels!r}")
    return quantization_channels - 1  # mu


def mu_law_encode(x, quantization_channels: int = 256) -> Tensor:
    """Float waveform in [-1, 1] (values outside are clipped) -> int64 tokens 0..quantization_channels-1."""
    mu = _check_channels(quantization_channels, "mu_law_encode")
    x = _as_float_tensor(x, "mu_law_encode").clamp(-1.0, 1.0)
    y = x.sign() * (x.abs() * mu).log1p() / math.log1p(mu)
    return ((y + 1) / 2 * mu + 0.5).floor().long()


def mu_law_decode(q, quantization_channels: int = 256) -> Tensor:
    """Integer tokens 0..quantization_channels-1 -> float waveform in [-1, 1] (the inverse companding)."""
    mu = _check_channels(quantization_channels, "mu_law_decode")
    if not isinstance(q, Tensor):
        q = tensor(np.asarray(q, dtype=np.int64))
    if q.dtype.kind not in "iu":
        raise TypeError(f"mu_law_decode: expected integer tokens, got dtype {q.dtype}")
    if q.numel() and (q.min().item() < 0 or q.max().item() > mu):
        raise ValueError(f"mu_law_decode: tokens should be in 0..{mu}, got {q.min().item()}..{q.max().item()}")
    y = q.to(dtypes.get_default_dtype()) / mu * 2 - 1
    return y.sign() * ((y.abs() * math.log1p(mu)).exp() - 1) / mu


def midi_to_hz(note: float) -> float:
    """The frequency of a MIDI note number: A4 = 69 = 440 Hz, 12 notes per doubling."""
    return 440.0 * 2.0 ** ((note - 69) / 12)


def _envelope(n: int, sample_rate: int, attack: float, release: float) -> np.ndarray:
    """Loudness over the note: a linear rise over ``attack`` s, then a linear fall over ``release`` s."""
    env = np.ones(n)
    rise, fall = min(n, int(attack * sample_rate)), min(n, int(release * sample_rate))
    if rise:
        env[:rise] = np.linspace(0.0, 1.0, rise, endpoint=False)
    if fall:
        env[n - fall:] *= np.linspace(1.0, 0.0, fall)
    return env


def synth_tone(frequency: float, duration: float, sample_rate: int = 8000, amplitude: float = 0.5,
               harmonics: Sequence[float] = (1.0, 0.5, 0.25), attack: float = 0.01, release: float = 0.05) -> Tensor:
    """One note: (round(duration * sample_rate),) float32 samples.

        x(t) = amplitude * env(t) * sum_k h_k sin(2 pi k f t) / sum_k |h_k|

    ``harmonics`` h_1, h_2, ... weight the fundamental and its overtones (they colour the sound);
    the sum is normalised so |x| <= amplitude. ``frequency`` 0 gives silence (a rest).
    """
    if duration <= 0 or sample_rate < 1 or frequency < 0 or not 0 <= amplitude <= 1 or not harmonics:
        raise ValueError(f"synth_tone: need duration > 0, sample_rate >= 1, frequency >= 0, amplitude in [0, 1] "
                         f"and at least one harmonic; got duration={duration}, sample_rate={sample_rate}, "
                         f"frequency={frequency}, amplitude={amplitude}, harmonics={harmonics}")
    n = max(1, round(duration * sample_rate))
    t = np.arange(n) / sample_rate
    weights = np.asarray(harmonics, dtype=np.float64)
    wave_sum = sum(h * np.sin(2 * np.pi * (k + 1) * frequency * t) for k, h in enumerate(weights))
    x = amplitude * _envelope(n, sample_rate, attack, release) * wave_sum / np.abs(weights).sum()
    return from_numpy(x.astype(np.float32))


def synth_melody(frequencies: Sequence[float], note_duration: float = 0.25, sample_rate: int = 8000,
                 **tone_options) -> Tensor:
    """Tones one after another, each ``note_duration`` seconds (``synth_tone`` options apply to all)."""
    if len(frequencies) == 0:
        raise ValueError("synth_melody: needs at least one frequency")
    notes = [synth_tone(f, note_duration, sample_rate, **tone_options).numpy() for f in frequencies]
    return from_numpy(np.concatenate(notes))


def random_melody(n_notes: int, note_duration: float = 0.25, sample_rate: int = 8000,
                  scale: Sequence[int] = PENTATONIC, seed: int | None = None, generator: Generator | None = None,
                  **tone_options) -> tuple[Tensor, list[float]]:
    """``n_notes`` notes drawn uniformly from ``scale`` (MIDI numbers): (waveform, frequencies in Hz)."""
    if isinstance(n_notes, bool) or not isinstance(n_notes, int) or n_notes < 1:
        raise ValueError(f"random_melody: n_notes should be a positive int, got {n_notes!r}")
    rng = make_rng(seed, generator, "random_melody")
    frequencies = [midi_to_hz(int(note)) for note in rng.choice(np.asarray(scale), size=n_notes)]
    return synth_melody(frequencies, note_duration, sample_rate, **tone_options), frequencies


def write_wav(path: str | os.PathLike, waveform, sample_rate: int, channels_first: bool = True) -> None:
    """Save a float waveform in [-1, 1] (clipped) as 16-bit PCM: (frames,) mono or (channels, frames)
    ((frames, channels) with ``channels_first=False``). Samples are rounded to x * 32767."""
    x = waveform.detach().cpu().numpy() if isinstance(waveform, Tensor) else np.asarray(waveform)
    if x.dtype.kind != "f" or x.ndim not in (1, 2):
        raise ValueError(f"write_wav: expected a float waveform of shape (frames,) or (channels, frames), got "
                         f"dtype {x.dtype} and shape {x.shape}")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate < 1:
        raise ValueError(f"write_wav: sample_rate should be a positive int, got {sample_rate!r}")
    frames = x[:, None] if x.ndim == 1 else (x.T if channels_first else x)  # (frames, channels)
    pcm = np.round(np.clip(frames, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(os.fspath(path), "wb") as f:
        f.setnchannels(pcm.shape[1])
        f.setsampwidth(2)
        f.setframerate(sample_rate)
        f.writeframes(pcm.tobytes())  # interleaved: frame 0 of every channel, then frame 1, ...


def read_wav(path: str | os.PathLike, channels_first: bool = True) -> tuple[Tensor, int]:
    """Load a PCM WAV file (8-, 16- or 32-bit): (float32 waveform (channels, frames) in [-1, 1), sample_rate).

    Integers are divided by 2^(bits - 1), as torchaudio.load does (8-bit files are unsigned).
    """
    with wave.open(os.fspath(path), "rb") as f:
        channels, width, rate = f.getnchannels(), f.getsampwidth(), f.getframerate()
        raw = f.readframes(f.getnframes())
    if width == 1:
        x = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128) / 128
    elif width in (2, 4):
        x = np.frombuffer(raw, dtype=f"<i{width}").astype(np.float32) / 2 ** (8 * width - 1)
    else:
        raise ValueError(f"read_wav: {width * 8}-bit samples are not supported (8, 16 or 32-bit PCM expected)")
    x = x.reshape(-1, channels)
    return from_numpy(np.ascontiguousarray(x.T if channels_first else x)), rate
