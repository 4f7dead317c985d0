// Process-level guarantees of Vectorize: durability across kill -9, reopen, compaction across a
// reopen, file locking across processes, the event loop during large scans, hostile input.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { expectAllSettle, killAfterAcks, native, require, tempDir } from './helpers'

const { VectorizeIndex } = native
const CHILD = join(import.meta.dirname, 'fixtures', 'vectorize-child.js')

describe('durability', () => {
  it('every acknowledged upsert survives kill -9, metadata indexes included', async () => {
    const dir = tempDir()
    const acked = await killAfterAcks(CHILD, ['write', dir], 60)
    const ix = new VectorizeIndex({ persist: dir, name: 'crash' })
    const d = await ix.describe()
    expect(d.dimensions).toBe(8)
    expect(d.vectorCount).toBeGreaterThanOrEqual((acked + 1) * 10)
    for (let i = 0; i <= acked; i += 7) {
      const got = await ix.getByIds([`b${i}-0`, `b${i}-9`])
      expect(got.map((v) => v.id)).toEqual([`b${i}-0`, `b${i}-9`])
      expect(got[1].values[0]).toBeCloseTo(i + 0.9, 5)
      expect(got[1].metadata).toEqual({ batch: i, j: 9 })
      const filtered = await ix.query(got[0].values, { topK: 20, filter: { batch: i } })
      expect(filtered.count).toBe(10)
    }
    expect(await ix.listMetadataIndexes()).toEqual({ metadataIndexes: [{ propertyName: 'batch', indexType: 'number' }] })
    await ix.upsert([{ id: 'after-crash', values: [0, 0, 0, 0, 0, 0, 0, 0] }])
    expect((await ix.queryById('after-crash', { topK: 1 })).matches[0]).toEqual({ id: 'after-crash', score: 0 })
    await ix.close()
  })

  it('a second process gets a clear error naming the file, and the index stays intact', async () => {
    const dir = tempDir()
    const ix = new VectorizeIndex({ persist: dir, name: 'crash', dimensions: 8, metric: 'euclidean' })
    await ix.insert([{ id: 'k', values: [1, 2, 3, 4, 5, 6, 7, 8] }])
    const out = spawnSync(process.execPath, [CHILD, 'open', dir], { encoding: 'utf8' })
    expect(out.stdout).toMatch(/^error Error: .*vectorize\/crash\.redb is already open in another process/)
    expect((await ix.getByIds(['k'])).length).toBe(1)
    await ix.close()
    const again = spawnSync(process.execPath, [CHILD, 'open', dir], { encoding: 'utf8' })
    expect(again.stdout.trim()).toBe('opened')
  })

  it('two handles on one file in a process share one index', async () => {
    const dir = tempDir()
    const a = new VectorizeIndex({ persist: dir, name: 'shared', dimensions: 2 })
    const b = new VectorizeIndex({ persist: dir, name: 'shared' })
    await a.insert([{ id: 'x', values: [1, 0] }])
    expect((await b.getByIds(['x'])).length).toBe(1)
    await a.close()
    expect((await b.describe()).vectorCount).toBe(1)
    await b.close()
  })

  it('worker threads share the index of the main thread', async () => {
    const dir = tempDir()
    const ix = new VectorizeIndex({ persist: dir, name: 'shared', dimensions: 2 })
    await ix.insert([{ id: 'from-main', values: [1, 0] }])
    const code = `
      const { parentPort, workerData } = require('node:worker_threads')
      const { VectorizeIndex } = require(workerData.root)
      ;(async () => {
        const ix = new VectorizeIndex({ persist: workerData.dir, name: 'shared' })
        const seen = (await ix.getByIds(['from-main'])).map((v) => v.id)
        await ix.insert([{ id: 'from-worker', values: [0, 1] }])
        await ix.close()
        parentPort.postMessage(seen)
      })()`
    const worker = new Worker(code, { eval: true, workerData: { dir, root: join(import.meta.dirname, '..', 'index.js') } })
    const seen = await new Promise((resolve, reject) => {
      worker.on('message', resolve)
      worker.on('error', reject)
    })
    expect(seen).toEqual(['from-main'])
    expect((await ix.queryById('from-worker', { topK: 1 })).matches[0].id).toBe('from-worker')
    await ix.close()
  })

  it('deletes, compaction and reopen keep ids, values, namespaces and indexes consistent', async () => {
    const dir = tempDir()
    const opts = { persist: dir, name: 'churn', dimensions: 4, metric: 'euclidean' as const, metadataIndexes: [{ propertyName: 'mod', indexType: 'number' as const }] }
    const ix = new VectorizeIndex(opts)
    for (let c = 0; c < 6; c++) {
      await ix.upsert(Array.from({ length: 1000 }, (_, i) => {
        const n = c * 1000 + i
        return { id: `v${n}`, values: [n, 0, 0, 0], namespace: n % 2 ? 'odd' : undefined, metadata: { mod: n % 10 } }
      }))
    }
    for (let c = 0; c < 5; c++) await ix.deleteByIds(Array.from({ length: 1000 }, (_, i) => `v${c * 1000 + i}`))
    const check = async (index: InstanceType<typeof VectorizeIndex>) => {
      expect((await index.describe()).vectorCount).toBe(1000)
      const near = await index.query([5500, 0, 0, 0], { topK: 3, filter: { mod: 3 }, returnValues: true })
      expect(near.matches.map((m) => [m.id, m.values![0]])).toEqual([['v5503', 5503], ['v5493', 5493], ['v5513', 5513]])
      const odd = await index.query([5500, 0, 0, 0], { topK: 2, namespace: 'odd' })
      expect(odd.matches.map((m) => m.id)).toEqual(['v5499', 'v5501'])
      expect(await index.getByIds(['v0', 'v4999'])).toEqual([])
    }
    await check(ix)
    await ix.close()
    const reopened = new VectorizeIndex({ persist: dir, name: 'churn' })
    await check(reopened)
    await reopened.close()
  })
})

