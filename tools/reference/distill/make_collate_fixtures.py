#!/usr/bin/env python3
"""Target-construction and collation fixtures (no weights needed).

Writes tools/reference/distill/fixtures/collate_cases.json: a port of what distil-whisper's
training/run_distillation.py (@cc96130) does to one pseudo-labelled sample and to a batch:

  prepare_train_dataset (lines 1186-1226)   timestamps kept or dropped (<|notimestamps|> inserted at
                                             timestamp_position), previous-text prompt attached or not,
                                             the prompt cut-offs (224 / 448 rules, as written)
  is_labels_in_length_range (1289-1290)      0 < len(labels) <= max_label_length, else dropped
  DataCollatorSpeechSeq2SeqWithPadding (438-478, built at 1417-1424)
                                             pad to max_label_length with the pad id, decoder_input_ids =
                                             full[:, :-1], labels = full[:, 1:], padding -> -100, then the
                                             prompt mask: bos = argmax(labels == SOT); bos += 1 if bos > 0;
                                             labels[:, :bos] = -100

The two random draws of the reference (np.random.binomial with timestamp_probability and
condition_on_prev_probability) are replaced by explicit per-example booleans keep_timestamps /
use_prompt. The prompt is given explicitly (the reference's `condition_on_prev` column); the
reference's fallback when that column is absent (the previous example of the same map batch, SOT and
all) is represented by a case whose explicit prompt is such a previous example.

The port below is pure Python. It is checked against the reference collator re-run literally with
torch and transformers' WhisperTokenizerFast.pad on the shared reference tokenizers.

Usage: python tools/reference/distill/make_collate_fixtures.py     (deterministic; rewrites the same bytes)
Needs: torch, transformers, numpy; /work/shared/reference/tokenizers (or DW_REFERENCE_DIR/tokenizers).
"""
import json
import os

import numpy as np
import torch
from transformers import WhisperTokenizerFast

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "collate_cases.json")
REFERENCE = os.environ.get("DW_REFERENCE_DIR", os.path.join(HERE, "..", "..", "..", "..", "shared", "reference"))


# ---------------------------------------------------------------------------------------------------
# The port


def prepare_target(ids, prompt, keep_timestamps, use_prompt, special, timestamp_position, max_label_length):
    """One sample's label ids, as prepare_train_dataset builds them (random draws made explicit)."""
    notimestamps = special["notimestamps"]
    token_ids = list(ids)
    has_timestamps = any(special["timestamp_begin"] <= t <= special["timestamp_end"] for t in token_ids)
    dropped = False
    if has_timestamps and not keep_timestamps:
        # the reference keeps ids below <|notimestamps|> (its variable `timestamp_begin` is that id)
        token_ids = [t for t in token_ids if t < notimestamps]
        token_ids.insert(timestamp_position, notimestamps)
        dropped = True
    prev = list(prompt) if (use_prompt and prompt is not None) else None
    if prev is not None:
        if dropped:
            prev = [t for t in prev if t < notimestamps]
        cutoff = max_label_length // 2
        if len(prev) > cutoff:
            prev = py_slice_from(prev, -cutoff + 1)  # last cutoff-1 ids (223 for 448)
        if len(prev) + len(token_ids) + 1 > max_label_length:
            prev = py_slice_from(prev, len(token_ids) - max_label_length + 1)  # negative: keeps the last ids
        token_ids = [special["startofprev"]] + prev + token_ids
    return token_ids


def py_slice_from(xs, k):
    """xs[k:] with Python's meaning of a negative k (counted from the end, clamped at 0)."""
    if k < 0:
        k = max(0, len(xs) + k)
    return xs[k:]


