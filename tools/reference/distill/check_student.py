#!/usr/bin/env python3
"""Checks a student written by `distil-whisper create-student` against the PyTorch procedure.

distil-whisper's training/create_student_model.py (@cc96130 lines 114-183) builds a student as:
  1. student config = deep copy of the teacher config, encoder_layers / decoder_layers replaced;
  2. student = WhisperForConditionalGeneration(config); student.load_state_dict(teacher, strict=False)
     (missing keys are an error);
  3. student decoder layer i <- teacher decoder layer map[i], map = linspace(0, L-1, N, dtype=int)
     with map[-1] = L-1, or the given layer numbers; the same for the encoder when encoder_layers
     is given;
  4. generation config copied with forced_decoder_ids = None.
This script re-implements those steps in a few lines (the student is built in the teacher's stored
dtype so tensors compare bit for bit; the script itself saves in float32 under transformers 4),
loads OUR output directory with WhisperForConditionalGeneration.from_pretrained, and asserts:
no missing / unexpected keys, every tensor equal (same dtype, torch.equal), the layer counts of the
config, forced_decoder_ids gone and the rest of the generation config kept, and that one forward
pass of our student gives the same logits as the re-built one. It also records numpy's layer maps
for a grid of (teacher, student) layer counts, which the TypeScript tests compare against.

Usage (from the repository root; OURS written beforehand by the CLI):
  node --conditions=@distil-whisper/source --import tsx packages/distil-whisper/src/cli.ts \\
      create-student --teacher TEACHER --decoder-layers 2 --out OURS
  python tools/reference/distill/check_student.py --name base-6to2 --teacher TEACHER --ours OURS \\
      --decoder-layers 2 [--encoder-layers N] [--decoder-layer-ids 0 5] [--encoder-layer-ids ...] \\
      [--summary tools/reference/distill/fixtures/student_check.json]
The summary file gathers one entry per --name (rerunning a name replaces its entry) plus the
layer maps. Exit status 1 when a check fails.
Needs: torch, transformers, numpy.
"""
import argparse
import copy
import json
import os
import sys

import numpy as np
import torch
import transformers
from transformers import GenerationConfig, WhisperForConditionalGeneration


def layer_map(teacher_layers, student_layers, ids=None):
    if ids is not None:
        return list(ids)
    m = np.linspace(0, teacher_layers - 1, student_layers, dtype=int)
    m[-1] = teacher_layers - 1
    return [int(x) for x in m]


def layer_map_grid():
    grid = []
    for teacher in list(range(1, 9)) + [12, 16, 24, 32]:
        for student in range(1, teacher + 1):
            grid.append({"teacher": teacher, "student": student, "map": layer_map(teacher, student)})
    return grid


