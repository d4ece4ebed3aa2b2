"""Signal processing for the synthetic corpus: resampling, trimming, noise, reverberation, WAV IO.

numpy only. Every random draw comes from the numpy Generator handed in, so an utterance's audio is
a function of its seed.
"""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np

SR = 16000


def resample(x: np.ndarray, sr_in: float, sr_out: float) -> np.ndarray:
    """Band-limited resampling in the frequency domain, at any ratio.

    Speed perturbation resamples a signal that is declared to be at sr_in * factor, so sr_in
    need not be an integer. The spectrum is cut at the lower Nyquist frequency with a raised-
    cosine roll-off over its top 6 %; 50 ms of zeros on each side keep the circular
    convolution from wrapping the ends into each other."""
    x = np.asarray(x, dtype=np.float64)
    if abs(sr_in - sr_out) < 1e-6 or len(x) == 0:
        return x.copy()
    ratio = sr_out / sr_in
    pad = int(0.05 * sr_in)
    xp = np.concatenate([np.zeros(pad), x, np.zeros(pad)])
    n_in = len(xp)
    n_out = int(round(n_in * ratio))
    spec = np.fft.rfft(xp)
    keep = min(len(spec), n_out // 2 + 1)
    spec = spec[:keep].copy()
    roll = max(1, int(0.06 * keep))
    spec[keep - roll :] *= 0.5 * (1.0 + np.cos(np.linspace(0.0, np.pi, roll)))
    y = np.fft.irfft(spec, n_out) * (n_out / n_in)
    cut = int(round(pad * ratio))
    return y[cut : n_out - cut]


def frame_rms_db(x: np.ndarray, sr: int, frame_s: float = 0.01) -> np.ndarray:
    n = max(1, int(sr * frame_s))
    m = len(x) // n
    if m == 0:
        return np.full(1, -120.0)
    fr = x[: m * n].reshape(m, n)
    return 10.0 * np.log10(np.mean(fr * fr, axis=1) + 1e-12)


def active_frames(x: np.ndarray, sr: int, rel_db: float = 40.0, frame_s: float = 0.01) -> np.ndarray:
    """Frames within rel_db of the loudest frame (and above -70 dBFS): the speech."""
    db = frame_rms_db(x, sr, frame_s)
    return db > max(db.max() - rel_db, -70.0)


def trim_silence(x: np.ndarray, sr: int, keep_before: float = 0.03, keep_after: float = 0.08) -> np.ndarray:
    """Cuts what an engine put before the first and after the last active frame."""
    act = active_frames(x, sr)
    if not act.any():
        return x[:0]
    n = int(sr * 0.01)
    first = np.argmax(act)
    last = len(act) - 1 - np.argmax(act[::-1])
    a = max(0, first * n - int(keep_before * sr))
    b = min(len(x), (last + 1) * n + int(keep_after * sr))
    return x[a:b]


def speech_power(x: np.ndarray, sr: int) -> float:
    """Mean power of the active frames (the level noise is scaled against)."""
    n = int(sr * 0.01)
    act = active_frames(x, sr)
    m = len(act)
    fr = x[: m * n].reshape(m, n)[act]
    return float(np.mean(fr * fr)) if fr.size else float(np.mean(x * x) + 1e-12)


def colored_noise(n: int, kind: str, rng: np.random.Generator, sr: int = SR) -> np.ndarray:
    """white, pink (1/f power) or brown (1/f^2 power) noise, unit power, no energy below 20 Hz."""
    w = rng.standard_normal(n)
    if kind != "white":
        spec = np.fft.rfft(w)
        f = np.fft.rfftfreq(n, 1.0 / sr)
        f[0] = 1.0
        shape = 1.0 / np.sqrt(f) if kind == "pink" else 1.0 / f
        shape[f < 20.0] = 0.0
        w = np.fft.irfft(spec * shape, n)
    return w / (np.sqrt(np.mean(w * w)) + 1e-12)


def babble_noise(n: int, pool: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """3-6 other synthetic talkers at random offsets and levels (+-3 dB), unit power."""
    if not pool:
        raise RuntimeError("babble noise needs the babble pool, which is empty")
    out = np.zeros(n)
    for _ in range(int(rng.integers(3, 7))):
        clip = pool[int(rng.integers(len(pool)))]
        clip = np.roll(clip, -int(rng.integers(len(clip))))
        seg = np.resize(clip, n)
        seg = seg / (np.sqrt(np.mean(seg * seg)) + 1e-12)
        out += seg * 10.0 ** (rng.uniform(-3.0, 3.0) / 20.0)
    return out / (np.sqrt(np.mean(out * out)) + 1e-12)


def fft_convolve(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    n = len(x) + len(h) - 1
    nfft = 1 << (n - 1).bit_length()
    return np.fft.irfft(np.fft.rfft(x, nfft) * np.fft.rfft(h, nfft), nfft)[:n]


def reverberate(x: np.ndarray, rt60: float, drr_db: float, rng: np.random.Generator, sr: int = SR) -> np.ndarray:
    """A synthetic room: a unit direct path plus exponentially decaying noise (60 dB over rt60 s)
    whose energy sits drr_db below the direct path. The output keeps the reverberant tail."""
    n = max(1, int(rt60 * sr))
    t = np.arange(n) / sr
    tail = rng.standard_normal(n) * np.exp(-6.9078 * t / rt60)
    tail[: int(0.003 * sr)] = 0.0
    tail *= np.sqrt(10.0 ** (-drr_db / 10.0) / (np.sum(tail * tail) + 1e-12))
    tail[0] = 1.0
    return fft_convolve(x, tail)


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32767.0), -32768, 32767).astype("<i2")


def write_wav_atomic(path: Path, x: np.ndarray, sr: int = SR) -> None:
    """16-bit mono WAV, written to a temp file in the same folder, then renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(to_int16(x).tobytes())
    os.replace(tmp, path)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono 16-bit (or 8/32-bit) PCM WAV to float64 in [-1, 1]."""
    with wave.open(str(path), "rb") as w:
        sr, ch, width, n = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
        raw = w.readframes(n)
    if width == 2:
        a = np.frombuffer(raw, "<i2").astype(np.float64) / 32768.0
    elif width == 1:
        a = (np.frombuffer(raw, np.uint8).astype(np.float64) - 128.0) / 128.0
    elif width == 4:
        a = np.frombuffer(raw, "<i4").astype(np.float64) / 2147483648.0
    else:
        raise ValueError(f"{path}: unsupported sample width {width}")
    if ch > 1:
        a = a.reshape(-1, ch).mean(axis=1)
    return a, sr


def wav_duration(path: Path) -> float | None:
    """Duration of a 16 kHz mono 16-bit WAV, or None when the file is not one (or is empty)."""
    try:
        with wave.open(str(path), "rb") as w:
            if w.getframerate() != SR or w.getnchannels() != 1 or w.getsampwidth() != 2:
                return None
            n = w.getnframes()
        if n <= 0 or path.stat().st_size < 44 + 2 * n:
            return None
        return n / SR
    except (OSError, EOFError, wave.Error):
        return None
