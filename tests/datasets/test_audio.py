"""tinynn/datasets/audio.py: mu-law companding (formula, inverse, torchaudio's values), tones and
melodies (frequency, envelope, amplitude), and WAV round trips through the standard wave module."""
from __future__ import annotations

import math
import wave

import numpy as np
import pytest

import tinynn
from tinynn.datasets import (midi_to_hz, mu_law_decode, mu_law_encode, random_melody, read_wav, synth_melody,
                             synth_tone, write_wav)


def test_mu_law_hand_computed_values():
    q = mu_law_encode(tinynn.tensor([-1.0, 0.0, 1.0, 0.5, -2.0]))
    assert q.dtype == tinynn.int64
    y = math.log1p(255 * 0.5) / math.log1p(255)  # = 0.876...
    assert q.tolist() == [0, 128, 255, math.floor((y + 1) / 2 * 255 + 0.5), 0]  # -2 is clipped to -1
    assert mu_law_decode(tinynn.tensor([0, 255])).tolist() == [-1.0, 1.0]
    assert abs(mu_law_decode([128]).item() - ((256 ** (1 / 255) - 1) / 255)) < 1e-7  # one step above zero


def test_mu_law_round_trip_error_is_relative():
    x = np.linspace(-1, 1, 20001)
    back = mu_law_decode(mu_law_encode(x)).numpy().astype(np.float64)
    err = np.abs(back - x)
    # the quantization step grows with |x|: quiet samples are kept far more precisely than loud ones
    assert err[np.abs(x) < 0.01].max() < 3e-4 and err.max() < 0.022
    assert err[np.abs(x) < 0.01].max() < err[np.abs(x) > 0.9].max() / 70  # evenly: the same everywhere
    tokens = np.arange(256)
    assert mu_law_encode(mu_law_decode(tokens)).tolist() == tokens.tolist()  # exact the other way round


def test_mu_law_other_channels_and_errors():
    assert mu_law_encode([1.0, -1.0], quantization_channels=16).tolist() == [15, 0]
    with pytest.raises(ValueError, match="quantization_channels"):
        mu_law_encode([0.0], quantization_channels=1)
    with pytest.raises(ValueError, match="0..255"):
        mu_law_decode([256])
    with pytest.raises(TypeError, match="integer"):
        mu_law_decode(tinynn.tensor([0.5]))


def test_synth_tone_frequency_amplitude_and_envelope():
    assert midi_to_hz(69) == 440.0 and abs(midi_to_hz(60) - 261.6256) < 1e-3
    x = synth_tone(440.0, 0.5, sample_rate=8000, amplitude=0.8, harmonics=(1.0,), attack=0.02, release=0.1)
    assert x.shape == (4000,) and x.dtype == tinynn.float32
    a = x.numpy()
    assert np.abs(a).max() <= 0.8 and np.abs(a[1000:2000]).max() > 0.79
    spectrum = np.abs(np.fft.rfft(a))
    assert abs(np.argmax(spectrum) * 8000 / 4000 - 440.0) <= 2.0
    assert abs(a[0]) < 1e-6 and abs(a[-1]) < 1e-6 and np.abs(a[:40]).max() < 0.2  # the envelope's ends
    rich = synth_tone(200.0, 0.5, harmonics=(1.0, 0.5)).numpy()
    s = np.abs(np.fft.rfft(rich))
    assert 0.4 < s[200] / s[100] < 0.6  # the second harmonic at half the strength (bins are 2 Hz)
    assert np.abs(synth_tone(0.0, 0.1).numpy()).max() == 0.0
    with pytest.raises(ValueError, match="duration"):
        synth_tone(440.0, 0.0)


def test_melodies():
    x = synth_melody([440.0, 0.0, 660.0], note_duration=0.1, sample_rate=4000)
    assert x.shape == (1200,) and np.abs(x.numpy()[400:800]).max() == 0.0
    a, freqs_a = random_melody(5, note_duration=0.05, seed=3)
    b, freqs_b = random_melody(5, note_duration=0.05, seed=3)
    _, freqs_c = random_melody(5, note_duration=0.05, seed=4)
    assert freqs_a == freqs_b != freqs_c and np.array_equal(a.numpy(), b.numpy())
    assert {round(f, 3) for f in freqs_a} <= {round(midi_to_hz(n), 3) for n in (60, 62, 64, 67, 69, 72)}


def test_wav_round_trip_mono_and_stereo(tmp_path):
    x = synth_tone(330.0, 0.2, sample_rate=8000)
    write_wav(tmp_path / "a.wav", x, 8000)
    with wave.open(str(tmp_path / "a.wav")) as f:
        assert (f.getnchannels(), f.getsampwidth(), f.getframerate(), f.getnframes()) == (1, 2, 8000, 1600)
    back, rate = read_wav(tmp_path / "a.wav")
    assert rate == 8000 and back.shape == (1, 1600)
    assert np.abs(back.numpy()[0] - x.numpy()).max() < 1.5 / 32768
    stereo = np.stack([x.numpy(), -x.numpy()])
    write_wav(tmp_path / "s.wav", stereo, 8000)
    back, _ = read_wav(tmp_path / "s.wav")
    assert back.shape == (2, 1600) and np.abs(back.numpy() - stereo).max() < 1.5 / 32768
    frames_last, _ = read_wav(tmp_path / "s.wav", channels_first=False)
    assert frames_last.shape == (1600, 2)
    write_wav(tmp_path / "c.wav", np.array([2.0, -2.0]), 100)  # clipped, not wrapped around
    assert read_wav(tmp_path / "c.wav")[0].numpy()[0].tolist() == [32767 / 32768, -32767 / 32768]
    with pytest.raises(ValueError, match="float waveform"):
        write_wav(tmp_path / "d.wav", np.zeros((2, 2, 2)), 100)
