// Process-level guarantees of R2: durability across kill -9, no partial object or orphan file
// after a crash mid-write, atomic overwrites, one process per bucket directory, bounded memory
// for a 1 GiB object, and hostile input that never takes the process down.
import { spawn, spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { expectAllSettle, native, tempDir } from './helpers'

const { R2Bucket } = native
const CHILD = join(import.meta.dirname, 'fixtures', 'r2-child.js')
const { valueOf } = require(CHILD) as { valueOf: (i: number) => Uint8Array }
const MiB = 1024 * 1024

/** Runs the child in `mode` until `until(line)` says so, then kills it with SIGKILL. */
async function killWhen(mode: string, dir: string, until: (line: string) => boolean): Promise<string[]> {
  const child = spawn(process.execPath, [CHILD, mode, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines: string[] = []
  await new Promise<void>((resolve, reject) => {
    let buf = ''
    child.on('exit', () => reject(new Error(`child exited early: ${lines.slice(-3).join(' | ')}`)))
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString()
      const parts = buf.split('\n')
      buf = parts.pop()!
      for (const l of parts) {
        lines.push(l)
        if (until(l)) {
          child.removeAllListeners('exit')
          child.kill('SIGKILL')
          resolve()
        }
      }
    })
  })
  await new Promise((r) => child.on('exit', r))
  expect(child.signalCode).toBe('SIGKILL')
  return lines
}

function blobFiles(root: string): string[] {
  return readdirSync(join(root, 'blobs')).flatMap((d) => readdirSync(join(root, 'blobs', d)))
}

describe('crash safety', () => {
  it('every acknowledged put survives kill -9, and the next open leaves no orphan files', async () => {
    const dir = tempDir()
    const lines = await killWhen('write', dir, (l) => l === 'ack 150')
    const acked = Math.max(...lines.filter((l) => l.startsWith('ack ')).map((l) => Number(l.slice(4))))
    const b = new R2Bucket({ persist: dir, name: 'crash' })
    for (let i = 0; i <= acked; i++) {
      const o = (await b.get(`k${i}`))!
      expect(o.customMetadata).toEqual({ i: String(i) })
      expect(Buffer.from(await o.arrayBuffer()).equals(Buffer.from(valueOf(i)))).toBe(true)
    }
    const listed = (await b.list()).objects.length
    expect(listed === acked + 1 || listed === acked + 2).toBe(true) // the put in flight may have landed
    const root = join(dir, 'r2', 'crash')
    expect(readdirSync(join(root, 'tmp'))).toEqual([])
    expect(blobFiles(root).length).toBe(listed)
    await b.put('after-crash', 'ok')
    expect(await (await b.get('after-crash'))!.text()).toBe('ok')
    await b.close()
  })

  it('a crash mid-write leaves no visible partial object and no orphan files', async () => {
    const dir = tempDir()
    await killWhen('midwrite', dir, (l) => l === 'writing')
    const root = join(dir, 'r2', 'crash')
    expect(readdirSync(join(root, 'tmp')).length).toBe(1) // the partial temp file, before the sweep
    const b = new R2Bucket({ persist: dir, name: 'crash' })
    expect(await b.head('partial')).toBeNull()
    expect((await b.list()).objects.map((o) => o.key)).toEqual(['done'])
    expect(readdirSync(join(root, 'tmp'))).toEqual([])
    expect(blobFiles(root).length).toBe(1)
    await b.close()
  })

  it('a second process gets a clear error naming the directory; the first keeps working', async () => {
    const dir = tempDir()
    const b = new R2Bucket({ persist: dir, name: 'crash' })
    await b.put('k', 'v')
    const out = spawnSync(process.execPath, [CHILD, 'open', dir], { encoding: 'utf8' })
    expect(out.stdout).toMatch(/^error Error: .*r2\/crash\/index\.sqlite is already open in another process/)
    expect(await (await b.get('k'))!.text()).toBe('v')
    await b.close()
    expect(spawnSync(process.execPath, [CHILD, 'open', dir], { encoding: 'utf8' }).stdout.trim()).toBe('opened')
  })
})

describe('worker threads', () => {
  it('share the store of the main thread', async () => {
    const dir = tempDir()
    const b = new R2Bucket({ persist: dir, name: 'shared' })
    await b.put('from-main', 'hello worker')
    const worker = new Worker(join(import.meta.dirname, 'fixtures', 'r2-worker.mjs'), { workerData: { dir } })
    const seen = await new Promise((resolve, reject) => {
      worker.on('message', resolve)
      worker.on('error', reject)
    })
    expect(seen).toBe('hello worker')
    expect(await (await b.get('from-worker'))!.text()).toBe('hello main')
    await b.close()
  })
})

describe('atomicity and memory', () => {
  it('an overwrite is atomic: readers see the old or the new object, never a mix', async () => {
    const b = new R2Bucket({ persist: tempDir(), name: 'atomic' })
    const version = (n: number) => new Uint8Array(256 * 1024).fill(n)
    await b.put('k', version(0))
    let writing = true
    const writer = (async () => {
      for (let i = 1; i <= 60; i++) await b.put('k', version(i % 250))
      writing = false
    })()
    let reads = 0
    while (writing) {
      const o = (await b.get('k'))!
      const bytes = new Uint8Array(await o.arrayBuffer())
      expect(bytes.length).toBe(256 * 1024)
      expect(bytes.every((x) => x === bytes[0])).toBe(true)
      expect(o.etag).toBe(require('node:crypto').createHash('md5').update(bytes).digest('hex'))
      reads++
    }
    await writer
    expect(reads).toBeGreaterThan(0)
    await b.close()
  })

  it('bodies that are never read do not pile up in memory (in-memory bucket, overwrites)', () => {
    // 300 × (overwrite 8 MiB, get without reading): 2.4 GB pinned in total. Each unread body
    // reports the object it pins to V8, so they are collected as they go (before: 1.2 GB peak).
    const script = `
      const { R2Bucket } = require(${JSON.stringify(join(import.meta.dirname, '..', 'index.js'))})
      ;(async () => {
        const b = new R2Bucket()
        const big = new Uint8Array(8 << 20)
        for (let i = 0; i < 300; i++) { big[0] = i; await b.put('k', big); await b.get('k') }
        console.log(process.resourceUsage().maxRSS * 1024)
      })()`
    const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000 })
    expect(out.stderr).toBe('')
    expect(Number(out.stdout.trim())).toBeLessThan(600 * MiB)
  }, 120_000)

  it('a 1 GiB streamed put, full and ranged streamed gets keep peak RSS far below the object size', () => {
    const dir = tempDir()
    const out = spawnSync(process.execPath, [CHILD, 'rss', dir], { encoding: 'utf8', timeout: 120_000 })
    const r = JSON.parse(out.stdout.trim())
    expect(r).toMatchObject({ size: 1024 * MiB, head: 1024 * MiB, fullBytes: 1024 * MiB, rangedBytes: 300 * MiB })
    expect(r.maxRssBytes).toBeLessThan(320 * MiB)
  }, 120_000)
})

