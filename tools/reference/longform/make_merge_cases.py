#!/usr/bin/env python3
"""Merge cases for the chunked pipeline's post-processing (transformers' `_decode_asr` and
`_find_longest_common_sequence`), without a model.

Random chunk outputs are drawn in the shapes Whisper produces (timestamp pairs around text, single
endings, windows restarting at <|0.00|> inside one chunk, overlapping text between chunks), fed to
transformers' own functions with a stand-in tokenizer whose `decode` returns the token ids, and
written with the merged segments to fixtures/merge-cases.json. The TypeScript test
(packages/model/test/chunk-merge.test.ts) must give the same segments, times and token lists.

Usage: python tools/reference/longform/make_merge_cases.py   (seconds; needs transformers, numpy)
"""
import json
import os
import random

from transformers.models.whisper.tokenization_whisper import _decode_asr, _find_longest_common_sequence

HERE = os.path.dirname(os.path.abspath(__file__))
EOT = 50257
SOT = 50258
EN = 50259
FR = 50265
PREV = 50361
NO_TS = 50363
TS0 = 50364


class StandIn:
    """The parts of a Whisper tokenizer _decode_asr touches; decode() returns the ids as JSON."""

    all_special_ids = list(range(EOT, TS0))

    def convert_tokens_to_ids(self, token):
        return {"<|notimestamps|>": NO_TS, "<|startofprev|>": PREV, "<|startoftranscript|>": SOT}[token]

    def decode(self, ids):
        if len(ids) == 1 and ids[0] in (EN, FR):
            return {EN: "<|en|>", FR: "<|fr|>"}[ids[0]]
        if len(ids) == 1 and EOT <= ids[0] < TS0:
            return "<|x|>"
        return json.dumps([int(i) for i in ids])

    def _strip_prompt(self, token_ids, prompt_token_id, decoder_start_token_id):
        if token_ids and token_ids[0] == prompt_token_id:
            return token_ids[token_ids.index(decoder_start_token_id):] if decoder_start_token_id in token_ids else []
        return token_ids


def window_tokens(rng, t_start, t_end, words):
    """One decoding window: pairs of timestamps around words, maybe an unfinished tail."""
    out = []
    t = t_start
    while t < t_end - 2 and words:
        n = rng.randint(1, 5)
        seg = [words.pop(0) for _ in range(min(n, len(words)))]
        t2 = min(t_end, t + rng.randint(3, 60))
        out += [TS0 + t] + seg + [TS0 + t2]
        t = t2 + rng.choice([0, 0, 1, 5])
    if rng.random() < 0.3 and words:
        out += [TS0 + min(t, 1500)] + [words.pop(0)]  # unfinished tail (cut off)
    return out


def chunk_case(rng, stride_s, chunk_s, n_chunks, timestamps, multi_window):
    chunk_len = int(chunk_s * 16000)
    left = right = int(stride_s * 16000)
    outputs = []
    vocab = list(range(100, 130))
    for k in range(n_chunks):
        is_last = k == n_chunks - 1
        length = chunk_len if not is_last else rng.randint(left + 1600, chunk_len)
        sl = 0 if k == 0 else left
        sr = 0 if is_last else right
        words = [rng.choice(vocab) for _ in range(rng.randint(4, 40))]
        if timestamps:
            span = int(length / 16000 / 0.02)
            if multi_window and rng.random() < 0.5:
                mid = rng.randint(span // 3, 2 * span // 3)
                toks = window_tokens(rng, 0, mid, words)
                if toks and toks[-1] >= TS0:
                    toks += [toks[-1]]  # double ending: the next window restarts at 0
                toks += window_tokens(rng, 0, span - mid, words)
            else:
                toks = window_tokens(rng, 0, span, words)
        else:
            toks = words
        if rng.random() < 0.1:
            toks = [EN] + toks
        outputs.append({"tokens": toks, "stride": [length / 16000, sl / 16000, sr / 16000]})
    return outputs


def main():
    rng = random.Random(1234)
    cases = []
    for i in range(60):
        timestamps = i % 3 != 0
        chunk_s = rng.choice([30, 25, 15, 10])
        stride_s = chunk_s / 6 if rng.random() < 0.7 else rng.choice([1, 2, 3])
        outputs = chunk_case(rng, stride_s, chunk_s, rng.randint(1, 6), timestamps, multi_window=i % 2 == 0)
        model_outputs = [{"tokens": __import__("torch").tensor([o["tokens"]]), "stride": tuple(o["stride"])}
                         for o in outputs]
        text, optional = _decode_asr(StandIn(), model_outputs, return_timestamps=timestamps,
                                     return_language=True, time_precision=0.02)
        segments = [
            {"start": c["timestamp"][0] if timestamps else None,
             "end": c["timestamp"][1] if timestamps else None,
             "tokens": json.loads(c["text"]) if c["text"] else [],
             "language": c["language"]}
            for c in optional.get("chunks", [])
        ]
        cases.append({"timestamps": timestamps, "outputs": outputs, "segments": segments})
    lcs = []
    for i in range(40):
        seqs = [[rng.randint(0, 6) for _ in range(rng.randint(0, 25))] for _ in range(rng.randint(1, 5))]
        lcs.append({"sequences": seqs, "merged": [int(t) for t in _find_longest_common_sequence(seqs)]})
    path = os.path.join(HERE, "fixtures", "merge-cases.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"generator": "tools/reference/longform/make_merge_cases.py", "decode_asr": cases, "lcs": lcs},
                  f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: {len(cases)} merge cases, {len(lcs)} LCS cases")


if __name__ == "__main__":
    main()