describe('the event loop during large scans', () => {
  it('a large scan runs off the JS thread: the call returns at once and timers keep firing', async () => {
    const d = 512
    const ix = new VectorizeIndex({ dimensions: d, metric: 'cosine' })
    for (let c = 0; c < 60; c++) {
      const values = new Float32Array(d)
      await ix.upsert(Array.from({ length: 1000 }, (_, i) => {
        values[(c * 1000 + i) % d] = 1
        return { id: `v${c * 1000 + i}`, values: values.slice() }
      }))
    }
    const q = new Float32Array(d).fill(0.5)
    let ticks = 0
    let running = true
    const tick = () => {
      ticks++
      if (running) setImmediate(tick)
    }
    setImmediate(tick)
    const t0 = performance.now()
    const pending = Array.from({ length: 8 }, () => ix.query(q, { topK: 10 }))
    const syncMs = performance.now() - t0
    const ticksAtStart = ticks
    const results = await Promise.all(pending)
    const totalMs = performance.now() - t0
    running = false
    expect(results.every((r) => r.count === 10)).toBe(true)
    // The scans (~120 MB read per query) happened while the loop kept turning.
    expect(ticks).toBeGreaterThan(ticksAtStart)
    expect(syncMs).toBeLessThan(totalMs / 2)

    // A mutation waiting for the scans to finish does not make reads on the JS thread wait too.
    const scans = Array.from({ length: 8 }, () => ix.query(q, { topK: 10 }))
    const write = ix.upsert([{ id: 'late', values: q }])
    await new Promise((r) => setTimeout(r, 5)) // the writer is now waiting for the scans
    const t1 = performance.now()
    const reads = [ix.describe(), ix.getByIds(['v1']), ix.listMetadataIndexes()]
    const readSyncMs = performance.now() - t1
    const [info, got] = await Promise.all(reads)
    await Promise.all([...scans, write])
    const scanMs = performance.now() - t1
    expect(scanMs).toBeGreaterThan(0)
    expect((info as { dimensions: number }).dimensions).toBe(d)
    expect((got as unknown[]).length).toBe(1)
    expect(readSyncMs).toBeLessThan(scanMs / 2)
    expect((await ix.describe()).vectorCount).toBe(60_001)
  })
})

