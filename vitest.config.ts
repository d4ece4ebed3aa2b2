import { defineConfig } from 'vitest/config';

// Every package is a vitest project; tests resolve workspace packages to their TypeScript
// sources through the custom export condition, so nothing waits for a tsup build.
export default defineConfig({
  test: {
    projects: ['packages/*'],
  },
});
