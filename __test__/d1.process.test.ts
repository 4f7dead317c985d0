// Process-level guarantees of D1Database: durability across kill -9, sharing the file with other
// processes (waiting for their locks, not failing fast), worker threads, hostile input, and
// close() racing queries — each ending with SQLite's own integrity check of the file.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { realpathSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import Sqlite from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { expectAllSettle, native, require, tempDir } from './helpers'

const { D1Database } = native
const CHILD = join(import.meta.dirname, 'fixtures', 'd1-child.js')

function integrity(file: string): string {
  const db = new Sqlite(file, { readonly: true })
  try {
    return db.pragma('integrity_check', { simple: true }) as string
  } finally {
    db.close()
  }
}

/** Resolves with the child once it printed `line` (and keeps reading its output). */
function waitFor(child: ChildProcessWithoutNullStreams, line: string, seen: Map<string, number>): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => (seen.has(line) ? resolve() : undefined)
    child.stdout.on('data', check)
    child.on('exit', () => (seen.has(line) ? resolve() : reject(new Error(`child exited before printing ${line}`))))
    check()
  })
}

function track(child: ChildProcessWithoutNullStreams): Map<string, number> {
  const seen = new Map<string, number>()
  let buf = ''
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString()
    const lines = buf.split('\n')
    buf = lines.pop()!
    for (const l of lines) seen.set(l, performance.now())
  })
  return seen
}

describe('process safety', () => {
  it('every acknowledged statement survives kill -9, and the file stays valid', async () => {
    const dir = tempDir()
    const child = spawn(process.execPath, [CHILD, 'write', dir])
    const seen = track(child)
    await waitFor(child, 'ack 400', seen)
    child.kill('SIGKILL')
    await new Promise((r) => child.on('exit', r))
    expect(child.signalCode).toBe('SIGKILL')
    // Every "ack" the child printed before it died was for a resolved statement.
    const acked = Math.max(...[...seen.keys()].filter((l) => l.startsWith('ack ')).map((l) => Number(l.slice(4))))
    expect(acked).toBeGreaterThanOrEqual(400)
    const db = new D1Database({ persist: dir, name: 'crash' })
    const rows = (await db.prepare('SELECT i, v FROM t WHERE i <= ? ORDER BY i').bind(acked).raw()) as [number, string][]
    expect(rows.length).toBe(acked + 1)
    rows.forEach(([i, v], k) => expect([i, v]).toEqual([k, `value-${k}`]))
    await db.prepare("INSERT INTO t (v) VALUES ('after the crash')").run()
    await db.close()
    expect(integrity(join(dir, 'd1', 'crash.sqlite'))).toBe('ok')
  })

  it('a write lock held by another process is waited for, while reads go on', async () => {
    const dir = tempDir()
    const db = new D1Database({ persist: dir, name: 'crash' })
    await db.exec('CREATE TABLE t (i INTEGER PRIMARY KEY, v TEXT)')
    await db.prepare("INSERT INTO t (v) VALUES ('before')").run()
    const child = spawn(process.execPath, [CHILD, 'hold', join(dir, 'd1', 'crash.sqlite'), '1500'])
    const seen = track(child)
    await waitFor(child, 'locked', seen)
    // WAL: readers are not blocked by the other process's write transaction.
    expect(await db.prepare('SELECT count(*) AS n FROM t').first('n')).toBe(1)
    const write = db.prepare("INSERT INTO t (v) VALUES ('after')").run()
    const reply = await write
    const doneAt = performance.now()
    await waitFor(child, 'released', seen)
    expect(reply.success).toBe(true)
    expect(doneAt).toBeGreaterThanOrEqual(seen.get('released')!)
    expect(await db.prepare('SELECT v FROM t ORDER BY i').raw()).toEqual([['before'], ['from the other process'], ['after']])
    await db.close()
  })

  it('a lock held past the busy timeout fails with a clear SQLITE_BUSY error, and nothing is lost', async () => {
    const dir = tempDir()
    const db = new D1Database({ persist: dir, name: 'crash' })
    await db.exec('CREATE TABLE t (i INTEGER PRIMARY KEY, v TEXT)')
    const child = spawn(process.execPath, [CHILD, 'hold', join(dir, 'd1', 'crash.sqlite'), String(native.limits().d1.busyTimeoutMs + 2000)])
    const seen = track(child)
    await waitFor(child, 'locked', seen)
    const started = performance.now()
    const err = await db.prepare("INSERT INTO t (v) VALUES ('x')").run().catch((e: Error) => e)
    expect(performance.now() - started).toBeGreaterThanOrEqual(native.limits().d1.busyTimeoutMs - 100)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toMatch(/^D1_ERROR: database is locked: another connection held the lock for more than \d+ ms: SQLITE_BUSY/)
    await waitFor(child, 'released', seen)
    await db.prepare("INSERT INTO t (v) VALUES ('y')").run()
    expect(await db.prepare('SELECT v FROM t ORDER BY i').raw()).toEqual([['from the other process'], ['y']])
    await db.close()
    expect(integrity(join(dir, 'd1', 'crash.sqlite'))).toBe('ok')
  }, 30_000)

  it('calls cut short by the inline time budget and retried on the worker apply exactly once', async () => {
    const dir = tempDir()
    const { spawnSync } = await import('node:child_process')
    const out = spawnSync(process.execPath, [CHILD, 'churn', dir], {
      encoding: 'utf8',
      env: { ...process.env, EDGEBASE_D1_INLINE_BUDGET_US: '5' },
    })
    expect(out.stderr).toBe('')
    expect(JSON.parse(out.stdout)).toEqual([['batch', 6000], ['exec', 600], ['multi', 600], ['single', 300]])
    expect(integrity(join(dir, 'd1', 'churn.sqlite'))).toBe('ok')
  })

  it('worker threads share the database of the main thread', async () => {
    const dir = tempDir()
    const db = new D1Database({ persist: dir, name: 'shared' })
    await db.exec("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)\nINSERT INTO t VALUES ('from-main', 'hello worker')")
    const worker = new Worker(join(import.meta.dirname, 'fixtures', 'd1-worker.mjs'), { workerData: { dir } })
    const seen = await new Promise((resolve, reject) => {
      worker.on('message', resolve)
      worker.on('error', reject)
    })
    expect(seen).toBe('hello worker')
    expect(await db.prepare('SELECT v FROM t WHERE k = ?').bind('from-worker').first('v')).toBe('hello main')
    await db.close()
  })
})