describe('hostile input never crashes the process', () => {
  const throwing = { toString() { throw new Error('toString exploded') } }
  const hostile: unknown[] = [
    undefined, null, 0, -1, NaN, Infinity, 2 ** 53, 10n, true, '', '\u0000', '\ud800',
    'x'.repeat(100_000), Symbol('s'), () => 1, {}, [], [[]], [null], [{}], [{ id: 'a' }], [{ id: 'a', values: {} }],
    [{ id: 'a', values: [1, 2, 3], metadata: 10n }], [{ id: 'a', values: [1, 2, 3], namespace: throwing }],
    throwing, new Proxy({}, { get() { throw new Error('trap') } }), new Float32Array(3), new Float64Array(2),
    new Uint8Array(3), new ArrayBuffer(2), new Map(), new Date(), /re/, Object.create(null),
    { filter: { a: { $in: [[1]] } } }, { topK: 1e308 }, { topK: -0 }, { namespace: throwing }, { returnMetadata: Symbol('x') },
  ]

  it('every method settles (resolves or rejects) for every hostile argument', async () => {
    const ix = new VectorizeIndex({ dimensions: 3, metadataIndexes: [{ propertyName: 'a', indexType: 'string' }] })
    await ix.upsert([{ id: 'sane', values: [1, 0, 0], metadata: { a: 'x' } }])
    const calls: Array<(v: unknown) => unknown> = [
      (v) => ix.query(v as number[]),
      (v) => ix.query([1, 0, 0], v as object),
      (v) => ix.query([1, 0, 0], { filter: v as object }),
      (v) => ix.query([1, 0, 0], { topK: v as number, namespace: v as string }),
      (v) => ix.queryById(v as string, v as object),
      (v) => ix.insert(v as never),
      (v) => ix.upsert([{ id: v as string, values: v as number[], namespace: v as string, metadata: v as never }]),
      (v) => ix.getByIds(v as string[]),
      (v) => ix.getByIds([v as string]),
      (v) => ix.deleteByIds([v as string]),
      (v) => ix.createMetadataIndex(v as string, v as never),
      (v) => ix.deleteMetadataIndex(v as string),
    ]
    await expectAllSettle(calls, hostile)
    expect((await ix.queryById('sane', { topK: 1, filter: { a: 'x' } })).matches.map((m) => m.id)).toEqual(['sane'])
  })

  it('the raw native layer rejects wrong argument types and inconsistent columns with errors, never a crash', async () => {
    const raw = require('../binding.js')
    const ix = new raw.VectorizeIndexNative({ dimensions: 2 })
    const junk: unknown[] = [undefined, null, 1, 'x', {}, [], [null], ['a', 'b'], Symbol('s'), 10n, new Float32Array(3), new Uint32Array([5, 5]), () => 1]
    let errors = 0
    for (const a of junk) {
      for (const b of junk) {
        for (const call of [
          () => ix.insert(a, b, a, b, a),
          () => ix.upsert(['x', 'y'], [null], b, new Float32Array(4), a),
          () => ix.upsert(['x'], [null], [null], new Float32Array(2), new Uint32Array([9])),
          () => ix.query(a, b),
          () => ix.queryById(a, b),
          () => ix.getByIds(a),
          () => ix.deleteByIds(b),
          () => ix.createMetadataIndex(a, b),
          () => ix.deleteMetadataIndex(a),
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
    expect(ix.describe().dimensions).toBe(2)
  })

  it('hostile constructor options throw, never crash', () => {
    for (const o of [{ dimensions: 'x' }, { dimensions: NaN }, { dimensions: 3, persist: 5 }, { dimensions: 3, name: {} }, { dimensions: 3, metadataIndexes: 5 }, { dimensions: 3, metadataIndexes: [{ propertyName: 'a', indexType: 'date' }] }, { dimensions: 3, clock: {} }]) {
      expect(() => new VectorizeIndex(o as never)).toThrow()
    }
  })
})
