"""Merges bench_cuda_ops.json (ours) and torch_baseline.json into markdown tables with ratios.

    python3 summarize.py ours.json torch.json > summary.md

Ratio = our throughput / torch's (higher is better; 1.00× = parity; for model rows, torch's time /
ours). Attention and decode rows come first as one line per shape: every kernel version of ours
(auto = the default choice, v2 = mma.sync flash, v1 = WMMA, decode = split-K decode, simt) beside
the fastest torch SDPA backend, each with its ratio to that backend.
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


def torch_matches(ref, r):
    return [t for t in ref.get("rows", [])
            if t["group"].split(":")[0] == r["group"] and t["name"] == r["name"] and t["dtype"] == r["dtype"]]


def attention_table(ours, ref):
    rows = [r for r in ours.get("rows", []) if r["group"] in ("attention", "decode", "encoder")]
    if not rows:
        return
    versions = []
    for r in rows:
        v = r.get("version") or "auto"
        if v not in versions:
            versions.append(v)
    shapes = []
    for r in rows:
        key = (r["group"], r["name"], r["dtype"])
        if key not in shapes:
            shapes.append(key)
    print("## Attention kernel versions vs torch (ms; ratio = torch's best time / ours, higher is better)\n")
    print("| group | shape | dtype | torch best | " + " | ".join(versions) + " |")
    print("|---|---|---|---:|" + "---:|" * len(versions))
    for group, name, dtype in shapes:
        ts = torch_matches(ref, {"group": group, "name": name, "dtype": dtype})
        best = min(ts, key=lambda t: t["ms"]) if ts else None
        best_s = f"{best['ms']:.4f} ({best['group'].split(':')[1] if ':' in best['group'] else 'torch'})" if best else "–"
        cells = []
        for v in versions:
            mine = [r for r in rows if (r["group"], r["name"], r["dtype"]) == (group, name, dtype)
                    and (r.get("version") or "auto") == v]
            if not mine:
                cells.append("")
                continue
            ms = mine[0]["ms"]
            cells.append(f"{ms:.4f} ({best['ms'] / ms:.2f}×)" if best and ms else f"{ms:.4f}")
        print(f"| {group} | {name} | {dtype} | {best_s} | " + " | ".join(cells) + " |")
    print()


def main() -> int:
    ours = load(sys.argv[1]) if len(sys.argv) > 1 else {"rows": []}
    ref = load(sys.argv[2]) if len(sys.argv) > 2 else {"rows": []}
    print(f"# CUDA backend benchmark\n\ndevice (ours): {ours.get('device', '?')}  \n"
          f"device (torch): {ref.get('device', '?')}, torch {ref.get('torch', '?')}\n")
    attention_table(ours, ref)
    print("## All rows\n")
    print("| group | shape | dtype | version | ours ms | ours | torch backend | torch ms | torch | ratio |")
    print("|---|---|---|---|---:|---:|---|---:|---:|---:|")
    for r in ours.get("rows", []):
        ver = r.get("version", "")
        matches = torch_matches(ref, r)
        if not matches:
            print(f"| {r['group']} | {r['name']} | {r['dtype']} | {ver} | {r['ms']:.4f} | {r['value']:.2f} {r['unit']} "
                  f"| – | | | |")
        for t in matches:
            backend = t["group"].split(":")[1] if ":" in t["group"] else "torch"
            ratio = r["value"] / t["value"] if t["value"] else float("nan")
            print(f"| {r['group']} | {r['name']} | {r['dtype']} | {ver} | {r['ms']:.4f} | {r['value']:.2f} {r['unit']} | "
                  f"{backend} | {t['ms']:.4f} | {t['value']:.2f} {t['unit']} | {ratio:.2f}× |")
    model = [t for t in ref.get("rows", []) if t["group"] == "model"]
    if model:
        print("\n## transformers WhisperModel (distil-large-v3 dims, random weights)\n")
        print("| what | dtype | ms | |")
        print("|---|---|---:|---:|")
        for t in model:
            print(f"| {t['name']} | {t['dtype']} | {t['ms']:.3f} | {t['value']:.2f} {t['unit']} |")
        enc_layer = [r for r in ours.get("rows", []) if r["group"] == "encoder" and r["dtype"] == "f16"
                     and (r.get("version") or "auto") == "auto"]
        if enc_layer:
            print(f"\nOurs, 32 × one encoder layer (f16, no conv stem): {32 * enc_layer[0]['ms']:.2f} ms per 30 s window")
    return 0


if __name__ == "__main__":
    sys.exit(main())
