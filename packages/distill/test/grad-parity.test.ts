// The `model` tier of the trainer: real Whisper base as teacher, its 2-layer student (teacher
// layers [0, 5], encoder and decoder positions frozen), on jfk.wav — losses, every trainable
// parameter's gradient and a 3-step AdamW trajectory against PyTorch + transformers
// (tools/reference/distill/make_grad_fixtures.py → fixtures/base_student_grads.json).
// Tolerances are that fixture README's: losses 1e-5 relative; per-parameter gradient norm and
// projections 1e-4 of the parameter's gradient norm; trajectory losses and grad norms 1e-4.
// Needs DW_TEST_MODEL_DIR with the base checkpoint (tools/real-weights/fetch.sh base); skipped
// with a notice otherwise.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio, WhisperFeatureExtractor } from '@distil-whisper/audio';
import { Tensor, tidy } from '@distil-whisper/kernels';
import { teacherLogits, TrainableDecoder, WhisperModel } from '@distil-whisper/model';

import {
  createStudent,
  distillationLoss,
  learningRateAt,
  trainingStep,
  type MicroBatch,
} from '../src';
import { hasReference, referencePath } from '../../../test-support/reference';
import { whisperBaseDir } from '../../../test-support/real-weights';

interface Stats {
  numel: number;
  norm: number;
  sum: number;
  proj: number[];
  samples?: number[];
}
interface BatchFixture {
  examples: string[];
  shape: [number, number];
  ce_loss: number;
  kl_loss: number;
  loss: number;
  grad_norm_total: number;
  student_logits: Stats;
  teacher_logits: Stats;
  grads: Record<string, Stats>;
  decoder_input_ids?: number[][];
  labels?: number[][];
}
interface Fixture {
  inputs: {
    clips: Record<'A' | 'B', { samples: [number, number]; features: Stats; encoder_output: Stats }>;
    examples: Record<'A' | 'B', { decoder_input_ids: number[]; labels: number[] }>;
  };
  batches: Record<'A' | 'B' | 'AB', BatchFixture>;
  trajectory: {
    schedule: { peak_lr: number; warmup_steps: number; total_steps: number };
    optimizer: { weight_decay: number };
    steps: Array<{
      step: number;
      learning_rate: number;
      loss: number;
      ce_loss: number;
      kl_loss: number;
      grad_norm_f64: number;
    }>;
    after: { loss: number; ce_loss: number; kl_loss: number };
    param_delta_after_last_step: Record<string, Stats>;
  };
}

const FIXTURE = resolve(
  __dirname,
  '../../../tools/reference/distill/fixtures/base_student_grads.json',
);

/** The fixture's hash vector: r_s(i) = (((i·2654435761) mod 2³² + s·40503) mod 2³²) / 2³² − 0.5. */
const r = (i: number, s: number): number =>
  (((Math.imul(i, 2654435761) >>> 0) + s * 40503) >>> 0) / 4294967296 - 0.5;

function stats(x: Float32Array): Stats {
  let norm = 0;
  let sum = 0;
  const proj = [0, 0, 0, 0];
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    norm += v * v;
    sum += v;
    for (let s = 1; s <= 4; s++) proj[s - 1]! += v * r(i, s);
  }
  const samples = Array.from({ length: 16 }, (_, j) => x[(j * 104729 + 7) % x.length]!);
  return { numel: x.length, norm: Math.sqrt(norm), sum, proj, samples };
}

/** Every field of `ours` within `rel` × the reference norm (projections, norm) / `sumTol` (sum). */
function expectStats(
  name: string,
  ours: Stats,
  ref: Stats,
  rel: number,
  sumTol = rel * ref.norm,
): void {
  expect(ours.numel, name).toBe(ref.numel);
  const scale = ref.norm;
  const fail: string[] = [];
  if (Math.abs(ours.norm - ref.norm) > rel * scale) fail.push(`norm ${ours.norm} vs ${ref.norm}`);
  ref.proj.forEach((p, k) => {
    if (Math.abs(ours.proj[k]! - p) > rel * scale) fail.push(`proj[${k}] ${ours.proj[k]} vs ${p}`);
  });
  if (Math.abs(ours.sum - ref.sum) > sumTol) fail.push(`sum ${ours.sum} vs ${ref.sum}`);
  if (ref.samples && ours.samples) {
    const m = Math.max(1e-30, ...ref.samples.map(Math.abs));
    ref.samples.forEach((v, j) => {
      if (Math.abs(ours.samples![j]! - v) > 1e-3 * m)
        fail.push(`sample[${j}] ${ours.samples![j]} vs ${v}`);
    });
  }
  if (fail.length > 0) throw new Error(`${name}: ${fail.join('; ')}`);
}

