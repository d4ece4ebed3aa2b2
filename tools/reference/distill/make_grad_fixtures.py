#!/usr/bin/env python3
"""Gradient and short-trajectory fixtures of a 2-layer Whisper-base student (real weights).

Writes tools/reference/distill/fixtures/base_student_grads.json: what one distillation step of
distil-whisper's training/run_distillation.py (@cc96130) computes for a real teacher and a student
built as training/create_student_model.py builds it, on jfk.wav, as summary statistics the
TypeScript trainer can compare against without Python:

  teacher  = Whisper base (HF directory from tools/real-weights/fetch.sh base), float32
  student  = deep copy of the teacher config with decoder_layers = 2; all teacher weights loaded
             (strict=False), then student decoder layer i <- teacher decoder layer map[i], map = [0, 5]
  frozen   = the whole encoder and the decoder's embed_positions; trainable = decoder embed_tokens
             (tied to proj_out), decoder layers 0-1, decoder final layer_norm
  inputs   = clip A (all of jfk.wav) and clip B (samples [0, 80000)), their features, the frozen
             encoder's output, and token sequences built from the teacher's greedy transcripts
  loss     = 0.8 * CE + 1.0 * T^2 * KL, T = 2 (train_step); teacher fed the student's decoder_input_ids
  grads    = per trainable parameter (HF name): L2 norm, sum, 4 hash projections, 16 samples
  trajectory = 3 AdamW steps (accumulation 2: micro-batches [A] then [B]) + one forward after step 3

Hash projections (exact integer arithmetic; i = flat row-major index, s = 1..4):
  r_s(i) = (((i * 2654435761) mod 2^32 + s * 40503) mod 2^32) / 2^32 - 0.5,   proj_s = sum_i g_i r_s(i)
  TypeScript: const r = (i, s) => ((((Math.imul(i, 2654435761) >>> 0) + s * 40503) >>> 0) / 4294967296 - 0.5);
  checked by hand: r(1, 1) = (2654435761 + 40503) / 2^32 - 0.5 = 2654476264 / 4294967296 - 0.5 = 0.11804341711103916,
  r(0, 1) = 40503 / 2^32 - 0.5 = -0.4999905696604401 (asserted below; the one-liner gives the same under node).
Samples: values at flat indices idx_j = (j * 104729 + 7) mod numel, j = 0..15.

Usage: python tools/reference/distill/make_grad_fixtures.py [--teacher HF_DIR] [--audio PATH]
  (HF_DIR default ~/.cache/distil-whisper/real-weights/hf/base). Deterministic: a rerun rewrites the
  same bytes except meta.seconds. Needs: torch, transformers, numpy (CPU, 2 threads, ~1 min).
"""
import argparse
import copy
import json
import os
import platform
import time
import wave

import numpy as np
import torch
import torch.nn as nn
import transformers
from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration, WhisperTokenizerFast, get_scheduler
from transformers.modeling_outputs import BaseModelOutput

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "base_student_grads.json")
DEFAULT_TEACHER = os.path.expanduser("~/.cache/distil-whisper/real-weights/hf/base")
DEFAULT_AUDIO = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "reference", "assets", "jfk.wav"))
DW = "huggingface/distil-whisper@cc96130f6e4cc74cab4545f3c6e7e5c204ced871"

THREADS = 2
T = 2.0
CE_WEIGHT, KL_WEIGHT = 0.8, 1.0
LAYER_MAP = [0, 5]
# trajectory hyper-parameters
PEAK_LR, WARMUP, TOTAL_STEPS, STEPS = 3e-4, 2, 10, 3
BETAS, EPS, WEIGHT_DECAY, MAX_GRAD_NORM, ACCUMULATION = (0.9, 0.999), 1e-8, 0.01, 1.0, 2

