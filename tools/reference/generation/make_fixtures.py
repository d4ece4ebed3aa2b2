#!/usr/bin/env python3
"""Generation fixtures recorded from Hugging Face transformers' WhisperForConditionalGeneration.generate.

Builds a tiny random multilingual Whisper (d_model 16, 1+1 layers, full 51865-token vocabulary so that
real Whisper token ids apply), saves it as float16 safetensors into fixtures/tiny-gen/, reloads it in
float32 (so transformers and our loader see the same weight values) and records generate() outputs for
a grid of options into fixtures/tiny-gen/cases.json.

Inputs are deterministic integer-hash features that the TypeScript test recomputes exactly:
  x = (i * 2654435761 + 12345 * (b + 1)) mod 2**32,  feature = float32(x / 2**32 * scale_b + offset_b)
where i is the flat index m * frames + t within item b.

Usage: python tools/reference/generation/make_fixtures.py [--template GENERATION_CONFIG_JSON]
(the template supplies Whisper's multilingual token-id tables; default: the shared reference checkpoint).
Needs: torch, transformers, safetensors, numpy (CPU is enough).
"""
import argparse
import json
import math
import os
import shutil
import time
import zlib

import numpy as np
import torch
import transformers
from transformers import GenerationConfig, WhisperConfig, WhisperForConditionalGeneration

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "tiny-gen")
DEFAULT_TEMPLATE = os.path.join(
    HERE, "..", "..", "..", "..", "shared", "reference", "models", "tiny-random", "checkpoint", "generation_config.json"
)
MELS, FRAMES, BATCH = 80, 3000, 2
# Item 0: loud noise; item 1: quiet, silence-like features.
SCALES = [(1.6, -0.8), (0.1, -0.9)]


def features() -> np.ndarray:
    i = np.arange(MELS * FRAMES, dtype=np.uint64)
    out = []
    for b in range(BATCH):
        x = (i * np.uint64(2654435761) + np.uint64(12345 * (b + 1))) % np.uint64(2**32)
        scale, offset = SCALES[b]
        out.append((x.astype(np.float64) / 2**32 * scale + offset).astype(np.float32).reshape(MELS, FRAMES))
    return np.stack(out)


