// The distillation objective against PyTorch: tools/reference/distill/fixtures/loss_cases.json
// (run_distillation.py's CE + T²·KL, gradients by float64 autograd). Tolerances from that
// fixture's README: losses 1e-6 relative, gradients 1e-6 of the row's largest entry (f32 kernel).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor } from '@distil-whisper/kernels';

import { DistillError, distillationLoss, distillationLossFromArrays } from '../src';

interface LossCase {
  name: string;
  rows: number;
  vocab: number;
  temperature: number;
  ce_weight: number;
  kl_weight: number;
  student_logits: number[];
  teacher_logits: number[] | null;
  labels: number[];
  expected: { ce_loss: number; kl_loss: number; loss: number; grad: number[] };
}

const FIXTURE = resolve(__dirname, '../../../tools/reference/distill/fixtures/loss_cases.json');
const cases = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { cases: LossCase[] }).cases;

function close(actual: number, expected: number, rel: number, abs = 1e-9): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(abs + rel * Math.abs(expected));
}

describe('distillationLoss vs PyTorch (loss_cases.json)', () => {
  it('has every case', () => expect(cases.length).toBeGreaterThanOrEqual(14));
  for (const c of cases) {
    it(c.name, () => {
      const r = distillationLossFromArrays(
        Float32Array.from(c.student_logits),
        c.teacher_logits ? Float32Array.from(c.teacher_logits) : null,
        c.labels,
        c.vocab,
        { temperature: c.temperature, ceWeight: c.ce_weight, klWeight: c.kl_weight },
      );
      close(r.ce, c.expected.ce_loss, 1e-6);
      close(r.kl, c.expected.kl_loss, 1e-6, 1e-7);
      close(r.loss, c.expected.loss, 1e-6, 1e-7);
      let worst = 0;
      for (let row = 0; row < c.rows; row++) {
        const exp = c.expected.grad.slice(row * c.vocab, (row + 1) * c.vocab);
        const scale = Math.max(1e-30, ...exp.map(Math.abs));
        for (let v = 0; v < c.vocab; v++) {
          const e = Math.abs(r.grad[row * c.vocab + v]! - exp[v]!) / scale;
          worst = Math.max(worst, e);
        }
        if (exp.every((x) => x === 0))
          for (let v = 0; v < c.vocab; v++) expect(r.grad[row * c.vocab + v]).toBe(0);
      }
      expect(worst).toBeLessThanOrEqual(1e-6);
    });
  }
});

describe('distillationLoss: errors', () => {
  const s = () => Tensor.from(new Float32Array(8), [2, 4]);
  it('refuses a batch without label tokens', () => {
    const labels = Tensor.from(Int32Array.from([-100, -100]), [2], { dtype: 'i32' });
    expect(() => distillationLoss(s(), null, labels)).toThrow(
      expect.objectContaining({ code: 'NO_LABEL_TOKENS' }),
    );
  });
  it('refuses bad options', () => {
    const labels = Tensor.from(Int32Array.from([1, 2]), [2], { dtype: 'i32' });
    for (const bad of [{ temperature: 0 }, { temperature: Number.NaN }, { ceWeight: -1 }])
      expect(() => distillationLoss(s(), null, labels, bad)).toThrow(DistillError);
  });
  it('stops on non-finite logits', () => {
    const logits = Float32Array.from([0, 1, Number.NaN, 2, 0, 0, 0, 0]);
    expect(() => distillationLossFromArrays(logits, null, [1, 2], 4)).toThrow(
      expect.objectContaining({ code: 'NON_FINITE_LOSS' }),
    );
  });
  it('refuses mismatched array sizes', () => {
    expect(() => distillationLossFromArrays(new Float32Array(7), null, [1, 2], 4)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
