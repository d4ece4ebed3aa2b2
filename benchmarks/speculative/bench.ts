// Speculative-decoding benchmark on real speech: a real teacher (whisper base by default) decoding
// alone, and the same teacher with an assistant that drafts (speculative decoding), in the same
// run on the same encoded windows, at batch 1 and batch 4. Reports decoder tokens/s, the
// speed-up over the teacher alone, the draft acceptance rate, tokens per teacher forward, and
// whether every output equals the teacher's own (it must).
//
// Assistants: (a) always, the untrained student `create-student --decoder-layers 2` makes of the
// teacher (encoder shared, decoder layers first and last: few drafts are accepted before
// training); (b) `--assistant DIR`, e.g. the distilled student
// (`distil-whisper assemble-student --teacher <base> --out DIR`).
//
// Run: node --conditions=@distil-whisper/source --import tsx benchmarks/speculative/bench.ts
//        [--teacher DIR] [--assistant DIR] [--clips 16] [--batches 1,4] [--threads 2]
//        [--drafts 5/heuristic,3/constant] [--timestamps] [--no-ceiling]
// Batch 1 always runs: it finds the runaway clips (the teacher repeating itself up to its last
// position), which are reported apart and left out of the larger batches.
// --drafts: the draft-length settings to compare, `k/schedule` each (transformers' default is
// 5/heuristic; 3/constant keeps the main model's verify forward at ≤ 4 positions, the widest the
// CPU GEMM streams: wider products take its packed path, about twice as slow per call here).
// Ceiling rows (unless --no-ceiling): an assistant that drafts the teacher's own greedy tokens at
// no cost (all right, or 75 % right: the agreement the Distil-Whisper blog asks of an assistant),
// i.e. what verification alone costs and gains on this machine.
// Clips: ../shared/reference/assets/jfk.wav first, then every n-th clip (≤ 30 s) of
// ~/.cache/distil-whisper/eval-real/manifest.jsonl. Writes benchmarks/results/speculative.json.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadAudio, WhisperFeatureExtractor } from '@distil-whisper/audio';
import { createStudent } from '@distil-whisper/distill';
import { setNumThreads } from '@distil-whisper/kernels';
import {
  generate,
  sharesEncoder,
  whisperGenerationModel,
  WhisperModel,
  type DraftSchedule,
  type EncoderOutput,
  type GenerateOptions,
  type GenerationModel,
  type SpeculativeRound,
} from '@distil-whisper/model';

import { oracleAssistant } from './oracle-assistant';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}
const teacherDir = arg('teacher', join(homedir(), '.cache/distil-whisper/real-weights/hf/base'));
const assistantDir = arg('assistant', '');
const clipCount = Number(arg('clips', '16'));
const batches = arg('batches', '1,4').split(',').map(Number);
const threads = Number(arg('threads', '2'));
/** Draft-length settings, each a row per assistant: `k/schedule`. */
const drafts = arg('drafts', '5/heuristic,3/constant')
  .split(',')
  .map((d) => {
    const [k, sched] = d.split('/');
    return { k: Number(k), schedule: (sched ?? 'heuristic') as DraftSchedule };
  });
const timestamps = process.argv.includes('--timestamps');
const oracle = !process.argv.includes('--no-ceiling');
const referenceDir = process.env.DW_REFERENCE_DIR ?? resolve(repoRoot, '..', 'shared', 'reference');
const manifest = join(homedir(), '.cache/distil-whisper/eval-real/manifest.jsonl');

interface Clip {
  id: string;
  seconds: number;
  features: Float32Array;
}

