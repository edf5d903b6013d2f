import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { include: ['test/support/peers-fixture/*.fixture.ts'], root: process.cwd() } });