SOURCES = {
    "student_config": "training/create_student_model.py:117-127 (deepcopy of the teacher config, decoder_layers replaced)",
    "layer_map": "training/create_student_model.py:136-144 (linspace(0, L-1, n, dtype=int), last = L-1; 6 -> 2 gives [0, 5])",
    "weight_copy": "training/create_student_model.py:147-153,169-174 (load_state_dict(teacher, strict=False), then layer i <- teacher layer map[i])",
    "freezing": "training/run_distillation.py:1017-1025 (encoder), 1034-1036 (decoder embed_positions; the embed_tokens freeze is commented out)",
    "shared_encoder": "training/run_distillation.py:1046-1049,1474-1478 (teacher reuses the student's frozen encoder states)",
    "collator": "training/run_distillation.py:438-478 (shift, padding -> -100, bos = argmax(labels == SOT), bos += 1 if > 0), built at 1417-1424 (pad to max_label_length 448)",
    "targets": "training/run_distillation.py:1186-1226 (prompt = [<|startofprev|>] + prompt + ids)",
    "teacher_call": "training/run_distillation.py:1478 (teacher(encoder_outputs=..., labels=batch['labels']): HF shifts the labels; this fixture feeds decoder_input_ids instead, see departures)",
    "loss": "training/run_distillation.py:1453-1462 (kl_divergence: KLDivLoss(reduction='none'), masked by labels >= 0, sum / count), 1483-1493 (T^2, 0.8 * CE + kl_weight * KL)",
    "ce": "transformers WhisperForConditionalGeneration.forward: CrossEntropyLoss() over logits.view(-1, V), labels (-100 ignored, mean)",
    "decay_groups": "training/run_distillation.py:760-778 (get_parameter_names: skips LayerNorm modules and forbidden modules), 1377-1401 (forbidden = frozen encoder; names containing 'bias' removed; decay group vs weight_decay 0 group)",
    "optimizer": "training/run_distillation.py:1402-1407 (torch.optim.AdamW(groups, lr, betas, eps))",
    "scheduler": "training/run_distillation.py:1410-1415 (transformers get_scheduler(lr_scheduler_type, warmup_steps, total steps))",
    "step": "training/run_distillation.py:1606-1614 (accelerator.accumulate; backward; on sync: clip_grad_norm_(params, max_grad_norm), optimizer.step, lr_scheduler.step, zero_grad)",
}


# ---------------------------------------------------------------------------------------------------
# statistics


_HASH_CACHE = {}


def hash_base(n):
    """(i * 2654435761) mod 2^32 for i < n, as uint64 (exact: n * 2654435761 < 2^64)."""
    if n not in _HASH_CACHE:
        i = np.arange(n, dtype=np.uint64)
        _HASH_CACHE.clear()
        _HASH_CACHE[n] = (i * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)
    return _HASH_CACHE[n]


def r_vec(n, s):
    h = (hash_base(n) + np.uint64(s * 40503)) & np.uint64(0xFFFFFFFF)
    return h.astype(np.float64) / 4294967296.0 - 0.5


def r_one(i, s):
    return (((i * 2654435761) % 2**32 + s * 40503) % 2**32) / 2**32 - 0.5


def stats(t, samples=True):
    a = t.detach().to(torch.float64).reshape(-1).numpy()
    n = a.size
    out = {
        "numel": int(n),
        "norm": float(np.sqrt(np.dot(a, a))),
        "sum": float(a.sum()),
        "proj": [float(np.dot(a, r_vec(n, s))) for s in (1, 2, 3, 4)],
    }
    if samples:
        out["samples"] = [float(a[(j * 104729 + 7) % n]) for j in range(16)]
    return out


# ---------------------------------------------------------------------------------------------------
# model pieces


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2, "need 16 kHz mono s16"
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return pcm.astype(np.float32) / 32768.0


def make_student(teacher):
    """create_student_model.py's procedure (encoder_layers None: the whole encoder kept)."""
    cfg = copy.deepcopy(teacher.config)
    cfg.update({"encoder_layers": cfg.encoder_layers, "decoder_layers": len(LAYER_MAP)})
    torch.manual_seed(0)  # the random init is overwritten entirely; seeded anyway
    student = WhisperForConditionalGeneration(cfg).to(next(teacher.parameters()).dtype)
    missing, _unexpected = student.load_state_dict(teacher.state_dict(), strict=False)
    assert not missing, missing
    for i, layer in enumerate(LAYER_MAP):
        student.model.decoder.layers[i].load_state_dict(teacher.model.decoder.layers[layer].state_dict())
    assert student.proj_out.weight is student.model.decoder.embed_tokens.weight, "proj_out must stay tied"
    # freezing as run_distillation.py --freeze_encoder --freeze_embed_positions
    for p in student.model.encoder.parameters():
        p.requires_grad = False
    for p in student.model.decoder.embed_positions.parameters():
        p.requires_grad = False
    return student