/** jfk.wav, then evenly spaced clips of the real evaluation set (≤ 30 s). */
async function loadClips(fe: WhisperFeatureExtractor): Promise<Clip[]> {
  const paths: Array<[string, string]> = [['jfk', join(referenceDir, 'assets', 'jfk.wav')]];
  if (existsSync(manifest)) {
    const rows = readFileSync(manifest, 'utf8')
      .split('\n')
      .filter((l) => l.trim().length > 0)
      .map((l) => JSON.parse(l) as { id: string; audio: string; duration: number })
      .filter((r) => r.duration <= 30 && r.id !== 'jfk');
    const want = Math.max(0, clipCount - 1);
    const step = rows.length / Math.max(1, want);
    for (let i = 0; i < want && i < rows.length; i++) {
      const r = rows[Math.floor(i * step)]!;
      paths.push([r.id, join(dirname(manifest), r.audio)]);
    }
  } else console.warn(`[note] ${manifest} not found: jfk.wav only`);
  const clips: Clip[] = [];
  for (const [id, path] of paths.slice(0, clipCount)) {
    const samples = await loadAudio(path, { sampleRate: 16000 });
    clips.push({ id, seconds: samples.length / 16000, features: fe.extract(samples).data });
  }
  return clips;
}

/** A drafting assistant of one benchmark row. */
interface AssistantUnderTest {
  label: string;
  draft: { k: number; schedule: DraftSchedule };
  /** A real checkpoint, or the oracle stand-in (built per batch from the plain run's output). */
  model: WhisperModel | { agreement: number };
}

/** One assistant's decoding of one group of clips. */
interface Tally {
  seconds: number;
  tokens: number;
  outputs: number[][];
  drafted: number;
  accepted: number;
  /** Main-model forwards summed over rows (a row in a round counts once). */
  rowForwards: number;
  /** Seconds of the assistant's own encoder (0 when it shares the teacher's). */
  encoderSeconds: number;
  shared: boolean;
}

/** One batch of clips, decoded by the teacher alone and with every assistant. */
interface Group {
  clips: string[];
  /** Some clip's plain output ran to the decoder's last position (a repetition loop). */
  runaway: boolean;
  plain: Tally;
  assisted: Tally[];
}

interface Row {
  assistant: string;
  draft: string;
  batch: number;
  clips: string;
  tokens: number;
  teacher_s: number;
  speculative_s: number;
  teacher_tokens_per_s: number;
  speculative_tokens_per_s: number;
  speedup: number;
  acceptance: number;
  tokens_per_teacher_forward: number;
  /** Null for the ceiling rows (no encoder at all). */
  encoder_shared: boolean | null;
  assistant_encoder_s: number;
  identical: boolean;
}

const now = (): number => performance.now() / 1000;
const tally = (): Tally => ({
  seconds: 0,
  tokens: 0,
  outputs: [],
  drafted: 0,
  accepted: 0,
  rowForwards: 0,
  encoderSeconds: 0,
  shared: true,
});

/**
 * Decodes the clips in batches of `batch`: the teacher alone, then with each assistant, on the
 * same encoder output, one after the other per batch.
 */