function relClose(name: string, ours: number, ref: number, rel: number): void {
  if (Math.abs(ours - ref) > rel * Math.abs(ref))
    throw new Error(
      `${name}: ${ours} vs ${ref} (relative ${Math.abs(ours - ref) / Math.abs(ref)})`,
    );
}

const baseDir = whisperBaseDir('distill model tier');
const run = baseDir && hasReference('distill model tier') && existsSync(FIXTURE);

describe.runIf(run)('distillation on real whisper base vs PyTorch', () => {
  const fx = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Fixture;
  let tmp: string;
  let teacher: WhisperModel;
  let studentModel: WhisperModel;
  let states: Record<'A' | 'B', Tensor>;
  const batch = (name: 'A' | 'B' | 'AB'): MicroBatch => {
    const ids =
      name === 'AB'
        ? fx.batches.AB.decoder_input_ids!
        : [fx.inputs.examples[name].decoder_input_ids];
    const labels = name === 'AB' ? fx.batches.AB.labels! : [fx.inputs.examples[name].labels];
    const enc =
      name === 'AB'
        ? tidy(() => {
            const a = states.A.toFloat32();
            const b = states.B.toFloat32();
            const both = new Float32Array(a.length + b.length);
            both.set(a);
            both.set(b, a.length);
            return Tensor.from(both, [2, ...states.A.shape.slice(1)]);
          })
        : states[name];
    return {
      decoderInputIds: Int32Array.from(ids.flat()),
      labels: Int32Array.from(labels.flat()),
      batchSize: ids.length,
      length: ids[0]!.length,
      encoderStates: enc,
    };
  };

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'dw-grad-parity-'));
    createStudent({ teacherDir: baseDir!, outDir: join(tmp, 'student'), decoderLayers: 2 });
    teacher = WhisperModel.load(baseDir!);
    studentModel = WhisperModel.load(join(tmp, 'student'));
    const extractor = await WhisperFeatureExtractor.fromPretrained(baseDir!);
    const pcm = await loadAudio(referencePath('assets', 'jfk.wav'));
    states = {} as Record<'A' | 'B', Tensor>;
    for (const clip of ['A', 'B'] as const) {
      const [start, end] = fx.inputs.clips[clip].samples;
      const features = extractor.extract(pcm.subarray(start, end)).data;
      expectStats(`features ${clip}`, stats(features), fx.inputs.clips[clip].features, 1e-5);
      const enc = studentModel.encode(features, 1);
      states[clip] = enc.hiddenStates;
    }
  }, 300_000);

  afterAll(() => {
    states?.A?.dispose();
    states?.B?.dispose();
    studentModel?.dispose();
    teacher?.dispose();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('encoder states match transformers', () => {
    for (const clip of ['A', 'B'] as const)
      expectStats(
        `encoder ${clip}`,
        stats(states[clip].toFloat32()),
        fx.inputs.clips[clip].encoder_output,
        1e-5,
      );
  });

  for (const name of ['A', 'B', 'AB'] as const) {
    it(`batch ${name}: losses, logits and every parameter's gradient`, () => {
      const ref = fx.batches[name];
      const student = new TrainableDecoder(studentModel, { freezeEmbedPositions: true });
      const mb = batch(name);
      try {
        expect(student.store.decls.map((d) => d.name).sort()).toEqual(
          Object.keys(ref.grads).sort(),
        );
        student.store.zeroGrad();
        tidy(() => {
          const ids = Tensor.from(mb.decoderInputIds, [mb.batchSize, mb.length], { dtype: 'i32' });
          const labels = Tensor.from(mb.labels, [mb.batchSize * mb.length], { dtype: 'i32' });
          const tz = teacherLogits(teacher, ids, mb.encoderStates);
          // A sum over millions of logits of one sign: compared relative to itself.
          const tl = ref.teacher_logits;
          expectStats('teacher logits', stats(tz.toFloat32()), tl, 1e-5, 1e-6 * Math.abs(tl.sum));
          const { logits, activations } = student.forward(ids, mb.encoderStates);
          const sl = ref.student_logits;
          expectStats(
            'student logits',
            stats(logits.toFloat32()),
            sl,
            1e-5,
            1e-6 * Math.abs(sl.sum),
          );
          const loss = distillationLoss(logits, tz, labels, {}, true);
          relClose('ce', loss.ce, ref.ce_loss, 1e-5);
          relClose('kl', loss.kl, ref.kl_loss, 1e-5);
          relClose('loss', loss.loss, ref.loss, 1e-5);
          student.backward(activations!, loss.grad);
          activations!.dispose();
        });
        relClose('grad norm', student.store.gradNorm(), ref.grad_norm_total, 1e-4);
        let worst = 0;
        for (const d of student.store.decls) {
          const ours = stats(student.store.get(d.name).grad.toFloat32());
          const refStats = ref.grads[d.name]!;
          expectStats(d.name, ours, refStats, 1e-4);
          worst = Math.max(worst, Math.abs(ours.norm - refStats.norm) / refStats.norm);
        }
        console.log(
          `[distill parity] batch ${name}: worst gradient-norm relative error ${worst.toExponential(2)}`,
        );
      } finally {
        student.dispose();
        if (name === 'AB') mb.encoderStates.dispose();
      }
    }, 300_000);
  }

  it('3-step AdamW trajectory (warmup, clipping, weight decay, accumulation 2)', () => {
    const t = fx.trajectory;
    const student = new TrainableDecoder(studentModel, { freezeEmbedPositions: true });
    try {
      // The fixture's param_delta_after_last_step is the total change since the initial student.
      const initial = student.store.weights.toFloat32();
      const micro = [batch('A'), batch('B')];
      for (const ref of t.steps) {
        const lr = learningRateAt(
          {
            kind: 'linear',
            peak: t.schedule.peak_lr,
            warmupSteps: t.schedule.warmup_steps,
            maxSteps: t.schedule.total_steps,
          },
          ref.step,
        );
        relClose(`lr step ${ref.step}`, lr + 1e-30, ref.learning_rate + 1e-30, 1e-12);
        const res = trainingStep(teacher, student, micro, {
          learningRate: lr,
          step: ref.step,
          maxGradNorm: 1,
          weightDecay: t.optimizer.weight_decay,
        });
        relClose(`loss step ${ref.step}`, res.loss, ref.loss, 1e-4);
        relClose(`ce step ${ref.step}`, res.ce, ref.ce_loss, 1e-4);
        relClose(`kl step ${ref.step}`, res.kl, ref.kl_loss, 1e-4);
        relClose(`grad norm step ${ref.step}`, res.gradNorm, ref.grad_norm_f64, 1e-4);
      }
      // Forward only after step 3 (Adam's first updates are sign-like: 1e-3).
      let loss = 0;
      let ce = 0;
      let kl = 0;
      for (const mb of micro)
        tidy(() => {
          const ids = Tensor.from(mb.decoderInputIds, [1, mb.length], { dtype: 'i32' });
          const labels = Tensor.from(mb.labels, [mb.length], { dtype: 'i32' });
          const l = distillationLoss(
            student.logits(ids, mb.encoderStates),
            teacherLogits(teacher, ids, mb.encoderStates),
            labels,
            {},
            true,
          );
          loss += l.loss / 2;
          ce += l.ce / 2;
          kl += l.kl / 2;
        });
      relClose('loss after step 3', loss, t.after.loss, 1e-3);
      relClose('ce after step 3', ce, t.after.ce_loss, 1e-3);
      relClose('kl after step 3', kl, t.after.kl_loss, 1e-3);
      // Every parameter's total update over the three steps.
      const after = student.store.weights.toFloat32();
      for (const d of student.store.decls) {
        const { offset } = student.store.get(d.name);
        const delta = new Float32Array(d.size);
        for (let i = 0; i < d.size; i++) delta[i] = after[offset + i]! - initial[offset + i]!;
        const ref = t.param_delta_after_last_step[d.name]!;
        const ours = stats(delta);
        delete ours.samples;
        expectStats(`update of ${d.name}`, ours, ref, 1e-3);
      }
    } finally {
      student.dispose();
    }
  }, 600_000);
});