def expected_trainable(n_layers):
    names = ["model.decoder.embed_tokens.weight"]
    for l in range(n_layers):
        pre = f"model.decoder.layers.{l}."
        for att in ("self_attn", "encoder_attn"):
            for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
                names.append(f"{pre}{att}.{proj}.weight")
                if proj != "k_proj":
                    names.append(f"{pre}{att}.{proj}.bias")
            names += [f"{pre}{att}_layer_norm.weight", f"{pre}{att}_layer_norm.bias"]
        names += [f"{pre}fc1.weight", f"{pre}fc1.bias", f"{pre}fc2.weight", f"{pre}fc2.bias"]
        names += [f"{pre}final_layer_norm.weight", f"{pre}final_layer_norm.bias"]
    names += ["model.decoder.layer_norm.weight", "model.decoder.layer_norm.bias"]
    return names


def decay_parameter_names(model, forbidden_layer_types, forbidden_modules):
    """Same selection as run_distillation.py's get_parameter_names (re-written): parameter names not
    inside a module of a forbidden type nor inside a forbidden module."""
    names = []
    for child_name, child in model.named_children():
        if isinstance(child, tuple(forbidden_layer_types)) or any(child is m for m in forbidden_modules):
            continue
        names += [f"{child_name}.{n}" for n in decay_parameter_names(child, forbidden_layer_types, forbidden_modules)]
    names += list(model._parameters.keys())
    return names


def collate(seqs, pad, sot):
    """run_distillation.py's collator, padded to the batch's longest instead of 448 (see departures)."""
    width = max(len(s) for s in seqs)
    dec, lab = [], []
    for s in seqs:
        full = s + [pad] * (width - len(s))
        d = full[:-1]
        l = [t if i + 1 < len(s) else -100 for i, t in enumerate(full[1:])]
        bos = l.index(sot) if sot in l else 0
        if bos > 0:
            bos += 1
        l = [-100 if i < bos else t for i, t in enumerate(l)]
        dec.append(d)
        lab.append(l)
    return torch.tensor(dec), torch.tensor(lab)


def kl_divergence(teacher_logits, student_logits, labels):
    target = nn.functional.softmax(teacher_logits / T, dim=-1)
    log_pred = nn.functional.log_softmax(student_logits / T, dim=-1)
    div = nn.KLDivLoss(reduction="none")(log_pred, target)
    mask = (labels >= 0).unsqueeze(-1)
    return (div * mask).sum() / mask.sum() * T**2


def forward_loss(student, teacher, enc, dec, lab, teacher_dec=None):
    """train_step: student forward (HF CE), teacher forward under no_grad on the shared encoder states."""
    student.train()
    teacher.eval()
    s_out = student(encoder_outputs=BaseModelOutput(last_hidden_state=enc), decoder_input_ids=dec, labels=lab, use_cache=False)
    with torch.no_grad():
        t_out = teacher(encoder_outputs=BaseModelOutput(last_hidden_state=enc),
                        decoder_input_ids=dec if teacher_dec is None else teacher_dec, use_cache=False)
    ce = s_out.loss
    kl = kl_divergence(t_out.logits, s_out.logits, lab)
    loss = CE_WEIGHT * ce + KL_WEIGHT * kl
    return loss, ce, kl, s_out.logits, t_out.logits


