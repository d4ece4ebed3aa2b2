"""Times jiwer (rapidfuzz C++ edit distance) on the benchmark data; optional baseline.

Usage: python3 jiwer_baseline.py <data.json>   -> prints one JSON object with seconds and WERs.
"""
import json
import sys
import time

import jiwer

with open(sys.argv[1], encoding="utf8") as f:
    data = json.load(f)

out = {"jiwer": getattr(jiwer, "__version__", "?")}
for name in ("utterances", "longform"):
    refs, hyps = data[name]["refs"], data[name]["hyps"]
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        o = jiwer.process_words(refs, hyps)
        best = min(best, time.perf_counter() - t0)
    out[name] = {"seconds": best, "wer": o.wer, "hits": o.hits}
print(json.dumps(out))
