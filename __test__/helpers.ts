// Shared test helpers: load the built addon through Node's own require (not Vite's transform),
// per-test temp dirs, and exact-error assertions.
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, onTestFinished } from 'vitest'

export const require = createRequire(import.meta.url)
export const native: typeof import('../index') = require('../index.js')
export const ROOT = join(import.meta.dirname, '..')

/** A fresh directory removed when the current test ends. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgebase-test-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Asserts that `p` rejects with exactly this class and message. */
export async function rejects(p: unknown, Class: ErrorConstructor | TypeErrorConstructor, message: string | RegExp) {
  expect(p).toBeInstanceOf(Promise)
  const err = await (p as Promise<unknown>).then(
    () => {
      throw new Error(`expected a rejection with ${JSON.stringify(String(message))}`)
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(Class)
  expect((err as Error).constructor).toBe(Class)
  if (typeof message === 'string') expect((err as Error).message).toBe(message)
  else expect((err as Error).message).toMatch(message)
  return err as Error & { code?: string }
}

export async function text(stream: ReadableStream | null): Promise<string> {
  return new Response(stream as ReadableStream).text()
}