def batch_gradients(teacher, batch_tensors, batches, trainable):
    """Loss and per-parameter gradient statistics of the initial student on each batch."""
    student = make_student(teacher)
    params = dict(student.named_parameters())
    grad_results = {}
    for bname, (enc, dec, lab) in batch_tensors.items():
        student.zero_grad(set_to_none=True)
        loss, ce, kl, s_logits, t_logits = forward_loss(student, teacher, enc, dec, lab)
        loss.backward()
        grads = {n: stats(params[n].grad) for n in trainable}
        total = float(np.sqrt(sum(g["norm"] ** 2 for g in grads.values())))
        grad_results[bname] = {
            "examples": batches[bname],
            "shape": list(dec.shape),
            "scored_tokens": int((lab >= 0).sum()),
            "ce_loss": ce.item(),
            "kl_loss": kl.item(),
            "loss": loss.item(),
            "grad_norm_total": total,
            "student_logits": stats(s_logits),
            "teacher_logits": stats(t_logits),
            "grads": grads,
        }
        print(f"{bname}: shape {list(dec.shape)} ce {ce.item():.6f} kl {kl.item():.6f} loss {loss.item():.6f} |g| {total:.6f}")
    student.zero_grad(set_to_none=True)
    return student, grad_results


def run_trajectory(teacher, batch_tensors, trainable):
    """STEPS optimiser steps (accumulation over [A], [B]) from a fresh student, then one forward."""
    student = make_student(teacher)
    params = dict(student.named_parameters())
    initial = {n: params[n].detach().clone() for n in trainable}
    decay = decay_parameter_names(student, [nn.LayerNorm], [student.model.encoder])
    decay = [n for n in decay if "bias" not in n]
    groups = [
        {"params": [p for n, p in student.named_parameters() if n in decay], "weight_decay": WEIGHT_DECAY},
        {"params": [p for n, p in student.named_parameters() if n not in decay], "weight_decay": 0.0},
    ]
    decayed_trainable = [n for n in trainable if n in decay]
    optimizer = torch.optim.AdamW(groups, lr=PEAK_LR, betas=BETAS, eps=EPS)
    scheduler = get_scheduler("linear", optimizer=optimizer, num_warmup_steps=WARMUP, num_training_steps=TOTAL_STEPS)

    def lam(step):  # HF linear schedule with warmup, closed form
        if step < WARMUP:
            return step / max(1, WARMUP)
        return max(0.0, (TOTAL_STEPS - step) / max(1, TOTAL_STEPS - WARMUP))

    micro = ["A", "B"]
    steps = []
    for k in range(1, STEPS + 1):
        lr_used = optimizer.param_groups[0]["lr"]
        assert lr_used == PEAK_LR * lam(k - 1) and optimizer.param_groups[1]["lr"] == lr_used, (k, lr_used)
        vals = []
        for m in micro:
            enc, dec, lab = batch_tensors[m]
            loss, ce, kl, _, _ = forward_loss(student, teacher, enc, dec, lab)
            (loss / ACCUMULATION).backward()  # accelerate's backward divides by gradient_accumulation_steps
            vals.append((loss.item(), ce.item(), kl.item()))
        grad_norm_f64 = float(np.sqrt(sum(float((p.grad.double() ** 2).sum()) for p in student.parameters() if p.grad is not None)))
        grad_norm = torch.nn.utils.clip_grad_norm_(student.parameters(), MAX_GRAD_NORM)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        rec = {
            "step": k,
            "learning_rate": lr_used,
            "micro_batches": [{"examples": [m], "loss": v[0], "ce_loss": v[1], "kl_loss": v[2]} for m, v in zip(micro, vals)],
            "loss": sum(v[0] for v in vals) / len(vals),
            "ce_loss": sum(v[1] for v in vals) / len(vals),
            "kl_loss": sum(v[2] for v in vals) / len(vals),
            "grad_norm": float(grad_norm),
            "grad_norm_f64": grad_norm_f64,
            "lr_logged_by_reference": scheduler.get_last_lr()[0],
        }
        steps.append(rec)
        print(f"step {k}: lr {lr_used:.3g} loss {rec['loss']:.6f} ce {rec['ce_loss']:.6f} kl {rec['kl_loss']:.6f} grad_norm {rec['grad_norm']:.6f} (f64 {grad_norm_f64:.6f})")
    after = {"step": STEPS + 1, "forward_only": True, "micro_batches": []}
    with torch.no_grad():
        for m in micro:
            enc, dec, lab = batch_tensors[m]
            loss, ce, kl, _, _ = forward_loss(student, teacher, enc, dec, lab)
            after["micro_batches"].append({"examples": [m], "loss": loss.item(), "ce_loss": ce.item(), "kl_loss": kl.item()})
    for key in ("loss", "ce_loss", "kl_loss"):
        after[key] = sum(mb[key] for mb in after["micro_batches"]) / len(micro)
    print(f"after step {STEPS}: loss {after['loss']:.6f} ce {after['ce_loss']:.6f} kl {after['kl_loss']:.6f}")
    deltas = {n: stats(params[n].detach() - initial[n], samples=False) for n in trainable}
    return student, steps, after, deltas, decayed_trainable, decay