def build_reference_student(teacher, decoder_layers, encoder_layers, decoder_ids, encoder_ids):
    """Steps 1-3 of create_student_model.py, in the teacher's dtype."""
    tc = teacher.config
    enc_n = len(encoder_ids) if encoder_ids is not None else (encoder_layers or tc.encoder_layers)
    dec_n = len(decoder_ids) if decoder_ids is not None else decoder_layers
    config = copy.deepcopy(tc)
    config.update({"encoder_layers": enc_n, "decoder_layers": dec_n})
    student = WhisperForConditionalGeneration(config).to(teacher.dtype)
    missing, _ = student.load_state_dict(teacher.state_dict(), strict=False)
    assert not missing, f"missing keys in the teacher state dict: {missing}"
    dec_map = layer_map(tc.decoder_layers, dec_n, decoder_ids)
    for s, t in enumerate(dec_map):
        student.model.decoder.layers[s].load_state_dict(teacher.model.decoder.layers[t].state_dict())
    enc_mapped = encoder_layers is not None or encoder_ids is not None
    enc_map = layer_map(tc.encoder_layers, enc_n, encoder_ids) if enc_mapped else list(range(enc_n))
    if enc_mapped:
        for s, t in enumerate(enc_map):
            student.model.encoder.layers[s].load_state_dict(teacher.model.encoder.layers[t].state_dict())
    return student.eval(), dec_map, enc_map


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--teacher", required=True)
    ap.add_argument("--ours", required=True)
    ap.add_argument("--decoder-layers", type=int, default=2)
    ap.add_argument("--encoder-layers", type=int)
    ap.add_argument("--decoder-layer-ids", type=int, nargs="+")
    ap.add_argument("--encoder-layer-ids", type=int, nargs="+")
    ap.add_argument("--summary")
    a = ap.parse_args()

    teacher = WhisperForConditionalGeneration.from_pretrained(a.teacher, dtype="auto").eval()
    ref, dec_map, enc_map = build_reference_student(
        teacher, a.decoder_layers, a.encoder_layers, a.decoder_layer_ids, a.encoder_layer_ids
    )
    ours, info = WhisperForConditionalGeneration.from_pretrained(a.ours, dtype="auto", output_loading_info=True)
    ours.eval()
    problems = []
    missing, unexpected = list(info.get("missing_keys", [])), list(info.get("unexpected_keys", []))
    if missing or unexpected:
        problems.append(f"loading info: missing {missing}, unexpected {unexpected}")

    ref_sd, our_sd = ref.state_dict(), ours.state_dict()
    if set(ref_sd) != set(our_sd):
        problems.append(f"state dict keys differ: {sorted(set(ref_sd) ^ set(our_sd))}")
    unequal = [k for k in sorted(set(ref_sd) & set(our_sd))
               if our_sd[k].dtype != ref_sd[k].dtype or not torch.equal(our_sd[k], ref_sd[k])]
    if unequal:
        problems.append(f"{len(unequal)} tensors differ, e.g. {unequal[:5]}")
    dtypes = sorted({str(t.dtype) for t in our_sd.values()})

    for key in ("encoder_layers", "decoder_layers", "num_hidden_layers", "d_model", "vocab_size"):
        if getattr(ours.config, key) != getattr(ref.config, key):
            problems.append(f"config {key}: ours {getattr(ours.config, key)} vs {getattr(ref.config, key)}")
    drop = {"_name_or_path", "transformers_version", "dtype", "torch_dtype", "architectures"}
    ours_cfg = {k: v for k, v in ours.config.to_dict().items() if k not in drop}
    ref_cfg = {k: v for k, v in ref.config.to_dict().items() if k not in drop}
    config_diff = sorted(k for k in set(ours_cfg) | set(ref_cfg) if ours_cfg.get(k) != ref_cfg.get(k))
    if config_diff:
        problems.append(f"config keys differ: {config_diff}")

    ours_gen = GenerationConfig.from_pretrained(a.ours)
    teacher_gen = GenerationConfig.from_pretrained(a.teacher)
    teacher_gen.forced_decoder_ids = None  # step 4
    if getattr(ours_gen, "forced_decoder_ids", None) is not None:
        problems.append(f"forced_decoder_ids kept: {ours_gen.forced_decoder_ids}")
    gen_drop = {"transformers_version"}
    og = {k: v for k, v in ours_gen.to_dict().items() if k not in gen_drop}
    tg = {k: v for k, v in teacher_gen.to_dict().items() if k not in gen_drop}
    gen_diff = sorted(k for k in set(og) | set(tg) if og.get(k) != tg.get(k))
    if gen_diff:
        problems.append(f"generation config keys differ: {gen_diff}")

    # One forward pass (float32 copies: half-precision matmuls are not available everywhere on CPU).
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(1, ours.config.num_mel_bins, 3000, generator=g)
    start = ours.config.decoder_start_token_id
    ids = torch.tensor([[start]])  # as create_student_model.py's own check
    with torch.no_grad():
        ours32, ref32 = ours.float(), ref.float()
        lo = ours32(input_features=feats, decoder_input_ids=ids).logits
        lr = ref32(input_features=feats, decoder_input_ids=ids).logits
    logits_diff = float((lo - lr).abs().max())
    if not torch.isfinite(lo).all() or logits_diff != 0.0:
        problems.append(f"forward: max |logits diff| {logits_diff}, finite {bool(torch.isfinite(lo).all())}")

    result = {
        "name": a.name,
        "teacher": os.path.basename(os.path.normpath(a.teacher)),
        "teacher_layers": {"encoder": teacher.config.encoder_layers, "decoder": teacher.config.decoder_layers},
        "student_layers": {"encoder": ours.config.encoder_layers, "decoder": ours.config.decoder_layers},
        "decoder_layer_map": dec_map,
        "encoder_layer_map": enc_map,
        "tensors": len(our_sd),
        "tensors_equal": len(set(ref_sd) & set(our_sd)) - len(unequal),
        "dtypes": dtypes,
        "parameters": {"teacher": int(sum(p.numel() for p in teacher.parameters())),
                       "student": int(sum(p.numel() for p in ours.parameters()))},
        "forward_logits_shape": list(lo.shape),
        "forward_max_abs_diff": logits_diff,
        "problems": problems,
        "ok": not problems,
    }
    print(json.dumps(result, indent=1))
    if a.summary:
        summary = {}
        if os.path.exists(a.summary):
            with open(a.summary) as f:
                summary = json.load(f)
        summary["tool"] = "tools/reference/distill/check_student.py"
        summary["versions"] = {"torch": torch.__version__, "transformers": transformers.__version__,
                               "numpy": np.__version__}
        cases = [c for c in summary.get("cases", []) if c["name"] != a.name] + [result]
        summary["cases"] = sorted(cases, key=lambda c: c["name"])
        summary["layer_maps"] = layer_map_grid()
        write_summary(a.summary, summary)
    sys.exit(0 if not problems else 1)


def write_summary(path, summary):
    """Indented JSON, with one line per layer map to keep the file short."""
    head = json.dumps({k: v for k, v in summary.items() if k != "layer_maps"}, indent=1)
    maps = ",\n  ".join(json.dumps(m) for m in summary["layer_maps"])
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(head[:-2] + ',\n "layer_maps": [\n  ' + maps + "\n ]\n}\n")


if __name__ == "__main__":
    main()
