// POST /api/d1/:database (spec §1.2 and its Decisions), against the binary and startServer.
// "EB" marks assertions ported from EdgeBase's admin.test.ts "admin — D1 API".
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { post, ROOT_KEY, SERVICE_KEY, TARGETS, TEST_VARS, type Running } from './server.helpers'

const CONFIG = {
  release: true,
  d1: { analytics: { binding: 'TEST_D1' }, test: { binding: 'TEST_D1' }, other: { binding: 'OTHER_D1' } },
  serviceKeys: {
    keys: [ROOT_KEY, { kid: 'sql', tier: 'scoped', scopes: ['d1:database:analytics:exec'], secret: 'jb_sql_x' }],
  },
}

describe.each(TARGETS)('$name: D1 route', (target) => {
  let s: Running
  const key = { 'X-EdgeBase-Service-Key': SERVICE_KEY }
  const d1 = (db: string, body: unknown, headers: Record<string, string> = key) => post(`${s.url}/api/d1/${db}`, body, headers)

  beforeAll(async () => {
    s = await target.start({ config: CONFIG, vars: TEST_VARS })
  })
  afterAll(() => s.close())

  it('EB: SELECT 1, DDL, parameterized INSERT, SELECT; results are row objects, meta has four fields', async () => {
    const one = await d1('analytics', { query: 'SELECT 1 as val', params: [] })
    expect(one.status).toBe(200)
    expect(one.body.results).toEqual([{ val: 1 }])
    expect(Object.keys(one.body.meta)).toEqual(['changes', 'duration', 'rows_read', 'rows_written'])
    expect((await d1('analytics', { query: 'CREATE TABLE events (id INTEGER PRIMARY KEY, name TEXT, score REAL, ok INTEGER, data BLOB)' })).body.results).toEqual([])
    const ins = await d1('analytics', { query: 'INSERT INTO events (name, score, ok) VALUES (?, ?, ?)', params: ['signup', 1.5, true] })
    expect(ins.body.results).toEqual([])
    expect(ins.body.meta).toMatchObject({ changes: 1, rows_written: 1 })
    await d1('analytics', { query: 'INSERT INTO events (name, score, ok, data) VALUES (?, ?, ?, X\'00ff\')', params: ['login', null, false] })
    const rows = await d1('analytics', { query: 'SELECT name, score, ok, data FROM events ORDER BY id' })
    expect(rows.body.results).toEqual([
      { name: 'signup', score: 1.5, ok: 1, data: null },
      { name: 'login', score: null, ok: 0, data: [0, 255] },
    ])
    // `test` shares the TEST_D1 binding: the same database.
    expect((await d1('test', { query: 'SELECT count(*) AS n FROM events' })).body.results).toEqual([{ n: 2 }])
    expect((await d1('other', { query: "SELECT count(*) AS n FROM sqlite_master WHERE name = 'events'" })).body.results).toEqual([{ n: 0 }])
  })

  it('rows keep column order; a repeated name keeps its first place and last value', async () => {
    const r = await d1('analytics', { query: "SELECT 1 AS b, 'x' AS a, 2 AS b, 9007199254740991 AS big, 0.1 AS f" })
    expect(r.text).toContain('"results":[{"b":2,"a":"x","big":9007199254740991,"f":0.1}]')
  })

  it('EB: a missing or empty query is 400 before the allowlist and the key; `sql` is not `query`', async () => {
    const missing = { code: 400, message: 'query: Invalid input: expected string, received undefined' }
    expect((await d1('analytics', {})).body).toEqual(missing)
    expect((await d1('analytics', { sql: 'SELECT 1' })).body).toEqual(missing)
    const empty = { code: 400, message: "Missing required field 'query'. Send the SQL string in the request body." }
    expect((await d1('nonexistent', { query: '' }, {})).body).toEqual(empty)
    expect((await d1('analytics', { query: 5 })).body.message).toBe('query: Invalid input: expected string, received number')
    expect((await d1('analytics', { query: 'SELECT 1', params: 'x' })).body.message).toBe('params: Invalid input: expected array, received string')
    expect((await d1('analytics', '{"query":')).body).toEqual({ code: 400, message: 'Malformed JSON in request body' })
  })

  it('EB: unknown database 404, no key 403, wrong key or scope 401', async () => {
    expect((await d1('nonexistent', { query: 'SELECT 1' })).body).toEqual({ code: 404, message: "D1 database 'nonexistent' not found in config." })
    expect((await d1('analytics', { query: 'SELECT 1' }, {})).body).toEqual({
      code: 403,
      message: "X-EdgeBase-Service-Key is required to execute raw SQL on D1 database 'analytics'.",
    })
    expect((await d1('analytics', { query: 'SELECT 1' }, { 'X-EdgeBase-Service-Key': 'nope' })).body).toEqual({
      code: 401,
      message: "Invalid X-EdgeBase-Service-Key for D1 database 'analytics'.",
    })
    expect((await d1('analytics', { query: 'SELECT 1' }, { 'X-EdgeBase-Service-Key': 'jb_sql_x' })).status).toBe(200)
    expect((await d1('test', { query: 'SELECT 1' }, { 'X-EdgeBase-Service-Key': 'jb_sql_x' })).status).toBe(401)
  })

  it('one statement per request; a trigger body, trailing semicolons and comments are one statement', async () => {
    const r = await d1('analytics', { query: 'SELECT 1; DROP TABLE events' })
    expect(r.body).toEqual({ code: 400, message: `D1 query failed for 'analytics': only one SQL statement per request is allowed; found more after the first: "DROP TABLE events"` })
    expect((await d1('analytics', { query: 'SELECT count(*) AS n FROM events' })).body.results).toEqual([{ n: 2 }])
    expect((await d1('analytics', { query: 'SELECT 1 AS x; -- done\n ;; /* really */' })).body.results).toEqual([{ x: 1 }])
    expect((await d1('analytics', { query: "SELECT ';' AS semi" })).body.results).toEqual([{ semi: ';' }])
    await d1('analytics', { query: 'CREATE TABLE counts (n INTEGER)' })
    await d1('analytics', { query: 'INSERT INTO counts VALUES (0)' })
    const trigger = await d1('analytics', { query: 'CREATE TRIGGER bump AFTER INSERT ON events BEGIN UPDATE counts SET n = n + 1; UPDATE counts SET n = n + 1; END;' })
    expect(trigger.status).toBe(200)
    await d1('analytics', { query: "INSERT INTO events (name) VALUES ('x')" })
    expect((await d1('analytics', { query: 'SELECT n FROM counts' })).body.results).toEqual([{ n: 2 }])
  })

  it('parameters: at most 100; booleans are 1/0; objects and arrays are refused', async () => {
    const marks = Array.from({ length: 100 }, () => '?').join(', ')
    const hundred = await d1('analytics', { query: `SELECT ${marks}`, params: Array.from({ length: 100 }, (_, i) => i) })
    expect(hundred.status).toBe(200)
    const over = await d1('analytics', { query: `SELECT ${marks}, ?`, params: Array.from({ length: 101 }, (_, i) => i) })
    expect(over.body).toEqual({ code: 400, message: "D1 query failed for 'analytics': D1_ERROR: too many parameters: 101 (a query takes at most 100)" })
    expect((await d1('analytics', { query: 'SELECT ? AS t, ? AS f', params: [true, false] })).body.results).toEqual([{ t: 1, f: 0 }])
    expect((await d1('analytics', { query: 'SELECT ?', params: [{ a: 1 }] })).body).toEqual({
      code: 400,
      message: "D1 query failed for 'analytics': D1_TYPE_ERROR: Type 'object' not supported for value '[object Object]'",
    })
    expect((await d1('analytics', { query: 'SELECT ?', params: [[1, 2]] })).body.message).toBe(
      "D1 query failed for 'analytics': D1_TYPE_ERROR: Type 'object' not supported for value '1,2'",
    )
  })

  it('SQL errors are 400 with the binding text, never 500', async () => {
    expect((await d1('analytics', { query: 'SELECT * FROM nope' })).body).toEqual({
      code: 400,
      message: "D1 query failed for 'analytics': D1_ERROR: no such table: nope: SQLITE_ERROR",
    })
    const arity = await d1('analytics', { query: 'SELECT ?, ?', params: [1] })
    expect(arity.status).toBe(400)
    expect(arity.body.message).toMatch(/^D1 query failed for 'analytics': D1_ERROR: /)
    for (const query of ['SELEC 1', "ATTACH DATABASE 'x.db' AS x", '   ', '-- only a comment']) {
      const r = await d1('analytics', { query })
      expect(r.status, query).toBe(400)
      expect(r.body.message, query).toMatch(/^D1 query failed for 'analytics': /)
    }
    expect((await d1('analytics', { query: 'SELECT 1' })).status).toBe(200)
  })
})
