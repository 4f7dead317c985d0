// Model test: random sequences of statements, batches, multi-statement prepares and exec lines —
// some failing half-way, some slow enough to be queued, many in flight at once — applied to our
// D1Database and to better-sqlite3 (plain SQLite, the model). After every round both databases
// hold the same rows, and every call succeeded or failed on both sides alike.
import Sqlite from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { native, tempDir } from './helpers'

const { D1Database } = native

/** Small deterministic PRNG (mulberry32), so a failure replays from its seed. */
function rng(seed: number) {
  return () => {
    seed |= 0
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Step = { sql: string; params: (number | string | null)[] }
type Call = { kind: 'query'; step: Step } | { kind: 'batch'; steps: Step[] } | { kind: 'multi'; sqls: string[] } | { kind: 'exec'; sqls: string[] }

const SLOW = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 60000) SELECT count(*) FROM c'

function randomStep(r: () => number): Step {
  const id = 1 + Math.floor(r() * 40)
  const v = Math.floor(r() * 1000)
  switch (Math.floor(r() * 7)) {
    case 0:
    case 1:
      return { sql: 'INSERT INTO t (id, v, tag) VALUES (?, ?, ?)', params: [id, v, r() < 0.2 ? null : `tag${v % 7}`] }
    case 2:
      return { sql: 'UPDATE t SET v = v + ? WHERE id BETWEEN ? AND ?', params: [v, id, id + 5] }
    case 3:
      return { sql: 'DELETE FROM t WHERE id = ?', params: [id] }
    case 4:
      // CHECK (v < 5000) fails now and then.
      return { sql: 'UPDATE t SET v = v * 3 WHERE id = ?', params: [id] }
    case 5:
      return { sql: 'INSERT OR REPLACE INTO t (id, v, tag) VALUES (?, ?, ?)', params: [id, v, 'replaced'] }
    default:
      return { sql: SLOW, params: [] }
  }
}

/** Inline literal form of a step, for multi-statement prepares and exec (no parameters there). */
function literal(s: Step): string {
  let i = 0
  return s.sql.replace(/\?/g, () => {
    const p = s.params[i++]
    return p === null ? 'NULL' : typeof p === 'number' ? String(p) : `'${p}'`
  })
}

function randomCall(r: () => number): Call {
  const x = r()
  if (x < 0.55) return { kind: 'query', step: randomStep(r) }
  const n = 1 + Math.floor(r() * 5)
  const steps = Array.from({ length: n }, () => randomStep(r))
  if (x < 0.8) return { kind: 'batch', steps }
  if (x < 0.9) return { kind: 'multi', sqls: steps.map(literal) }
  return { kind: 'exec', sqls: steps.map(literal) }
}

/** The model: SQLite itself, with each call atomic as D1 makes it. */
function applyModel(m: Sqlite.Database, call: Call): boolean {
  const run = (s: Step) => {
    const st = m.prepare(s.sql)
    if (st.reader) st.all(...s.params)
    else st.run(...s.params)
  }
  const all = m.transaction((steps: Step[]) => steps.forEach(run))
  try {
    if (call.kind === 'query') run(call.step)
    else if (call.kind === 'batch') all(call.steps)
    else all(call.sqls.map((sql) => ({ sql, params: [] })))
    return true
  } catch {
    return false
  }
}

async function applyOurs(db: InstanceType<typeof D1Database>, call: Call): Promise<boolean> {
  const prep = (s: Step) => db.prepare(s.sql).bind(...s.params)
  try {
    if (call.kind === 'query') await prep(call.step).run()
    else if (call.kind === 'batch') await db.batch(call.steps.map(prep))
    else if (call.kind === 'multi') await db.prepare(call.sqls.join('; ')).run()
    else await db.exec(call.sqls.join('\n'))
    return true
  } catch (e) {
    expect((e as Error).message).toMatch(/^D1_(EXEC_)?ERROR: /)
    return false
  }
}

describe('model: D1Database against plain SQLite', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: same rows and same outcomes, round after round`, async () => {
      const r = rng(seed)
      const schema = 'CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL CHECK (v < 5000), tag TEXT)'
      const ours = new D1Database({ persist: tempDir(), name: 'model' })
      await ours.exec(schema)
      const model = new Sqlite(':memory:')
      model.exec(schema)
      for (let round = 0; round < 25; round++) {
        // Several calls in flight at once: they must run in submission order.
        const calls = Array.from({ length: 1 + Math.floor(r() * 8) }, () => randomCall(r))
        const outcomes = await Promise.all(calls.map((c) => applyOurs(ours, c)))
        const expected = calls.map((c) => applyModel(model, c))
        expect(outcomes).toEqual(expected)
        const rows = await ours.prepare('SELECT id, v, tag FROM t ORDER BY id').raw()
        expect(rows).toEqual(model.prepare('SELECT id, v, tag FROM t ORDER BY id').raw().all())
      }
      await ours.close()
      model.close()
    })
  }
})
