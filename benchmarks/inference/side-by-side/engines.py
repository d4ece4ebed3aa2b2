#!/usr/bin/env python3
"""One measurement of a Python Whisper engine for bench.ts, in its own process (peak RSS its own).

Engines, on the same weights: `faster-whisper-int8` / `faster-whisper-f32` (CTranslate2 folder),
`transformers` (Hugging Face folder, torch CPU, f32). Greedy, one pass at temperature 0 (no
fallback), no timestamps, English.

  engines.py ENGINE bench --wav WAV --ct2 DIR --hf DIR [--threads 2]
      load (timed), one warm-up transcription, the timed one (load excluded: reading the WAV,
      features, encoder, decoding, text) and peak RSS at that point; then the encoder on one 30 s
      window, and the decoder ms per token: transformers, the mean time between consecutive
      generated tokens after the first (a streamer clocks each token: decoder forward + token
      selection); faster-whisper (CTranslate2 has no per-step hook), (greedy decode of the N jfk
      tokens - of 1 token) / (N - 1) on the same encoder output, medians of 5 of each, so that the
      prompt and first step cancel out. Prints one JSON object last.
  engines.py ENGINE wer --list FILE --ct2 DIR --hf DIR [--threads 2]
      transcribes every WAV named in FILE (one a line), one JSON line {wav, text} each.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "longform"))
from python_engines import read_wav  # noqa: E402  (benchmarks/longform: 16 kHz float32 via soundfile)

SAMPLES_30S = 480000


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def warm_timed(fn):
    """Seconds of one call after an untimed warm-up call (every engine: one warm-up, one timed run;
    bench.ts takes the median over its runs, one process each)."""
    fn()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


class FasterWhisper:
    def __init__(self, a):
        from faster_whisper import WhisperModel

        self.compute = "float32" if a.engine == "faster-whisper-f32" else "int8"
        self.model = WhisperModel(a.ct2, device="cpu", compute_type=self.compute, cpu_threads=a.threads)

    def transcribe(self, wav):
        segments, _ = self.model.transcribe(
            read_wav(wav), language="en" if self.model.model.is_multilingual else None, beam_size=1,
            temperature=0.0, condition_on_previous_text=False, without_timestamps=True, vad_filter=False)
        return "".join(s.text for s in segments).strip()

    def parts(self, wav):
        from faster_whisper.tokenizer import Tokenizer

        m = self.model
        audio = np.zeros(SAMPLES_30S, dtype=np.float32)
        x = read_wav(wav)[:SAMPLES_30S]
        audio[: len(x)] = x
        features = m.feature_extractor(audio)[:, :3000]
        enc_s = warm_timed(lambda: m.encode(features))
        enc = m.encode(features)
        tok = Tokenizer(m.hf_tokenizer, m.model.is_multilingual, task="transcribe",
                        language="en" if m.model.is_multilingual else None)
        prompt = m.get_prompt(tok, [], without_timestamps=True)

        def gen(max_length):
            return m.model.generate(enc, [prompt], beam_size=1, max_length=max_length, suppress_blank=True,
                                    suppress_tokens=[-1])[0]

        n = len(gen(m.max_length).sequences_ids[0])
        full, one = [], []
        for _ in range(5):
            t = time.perf_counter()
            gen(m.max_length)
            full.append(time.perf_counter() - t)
            t = time.perf_counter()
            gen(len(prompt) + 1)
            one.append(time.perf_counter() - t)
        return enc_s, 1000 * (statistics.median(full) - statistics.median(one)) / max(1, n - 1), n


class Transformers:
    def __init__(self, a):
        import torch
        from transformers import WhisperForConditionalGeneration, WhisperProcessor

        torch.set_num_threads(a.threads)
        self.torch = torch
        self.model = WhisperForConditionalGeneration.from_pretrained(a.hf, torch_dtype=torch.float32).eval()
        self.processor = WhisperProcessor.from_pretrained(a.hf)
        multi = getattr(self.model.generation_config, "is_multilingual", False)
        self.kw = {"language": "en"} if multi else {}

    def features(self, audio):
        return self.processor(audio, sampling_rate=16000, return_tensors="pt").input_features

    def transcribe(self, wav):
        with self.torch.no_grad():
            ids = self.model.generate(self.features(read_wav(wav)), num_beams=1, do_sample=False, **self.kw)
        return self.processor.batch_decode(ids, skip_special_tokens=True)[0].strip()

    def parts(self, wav):
        feats = self.features(read_wav(wav))
        with self.torch.no_grad():
            enc_s = warm_timed(lambda: self.model.model.encoder(feats))

            clock = TokenClock()
            self.model.generate(feats, num_beams=1, do_sample=False, **self.kw)  # warm-up
            self.model.generate(feats, num_beams=1, do_sample=False, streamer=clock, **self.kw)
        # put() #0 is the prompt, #1 the first token (prompt forward and cross-attention K/V), then
        # one put() per decoding step.
        steps = [b - a for a, b in zip(clock.times[1:], clock.times[2:])]
        return enc_s, 1000 * statistics.mean(steps), len(steps)


class TokenClock:
    """A transformers streamer that only records when each put() (prompt, then every token) comes."""

    def __init__(self):
        self.times = []

    def put(self, value):
        self.times.append(time.perf_counter())

    def end(self):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("engine", choices=["faster-whisper-int8", "faster-whisper-f32", "transformers"])
    ap.add_argument("mode", choices=["bench", "wer"])
    ap.add_argument("--wav")
    ap.add_argument("--list")
    ap.add_argument("--ct2")
    ap.add_argument("--hf")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    t0 = time.perf_counter()
    engine = Transformers(a) if a.engine == "transformers" else FasterWhisper(a)
    load_s = time.perf_counter() - t0
    if a.mode == "wer":
        wavs = [line for line in open(a.list, encoding="utf8").read().split("\n") if line]
        t = time.perf_counter()
        for wav in wavs:
            print(json.dumps({"wav": wav, "text": engine.transcribe(wav)}), flush=True)
        print(json.dumps({"wall_s": time.perf_counter() - t, "clips": len(wavs)}))
        return
    engine.transcribe(a.wav)  # warm-up
    t = time.perf_counter()
    text = engine.transcribe(a.wav)
    e2e_s = time.perf_counter() - t
    max_rss = rss_mb()
    enc_s, ms_per_token, n = engine.parts(a.wav)
    print(json.dumps({"load_s": load_s, "e2e_s": e2e_s, "text": text, "max_rss_mb": max_rss,
                      "encoder_s": enc_s, "decoder_ms_per_token": ms_per_token, "decoder_tokens": n}))


if __name__ == "__main__":
    main()
