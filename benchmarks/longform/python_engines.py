#!/usr/bin/env python3
"""One run of a Python Whisper engine on one recording, in its own process (peak RSS its own).

Engines, all greedy (beam 1, temperature 0, no conditioning on previous text), English, on the same
weights: `faster-whisper-int8` / `faster-whisper-f32` (sequential long-form), `faster-whisper-batched`
(its BatchedInferencePipeline: VAD-cut segments decoded in batches), `transformers-sequential`
(generate() on the whole recording's features) and `transformers-chunked` (the ASR pipeline with
chunk_length_s=30, batch_size and timestamps). Prints {text, load_s, wall_s, max_rss_mb} as the last line.

Usage: python_engines.py ENGINE WAV --ct2 DIR --hf DIR [--threads 2] [--batch 8]
"""
import argparse
import json
import resource
import time

import numpy as np
import soundfile


def read_wav(path):
    # The benchmark writes 32-bit float WAVs (format 3), which the standard library's wave refuses.
    audio, rate = soundfile.read(path, dtype="float32", always_2d=False)
    if rate != 16000:
        raise SystemExit(f"{path}: {rate} Hz, expected 16000")
    return np.ascontiguousarray(audio, dtype=np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("engine")
    ap.add_argument("wav")
    ap.add_argument("--ct2")
    ap.add_argument("--hf")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    a = ap.parse_args()
    audio = read_wav(a.wav)
    t0 = time.time()
    if a.engine.startswith("faster-whisper"):
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        compute = "float32" if a.engine == "faster-whisper-f32" else "int8"
        model = WhisperModel(a.ct2, device="cpu", compute_type=compute, cpu_threads=a.threads)
        load = time.time() - t0
        t1 = time.time()
        opts = dict(language="en", beam_size=1, temperature=0.0, condition_on_previous_text=False)
        if a.engine == "faster-whisper-batched":
            segments, _ = BatchedInferencePipeline(model).transcribe(audio, batch_size=a.batch, **opts)
        else:
            segments, _ = model.transcribe(audio, **opts)
        text = "".join(s.text for s in segments)
    else:
        import torch
        from transformers import WhisperForConditionalGeneration, WhisperProcessor, pipeline

        torch.set_num_threads(a.threads)
        model = WhisperForConditionalGeneration.from_pretrained(a.hf, torch_dtype=torch.float32).eval()
        processor = WhisperProcessor.from_pretrained(a.hf)
        load = time.time() - t0
        t1 = time.time()
        lang = {"language": "en"} if getattr(model.generation_config, "is_multilingual", False) else {}
        with torch.no_grad():
            if a.engine == "transformers-sequential":
                feats = processor(audio, sampling_rate=16000, return_tensors="pt", truncation=False,
                                  padding="longest", return_attention_mask=True)
                ids = model.generate(feats.input_features, return_timestamps=True, **lang)
                text = processor.batch_decode(ids, skip_special_tokens=True)[0]
            else:
                asr = pipeline("automatic-speech-recognition", model=model, tokenizer=processor.tokenizer,
                               feature_extractor=processor.feature_extractor, device="cpu")
                if asr.tokenizer.pad_token_id is None:  # batching needs one; Whisper pads with eos
                    asr.tokenizer.pad_token_id = model.config.eos_token_id
                text = asr({"raw": audio, "sampling_rate": 16000}, chunk_length_s=30, batch_size=a.batch,
                           return_timestamps=True, num_beams=1, generate_kwargs=lang)["text"]
    wall = time.time() - t1
    print(json.dumps({"text": text, "load_s": load, "wall_s": wall,
                      "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
