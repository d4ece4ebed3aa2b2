"""Checks that checkpoints saved by @distil-whisper/model load in Hugging Face transformers
and that transformers computes the same encoder output, logits and cross-attentions as we do.

Run (after export_ours.ts wrote <dir>):
  python3 tools/reference/model/check_transformers.py <dir> [--report tools/reference/model/transformers_check.json]
Needs: torch (CPU), transformers, numpy.
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch
import transformers
from transformers import WhisperForCausalLM, WhisperForConditionalGeneration


def check_causal_lm(case, d: Path) -> dict:
    model, info = WhisperForCausalLM.from_pretrained(d, output_loading_info=True, torch_dtype=torch.float32, attn_implementation="eager")
    model.eval()
    prompt = json.loads((d / "prompt.json").read_text())
    hidden = np.fromfile(d / "encoder_hidden_states.f32", dtype=np.float32).reshape(1, -1, model.config.d_model)
    with torch.no_grad():
        out = model(input_ids=torch.tensor([prompt]), encoder_outputs=(torch.from_numpy(hidden),))
    diff = float(np.abs(out.logits.numpy().ravel() - np.fromfile(d / "ours_logits.f32", dtype=np.float32)).max())
    missing = list(info.get("missing_keys", []))
    unexpected = list(info.get("unexpected_keys", []))
    good = not missing and not unexpected and diff < 1e-3
    print(f"{case['name']}: missing={len(missing)} unexpected={len(unexpected)} logits diff={diff} -> {'OK' if good else 'FAIL'}")
    return {"name": case["name"], "dtype": case["dtype"], "missing_keys": missing, "unexpected_keys": unexpected, "max_abs_diff": {"logits": diff}, "ok": good}


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/dw-model-transformers-check")
    report_path = None
    if "--report" in sys.argv:
        report_path = Path(sys.argv[sys.argv.index("--report") + 1])
    manifest = json.loads((root / "manifest.json").read_text())
    results = []
    ok = True
    for case in manifest:
        d = Path(case["dir"])
        if case.get("decoderOnly"):
            results.append(check_causal_lm(case, d))
            ok = ok and results[-1]["ok"]
            continue
        # strict loading: any missing/unexpected key is reported by transformers in loading_info
        model, info = WhisperForConditionalGeneration.from_pretrained(
            d, output_loading_info=True, torch_dtype=torch.float32, attn_implementation="eager"
        )
        model.eval()
        mels = model.config.num_mel_bins
        feats = np.fromfile(d / "input_features.f32", dtype=np.float32).reshape(1, mels, 3000)
        prompt = json.loads((d / "prompt.json").read_text())
        with torch.no_grad():
            out = model(
                input_features=torch.from_numpy(feats),
                decoder_input_ids=torch.tensor([prompt]),
                output_attentions=True,
            )
        enc = out.encoder_last_hidden_state.numpy().ravel()
        logits = out.logits.numpy().ravel()
        cross = out.cross_attentions[-1].numpy().ravel()
        diffs = {
            "encoder_output": float(np.abs(enc - np.fromfile(d / "ours_encoder.f32", dtype=np.float32)).max()),
            "logits": float(np.abs(logits - np.fromfile(d / "ours_logits.f32", dtype=np.float32)).max()),
            "cross_attentions_last_layer": float(
                np.abs(cross - np.fromfile(d / "ours_cross_attn_last.f32", dtype=np.float32)).max()
            ),
        }
        missing = list(info.get("missing_keys", []))
        unexpected = list(info.get("unexpected_keys", []))
        mismatched = [list(map(str, m)) for m in info.get("mismatched_keys", [])]
        good = not missing and not unexpected and not mismatched and diffs["logits"] < 1e-3 and diffs["encoder_output"] < 1e-3
        ok = ok and good
        results.append(
            {
                "name": case["name"],
                "dtype": case["dtype"],
                "missing_keys": missing,
                "unexpected_keys": unexpected,
                "mismatched_keys": mismatched,
                "max_abs_diff": diffs,
                "ok": good,
            }
        )
        print(f"{case['name']}: missing={len(missing)} unexpected={len(unexpected)} mismatched={len(mismatched)} diffs={diffs} -> {'OK' if good else 'FAIL'}")
    report = {
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "results": results,
        "all_ok": ok,
    }
    if report_path:
        report_path.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
