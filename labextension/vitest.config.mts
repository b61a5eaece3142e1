import { defineConfig } from 'vitest/config';

// Unit tests of the pure TypeScript (scales, ticks, labels, DAG geometry) and of the
// renderers' DOM in jsdom. `npm test` runs them; scripts/test.sh calls it in CI.
export default defineConfig({
  test: {
    environment: 'jsdom',
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // Lab's packages are ES modules with extensionless imports: let Vite resolve them.
    server: { deps: { inline: [/@jupyter\/web-components/, /@jupyterlab\//, /@microsoft\/fast/] } },
    // Correctness only: a loaded CI machine must not fail a test by its wall-clock time.
    testTimeout: 120000
  }
});
