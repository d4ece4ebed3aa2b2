import { defineConfig } from 'tsup';

export default defineConfig({
  // `cli` is the `distil-whisper-wer` bin (package.json "bin"); esbuild keeps its shebang.
  // One config, so `clean` cannot race a second build writing into dist/.
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
