#!/usr/bin/env python3
"""Listen-check of a synthetic corpus: transcribes N clips per engine with the project's CLI and
scores them with the project's WER tool (Whisper's English normaliser).

  python3 tools/corpus/probe_wer.py ~/.cache/distil-whisper/corpus/<name> \\
      --model ~/.cache/distil-whisper/real-weights/hf/base --per-engine 30

Clips are picked evenly over each engine's voices (seeded). Transcripts go to <corpus>/probe/<model>/;
the WER per engine and per voice is printed and written to <corpus>/probe/<model>/wer.json. Run from
the repository root (it calls the CLI through tsx, like `npm run demo`). Standard library only.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
NODE = ["node", "--conditions=@distil-whisper/source", "--import", "tsx"]
CLI = REPO / "packages/distil-whisper/src/cli.ts"
WER = REPO / "packages/metrics/src/cli.ts"


def wer(refs: list[str], hyps: list[str], work: Path, tag: str, spelling: str | None) -> dict:
    (work / f"{tag}.ref").write_text("".join(r.replace("\n", " ") + "\n" for r in refs), encoding="utf-8")
    (work / f"{tag}.hyp").write_text("".join(h.replace("\n", " ") + "\n" for h in hyps), encoding="utf-8")
    cmd = NODE + [str(WER), "--ref", str(work / f"{tag}.ref"), "--hyp", str(work / f"{tag}.hyp"), "--json"]
    if spelling:
        cmd += ["--spelling-map", spelling]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def rough_wer(ref: str, hyp: str) -> float:
    r = re.sub(r"[^a-z0-9' ]", " ", ref.lower()).split()
    h = re.sub(r"[^a-z0-9' ]", " ", hyp.lower()).split()
    d = list(range(len(h) + 1))
    for i, rw in enumerate(r, 1):
        prev, d[0] = d[0], i
        for j, hw in enumerate(h, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (rw != hw))
    return d[len(h)] / max(1, len(r))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--model", type=Path, default=Path.home() / ".cache/distil-whisper/real-weights/hf/base")
    ap.add_argument("--manifest", default="train.jsonl,eval.jsonl")
    ap.add_argument("--per-engine", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--spelling-map", default=str(REPO.parent / "shared/reference/assets/english.json"),
                    help="British->American map for the normaliser (default: shared/reference's english.json)")  # fmt: skip
    args = ap.parse_args()

    lines = []
    for name in args.manifest.split(","):
        p = args.corpus / name
        if p.exists():
            lines += [json.loads(x) for x in p.read_text(encoding="utf-8").splitlines() if x.strip()]
    if not lines:
        sys.exit(f"no manifest lines under {args.corpus}")
    rng = random.Random(args.seed)
    by_engine: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for ln in lines:
        by_engine[ln["speaker"].split(":")[0]][ln["speaker"]].append(ln)
    picked: list[dict] = []
    for engine, voices in sorted(by_engine.items()):
        pools = {v: rng.sample(items, len(items)) for v, items in sorted(voices.items())}
        chosen: list[dict] = []
        while len(chosen) < args.per_engine and any(pools.values()):
            for v in sorted(pools):
                if pools[v] and len(chosen) < args.per_engine:
                    chosen.append(pools[v].pop())
        picked += chosen

    work = args.corpus / "probe" / args.model.name
    work.mkdir(parents=True, exist_ok=True)
    todo = [ln for ln in picked if not (work / f"{ln['id']}.txt").exists()]
    if todo:
        print(f"transcribing {len(todo)} clips with {args.model} ...", flush=True)
        for i in range(0, len(todo), 50):
            batch = todo[i : i + 50]
            cmd = NODE + [str(CLI), "transcribe", "-m", str(args.model), "-l", "en", "--threads", str(args.threads),
                          "-o", str(work)] + [str(args.corpus / ln["audio"]) for ln in batch]  # fmt: skip
            subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print(f"  {min(i + 50, len(todo))}/{len(todo)}", flush=True)

    spelling = args.spelling_map if Path(args.spelling_map).exists() else None
    report: dict = {"model": str(args.model), "clips": len(picked), "engines": {}, "voices": {}, "worst": []}
    rows = []
    for ln in picked:
        hyp = (work / f"{ln['id']}.txt").read_text(encoding="utf-8").strip()
        rows.append((ln, hyp))
    for key, field in (("engines", lambda ln: ln["speaker"].split(":")[0]), ("voices", lambda ln: ln["speaker"])):
        groups: dict[str, list] = defaultdict(list)
        for ln, hyp in rows:
            groups[field(ln)].append((ln, hyp))
        for g, members in sorted(groups.items()):
            m = wer([ln["text"] for ln, _ in members], [h for _, h in members], work, g.replace(":", "_").replace("+", "_"), spelling)
            clean = [(ln, h) for ln, h in members if ln.get("noise") == "none" and not ln.get("reverb_rt60")]
            entry = {"clips": len(members), "wer": round(100 * m["errorRate"], 2)}
            if clean and len(clean) < len(members):
                mc = wer([ln["text"] for ln, _ in clean], [h for _, h in clean], work, "clean", spelling)
                entry["clean_clips"] = len(clean)
                entry["clean_wer"] = round(100 * mc["errorRate"], 2)
            report[key][g] = entry
    # Worst clips, ranked by a rough WER (lower case, no punctuation) to save a tool call per clip.
    per_clip = sorted(((rough_wer(ln["text"], hyp), ln, hyp) for ln, hyp in rows), key=lambda t: -t[0])
    report["worst"] = [{"id": ln["id"], "speaker": ln["speaker"], "noise": ln["noise"], "snr_db": ln["snr_db"],
                        "rough_wer": round(100 * w, 1), "text": ln["text"], "hyp": hyp} for w, ln, hyp in per_clip[:15]]  # fmt: skip
    (work / "wer.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"WER of {args.model.name} (Whisper English normaliser), {len(picked)} clips:")
    for key in ("engines", "voices"):
        for g, e in report[key].items():
            extra = f"  (clean only: {e['clean_wer']:.1f} % on {e['clean_clips']})" if "clean_wer" in e else ""
            print(f"  {g:36s} {e['wer']:6.1f} % on {e['clips']:3d} clips{extra}")
    print(f"worst clips: {work / 'wer.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