def collate(seqs, special, max_length):
    """The collator on already-filtered label sequences; rows padded to max_length (not trimmed)."""
    pad, sot = special["pad"], special["sot"]
    dec, lab = [], []
    for s in seqs:
        assert len(s) <= max_length
        full = s + [pad] * (max_length - len(s))
        mask = [1] * len(s) + [0] * (max_length - len(s))
        d = full[:-1]
        l = [t if m == 1 else -100 for t, m in zip(full[1:], mask[1:])]
        bos = l.index(sot) if sot in l else 0  # argmax of an all-false row is 0
        if bos > 0:
            bos += 1
        l = [-100 if i < bos else t for i, t in enumerate(l)]
        dec.append(d)
        lab.append(l)
    return dec, lab


def trim_columns(dec, lab):
    """Drop trailing columns where every row's label is -100 (the consumer pads to the batch's longest)."""
    width = 0
    for row in lab:
        scored = [i for i, t in enumerate(row) if t != -100]
        if scored:
            width = max(width, scored[-1] + 1)
    return [r[:width] for r in dec], [r[:width] for r in lab]


# ---------------------------------------------------------------------------------------------------
# The reference collator re-run literally (torch + the real tokenizer's pad), to check the port


def reference_collate(tokenizer, seqs, sot, max_length):
    batch = tokenizer.pad({"input_ids": seqs}, max_length=max_length, padding="max_length", return_tensors="pt")
    labels = batch["input_ids"]
    decoder_input_ids = labels[:, :-1]
    labels = labels[:, 1:]
    labels_mask = batch.attention_mask[:, 1:]
    labels = labels.masked_fill(labels_mask.ne(1), -100)
    bos_index = torch.argmax((labels == sot).long(), dim=1)
    bos_index = torch.where(bos_index > 0, bos_index + 1, bos_index)
    prompt_mask = torch.arange(labels.shape[1]) < bos_index[:, None]
    labels = torch.where(prompt_mask, -100, labels)
    return decoder_input_ids.tolist(), labels.tolist()


# ---------------------------------------------------------------------------------------------------


def load_variant(name):
    d = os.path.join(REFERENCE, "tokenizers", name)
    with open(os.path.join(d, "whisper_special_tokens.json")) as f:
        w = json.load(f)
    tok = WhisperTokenizerFast.from_pretrained(d)
    special = {
        "sot": w["sot"],
        "notimestamps": w["no_timestamps"],
        "startofprev": w["sot_prev"],
        "eot": w["eot"],
        "timestamp_begin": w["timestamp_begin"],
        "timestamp_end": w["timestamp_end"],
        "pad": tok.pad_token_id,
    }
    # the reference derives these from the tokenizer's special-id list (run_distillation.py:1101,1105)
    assert tok.all_special_ids[-1] == special["notimestamps"], tok.all_special_ids[-3:]
    assert tok.all_special_ids[-3] == special["startofprev"], tok.all_special_ids[-3:]
    assert special["pad"] == special["eot"]
    assert tok.padding_side == "right"
    return w, tok, special


