import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@distil-whisper/source'] },
  ssr: { resolve: { conditions: ['@distil-whisper/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
