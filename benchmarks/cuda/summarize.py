"""Merges bench_cuda_ops.json (ours) and torch_baseline.json into one markdown table with ratios.

    python3 summarize.py ours.json torch.json > summary.md

Ratio = our throughput / torch's (higher is better; for model rows, torch's time / ours).
"""

import json
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except Exception as e:  # noqa: BLE001
        print(f"<!-- {path}: {e} -->")
        return {"rows": []}


def main() -> int:
    ours = load(sys.argv[1]) if len(sys.argv) > 1 else {"rows": []}
    ref = load(sys.argv[2]) if len(sys.argv) > 2 else {"rows": []}
    print(f"# CUDA backend benchmark\n\ndevice (ours): {ours.get('device', '?')}  \n"
          f"device (torch): {ref.get('device', '?')}, torch {ref.get('torch', '?')}\n")
    print("| group | shape | dtype | ours ms | ours | torch backend | torch ms | torch | ratio |")
    print("|---|---|---|---:|---:|---|---:|---:|---:|")
    for r in ours.get("rows", []):
        matches = [t for t in ref.get("rows", [])
                   if t["group"].split(":")[0] == r["group"] and t["name"] == r["name"] and t["dtype"] == r["dtype"]]
        if not matches:
            print(f"| {r['group']} | {r['name']} | {r['dtype']} | {r['ms']:.4f} | {r['value']:.2f} {r['unit']} | – | | | |")
        for t in matches:
            backend = t["group"].split(":")[1] if ":" in t["group"] else "torch"
            ratio = r["value"] / t["value"] if t["value"] else float("nan")
            print(f"| {r['group']} | {r['name']} | {r['dtype']} | {r['ms']:.4f} | {r['value']:.2f} {r['unit']} | "
                  f"{backend} | {t['ms']:.4f} | {t['value']:.2f} {t['unit']} | {ratio:.2f}× |")
    model = [t for t in ref.get("rows", []) if t["group"] == "model"]
    if model:
        print("\n## transformers WhisperModel (distil-large-v3 dims, random weights)\n")
        print("| what | dtype | ms | |")
        print("|---|---|---:|---:|")
        for t in model:
            print(f"| {t['name']} | {t['dtype']} | {t['ms']:.3f} | {t['value']:.2f} {t['unit']} |")
        enc_layer = [r for r in ours.get("rows", []) if r["group"] == "encoder" and r["dtype"] == "f16"]
        if enc_layer:
            print(f"\nOurs, 32 × one encoder layer (f16, no conv stem): {32 * enc_layer[0]['ms']:.2f} ms per 30 s window")
    return 0


if __name__ == "__main__":
    sys.exit(main())