def main():
    rng = np.random.default_rng(448)
    cases = []

    ml_w, ml_tok, ml = load_variant("multilingual-v2")
    en_w, en_tok, en = load_variant("en")
    tokenizers = {"multilingual": ml_tok, "en": en_tok}

    def text(tok, s):
        return tok.encode(s, add_special_tokens=False)

    def ts(special, seconds):
        return special["timestamp_begin"] + int(round(seconds / 0.02))

    def rand_text(n):
        return [int(x) for x in rng.integers(220, 50000, size=n)]

    def add(name, variant, examples, max_label_length=448, note=None):
        special = ml if variant == "multilingual" else en
        position = 3 if variant == "multilingual" else 1
        built = [
            prepare_target(e["ids"], e["prompt"], e["keep_timestamps"], e["use_prompt"], special, position, max_label_length)
            for e in examples
        ]
        kept = [i for i, b in enumerate(built) if 0 < len(b) <= max_label_length]
        seqs = [built[i] for i in kept]
        if seqs:
            dec, lab = collate(seqs, special, max_label_length)
            ref_dec, ref_lab = reference_collate(tokenizers[variant], seqs, special["sot"], max_label_length)
            assert (dec, lab) == (ref_dec, ref_lab), name
            dec, lab = trim_columns(dec, lab)
        else:
            dec, lab = [], []
        case = {
            "name": name,
            "variant": variant,
            "special": {k: special[k] for k in ("sot", "notimestamps", "startofprev", "eot", "timestamp_begin", "pad")},
            "timestamp_position": position,
            "max_label_length": max_label_length,
            "examples": examples,
            "expected": {"kept": kept, "labels_full": seqs, "decoder_input_ids": dec, "labels": lab},
        }
        if note:
            case["note"] = note
        cases.append(case)

    def ex(ids, prompt=None, keep_timestamps=False, use_prompt=False):
        return {"ids": list(ids), "prompt": None if prompt is None else list(prompt), "keep_timestamps": keep_timestamps, "use_prompt": use_prompt}

    # ---- multilingual (whisper base ids: v2 tokenizer)
    t = ml_tok
    prefix = [ml["sot"], ml_w["lang_to_id"]["<|en|>"], ml_w["transcribe"]]
    nots = [ml["notimestamps"]]
    eot = [ml["eot"]]
    s1 = text(t, " And so my fellow Americans,")
    s2 = text(t, " ask not what your country can do for you,")
    s3 = text(t, " ask what you can do for your country.")
    plain = prefix + nots + s1 + s2 + eot
    stamped = prefix + [ts(ml, 0.0)] + s1 + [ts(ml, 2.4), ts(ml, 2.4)] + s2 + s3 + [ts(ml, 10.0)] + eot
    # what run_pseudo_labelling.py stores as condition_on_prev: [<|startofprev|>] + previous ids[3:] without EOT
    stored_prompt_ts = [ml["startofprev"], ts(ml, 0.0)] + s3 + [ts(ml, 3.1)]
    stored_prompt_nots = [ml["startofprev"]] + nots + s3

    add("plain-no-prompt", "multilingual", [ex(plain)])
    add("timestamps-kept", "multilingual", [ex(stamped, keep_timestamps=True)])
    add("timestamps-dropped", "multilingual", [ex(stamped, keep_timestamps=False)],
        note="every id >= <|notimestamps|> removed, then <|notimestamps|> inserted at timestamp_position")
    add("plain-ids-keep-flag-irrelevant", "multilingual", [ex(plain, keep_timestamps=True), ex(plain, keep_timestamps=False)],
        note="without timestamp ids in the target the timestamp draw does nothing")
    add("prompt-attached", "multilingual", [ex(plain, prompt=s3, use_prompt=True)],
        note="labels_full = [<|startofprev|>] + prompt + ids; prompt tokens and the SOT target are -100")
    add("prompt-present-not-used", "multilingual", [ex(plain, prompt=s3, use_prompt=False)])
    add("use-prompt-without-prompt", "multilingual", [ex(plain, prompt=None, use_prompt=True)],
        note="condition_on_prev drawn but the stored prompt is None: no prompt")
    add("stored-prompt-begins-with-startofprev", "multilingual", [ex(stamped, prompt=stored_prompt_ts, keep_timestamps=True, use_prompt=True)],
        note="the reference prepends <|startofprev|> again: labels_full starts <|startofprev|><|startofprev|> (quirk, kept)")
    add("stored-prompt-timestamps-dropped-with-target", "multilingual",
        [ex(stamped, prompt=stored_prompt_ts, keep_timestamps=False, use_prompt=True),
         ex(stamped, prompt=stored_prompt_nots, keep_timestamps=False, use_prompt=True)],
        note="target timestamps dropped: ids >= <|notimestamps|> also leave the prompt (so does a stored <|notimestamps|>)")
    add("prompt-timestamps-kept-when-target-has-none", "multilingual", [ex(plain, prompt=stored_prompt_ts, use_prompt=True)],
        note="the prompt is filtered only when the target's timestamps were dropped; a target without timestamps keeps a timestamped prompt as is")
    short = prefix + nots + s1 + eot
    p224, p225, p300 = rand_text(224), rand_text(225), rand_text(300)
    add("prompt-224-kept-whole", "multilingual", [ex(short, prompt=p224, use_prompt=True)],
        note="cut-off test is len(prompt) > 448 // 2 = 224: a 224-id prompt is kept whole")
    add("prompt-225-cut-to-223", "multilingual", [ex(short, prompt=p225, use_prompt=True)],
        note="len > 224: prompt = prompt[-223:] (last max_label_length // 2 - 1 ids)")
    add("prompt-300-cut-to-223", "multilingual", [ex(short, prompt=p300, use_prompt=True)])
    long300 = prefix + nots + rand_text(295) + eot
    add("prompt-plus-target-448-trim", "multilingual", [ex(long300, prompt=rand_text(200), use_prompt=True)],
        note="1 + 200 + 300 > 448: prompt = prompt[len(ids) - 447:] (negative: the last 447 - len(ids) = 147 ids); total 448")
    long446 = prefix + nots + rand_text(441) + eot
    add("target-446-prompt-cut-to-1", "multilingual", [ex(long446, prompt=rand_text(10), use_prompt=True)])
    long447 = prefix + nots + rand_text(442) + eot
    add("target-447-with-prompt-filtered", "multilingual", [ex(long447, prompt=rand_text(10), use_prompt=True), ex(short)],
        note="quirk: len(ids) = 447 gives trim index 0, the prompt is not trimmed, 1 + 10 + 447 > 448 and the example is filtered out")
    long448 = prefix + nots + rand_text(443) + eot
    long449 = prefix + nots + rand_text(444) + eot
    add("length-filter-448-kept-449-dropped", "multilingual", [ex(long448), ex(long449), ex(short)],
        note="0 < len(labels_full) <= 448 survives; the 449-id target is filtered out")
    add("empty-prompt", "multilingual", [ex(plain, prompt=[], use_prompt=True)],
        note="labels = [SOT, ...]: argmax finds the SOT at 0, bos stays 0, nothing is masked and the SOT target is scored (quirk)")
    prev_example = prefix + nots + s3 + eot
    add("prompt-contains-sot-in-batch-fallback", "multilingual", [ex(plain, prompt=prev_example, use_prompt=True)],
        note="the reference's fallback without a condition_on_prev column uses the previous example's ids (SOT, EOT and all) as prompt; argmax then finds that SOT at 0 and masks nothing (quirk)")
    add("batch-mixed-lengths", "multilingual", [
        ex(short),
        ex(stamped, keep_timestamps=True),
        ex(plain, prompt=stored_prompt_ts, use_prompt=True),
        ex(stamped, prompt=s2, keep_timestamps=False, use_prompt=True),
        ex(long449),
    ], note="rows padded with the pad id (= <|endoftext|>) in decoder_input_ids and -100 in labels; example 4 is filtered out")

    # ---- English-only (tiny.en ids: en tokenizer, timestamp_position 1)
    t = en_tok
    e1 = text(t, " And so my fellow Americans,")
    e2 = text(t, " ask not what your country can do for you.")
    en_stamped = [en["sot"], ts(en, 0.0)] + e1 + [ts(en, 2.4), ts(en, 2.4)] + e2 + [ts(en, 6.0), en["eot"]]
    en_plain = [en["sot"], en["notimestamps"]] + e1 + [en["eot"]]
    en_stored = [en["startofprev"], ts(en, 0.0)] + e2 + [ts(en, 3.0)]
    add("en-timestamps-kept", "en", [ex(en_stamped, keep_timestamps=True)])
    add("en-timestamps-dropped-with-prompt", "en", [ex(en_stamped, prompt=en_stored, keep_timestamps=False, use_prompt=True)],
        note="<|notimestamps|> inserted at position 1 (after SOT); prompt timestamps dropped too")
    add("en-batch", "en", [ex(en_plain), ex(en_stamped, prompt=en_stored, keep_timestamps=True, use_prompt=True), ex(en_stamped)])

    # ---- a small max_label_length, so the cut-off rules show on short rows (cutoff 16 // 2 = 8)
    ids7 = prefix + nots + [400, 370] + eot
    ids12 = prefix + nots + rand_text(7) + eot
    ids15 = prefix + nots + rand_text(10) + eot
    ids16 = prefix + nots + rand_text(11) + eot
    ids17 = prefix + nots + rand_text(12) + eot
    add("max16-prompt-rules", "multilingual", [
        ex(ids7, prompt=rand_text(9), use_prompt=True),    # 9 > 8: last 7; 1 + 7 + 7 = 15
        ex(ids7, prompt=rand_text(8), use_prompt=True),    # 8 kept whole; 1 + 8 + 7 = 16
        ex(ids12, prompt=rand_text(5), use_prompt=True),   # 1 + 5 + 12 = 18 > 16: last 3; total 16
        ex(ids15, prompt=rand_text(3), use_prompt=True),   # trim index 0: prompt kept, 19 > 16: filtered
        ex(ids16),                                         # 16 kept
        ex(ids17),                                         # 17 filtered
    ], max_label_length=16, note="same rules with max_label_length 16 (prompt cut-off 8, keep last 7)")

    out = {
        "description": "distil-whisper target construction and collation (tools/reference/distill/make_collate_fixtures.py)",
        "source": "huggingface/distil-whisper@cc96130 training/run_distillation.py:1186-1226 (prepare_train_dataset), 1289-1290 (length filter), 438-478 + 1417-1424 (collator)",
        "notes": [
            "examples[i].keep_timestamps replaces np.random.binomial(1, timestamp_probability) (used only when the ids contain timestamp ids); use_prompt replaces np.random.binomial(1, condition_on_prev_probability); prompt is the stored condition_on_prev value (null = none).",
            "special.timestamp_begin is the first timestamp id <|0.00|>; the reference's own variable timestamp_begin is <|notimestamps|> (all_special_ids[-1]) and the drop keeps ids < <|notimestamps|>.",
            "prompt rules as written: if len(prompt) > L // 2 then prompt = prompt[-(L // 2 - 1):]; then if 1 + len(prompt) + len(ids) > L then prompt = prompt[len(ids) - L + 1:] with Python slice semantics (a negative start keeps the last L - 1 - len(ids) ids; 0 keeps the whole prompt); labels_full = [<|startofprev|>] + prompt + ids. L = max_label_length.",
            "expected.kept: indices of examples with 0 < len(labels_full) <= max_label_length; expected.labels_full: their label sequences before collation.",
            "The reference collator pads every row to max_label_length (448) and returns width max_label_length - 1; here trailing columns in which every row's label is -100 are trimmed (decoder_input_ids trimmed to the same width), since the consumer pads to the batch's longest. Padding inside the width: pad id in decoder_input_ids, -100 in labels.",
            "Prompt mask: bos = index of the first SOT in the (shifted, padding-masked) labels, 0 if none; if bos > 0 then bos += 1; labels[:bos] = -100 (prompt tokens and the SOT target unscored).",
        ],
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    head = {k: v for k, v in out.items() if k != "cases"}
    text_out = json.dumps(head, indent=1)[:-2] + ',\n "cases": [\n  ' + ",\n  ".join(json.dumps(c, separators=(",", ":")) for c in cases) + "\n ]\n}\n"
    with open(OUT, "w") as f:
        f.write(text_out)
    print("wrote", OUT, os.path.getsize(OUT), "bytes,", len(cases), "cases")
    for c in cases:
        e = c["expected"]
        print(f"  {c['name']:46s} kept {e['kept']} lens {[len(s) for s in e['labels_full']]} width {len(e['labels'][0]) if e['labels'] else 0}")


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
