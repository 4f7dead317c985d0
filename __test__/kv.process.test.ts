// Process-level guarantees: durability across kill -9, file locking across processes, sharing
// across worker threads, and hostile input that must never take the process down.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { expectAllSettle, killAfterAcks, native, require, tempDir } from './helpers'

const { KVNamespace } = native
const CHILD = join(import.meta.dirname, 'fixtures', 'kv-child.js')

describe('process safety', () => {
  it('every acknowledged put survives kill -9', async () => {
    const dir = tempDir()
    const acked = await killAfterAcks(CHILD, ['write', dir], 300)
    const kv = new KVNamespace({ persist: dir, name: 'crash' })
    for (let i = 0; i <= acked; i++) {
      expect(await kv.getWithMetadata(`k${i}`)).toEqual({ value: `value-${i}`, metadata: { i }, cacheStatus: null })
    }
    await kv.put('after-crash', 'ok')
    expect(await kv.get('after-crash')).toBe('ok')
    await kv.close()
  })

  it('a second process gets a clear error naming the file, and the store stays intact', async () => {
    const dir = tempDir()
    const kv = new KVNamespace({ persist: dir, name: 'crash' })
    await kv.put('k', 'v')
    const out = spawnSync(process.execPath, [CHILD, 'open', dir], { encoding: 'utf8' })
    expect(out.stdout).toMatch(/^error Error: .*kv\/crash\.redb is already open in another process/)
    expect(await kv.get('k')).toBe('v')
    await kv.close()
    const again = spawnSync(process.execPath, [CHILD, 'open', dir], { encoding: 'utf8' })
    expect(again.stdout.trim()).toBe('opened')
  })

  it('worker threads share the store of the main thread', async () => {
    const dir = tempDir()
    const kv = new KVNamespace({ persist: dir, name: 'shared' })
    await kv.put('from-main', 'hello worker')
    const worker = new Worker(join(import.meta.dirname, 'fixtures', 'kv-worker.mjs'), { workerData: { dir } })
    const seen = await new Promise((resolve, reject) => {
      worker.on('message', resolve)
      worker.on('error', reject)
    })
    expect(seen).toBe('hello worker')
    expect(await kv.get('from-worker')).toBe('hello main')
    await kv.close()
  })
})

describe('hostile input never crashes the process', () => {
  const throwing = { toString() { throw new Error('toString exploded') } }
  const hostile: unknown[] = [
    undefined, null, 0, -1, NaN, Infinity, 2 ** 53, 10n, true, '', '\u0000', '\ud800', '\udfff\ud800',
    'x'.repeat(100_000), Symbol('s'), () => 1, {}, [], [[]], [null], throwing, new Proxy({}, { get() { throw new Error('trap') } }),
    new Uint8Array(3), new ArrayBuffer(2), new DataView(new ArrayBuffer(1)), new Map(), new Date(), /re/, Object.create(null),
  ]

  it('every method settles (resolves or rejects) for every hostile argument', async () => {
    const kv = new KVNamespace()
    const calls: Array<(v: unknown) => unknown> = [
      (v) => kv.get(v as string),
      (v) => kv.get('k', v as 'text'),
      (v) => kv.get([v as string]),
      (v) => kv.getWithMetadata(v as string, v as 'text'),
      (v) => kv.put(v as string, 'v'),
      (v) => kv.put('k', v as string),
      (v) => kv.put('k', 'v', v as object),
      (v) => kv.put('k', 'v', { expiration: v as number, expirationTtl: v as number, metadata: v }),
      (v) => kv.delete(v as string),
      (v) => kv.list(v as object),
      (v) => kv.list({ prefix: v as string, limit: v as number, cursor: v as string }),
    ]
    await expectAllSettle(calls, hostile)
    // The store still works afterwards.
    await kv.put('sane', 'yes')
    expect(await kv.get('sane')).toBe('yes')
  })

  it('lone surrogates become U+FFFD, as a UTF-8 transport would make them', async () => {
    const kv = new KVNamespace()
    await kv.put('\ud800', 'v')
    expect(await kv.get('\ufffd')).toBe('v')
  })

  it('the raw native layer rejects wrong argument types with errors, never a crash', async () => {
    const raw = require('../binding.js')
    const ns = new raw.KVNamespaceNative()
    const junk: unknown[] = [undefined, null, 1, 'x', {}, [], Symbol('s'), 10n, new Uint8Array(2), () => 1]
    let errors = 0
    for (const a of junk) {
      for (const b of junk) {
        for (const call of [
          () => ns.get(a, b, a),
          () => ns.getWithMetadata(a, b, b),
          () => ns.getBulk(a, b, a),
          () => ns.put(a, b, a, b, a),
          () => ns.delete(a),
          () => ns.list(a, b, a),
        ]) {
          try {
            await call()
          } catch (e) {
            expect(e).toBeInstanceOf(Error)
            errors++
          }
        }
      }
    }
    expect(errors).toBeGreaterThan(0)
    const clock = new raw.ManualClock(NaN)
    clock.advance(-5)
    clock.set(Infinity)
    expect(Number.isFinite(clock.now())).toBe(true)
  })

  it('hostile constructor options throw TypeErrors, never crash', () => {
    for (const o of [{ persist: 5 }, { name: {} }, { persist: '/dev/null/nope', name: 'x' }, { clock: {} }]) {
      expect(() => new KVNamespace(o as never)).toThrow()
    }
  })

  it('constructor mistakes get plain answers: a string is not options, null means absent', async () => {
    expect(() => new KVNamespace('CACHE' as never)).toThrow(new TypeError(`KVNamespace options must be an object such as { persist: '.edgebase', name: 'app' }; got the string "CACHE"`))
    expect(() => new KVNamespace({ persist: true } as never)).toThrow(new TypeError('KVNamespace option "persist" must be a string, not boolean'))
    expect(() => new KVNamespace({ persist: tempDir(), name: 7 } as never)).toThrow(new TypeError('KVNamespace option "name" must be a string, not number'))
    const kv = new KVNamespace({ persist: null, name: null, clock: null } as never)
    await kv.put('k', 'v')
    expect(await kv.get('k')).toBe('v')
    await kv.close()
  })
})
