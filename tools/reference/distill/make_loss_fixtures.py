#!/usr/bin/env python3
"""Distillation-objective fixtures on small logits (no weights needed).

Writes tools/reference/distill/fixtures/loss_cases.json. Each case holds student logits z_s
(rows x vocab), optional teacher logits z_t, labels (-100 = not scored), a temperature T and the two
weights, and the expected values of the objective that distil-whisper's training/run_distillation.py
optimises (train_step + kl_divergence, @cc96130 lines 1453-1495):

  CE  = torch CrossEntropyLoss(mean) over rows whose label != -100   (HF WhisperForConditionalGeneration loss)
  KL  = T^2 * sum_rows m_r * sum_v KLDivLoss(reduction="none")(log_softmax(z_s/T), softmax(z_t/T)) / sum_r m_r
  loss = ce_weight * CE + kl_weight * KL        (the code uses 0.8 / 1.0; the paper prints 1.0 / 0.8)
  grad = d loss / d z_s                       (autograd)

Inputs are drawn in float32 (seeded numpy) and stored as float32-representable numbers; everything
is computed in float64 from them. A case without teacher logits has no KL term (kl_loss 0).

Usage: python tools/reference/distill/make_loss_fixtures.py     (deterministic; rewrites the same bytes)
Needs: torch, numpy.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "loss_cases.json")


def objective(zs, zt, labels, T, ce_weight, kl_weight):
    """The run_distillation.py objective in float64, with autograd for dL/dz_s."""
    zs = torch.tensor(zs, dtype=torch.float64, requires_grad=True)
    lab = torch.tensor(labels, dtype=torch.long)
    ce = nn.CrossEntropyLoss()(zs, lab)  # mean over labels != -100 (ignore_index default)
    if zt is not None:
        zt = torch.tensor(zt, dtype=torch.float64)
        target = nn.functional.softmax(zt / T, dim=-1)
        log_pred = nn.functional.log_softmax(zs / T, dim=-1)
        div = nn.KLDivLoss(reduction="none")(log_pred, target)  # target * (log target - log_pred), 0 where target == 0
        mask = (lab >= 0).unsqueeze(-1)
        kl = (div * mask).sum() / mask.sum() * T**2
    else:
        kl = torch.zeros((), dtype=torch.float64)
    loss = ce_weight * ce + kl_weight * kl
    loss.backward()
    check_closed_form(zs.detach(), zt, lab, T, ce_weight, kl_weight, zs.grad)
    return ce.item(), kl.item(), loss.item(), zs.grad.reshape(-1).tolist()


def check_closed_form(zs, zt, lab, T, ce_weight, kl_weight, grad):
    """Independent check of autograd: dL/dz_s = m/n * (ce_w (softmax(z_s) - onehot) + kl_w T (softmax(z_s/T) - softmax(z_t/T)))."""
    m = (lab >= 0).to(torch.float64).unsqueeze(-1)
    n = m.sum()
    onehot = torch.zeros_like(zs)
    rows = torch.nonzero(lab >= 0).squeeze(-1)
    onehot[rows, lab[rows]] = 1.0
    g = ce_weight * (torch.softmax(zs, -1) - onehot)
    if zt is not None:
        g = g + kl_weight * T * (torch.softmax(zs / T, -1) - torch.softmax(zt / T, -1))
    g = g * m / n
    assert torch.allclose(g, grad, rtol=1e-12, atol=1e-15), float((g - grad).abs().max())


def f32_list(a):
    a = np.asarray(a, dtype=np.float32)
    return [float(x) for x in a.reshape(-1)]


def dump_one_case_per_line(obj, key="cases"):
    """Pretty top level, one compact line per case (small diffs, small file)."""
    head = {k: v for k, v in obj.items() if k != key}
    text = json.dumps(head, indent=1)[:-2]
    lines = [json.dumps(c, separators=(",", ":")) for c in obj[key]]
    return text + ',\n "' + key + '": [\n  ' + ",\n  ".join(lines) + "\n ]\n}\n"


def main():
    rng = np.random.default_rng(20240611)
    cases = []

    def add(name, zs, zt, labels, T, ce_weight=0.8, kl_weight=1.0, note=None):
        zs = np.asarray(zs, dtype=np.float32)
        zt = None if zt is None else np.asarray(zt, dtype=np.float32)
        rows, vocab = zs.shape
        assert rows <= 12 and vocab <= 64 and len(labels) == rows
        ce, kl, loss, grad = objective(zs.astype(np.float64), None if zt is None else zt.astype(np.float64), labels, T, ce_weight, kl_weight)
        case = {
            "name": name,
            "rows": rows,
            "vocab": vocab,
            "temperature": T,
            "ce_weight": ce_weight,
            "kl_weight": kl_weight,
            "student_logits": f32_list(zs),
            "teacher_logits": None if zt is None else f32_list(zt),
            "labels": [int(x) for x in labels],
            "expected": {"ce_loss": ce, "kl_loss": kl, "loss": loss, "grad": grad},
        }
        if note:
            case["note"] = note
        cases.append(case)

    def normal(r, v, scale):
        return (rng.standard_normal((r, v)) * scale).astype(np.float32)

    def labels_for(r, v, ignore=()):
        lab = rng.integers(0, v, size=r).tolist()
        for i in ignore:
            lab[i] = -100
        return lab

    # 1-3: plain cases, both temperatures and both weightings
    zs, zt = normal(6, 16, 3.0), normal(6, 16, 3.0)
    lab = labels_for(6, 16)
    add("t2-code-weights", zs, zt, lab, 2.0)
    add("t1-code-weights", zs, zt, lab, 1.0, note="T = 1 is what run_distillation.py's eval_step uses")
    add("t2-paper-weights", zs, zt, lab, 2.0, ce_weight=1.0, kl_weight=0.8, note="paper eq. 6 weights (alpha_KL 0.8, alpha_PL 1.0)")

    # 4: some rows ignored (prompt / padding positions)
    zs, zt = normal(8, 32, 2.5), normal(8, 32, 2.5)
    add("t2-ignored-rows", zs, zt, labels_for(8, 32, ignore=(0, 1, 7)), 2.0)

    # 5: all rows but one ignored
    zs, zt = normal(5, 24, 2.0), normal(5, 24, 2.0)
    add("t2-one-row-scored", zs, zt, labels_for(5, 24, ignore=(0, 1, 2, 4)), 2.0)
    add("t1-one-row-scored-paper-weights", zs, zt, labels_for(5, 24, ignore=(0, 2, 3, 4)), 1.0, ce_weight=1.0, kl_weight=0.8)

    # 6: extreme logits: entries of +-80 mixed with ordinary values
    zs, zt = normal(6, 20, 4.0), normal(6, 20, 4.0)
    sign = rng.choice(np.array([-80.0, 80.0], dtype=np.float32), size=(6, 20))
    pick_s = rng.random((6, 20)) < 0.3
    pick_t = rng.random((6, 20)) < 0.3
    zs = np.where(pick_s, sign, zs).astype(np.float32)
    zt = np.where(pick_t, -sign, zt).astype(np.float32)
    lab = labels_for(6, 20, ignore=(2,))
    add("t2-extreme-80", zs, zt, lab, 2.0)
    add("t1-extreme-80", zs, zt, lab, 1.0)

    # 7: -1e4 entries: teacher probabilities underflow to exactly 0 (0 * log 0 = 0 in KLDivLoss);
    # the student has -1e4 entries too, mostly where the teacher is 0, once where it is not (large finite KL).
    zs, zt = normal(6, 16, 2.0), normal(6, 16, 2.0)
    zt[:, 10:] = -1e4
    zt[3, :] = -1e4
    zt[3, 5] = 3.0  # one-hot teacher row
    zs[:, 12:] = -1e4
    zs[1, 2] = -1e4  # teacher gives column 2 of row 1 ordinary mass: KL ~ 5000 * p_t * T^2 there
    lab = labels_for(6, 10, ignore=(5,))
    assert float(torch.softmax(torch.tensor(zt, dtype=torch.float64) / 2.0, -1)[0, 11]) == 0.0
    add("t2-underflow-1e4", zs, zt, lab, 2.0, note="teacher columns 10..15 at -1e4: p_t is exactly 0 there (also in float32)")
    zs2 = zs.copy()
    zs2[1, 2] = zs[1, 3]
    add("t1-underflow-1e4-finite", zs2, zt, lab, 1.0, note="as t2-underflow-1e4 without the student -1e4 under teacher mass")

    # 8: teacher == student: KL is 0 up to rounding of log(softmax) vs log_softmax
    zs = normal(7, 40, 3.0)
    add("t2-teacher-equals-student", zs, zs.copy(), labels_for(7, 40, ignore=(6,)), 2.0,
        note="KL is 0 analytically; the float64 value is at rounding level (compare absolutely, ~1e-12)")

    # 9: no teacher: CE only
    zs = normal(4, 16, 3.0)
    add("ce-only-no-teacher", zs, None, labels_for(4, 16, ignore=(1,)), 2.0,
        note="teacher_logits null: no KL term (kl_loss 0), loss = ce_weight * CE")

    # 10: the largest shape, mixed ignores, common offset (shift invariance of both softmaxes)
    zs, zt = normal(12, 64, 3.0), normal(12, 64, 3.0)
    add("t2-r12-v64", zs, zt, labels_for(12, 64, ignore=(0, 5, 6, 11)), 2.0)
    add("t2-r12-v64-offset", (zs + 300.0).astype(np.float32), (zt - 200.0).astype(np.float32),
        labels_for(12, 64, ignore=(0, 1)), 2.0, note="logits shifted by +300 (student) / -200 (teacher): tests max subtraction")

    out = {
        "description": "distil-whisper distillation objective on small logits (tools/reference/distill/make_loss_fixtures.py)",
        "source": "huggingface/distil-whisper@cc96130 training/run_distillation.py:1453-1495 (kl_divergence, train_step)",
        "formula": {
            "ce_loss": "mean over rows r with labels[r] != -100 of -log_softmax(z_s[r])[labels[r]]",
            "kl_loss": "T^2 * sum_{r: labels[r] != -100} sum_v p_t log(p_t / p_s) / #{r: labels[r] != -100}, p_t = softmax(z_t/T), log p_s = log_softmax(z_s/T), 0*log0 = 0",
            "loss": "ce_weight * ce_loss + kl_weight * kl_loss",
            "grad": "d loss / d z_s, row-major rows x vocab, float64 autograd",
        },
        "inputs": "float32-representable values (Math.fround leaves them unchanged); expected values computed in float64",
        "tolerance": "relative ~1e-6 on ce/kl/loss for a float32 implementation, absolute ~1e-12 where a value is 0 analytically",
        "versions": {"torch": torch.__version__, "numpy": np.__version__},
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write(dump_one_case_per_line(out))
    print("wrote", OUT, os.path.getsize(OUT), "bytes,", len(cases), "cases")
    for c in cases:
        e = c["expected"]
        print(f"  {c['name']:34s} ce {e['ce_loss']:.6g} kl {e['kl_loss']:.6g} loss {e['loss']:.6g}")


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