async function decodeGroups(
  teacher: WhisperModel,
  assistants: AssistantUnderTest[],
  clips: Clip[],
  batch: number,
): Promise<Group[]> {
  const gen = teacher.generationConfig;
  const multilingual = Object.keys(gen.langToId).length > 0;
  const options: GenerateOptions = {
    ...(multilingual ? { language: 'en' } : {}),
    returnTimestamps: timestamps,
  };
  const per = clips[0]!.features.length;
  const groups: Group[] = [];
  for (let start = 0; start < clips.length; start += batch) {
    const members = clips.slice(start, start + batch);
    const feats = new Float32Array(members.length * per);
    members.forEach((c, i) => feats.set(c.features, i * per));
    const group: Group = {
      clips: members.map((c) => c.id),
      runaway: false,
      plain: tally(),
      assisted: assistants.map(tally),
    };
    const enc = teacher.encode(feats, members.length);
    try {
      let t = now();
      const reference = await generate(whisperGenerationModel(teacher, enc), gen, options);
      group.plain.seconds = now() - t;
      for (const r of reference) {
        group.plain.tokens += r.tokens.length + 1; // + end of text
        group.plain.outputs.push(r.tokens);
        if (r.prefix.length + r.tokens.length >= teacher.config.maxTargetPositions - 1)
          group.runaway = true;
      }
      for (const [i, a] of assistants.entries()) {
        const s = group.assisted[i]!;
        let own: EncoderOutput | null = null;
        let model: GenerationModel;
        if (a.model instanceof WhisperModel) {
          s.shared = sharesEncoder(teacher, a.model);
          if (!s.shared) {
            t = now();
            own = a.model.encode(feats, members.length);
            s.encoderSeconds = now() - t;
          }
          model = whisperGenerationModel(a.model, own ?? enc);
        } else
          model = oracleAssistant(teacher.vocabSize, reference, gen.eosTokenId!, a.model.agreement);
        try {
          t = now();
          const out = await generate(whisperGenerationModel(teacher, enc), gen, {
            ...options,
            assistant: {
              model,
              numAssistantTokens: a.draft.k,
              schedule: a.draft.schedule,
              onRound: (r: SpeculativeRound) => {
                s.rowForwards += r.rows;
                s.drafted += r.drafted.reduce((x, y) => x + y, 0);
                s.accepted += r.accepted.reduce((x, y) => x + y, 0);
              },
            },
          });
          s.seconds = now() - t;
          for (const r of out) {
            s.tokens += r.tokens.length + 1;
            s.outputs.push(r.tokens);
          }
        } finally {
          own?.dispose();
        }
      }
    } finally {
      enc.dispose();
    }
    groups.push(group);
    process.stderr.write(
      `\rbatch ${batch}: ${Math.min(start + batch, clips.length)}/${clips.length} clips`,
    );
  }
  process.stderr.write('\n');
  return groups;
}

/** One table row per assistant over `groups`. */
function summarize(
  groups: Group[],
  assistants: AssistantUnderTest[],
  batch: number,
  clipsLabel: string,
): Row[] {
  const sum = (f: (g: Group) => number): number => groups.reduce((a, g) => a + f(g), 0);
  const clipCount = sum((g) => g.clips.length);
  const plainSeconds = sum((g) => g.plain.seconds);
  const plainTokens = sum((g) => g.plain.tokens);
  return assistants.map((a, i) => {
    const at = (g: Group): Tally => g.assisted[i]!;
    const seconds = sum((g) => at(g).seconds);
    const tokens = sum((g) => at(g).tokens);
    const drafted = sum((g) => at(g).drafted);
    return {
      assistant: a.label,
      draft: `${a.draft.k} (${a.draft.schedule})`,
      batch,
      clips: clipsLabel,
      tokens: plainTokens,
      teacher_s: plainSeconds,
      speculative_s: seconds,
      teacher_tokens_per_s: plainTokens / plainSeconds,
      speculative_tokens_per_s: tokens / seconds,
      speedup: plainSeconds / seconds,
      acceptance: drafted > 0 ? sum((g) => at(g).accepted) / drafted : 0,
      // Each row's first token comes from the prefill forward, as in plain decoding.
      tokens_per_teacher_forward: tokens / (sum((g) => at(g).rowForwards) + clipCount),
      encoder_shared: a.model instanceof WhisperModel ? groups.every((g) => at(g).shared) : null,
      assistant_encoder_s: sum((g) => at(g).encoderSeconds),
      identical: groups.every(
        (g) => JSON.stringify(at(g).outputs) === JSON.stringify(g.plain.outputs),
      ),
    };
  });
}