describe('hostile input never crashes the process', () => {
  const throwing = { toString() { throw new Error('toString exploded') } }
  const hostile: unknown[] = [
    undefined, null, 0, -1, NaN, Infinity, 2 ** 53, 10n, true, '', '\u0000', '\ud800', 'x'.repeat(100_000), Symbol('s'),
    () => 1, {}, [], [[]], [null], throwing, new Proxy({}, { get() { throw new Error('trap') } }),
    new Uint8Array(3), new ArrayBuffer(2), new DataView(new ArrayBuffer(1)), new Map(), new Date(NaN), /re/,
    Object.create(null), new Headers({ range: 'bytes=-1', 'if-match': '"x', expires: 'garbage' }),
    { offset: -1 }, { suffix: 1e300 }, { etagMatches: 5 }, { partNumber: 'x', etag: {} },
  ]

  it('every method settles for every hostile argument, and the bucket still works', async () => {
    const b = new R2Bucket()
    await b.put('k', 'value')
    const u = await b.createMultipartUpload('m')
    const calls: Array<(v: unknown) => unknown> = [
      (v) => b.head(v as string),
      (v) => b.get(v as string),
      (v) => b.get('k', v as object),
      (v) => b.get('k', { range: v, onlyIf: v } as object),
      (v) => b.put(v as string, 'v'),
      (v) => b.put('h', v as string),
      (v) => b.put('h', 'v', v as object),
      (v) => b.put('h', 'v', { httpMetadata: v, customMetadata: v, md5: v, onlyIf: v, storageClass: v, ssecKey: v } as object),
      (v) => b.delete(v as string),
      (v) => b.list(v as object),
      (v) => b.list({ prefix: v, limit: v, cursor: v, delimiter: v, startAfter: v, include: v } as object),
      (v) => b.createMultipartUpload(v as string, v as object),
      (v) => u.uploadPart(v as number, v as string),
      (v) => u.complete(v as never),
      (v) => u.complete([v] as never),
      // resumeMultipartUpload is synchronous (a Symbol throws there, as in workerd).
      async (v) => b.resumeMultipartUpload(v as string, v as string).abort(),
    ]
    await expectAllSettle(calls, hostile)
    expect(await (await b.get('k'))!.text()).toBe('value')
    await b.put('sane', 'yes')
    expect(await (await b.get('sane'))!.text()).toBe('yes')
  })

  it('the raw native layer rejects wrong types without crashing', () => {
    const raw = new (require('../binding.js').R2BucketNative)()
    for (const call of [() => raw.head(5), () => raw.get({}), () => raw.list(5), () => raw.put(1, 2, 3), () => raw.delete('x'), () => raw.get('k', { range: { offset: 'x' } })]) {
      try {
        const r = call()
        if (r && typeof r.then === 'function') r.catch(() => {})
      } catch (e) {
        expect(e).toBeInstanceOf(Error)
      }
    }
  })

  it('hostile constructor options throw, never crash', () => {
    for (const o of [{ persist: 5 }, { name: {} }, { persist: '/dev/null/nope', name: 'x' }, { clock: {} }, { minPartSize: 'x' }]) {
      expect(() => new R2Bucket(o as never)).toThrow()
    }
  })
})