def report_precision(fixture, enc64, g64, steps64, after64):
    """How far the float32 numbers are from a float64 recomputation (same inputs and token ids)."""
    rel = lambda a, b: abs(a - b) / abs(b)
    for name, e in enc64.items():
        ref, s64 = fixture["inputs"]["clips"][name]["encoder_output"], stats(e)
        print(f"encoder {name}: norm rel {rel(ref['norm'], s64['norm']):.2e}, max |dproj|/norm {max(abs(a - b) for a, b in zip(ref['proj'], s64['proj'])) / s64['norm']:.2e}")
    for b, r64 in g64.items():
        r32 = fixture["batches"][b]
        worst = {"norm": 0.0, "proj/norm": 0.0, "sum/norm": 0.0, "sample/max|sample|": 0.0}
        for n, s64 in r64["grads"].items():
            s32 = r32["grads"][n]
            worst["norm"] = max(worst["norm"], rel(s32["norm"], s64["norm"]))
            worst["proj/norm"] = max(worst["proj/norm"], max(abs(a - c) for a, c in zip(s32["proj"], s64["proj"])) / s64["norm"])
            worst["sum/norm"] = max(worst["sum/norm"], abs(s32["sum"] - s64["sum"]) / s64["norm"])
            worst["sample/max|sample|"] = max(worst["sample/max|sample|"], max(abs(a - c) for a, c in zip(s32["samples"], s64["samples"])) / max(abs(c) for c in s64["samples"]))
        print(f"batch {b}: loss rel {rel(r32['loss'], r64['loss']):.2e} ce {rel(r32['ce_loss'], r64['ce_loss']):.2e} kl {rel(r32['kl_loss'], r64['kl_loss']):.2e}; "
              f"grads worst " + ", ".join(f"{k} {v:.2e}" for k, v in worst.items()))
    for s32, s64 in zip(fixture["trajectory"]["steps"], steps64):
        print(f"step {s32['step']}: loss rel {rel(s32['loss'], s64['loss']):.2e}, grad_norm rel {rel(s32['grad_norm'], s64['grad_norm_f64']):.2e}, "
              f"grad_norm_f64 rel {rel(s32['grad_norm_f64'], s64['grad_norm_f64']):.2e}")
    a32 = fixture["trajectory"]["after"]
    print(f"after: loss rel {rel(a32['loss'], after64['loss']):.2e} ce {rel(a32['ce_loss'], after64['ce_loss']):.2e} kl {rel(a32['kl_loss'], after64['kl_loss']):.2e}")


