import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['__test__/**/*.test.ts'],
    // Each file in its own process: native statics (open-file registry, runtime) never cross files.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
