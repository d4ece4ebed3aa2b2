// How the token loop picks each row's next token from its processed logits: greedy decoding is
// the argmax choice, multinomial sampling (transformers' `_sample` with temperature and top-k
// warpers) the sampling choice. Both also return the token's log-probability, the term
// transformers averages into `avg_logprob`.
import { warpForSampling } from './logits-processors';
import { argmax, logSumExp, softmax } from './math';
import { sampleIndex, type SeededRandom } from './rng';

/** The chosen token of one row and its log-probability. */
export interface TokenPick {
  token: number;
  logprob: number;
}

/** Picks the next token of one processed logit row (may modify the row). */
export type TokenChoice = (row: Float32Array) => TokenPick;

/** Greedy decoding: the most likely token (first on ties), scored by the processed row's log-softmax. */
export const argmaxChoice: TokenChoice = (row) => {
  const token = argmax(row);
  return { token, logprob: (row[token] as number) - logSumExp(row) };
};

/**
 * Multinomial sampling at `temperature` (> 0) among the `topK` most likely tokens (0 = all),
 * drawing from `rng`.
 */
export function samplingChoice(temperature: number, topK: number, rng: SeededRandom): TokenChoice {
  return (row) => {
    warpForSampling(row, temperature, topK);
    const token = sampleIndex(softmax(row), rng);
    // transformers scores the warped row multiplied back by the temperature.
    let m = -Infinity;
    for (let i = 0; i < row.length; i++) m = Math.max(m, (row[i] as number) * temperature);
    let sum = 0;
    for (let i = 0; i < row.length; i++) sum += Math.exp((row[i] as number) * temperature - m);
    return { token, logprob: (row[token] as number) * temperature - (m + Math.log(sum)) };
  };
}

/** The choice for one temperature: argmax at 0, else sampling. */
export function choiceForTemperature(
  temperature: number,
  topK: number,
  rng: SeededRandom,
): TokenChoice {
  return temperature > 0 ? samplingChoice(temperature, topK, rng) : argmaxChoice;
}