# ---------------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--teacher", default=DEFAULT_TEACHER)
    ap.add_argument("--audio", default=DEFAULT_AUDIO)
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--check-f64", action="store_true",
                    help="after writing, recompute losses, gradients and the trajectory in float64 and print how far the float32 fixture is from them")
    args = ap.parse_args()
    t_start = time.time()
    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    assert r_one(1, 1) == 0.11804341711103916 and r_one(0, 1) == -0.4999905696604401
    for i in (0, 1, 2, 12345, 104729 * 15 + 7):
        for s in (1, 2, 3, 4):
            assert r_vec(i + 1, s)[i] == r_one(i, s)

    teacher = WhisperForConditionalGeneration.from_pretrained(args.teacher, dtype=torch.float32).eval()
    cfg = teacher.config
    assert cfg.dropout == 0 and cfg.attention_dropout == 0 and cfg.activation_dropout == 0
    assert cfg.decoder_layerdrop == 0 and not cfg.apply_spec_augment  # train() mode is then deterministic
    assert cfg.decoder_layers == 6 and cfg.d_model == 512
    fe = WhisperFeatureExtractor.from_pretrained(args.teacher)
    tok = WhisperTokenizerFast.from_pretrained(args.teacher)
    # base = multilingual v2 ids
    SOT, EN, TRANSCRIBE, NOTS, PREV, EOT, TS0 = 50258, 50259, 50359, 50363, 50361, 50257, 50364
    pad = cfg.pad_token_id
    assert pad == EOT and cfg.decoder_start_token_id == SOT

    # ---- inputs
    pcm = read_wav(args.audio)
    clips = {"A": (0, len(pcm)), "B": (0, 80000)}
    feats, enc_out, clip_meta = {}, {}, {}
    for name, (a, b) in clips.items():
        f = fe(pcm[a:b], sampling_rate=16000, return_tensors="pt").input_features
        with torch.no_grad():
            e = teacher.model.encoder(f).last_hidden_state
        feats[name], enc_out[name] = f, e
        clip_meta[name] = {
            "samples": [a, b],
            "features": {"shape": list(f.shape), **stats(f)},
            "encoder_output": {"shape": list(e.shape), **stats(e)},
        }

    def greedy(name, timestamps):
        with torch.no_grad():
            kw = {"return_timestamps": True, "force_unique_generate_call": True} if timestamps else {}
            ids = teacher.generate(feats[name], language="en", task="transcribe", **kw)[0].tolist()
        # keep text and timestamp ids; drop SOT / language / task / EOT however generate() returns them
        return [t for t in ids if t < EOT or t >= TS0]

    a_text = greedy("A", timestamps=False)
    assert a_text and all(t < EOT for t in a_text)
    b_text = greedy("B", timestamps=True)
    assert b_text and b_text[0] >= TS0, b_text
    prompt_text = " And so my fellow Americans"
    prompt_ids = tok.encode(prompt_text, add_special_tokens=False)
    full = {
        "A": [SOT, EN, TRANSCRIBE, NOTS] + a_text + [EOT],
        "B": [PREV] + prompt_ids + [SOT, EN, TRANSCRIBE] + b_text + [EOT],
    }
    examples = {}
    batches = {"A": ["A"], "B": ["B"], "AB": ["A", "B"]}
    batch_tensors = {}
    for bname, members in batches.items():
        dec, lab = collate([full[m] for m in members], pad, SOT)
        enc = torch.cat([enc_out[m] for m in members], 0)
        batch_tensors[bname] = (enc, dec, lab)
    for name in ("A", "B"):
        _, dec, lab = batch_tensors[name]
        examples[name] = {
            "clip": name,
            "labels_full": full[name],
            "decoder_input_ids": dec[0].tolist(),
            "labels": lab[0].tolist(),
            "scored_tokens": int((lab >= 0).sum()),
        }
    def show(ids):  # text with <|t.tt|> timestamps computed from the ids (0.02 s per step)
        out, run = "", []
        for t in ids + [None]:
            if t is None or t >= TS0:
                out += tok.decode(run)
                run = []
                if t is not None:
                    out += "<|%.2f|>" % ((t - TS0) * 0.02)
            else:
                run.append(t)
        return out

    examples["A"]["text"] = show(a_text)
    examples["B"]["text"] = show(b_text)
    examples["B"]["prompt_text"] = prompt_text

    # ---- student and its gradients on each batch
    trainable = [n for n, p in make_student(teacher).named_parameters() if p.requires_grad]
    assert sorted(trainable) == sorted(expected_trainable(len(LAYER_MAP))), trainable
    student, grad_results = batch_gradients(teacher, batch_tensors, batches, trainable)
    grad_results["AB"]["decoder_input_ids"] = batch_tensors["AB"][1].tolist()
    grad_results["AB"]["labels"] = batch_tensors["AB"][2].tolist()

    # checks, recorded: padding to 448 (the reference) vs to the longest; PyTorch's teacher input for B
    checks = {}
    enc, dec, lab = batch_tensors["A"]
    dec448 = torch.cat([dec, torch.full((1, 447 - dec.shape[1]), pad)], 1)
    lab448 = torch.cat([lab, torch.full((1, 447 - lab.shape[1]), -100)], 1)
    with torch.no_grad():
        l448, c448, k448, _, _ = forward_loss(student, teacher, enc, dec448, lab448)
    ra = grad_results["A"]
    checks["A_padded_to_448_minus_unpadded"] = {
        "loss": l448.item() - ra["loss"], "ce_loss": c448.item() - ra["ce_loss"], "kl_loss": k448.item() - ra["kl_loss"]}
    enc, dec, lab = batch_tensors["B"]
    shifted = torch.cat([torch.full((1, 1), SOT), lab[:, :-1]], 1).masked_fill(torch.cat([torch.full((1, 1), SOT), lab[:, :-1]], 1) == -100, pad)
    with torch.no_grad():
        lpt, cpt, kpt, _, _ = forward_loss(student, teacher, enc, dec, lab, teacher_dec=shifted)
    checks["B_with_pytorch_teacher_input"] = {
        "teacher_decoder_input_ids": shifted[0].tolist(),
        "loss": lpt.item(), "ce_loss": cpt.item(), "kl_loss": kpt.item(),
        "note": "run_distillation.py feeds the teacher shift_tokens_right(labels) (-100 -> pad): for a prompted sample the teacher sees SOT, pad..., not the prompt; CE is unchanged",
    }
    enc, dec, lab = batch_tensors["A"]
    shifted_a = torch.cat([torch.full((1, 1), SOT), lab[:, :-1]], 1).masked_fill(torch.cat([torch.full((1, 1), SOT), lab[:, :-1]], 1) == -100, pad)
    checks["A_pytorch_teacher_input_equals_decoder_input_ids"] = bool(torch.equal(shifted_a, dec))
    print("checks:", {k: v for k, v in checks.items() if k != "B_with_pytorch_teacher_input"}, "B pytorch-teacher kl", kpt.item())

    # ---- 3-step trajectory from a fresh student
    student, steps, after, deltas, decayed_trainable, decay = run_trajectory(teacher, batch_tensors, trainable)
    tsd = teacher.state_dict()
    for n, p in student.named_parameters():  # frozen parameters untouched by the optimizer
        if not p.requires_grad:
            assert torch.equal(p, tsd[n]), n

    fixture = {
        "description": "2-layer Whisper-base student distilled from Whisper base on jfk.wav: losses, per-parameter gradient statistics, a 3-step AdamW trajectory (tools/reference/distill/make_grad_fixtures.py)",
        "meta": {
            "reference": DW,
            "sources": SOURCES,
            "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "numpy": np.__version__, "python": platform.python_version()},
            "dtype": "float32 (weights stored float16, loaded as float32); statistics accumulated in float64",
            "threads": THREADS,
            "attn_implementation": teacher.config._attn_implementation,
            "teacher_dir": "tools/real-weights/fetch.sh base (CTranslate2 Whisper base converted to a HF directory)",
            "audio": os.path.basename(args.audio),
            "seconds": None,
        },
        "hash": {
            "r": "r_s(i) = (((i * 2654435761) mod 2^32 + s * 40503) mod 2^32) / 2^32 - 0.5, i = flat row-major index, s = 1..4",
            "r_typescript": "const r = (i, s) => ((((Math.imul(i, 2654435761) >>> 0) + s * 40503) >>> 0) / 4294967296 - 0.5);",
            "proj": "proj[s-1] = sum_i x_i * r_s(i)",
            "samples": "samples[j] = x[(j * 104729 + 7) mod numel], j = 0..15",
            "norm": "sqrt(sum_i x_i^2)",
        },
        "student": {
            "decoder_layers": len(LAYER_MAP),
            "layer_map": LAYER_MAP,
            "encoder": "all 6 teacher layers, frozen",
            "frozen": ["model.encoder.*", "model.decoder.embed_positions.weight"],
            "trainable": trainable,
            "tied": "proj_out.weight is model.decoder.embed_tokens.weight (one parameter; its gradient sums the input-embedding and output-projection parts)",
        },
        "loss": {
            "temperature": T, "ce_weight": CE_WEIGHT, "kl_weight": KL_WEIGHT,
            "teacher_input": "the student's decoder_input_ids (Flax behaviour, WAVE2 A7); identical to run_distillation.py's shift_tokens_right(labels) for A, different for the prompted B",
            "normalisation": "CE and KL each averaged over the batch's label tokens (labels != -100)",
        },
        "inputs": {
            "clips": clip_meta,
            "features": "transformers WhisperFeatureExtractor (checkpoint's preprocessor_config) on int16/32768 float32 PCM, padded to 30 s",
            "encoder_output": "the frozen teacher encoder (= the student's) in float32; teacher and student decoders both read it",
            "examples": examples,
            "collation": "one micro-batch per example (shape 1 x (len(labels_full) - 1)), padded to the batch's longest for AB: pad id 50257 in decoder_input_ids, -100 in labels",
        },
        "batches": grad_results,
        "checks": checks,
        "trajectory": {
            "optimizer": {
                "type": "torch.optim.AdamW", "betas": list(BETAS), "eps": EPS, "weight_decay": WEIGHT_DECAY,
                "decay_group": decayed_trainable,
                "no_decay_group": [n for n in trainable if n not in decay],
                "grouping_rule": "decay = parameter names outside LayerNorm modules and outside the frozen encoder, minus names containing 'bias' (embed_positions lands in the decay group but is frozen: no gradient, untouched)",
            },
            "schedule": {
                "type": "transformers get_scheduler('linear') (= get_linear_schedule_with_warmup)", "peak_lr": PEAK_LR,
                "warmup_steps": WARMUP, "total_steps": TOTAL_STEPS,
                "rule": "optimizer step k (1-based) uses lr = peak * lambda(k-1), lambda(s) = s / warmup for s < warmup else max(0, (total - s) / (total - warmup)); step 1 uses lr 0 (AdamW moments and step count still advance, parameters unchanged), so steps 1 and 2 see the same parameters",
            },
            "clipping": "torch.nn.utils.clip_grad_norm_(all student parameters, 1.0): total L2 norm over parameters with a gradient; grads scaled by min(1, 1 / (norm + 1e-6)); grad_norm is the norm before clipping as torch returns it (float32 accumulation: off by ~1e-4 relative on 26.5 M embedding entries), grad_norm_f64 the same norm accumulated in float64 (compare against this one)",
            "accumulation": "2 micro-batches per step, [A] then [B]; each micro-batch loss (normalised by its own label-token count) divided by 2 before backward; loss/ce_loss/kl_loss per step = mean of the undivided micro-batch values (the reference logs the last micro-batch's metrics)",
            "lr_logged_by_reference": "lr_scheduler.get_last_lr() after the step, i.e. the next step's lr (what run_distillation.py logs)",
            "steps": steps,
            "after": after,
            "param_delta_after_last_step": deltas,
        },
    }
    fixture["meta"]["seconds"] = round(time.time() - t_start, 1)
    with open(args.out, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print("wrote", args.out, os.path.getsize(args.out), "bytes in", fixture["meta"]["seconds"], "s")

    if args.check_f64:
        teacher = teacher.double()
        enc64 = {}
        for name in clips:
            with torch.no_grad():
                enc64[name] = teacher.model.encoder(feats[name].double()).last_hidden_state
        bt64 = {b: (torch.cat([enc64[m] for m in members], 0), batch_tensors[b][1], batch_tensors[b][2]) for b, members in batches.items()}
        _, g64 = batch_gradients(teacher, bt64, batches, trainable)
        _, steps64, after64, _, _, _ = run_trajectory(teacher, bt64, trainable)
        report_precision(fixture, enc64, g64, steps64, after64)


if __name__ == "__main__":
    main()