describe('hostile input never crashes the process or the file', () => {
  const throwing = { toString() { throw new Error('toString exploded') } }
  const hostile: unknown[] = [
    undefined, null, 0, -1, NaN, Infinity, 2 ** 53, 10n, true, '', '\u0000', '\ud800', '\udfff\ud800',
    'x'.repeat(200_000), Symbol('s'), () => 1, {}, [], [[]], [null], [256], throwing, new Proxy({}, { get() { throw new Error('trap') } }),
    new Uint8Array(3), new ArrayBuffer(2), new DataView(new ArrayBuffer(1)), new Map(), new Date(), /re/, Object.create(null),
    'SELECT \u0000 1', "SELECT 'a\u0000b'", String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i)), 'BEGIN', 'ATTACH x AS y',
    'PRAGMA writable_schema = on', "SELECT load_extension('x')", 'VACUUM', 'DETACH main', 'CREATE TEMP TABLE x (a)',
  ]

  it('every method settles for every hostile argument; only bind and withSession throw, synchronously', async () => {
    const dir = tempDir()
    const db = new D1Database({ persist: dir, name: 'abuse' })
    await db.exec('CREATE TABLE t (a, b)\nINSERT INTO t VALUES (1, 2)')
    /** bind() and withSession() may throw synchronously (as in workerd), with an Error only. */
    const sync = (f: () => Promise<unknown>) => {
      try {
        return f()
      } catch (e) {
        expect(e).toBeInstanceOf(Error)
        return Promise.resolve()
      }
    }
    await expectAllSettle(
      [
        (v) => db.prepare(v as string).all(),
        (v) => db.prepare(v as string).first(v as string),
        (v) => sync(() => db.prepare('SELECT ? AS x').bind(v).raw(v as object)),
        (v) => sync(() => db.prepare('INSERT INTO t VALUES (?, ?)').bind(v, v).run()),
        (v) => db.prepare('SELECT * FROM t').first(v as string),
        (v) => db.batch(v as []),
        (v) => db.batch([db.prepare(v as string)]),
        (v) => db.batch([v as never]),
        (v) => db.exec(v as string),
        (v) => sync(() => db.withSession(v as string).prepare('SELECT 1').all()),
      ],
      hostile,
    )
    // Still fully working, and the file is intact.
    expect(await db.prepare('SELECT count(*) AS n FROM t WHERE a = 1 AND b = 2').first('n')).toBe(1)
    await db.close()
    expect(integrity(join(dir, 'd1', 'abuse.sqlite'))).toBe('ok')
  })

  it('the raw native layer rejects wrong argument types with errors, never a crash', async () => {
    const raw = require('../binding.js')
    const db = new raw.D1DatabaseNative()
    const junk: unknown[] = [undefined, null, 1, -1, 2 ** 40, 'x', 'SELECT 1', {}, [], [1], [[1]], Symbol('s'), 10n, new Uint8Array(2), () => 1]
    let errors = 0
    for (const a of junk) {
      for (const b of junk) {
        for (const call of [
          () => db.query(a, b, a),
          () => db.batch(a, b, a, b, a),
          () => db.batch(['SELECT 1'], a, b, a),
          () => db.batch(['SELECT ?'], [0, 0], [1, 5], [1]),
          () => db.exec(a),
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
    expect(() => new raw.D1DatabaseNative({ persist: 1 })).toThrow()
    expect(raw.splitSqlStatements('SELECT 1; SELECT 2')).toEqual(['SELECT 1;', 'SELECT 2'])
    // Still sane afterwards.
    expect((await db.query('SELECT 1 AS a', []))[2]).toEqual(['a'])
  })

  it('hostile constructor options throw, never crash', () => {
    for (const o of [{ persist: 5 }, { name: {} }, { persist: '/dev/null/nope', name: 'x' }, { name: '../x', persist: tempDir() }]) {
      expect(() => new D1Database(o as never)).toThrow()
    }
  })

  it('constructor mistakes get plain answers: a string is not options, null means absent', async () => {
    expect(() => new D1Database('app' as never)).toThrow(new TypeError(`D1Database options must be an object such as { persist: '.edgebase', name: 'app' }; got the string "app"`))
    expect(() => new D1Database({ persist: 1 } as never)).toThrow(new TypeError('D1Database option "persist" must be a string, not number'))
    const db = new D1Database({ persist: null, name: null } as never)
    expect(await db.prepare('SELECT 1 AS one').first('one')).toBe(1)
    await db.close()
  })

  it('a file that is not a database is a clear error', async () => {
    const dir = tempDir()
    const { mkdirSync, writeFileSync } = await import('node:fs')
    mkdirSync(join(dir, 'd1'))
    writeFileSync(join(dir, 'd1', 'junk.sqlite'), 'this is not a database, just text '.repeat(200))
    const file = join(dir, 'd1', 'junk.sqlite')
    expect(() => new D1Database({ persist: dir, name: 'junk' })).toThrow(`storage error on ${realpathSync(file)}: file is not a database: SQLITE_NOTADB`)
  })

  it('close() racing queued and running queries: every call settles, the file stays valid', async () => {
    const dir = tempDir()
    const db = new D1Database({ persist: dir, name: 'race' })
    await db.exec('CREATE TABLE t (i INTEGER PRIMARY KEY, v TEXT)')
    const slow = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 200000) SELECT count(*) AS n FROM c'
    const calls: Promise<unknown>[] = []
    for (let i = 0; i < 200; i++) {
      if (i % 20 === 0) calls.push(db.prepare(slow).first())
      calls.push(db.prepare('INSERT INTO t (v) VALUES (?)').bind(`v${i}`).run())
      if (i === 100) calls.push(db.close())
      if (i % 50 === 0) calls.push(db.batch([db.prepare('INSERT INTO t (v) VALUES (?)').bind(`b${i}`)]))
    }
    const results = await Promise.allSettled(calls)
    for (const r of results) if (r.status === 'rejected') expect(r.reason.message).toMatch(/^D1_ERROR: D1 database "race" is closed\.$/)
    // Everything submitted before close() completed; everything after was refused.
    const ok = results.filter((r) => r.status === 'fulfilled').length
    expect(ok).toBeGreaterThan(100)
    expect(integrity(join(dir, 'd1', 'race.sqlite'))).toBe('ok')
    const again = new D1Database({ persist: dir, name: 'race' })
    const n = (await again.prepare('SELECT count(*) AS n FROM t').first('n')) as number
    expect(n).toBe(101 + 2) // inserts 0..100 and the batches of i = 0 and 50 (i = 100's came after close)
    await again.close()
  })
})