def strip_pad(seq, pad):
    seq = list(seq)
    while seq and seq[-1] == pad:
        seq.pop()
    return seq


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--template", default=os.path.normpath(DEFAULT_TEMPLATE))
    args = ap.parse_args()
    with open(args.template) as f:
        template = json.load(f)

    torch.manual_seed(20240601)
    config = WhisperConfig(
        vocab_size=51865,
        num_mel_bins=MELS,
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_source_positions=1500,
        max_target_positions=448,
        init_std=1.0,  # peaky logits: token choices far from ties, robust to f32 rounding
        decoder_start_token_id=50258,
        eos_token_id=50257,
        pad_token_id=50257,
        bos_token_id=50257,
        suppress_tokens=template["suppress_tokens"],
        begin_suppress_tokens=template["begin_suppress_tokens"],
    )
    model = WhisperForConditionalGeneration(config).eval()
    gen = GenerationConfig(**{k: v for k, v in template.items() if k != "transformers_version"})
    gen.alignment_heads = [[0, 0], [0, 1]]  # the template's heads are for a bigger decoder
    model.generation_config = gen

    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    model.half().save_pretrained(OUT, safe_serialization=True)
    # Reload the float16 values in float32: transformers and our loader compute with identical weights.
    model = WhisperForConditionalGeneration.from_pretrained(OUT, torch_dtype=torch.float32).eval()
    model.generation_config = GenerationConfig.from_pretrained(OUT)

    feats = torch.from_numpy(features())
    eos = 50257
    no_ts = model.generation_config.no_timestamps_token_id
    cases = []

    def run(name, **kw):
        t0 = time.time()
        torch.manual_seed(0)
        with torch.no_grad():
            out = model.generate(feats, **kw)
        if isinstance(out, dict):
            seqs = out["sequences"]
        else:
            seqs = out
        opts = {k: (v.tolist() if torch.is_tensor(v) else v) for k, v in kw.items() if k != "return_segments"}
        case = {"name": name, "options": opts}
        case["sequences"] = [strip_pad([int(t) for t in s.tolist()], eos) for s in seqs]
        if isinstance(out, dict) and "segments" in out:
            case["segments"] = [
                [{"start": float(s["start"]), "end": float(s["end"]), "tokens": s["tokens"].tolist()} for s in segs]
                for segs in out["segments"]
            ]
        cases.append(case)
        print(name, f"{time.time() - t0:.1f}s", case["sequences"])
        return case

    # Per-item quality measures of the greedy decode, as transformers computes them.
    # Recompute avg logprob / compression ratio the way _need_fallback does.
    measures = []
    greedy_seqs = []
    with torch.no_grad():
        base = model.generate(feats, language="en", max_new_tokens=24)
        enc = model.model.encoder(feats).last_hidden_state
        sot_logits = model(encoder_outputs=(enc,), decoder_input_ids=torch.full((BATCH, 1), 50258)).logits[:, -1]
    no_speech = torch.softmax(sot_logits.float(), -1)[:, no_ts - 1].tolist()
    for b in range(BATCH):
        toks = strip_pad(base[b].tolist(), eos)
        greedy_seqs.append(toks)
    cases.append({"name": "greedy-en", "options": {"language": "en", "max_new_tokens": 24}, "sequences": greedy_seqs})

    # Measures of the greedy decode as _need_fallback computes them (per item: batched
    # return_dict outputs are not split per item by this transformers version).
    for b in range(BATCH):
        with torch.no_grad():
            raw = model.generate(feats[b : b + 1], language="en", max_new_tokens=24, return_dict_in_generate=True, output_scores=True, temperature=0.0)
        seq_list = raw["sequences"][0, 4:].tolist()
        if seq_list and seq_list[-1] == eos:
            n_pad = seq_list.count(eos) - 1
            if n_pad:
                seq_list = seq_list[:-n_pad]
        seq_t = torch.tensor(seq_list)
        scores = [s[0] for s in raw["scores"]]
        avg = float(WhisperForConditionalGeneration._retrieve_avg_logprobs(scores, seq_t, 0.0))
        cr = float(WhisperForConditionalGeneration._retrieve_compression_ratio(seq_t, config.vocab_size))
        measures.append({"tokens_with_eos": seq_list, "avg_logprob": avg, "compression_ratio": cr, "no_speech_prob": no_speech[b]})
    print("measures", measures)

    run("detect-language", force_unique_generate_call=True, max_new_tokens=16)
    run("translate-fr", force_unique_generate_call=True, language="fr", task="translate", max_new_tokens=16)
    run("beams3", force_unique_generate_call=True, language="en", num_beams=3, max_new_tokens=20)
    run("beams3-lp0.5", force_unique_generate_call=True, language="en", num_beams=3, length_penalty=0.5, max_new_tokens=20)
    run("beams3-lp2-early", force_unique_generate_call=True, language="en", num_beams=3, length_penalty=2.0, early_stopping=True, max_new_tokens=20)
    run("max-length", force_unique_generate_call=True, language="en", max_length=10)
    run(
        "prompt",
        force_unique_generate_call=True,
        language="en",
        max_new_tokens=16,
        prompt_ids=torch.tensor([template["prev_sot_token_id"], 1770, 13, 921, 11]),
    )
    run("timestamps", language="en", return_timestamps=True, force_unique_generate_call=True, return_segments=True, max_new_tokens=40)
    run("timestamps-beams", language="en", return_timestamps=True, force_unique_generate_call=True, return_segments=True, num_beams=2, max_new_tokens=30)

    # Fallback decisions: thresholds placed between the two items' measures, so exactly one item
    # falls back (its output then comes from sampling and differs from greedy; which one is recorded).
    crs = sorted(m["compression_ratio"] for m in measures)
    lps = sorted(m["avg_logprob"] for m in measures)
    nss = sorted(m["no_speech_prob"] for m in measures)
    fallback = []
    for label, kw in [
        ("compression", {"compression_ratio_threshold": (crs[0] + crs[1]) / 2}),
        ("logprob", {"logprob_threshold": (lps[0] + lps[1]) / 2}),
        ("no-speech-skip", {"logprob_threshold": 0.0, "no_speech_threshold": (nss[0] + nss[1]) / 2}),
        ("no-fallback", {"compression_ratio_threshold": 100.0, "logprob_threshold": -100.0}),
    ]:
        case = run(
            "fallback-" + label,
            language="en",
            max_new_tokens=24,
            temperature=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
            do_sample=False,
            **kw,
        )
        case["fell_back"] = [case["sequences"][b] != greedy_seqs[b] for b in range(BATCH)]
        fallback.append(case["name"])

    doc = {
        "description": "transformers generate() outputs on a tiny random Whisper (tools/reference/generation/make_fixtures.py)",
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "features": {
            "batch": BATCH,
            "mels": MELS,
            "frames": FRAMES,
            "formula": "x = (i * 2654435761 + 12345 * (b + 1)) mod 2**32; float32(x / 2**32 * scale_b + offset_b); i = m * frames + t",
            "scale_offset": SCALES,
        },
        "greedy_measures": measures,
        "notes": [
            "sequences: what generate() returns per item (generated ids, end of text and padding removed); "
            "with force_unique_generate_call the full decoder sequence (prefix included).",
            "cases other than fallback use force_unique_generate_call=True: one decoding pass over the window "
            "(without it transformers resumes decoding after the last timestamp pair inside the window, which is long-form behaviour).",
            "fallback cases: fell_back[b] is true when item b's output differs from plain greedy decoding.",
        ],
        "cases": cases,
    }
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(doc, f, indent=1)
    size = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print("fixture bytes", size)


if __name__ == "__main__":
    main()
