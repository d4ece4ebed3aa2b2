"""numpy baseline for benchmarks/audio/bench.ts: Whisper log-mel (rfft, float64 like the Hugging Face
numpy path) of a float32 file, and scipy.signal.resample_poly when scipy is importable.

Usage: python3 numpy_baseline.py <samples.f32> <repeats> [<resample_input.f32> <in_rate>]
Prints one JSON object with best/median times in milliseconds.
"""
import json
import sys
import time

import numpy as np


def mel_filters(n_mels=80, sr=16000, n_fft=400):
    def hz_to_mel(f):
        f = np.asarray(f, dtype=np.float64)
        lin = f / (200.0 / 3)
        return np.where(f >= 1000, 15.0 + np.log(np.maximum(f, 1e-10) / 1000) / (np.log(6.4) / 27), lin)

    def mel_to_hz(m):
        m = np.asarray(m, dtype=np.float64)
        return np.where(m >= 15, 1000 * np.exp(np.log(6.4) / 27 * (m - 15)), m * 200.0 / 3)

    edges = mel_to_hz(np.linspace(hz_to_mel(0), hz_to_mel(sr / 2), n_mels + 2))
    freqs = np.linspace(0, sr // 2, n_fft // 2 + 1)
    down = (freqs[None, :] - edges[:-2, None]) / (edges[1:-1] - edges[:-2])[:, None]
    up = (edges[2:, None] - freqs[None, :]) / (edges[2:] - edges[1:-1])[:, None]
    return np.maximum(0, np.minimum(down, up)) * (2 / (edges[2:] - edges[:-2]))[:, None]


FILTERS = mel_filters()
WINDOW = np.hanning(401)[:-1]


def log_mel(audio):
    x = np.zeros(480000, dtype=np.float64)
    x[: min(len(audio), 480000)] = audio[:480000]
    padded = np.pad(x, 200, mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(padded, 400)[::160][:-1]
    power = np.abs(np.fft.rfft(frames * WINDOW, axis=1)) ** 2
    mel = np.log10(np.maximum(FILTERS @ power.T, 1e-10))
    mel = np.maximum(mel, mel.max() - 8)
    return ((mel + 4) / 4).astype(np.float32)


def timeit(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {"best_ms": times[0], "median_ms": times[len(times) // 2]}


def main():
    audio = np.fromfile(sys.argv[1], dtype=np.float32)
    repeats = int(sys.argv[2])
    log_mel(audio)
    out = {"numpy": np.__version__, "log_mel_30s": timeit(lambda: log_mel(audio), repeats)}
    if len(sys.argv) > 4:
        try:
            import scipy
            from scipy.signal import resample_poly

            big = np.fromfile(sys.argv[3], dtype=np.float32)
            rate = int(sys.argv[4])
            g = np.gcd(rate, 16000)
            out["scipy"] = scipy.__version__
            out["resample_poly"] = timeit(lambda: resample_poly(big, 16000 // g, rate // g), 3)
        except ImportError:
            out["resample_poly"] = None
    print(json.dumps(out))


main()