async function main(): Promise<void> {
  setNumThreads(threads);
  const work = mkdtempSync(join(tmpdir(), 'dw-bench-speculative-'));
  const rows: Row[] = [];
  try {
    const teacher = WhisperModel.load(teacherDir);
    const fe = await WhisperFeatureExtractor.fromPretrained(teacherDir);
    const clips = await loadClips(fe);
    const untrained = join(work, 'student-2l');
    createStudent({ teacherDir, outDir: untrained, decoderLayers: 2 });
    const models: Array<[string, AssistantUnderTest['model']]> = [
      ['untrained create-student, 2 decoder layers', WhisperModel.load(untrained)],
    ];
    if (assistantDir) models.push([`--assistant ${assistantDir}`, WhisperModel.load(assistantDir)]);
    if (oracle)
      for (const agreement of [1, 0.75])
        models.push([
          `ceiling: the teacher's own tokens as free drafts, ${agreement * 100} % right`,
          { agreement },
        ]);
    const assistants: AssistantUnderTest[] = models.flatMap(([label, model]) =>
      drafts.map((draft) => ({ label, draft, model })),
    );
    let loops: string[] = [];
    try {
      // A warm-up window so the first timed batch does not pay for page faults.
      await decodeGroups(teacher, assistants, clips.slice(0, 1), 1);
      // Batch 1 over every clip; clips where the teacher itself loops until its last position
      // (a hallucinated repetition, which any assistant drafts well) are reported apart, and
      // left out of the larger batches so that they do not dominate every batch they join.
      const single = await decodeGroups(teacher, assistants, clips, 1);
      loops = single.filter((g) => g.runaway).flatMap((g) => g.clips);
      const clean = single.filter((g) => !g.runaway);
      const cleanLabel = `${clean.length} (no runaway)`;
      if (loops.length > 0) rows.push(...summarize(single, assistants, 1, `all ${single.length}`));
      rows.push(...summarize(clean, assistants, 1, cleanLabel));
      const cleanClips = clips.filter((c) => !loops.includes(c.id));
      for (const b of batches.filter((x) => x !== 1))
        rows.push(
          ...summarize(
            await decodeGroups(teacher, assistants, cleanClips, b),
            assistants,
            b,
            cleanLabel,
          ),
        );
    } finally {
      for (const [, m] of models) if (m instanceof WhisperModel) m.dispose();
    }
    teacher.dispose();
    const audio = clips.reduce((a, c) => a + c.seconds, 0);
    const f = (x: number, d = 2): string => x.toFixed(d);
    console.log(
      `\nteacher ${teacherDir}; ${clips.length} real clips (${f(audio, 1)} s of speech, jfk.wav first); greedy${timestamps ? ', timestamps' : ''}; ${threads} threads; load average ${loadavg()[0]!.toFixed(2)}\n`,
    );
    if (loops.length > 0)
      console.log(
        `runaway (the teacher repeats itself up to the decoder's last position): ${loops.join(', ')}\n`,
      );
    console.log(
      '| assistant | draft k | batch | clips | tokens | teacher tok/s | speculative tok/s | speed-up | drafts accepted | tokens / teacher forward | encoder shared | same tokens as teacher |',
    );
    console.log('|---|---|---:|---|---:|---:|---:|---:|---:|---:|:---:|:---:|');
    for (const r of rows)
      console.log(
        `| ${r.assistant} | ${r.draft} | ${r.batch} | ${r.clips} | ${r.tokens} | ${f(r.teacher_tokens_per_s, 1)} | ${f(r.speculative_tokens_per_s, 1)} | ${f(r.speedup)}× | ${f(100 * r.acceptance, 1)} % | ${f(r.tokens_per_teacher_forward)} | ${r.encoder_shared === null ? '—' : r.encoder_shared ? 'yes' : `no (+${f(r.assistant_encoder_s)} s)`} | ${r.identical ? 'yes' : 'NO'} |`,
      );
    console.log(
      '\ntok/s: generated tokens (end of text included) per second of decoding (generate(), the encoder excluded: it runs once for both and is the same in both).',
    );
    mkdirSync(join(repoRoot, 'benchmarks', 'results'), { recursive: true });
    const out = join(repoRoot, 'benchmarks', 'results', 'speculative.json');
    writeFileSync(
      out,
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          teacher: teacherDir,
          threads,
          drafts,
          timestamps,
          clips: clips.map((c) => ({ id: c.id, seconds: c.seconds })),
          runaway: loops,
          rows,
        },
        null,
        2,
      )}\n`,
    );
    console.log(`wrote ${out}`);
    if (rows.some((r) => !r.identical)) process.exitCode = 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
