// Shared test helpers: load the built addon through Node's own require (not Vite's transform),
// per-test temp dirs, and exact-error assertions.
import { spawn } from 'node:child_process'
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

/** Removes from a D1 `meta` what differs between two D1s by nature: timing, who answered, file size. */
export function dropVolatileMeta(o: Record<string, unknown>): void {
  if ('served_by' in o && 'duration' in o) {
    delete o.served_by
    delete o.duration
    delete o.size_after
  }
}

export type Outcome = { ok: unknown } | { error: string; message: string }

/** What `f` did, for differential tests: its (normalized) value, or its error's class and text. */
export async function outcome(f: () => Promise<unknown>, normalize: (v: unknown) => unknown = (v) => v): Promise<Outcome> {
  try {
    return { ok: await normalize(await f()) }
  } catch (e) {
    return { error: (e as Error).constructor.name, message: (e as Error).message }
  }
}

/**
 * Calls every `call` with every value: each must return a Promise (never throw synchronously)
 * that settles, rejecting only with an `Error`.
 */
export async function expectAllSettle(calls: Array<(v: unknown) => unknown>, values: unknown[]): Promise<void> {
  let settled = 0
  for (const call of calls) {
    for (const v of values) {
      let p: unknown
      try {
        p = call(v)
      } catch {
        throw new Error(`synchronous throw for ${typeof v}`)
      }
      await (p as Promise<unknown>).then(
        () => settled++,
        (e) => {
          expect(e).toBeInstanceOf(Error)
          settled++
        },
      )
    }
  }
  expect(settled).toBe(calls.length * values.length)
}

/**
 * Runs `node <script> ...args`, which prints `ack <i>` after each acknowledged write, and kills it
 * with SIGKILL once `<i>` reaches `atLeast`. Resolves with the last acknowledged `<i>` after the
 * child is gone.
 */
export async function killAfterAcks(script: string, args: string[], atLeast: number): Promise<number> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  let acked = -1
  await new Promise<void>((resolve) => {
    let buf = ''
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString()
      const lines = buf.split('\n')
      buf = lines.pop()!
      for (const l of lines) if (l.startsWith('ack ')) acked = Number(l.slice(4))
      if (acked >= atLeast) {
        child.kill('SIGKILL')
        resolve()
      }
    })
  })
  await new Promise((r) => child.on('exit', r))
  expect(child.signalCode).toBe('SIGKILL')
  return acked
}
