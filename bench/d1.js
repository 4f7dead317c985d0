'use strict'
// D1: ours vs better-sqlite3 12 (the raw-engine anchor: a file database in WAL mode with
// synchronous=NORMAL, like ours, driven by its synchronous API) vs Miniflare 4 (workerd's D1).
// Every store is on disk under bench/.data and holds the same 100k-row table.

const fs = require('node:fs')
const path = require('node:path')
const { sequential, report } = require('./harness.js')
const { D1Database } = require('..')

const ROWS = 100_000
const SCHEMA = 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL, qty INTEGER NOT NULL)'
const LOG = 'CREATE TABLE log (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, msg TEXT NOT NULL)'
// One statement fills the table, so seeding costs the same everywhere.
const SEED = `INSERT INTO items (id, name, price, qty)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
  SELECT i, 'item-' || i, (i % 1000) / 10.0, i % 37 FROM n`
const POINT = 'SELECT id, name, price, qty FROM items WHERE id = ?'
const INSERT = 'INSERT INTO log (at, msg) VALUES (?, ?)'
const AGGREGATE = 'SELECT count(*) AS n, sum(price * qty) AS total, avg(length(name)) AS len FROM items WHERE qty > 3'

async function contenders(dir) {
  const Sqlite = require('better-sqlite3')
  const { Miniflare } = require('miniflare')

  const ours = new D1Database({ persist: path.join(dir, 'ours'), name: 'bench' })
  for (const sql of [SCHEMA, LOG, SEED]) await ours.prepare(sql).run()

  fs.mkdirSync(path.join(dir, 'better-sqlite3'), { recursive: true })
  const raw = new Sqlite(path.join(dir, 'better-sqlite3', 'bench.sqlite'))
  raw.pragma('journal_mode = WAL')
  raw.pragma('synchronous = NORMAL')
  for (const sql of [SCHEMA, LOG, SEED]) raw.exec(sql)
  const rawPoint = raw.prepare(POINT)
  const rawInsert = raw.prepare(INSERT)
  const rawAggregate = raw.prepare(AGGREGATE)
  const rawBatch = raw.transaction((rows) => {
    for (const r of rows) rawInsert.run(...r)
  })

  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response(null) } }',
    d1Databases: ['DB'],
    d1Persist: path.join(dir, 'miniflare'),
  })
  const mfdb = await mf.getD1Database('DB')
  for (const sql of [SCHEMA, LOG, SEED]) await mfdb.prepare(sql).run()

  const d1 = (name, db, ours) => ({
    name,
    ours,
    point: (id) => db.prepare(POINT).bind(id).first(),
    insert: (i) => db.prepare(INSERT).bind(i, `message ${i}`).run(),
    batch: (rows) => db.batch(rows.map((r) => db.prepare(INSERT).bind(...r))),
    aggregate: () => db.prepare(AGGREGATE).first(),
  })
  return {
    list: [
      d1('@edgebase/native', ours, true),
      {
        name: 'better-sqlite3 (sync)',
        point: (id) => rawPoint.get(id),
        insert: (i) => rawInsert.run(i, `message ${i}`),
        batch: (rows) => rawBatch(rows),
        aggregate: () => rawAggregate.get(),
      },
      d1('Miniflare 4', mfdb, false),
    ],
    async close() {
      await ours.close()
      raw.close()
      await mf.dispose()
    },
  }
}

module.exports = async function d1Bench() {
  const dir = path.join(__dirname, '.data', 'd1')
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const c = await contenders(dir)
  const cases = []
  const timing = (x) => (x.name.startsWith('Miniflare') ? { seconds: 1, warmup: 0.2 } : { seconds: 1.5, warmup: 0.3 })
  const run = async (name, fn) => {
    const results = []
    for (const x of c.list) results.push({ name: x.name, ours: x.ours, ...(await fn(x)) })
    cases.push({ name, results })
  }
  try {
    const rows100 = (i) => Array.from({ length: 100 }, (_, j) => [i * 100 + j, `batched ${j}`])
    await run('point select by id: prepare().bind().first()', (x) => sequential((i) => x.point(1 + ((i * 7919) % ROWS)), timing(x)))
    await run('insert 1 row, autocommit', (x) => sequential((i) => x.insert(i), timing(x)))
    await run('batch of 100 inserts (one transaction)', (x) => sequential((i) => x.batch(rows100(i)), timing(x)))
    await run('aggregate over 100k rows', (x) => sequential(() => x.aggregate(), timing(x)))
  } finally {
    await c.close()
  }
  report('D1 (ratios: ours ÷ contender, ops/s)', cases)
}
