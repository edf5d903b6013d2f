import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The built package (what `import 'wsmith'` gives tests and examples) is CommonJS under ES module
    // entries: let Node load it, as it loads any installed package, rather than Vite's transform.
    server: { deps: { external: [/\/dist\//] } },
  },
});
