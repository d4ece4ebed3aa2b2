#!/usr/bin/env python3
"""PyTorch baseline for the distillation training-step benchmark.

Builds the 2-layer student from a Whisper teacher as distil-whisper's create_student_model.py does
(teacher config with decoder_layers = 2, all teacher weights loaded, decoder layers from the teacher's
first and last; encoder and decoder positional embeddings frozen) and times the training step of
distil-whisper's run_distillation.py (train_step + the optimiser part of its loop):

  student decoder forward (HF CE loss) -> teacher decoder forward under no_grad on the same encoder
  states -> loss = 0.8 * CE + 1.0 * T^2 * KL (T = 2) -> backward -> clip_grad_norm_(1.0) -> AdamW
  step (weight decay 0.01 on the decay group, bias and LayerNorm excluded) -> zero_grad

The encoder is frozen and its output is shared by teacher and student, so the encoder is NOT run per
step: the step consumes random encoder states of the right shape (batch x 1500 x d_model, seeded),
as a trainer that caches encoder outputs per sample does. The teacher's cross-attention K/V are
computed inside its forward (as transformers does), every step. The teacher reads the student's
decoder_input_ids (same cost as run_distillation.py's shifted labels). Labels are seeded random
text ids after an SOT prefix (SOT, language, task, no-timestamps), then EOT, then padding (-100),
lengths uniform in [seq_len / 2, seq_len] with the longest row at seq_len. No LR scheduler (its cost
is negligible).

  python benchmarks/distill/torch_step.py --teacher DIR --batch-size 8 --seq-len 64 --steps 5 --threads 2 --json

Prints one JSON line (--json) or a short summary: step_seconds_median / _min over the timed steps
after one warm-up step, tokens_per_second = batch_size * seq_len / median, peak_rss_mb (ru_maxrss).
Needs: torch, transformers (the teacher directory: tools/real-weights/fetch.sh base).
"""
import argparse
import copy
import json
import os
import resource
import statistics
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--teacher", default=os.path.expanduser("~/.cache/distil-whisper/real-weights/hf/base"))
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--seq-len", type=int, default=64)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print one JSON line")
    args = ap.parse_args()

    import torch
    import torch.nn as nn
    from transformers import WhisperForConditionalGeneration
    from transformers.modeling_outputs import BaseModelOutput

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)
    B, N, T = args.batch_size, args.seq_len, 2.0

    teacher = WhisperForConditionalGeneration.from_pretrained(args.teacher, dtype=torch.float32).eval()
    cfg = teacher.config
    L = cfg.decoder_layers
    layer_map = [0, L - 1]
    scfg = copy.deepcopy(cfg)
    scfg.update({"decoder_layers": 2})
    student = WhisperForConditionalGeneration(scfg).to(torch.float32)
    missing, _ = student.load_state_dict(teacher.state_dict(), strict=False)
    assert not missing, missing
    for i, layer in enumerate(layer_map):
        student.model.decoder.layers[i].load_state_dict(teacher.model.decoder.layers[layer].state_dict())
    for p in student.model.encoder.parameters():
        p.requires_grad = False
    for p in student.model.decoder.embed_positions.parameters():
        p.requires_grad = False
    for p in teacher.parameters():
        p.requires_grad = False
    # the encoders are never run here: drop them to keep memory honest (states are given)
    student.model.encoder = None
    teacher.model.encoder = None
    student.to(dev)
    teacher.to(dev)

    # decay groups as run_distillation.py: no decay for biases and LayerNorm parameters
    norm_names = {f"{mn}.{pn}" for mn, m in student.named_modules() if isinstance(m, nn.LayerNorm) for pn, _ in m.named_parameters(recurse=False)}
    decay = [p for n, p in student.named_parameters() if p.requires_grad and "bias" not in n and n not in norm_names]
    no_decay = [p for n, p in student.named_parameters() if p.requires_grad and ("bias" in n or n in norm_names)]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=1e-4, betas=(0.9, 0.999), eps=1e-8)

    # inputs (seeded)
    g = torch.Generator().manual_seed(args.seed)
    enc = torch.randn(B, cfg.max_source_positions, cfg.d_model, generator=g).to(dev)
    gen = teacher.generation_config
    sot, eot, pad = cfg.decoder_start_token_id, gen.eos_token_id, cfg.pad_token_id
    prefix = [sot]
    if getattr(gen, "is_multilingual", False):
        prefix += [gen.lang_to_id["<|en|>"], gen.task_to_id["transcribe"]]
    prefix += [gen.no_timestamps_token_id]
    lengths = torch.randint(N // 2, N + 1, (B,), generator=g).tolist()
    lengths[0] = N  # the longest row sets the width: decoder_input_ids is B x N
    dec = torch.full((B, N), pad, dtype=torch.long)
    lab = torch.full((B, N), -100, dtype=torch.long)
    for b, n in enumerate(lengths):
        text = torch.randint(220, 50000, (n + 1 - len(prefix) - 1,), generator=g).tolist()
        full = prefix + text + [eot]  # n + 1 tokens
        dec[b, :n] = torch.tensor(full[:-1])
        lab[b, :n] = torch.tensor(full[1:])
    dec, lab = dec.to(dev), lab.to(dev)
    label_tokens = int((lab >= 0).sum())
    enc_out = BaseModelOutput(last_hidden_state=enc)

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    def step():
        student.train()
        s_out = student(encoder_outputs=enc_out, decoder_input_ids=dec, labels=lab, use_cache=False)
        with torch.no_grad():
            t_out = teacher(encoder_outputs=enc_out, decoder_input_ids=dec, use_cache=False)
        target = nn.functional.softmax(t_out.logits / T, dim=-1)
        log_pred = nn.functional.log_softmax(s_out.logits / T, dim=-1)
        mask = (lab >= 0).unsqueeze(-1)
        kl = (nn.KLDivLoss(reduction="none")(log_pred, target) * mask).sum() / mask.sum() * T**2
        loss = 0.8 * s_out.loss + 1.0 * kl
        loss.backward()
        torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.item()

    times, losses = [], []
    for i in range(args.steps + 1):
        sync()
        t0 = time.perf_counter()
        losses.append(step())
        sync()
        if i > 0:  # step 0 is the warm-up
            times.append(time.perf_counter() - t0)

    med = statistics.median(times)
    result = {
        "step_seconds_median": med,
        "step_seconds_min": min(times),
        "tokens_per_second": B * N / med,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "torch_version": torch.__version__,
        "threads": args.threads,
        "batch_size": B,
        "seq_len": N,
        "device": args.device if dev.type == "cpu" else torch.cuda.get_device_name(0),
        "label_tokens_per_step": label_tokens,
        "steps_timed": len(times),
        "teacher": os.path.basename(os.path.normpath(args.teacher)),
        "losses": [round(x, 6) for x in losses],
        "measures": "teacher decoder fwd (no_grad) + student decoder fwd/bwd + loss + clip_grad_norm_ + AdamW step + zero_grad; encoder not run (frozen, states shared)",
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"step {med:.3f} s median, {min(times):.3f} s min, {B * N / med:.1f} tokens/s, peak RSS {result['peak_rss_mb']:.0f} MB "
              f"(batch {B} x {N}, {args.threads} threads, torch {torch.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
