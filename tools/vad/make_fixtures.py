"""Record Silero VAD reference outputs (the `silero-vad` PyPI package) for our VAD's parity tests.

For each audio case: the speech probability of every 512-sample window, exactly as
`get_speech_timestamps` computes them (model reset, windows zero-padded at the end, the package's
default TorchScript model), and `get_speech_timestamps(audio, model)` with default parameters.
Also random probability sequences through `get_speech_timestamps_from_probs` with varied
parameters (the segmentation state machine alone). And it checks that the weights written by
tools/vad/convert.py (from the package's ONNX file) equal the TorchScript model's exactly.

Audio cases (the TypeScript test rebuilds the synthetic ones with the same generator):
  jfk        ../shared/reference/assets/jfk.wav
  mixed      1.5 s silence, jfk, 2 s white noise (amplitude 0.05), jfk's first 3 s, 1 s silence
  silence    5 s of zeros
  noise      5 s of white noise (amplitude 0.1)
White noise: xorshift32 from seed 1, uniform in [-1, 1), times the amplitude (see noise()).

Usage (venv with torch and silero-vad==6.2.3; torch limited to 2 threads):
    python tools/vad/make_fixtures.py ../shared/reference/assets/jfk.wav \
        ~/.cache/distil-whisper/vad/silero-vad-6.2.3 tools/vad/fixtures/silero-vad-6.2.3.json
"""

from __future__ import annotations

import json
import struct
import sys
import wave
from pathlib import Path

import numpy as np
import torch

torch.set_num_threads(2)

import silero_vad  # noqa: E402
from silero_vad import get_speech_timestamps, load_silero_vad  # noqa: E402
from silero_vad.utils_vad import get_speech_timestamps_from_probs  # noqa: E402


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return pcm.astype(np.float32) / 32768.0


def noise(n: int, amplitude: float, seed: int = 1) -> np.ndarray:
    """xorshift32 (13, 17, 5) -> uniform [-1, 1) as float32, times amplitude."""
    out = np.empty(n, dtype=np.float32)
    s = seed
    for i in range(n):
        s ^= (s << 13) & 0xFFFFFFFF
        s ^= s >> 17
        s ^= (s << 5) & 0xFFFFFFFF
        out[i] = np.float32((s / 4294967296.0) * 2.0 - 1.0) * np.float32(amplitude)
    return out


def probabilities(model, audio: np.ndarray) -> list[float]:
    model.reset_states()
    x = torch.from_numpy(audio)
    probs = []
    for start in range(0, len(x), 512):
        chunk = x[start : start + 512]
        if len(chunk) < 512:
            chunk = torch.nn.functional.pad(chunk, (0, 512 - len(chunk)))
        probs.append(model(chunk, 16000).item())
    return probs


def check_converted(model, converted: Path) -> None:
    raw = (converted / "model.safetensors").read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    state = model.state_dict()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        ours = np.frombuffer(raw[8 + n + a : 8 + n + b], dtype="<f4").reshape(info["shape"])
        ref = state["_model." + name].numpy()
        if ours.shape != ref.shape or not np.array_equal(ours, ref):
            sys.exit(f"error: converted {name} differs from the TorchScript model's")
    print(f"converted weights equal the TorchScript model's ({len(header) - 1} tensors)", file=sys.stderr)


def state_machine_cases(rng: np.random.Generator) -> list[dict]:
    cases = []
    params = [
        {},
        {"threshold": 0.3},
        {"min_speech_duration_ms": 100, "min_silence_duration_ms": 300, "speech_pad_ms": 100},
        {"max_speech_duration_s": 2.0},
        {"max_speech_duration_s": 1.5, "use_max_poss_sil_at_max_speech": False},
        {"max_speech_duration_s": 3.0, "min_silence_at_max_speech": 50},
        {"neg_threshold": 0.2, "speech_pad_ms": 0},
        {"threshold": 0.6, "min_speech_duration_ms": 0, "min_silence_duration_ms": 0},
    ]
    for i in range(32):
        n = int(rng.integers(5, 400))
        # Runs of speech-like and silence-like values, with noise around the thresholds.
        probs = []
        while len(probs) < n:
            level = float(rng.choice([0.05, 0.3, 0.45, 0.55, 0.9]))
            run = int(rng.integers(1, 40))
            # Four decimals keep the fixture small; the reference runs on the rounded values.
            probs += [round(float(np.clip(level + rng.normal(0, 0.12), 0, 1)), 4) for _ in range(run)]
        probs = probs[:n]
        p = params[i % len(params)]
        length = n * 512 - int(rng.integers(0, 512))
        speeches = get_speech_timestamps_from_probs(probs, audio_length_samples=length, **p)
        cases.append({"params": p, "probs": probs, "audio_length_samples": length, "speeches": speeches})
    return cases


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    jfk_path, converted, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    model = load_silero_vad()
    check_converted(model, converted)
    jfk = read_wav(jfk_path)
    z = lambda s: np.zeros(int(s * 16000), dtype=np.float32)  # noqa: E731
    audio = {
        "jfk": jfk,
        "mixed": np.concatenate([z(1.5), jfk, noise(32000, 0.05), jfk[:48000], z(1.0)]),
        "silence": z(5.0),
        "noise": noise(80000, 0.1),
    }
    cases = []
    for name, x in audio.items():
        probs = probabilities(model, x)
        speeches = get_speech_timestamps(torch.from_numpy(x), model)
        cases.append({
            "name": name,
            "samples": int(len(x)),
            "sum": float(np.sum(x.astype(np.float64))),
            # The model computes in float32: 8 significant digits are all there is.
            "probs": [float(f"{p:.8g}") for p in probs],
            "speeches": speeches,
        })
        print(f"{name}: {len(probs)} windows, {len(speeches)} speech segments", file=sys.stderr)
    result = {
        "reference": f"silero-vad {silero_vad.__version__ if hasattr(silero_vad, '__version__') else '6.2.3'} (PyPI), load_silero_vad() TorchScript model, torch {torch.__version__}",
        "audio": cases,
        "state_machine": state_machine_cases(np.random.default_rng(0)),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
