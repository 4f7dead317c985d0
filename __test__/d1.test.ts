// D1Database behaviour, following spec §2.5 (numbered cases) plus the checklist of §2.4.
import { describe, expect, it } from 'vitest'
import { native, rejects, tempDir } from './helpers'

const { D1Database, D1DatabaseSession, limits } = native
const L = limits().d1

async function withTable(sql = 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB, n)') {
  const db = new D1Database()
  await db.exec(sql)
  return db
}

function throwsSync(f: () => unknown, message: string | RegExp, Class: ErrorConstructor | TypeErrorConstructor = Error) {
  let err: unknown
  try {
    f()
  } catch (e) {
    err = e
  }
  expect(err).toBeInstanceOf(Class)
  expect((err as Error).constructor).toBe(Class)
  if (typeof message === 'string') expect((err as Error).message).toBe(message)
  else expect((err as Error).message).toMatch(message)
  return err as Error
}

describe('bind() type mapping (§2.3)', () => {
  const db = new D1Database()
  const stmt = db.prepare('SELECT ? AS v')

  it('1: undefined throws D1_TYPE_ERROR synchronously', () => {
    const e = throwsSync(() => stmt.bind(undefined), "D1_TYPE_ERROR: Type 'undefined' not supported for value 'undefined'")
    expect((e.cause as Error).message).toBe("Type 'undefined' not supported for value 'undefined'")
  })

  it('2, 3, 4: bigint, plain objects and non-byte arrays throw', () => {
    throwsSync(() => stmt.bind(10n), "D1_TYPE_ERROR: Type 'bigint' not supported for value '10'")
    throwsSync(() => stmt.bind({ a: 1 }), "D1_TYPE_ERROR: Type 'object' not supported for value '[object Object]'")
    throwsSync(() => stmt.bind(['a', 'b']), "D1_TYPE_ERROR: Type 'object' not supported for value 'a,b'")
    throwsSync(() => stmt.bind(new Map()), "D1_TYPE_ERROR: Type 'object' not supported for value '[object Map]'")
    const d = new Date(0)
    throwsSync(() => stmt.bind(d), `D1_TYPE_ERROR: Type 'object' not supported for value '${d}'`)
    throwsSync(() => stmt.bind(() => 1), "D1_TYPE_ERROR: Type 'function' not supported for value '() => 1'")
    throwsSync(() => stmt.bind(Symbol('s')), 'Cannot convert a Symbol value to a string', TypeError)
  })

  it('5: booleans read back as 1 and 0', async () => {
    expect(await stmt.bind(true).first('v')).toBe(1)
    expect(await stmt.bind(false).first('v')).toBe(0)
  })

  it('6: null stores NULL', async () => {
    const t = await withTable()
    await t.prepare('INSERT INTO t (id, n) VALUES (1, ?)').bind(null).run()
    expect(await t.prepare('SELECT n, typeof(n) AS ty FROM t').first()).toEqual({ n: null, ty: 'null' })
  })

  it('7, 8: Uint8Array and ArrayBuffer read back as plain arrays', async () => {
    const t = await withTable()
    await t.prepare('INSERT INTO t (id, b) VALUES (1, ?), (2, ?)').bind(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]).buffer).run()
    const { results } = await t.prepare('SELECT b FROM t ORDER BY id').all<{ b: number[] }>()
    for (const r of results) {
      expect(Array.isArray(r.b)).toBe(true)
      expect(r.b).toEqual([1, 2, 3])
    }
  })

  it('9: byte arrays are BLOBs; values past 255 are not bytes', async () => {
    expect(await stmt.bind([0, 255]).first()).toEqual({ v: [0, 255] })
    expect(await db.prepare('SELECT typeof(?) AS t, length(?1) AS n').bind([]).first()).toEqual({ t: 'blob', n: 0 })
    throwsSync(() => stmt.bind([256]), "D1_TYPE_ERROR: Type 'object' not supported for value '256'")
  })

  it('typed arrays bind their element values (mod 256), DataView none', async () => {
    expect(await stmt.bind(new Int16Array([300, -1])).first('v')).toEqual([44, 255])
    expect(await stmt.bind(new DataView(new ArrayBuffer(2))).first('v')).toEqual([])
  })

  it('10: NaN and Infinity bind as NULL', async () => {
    expect(await db.prepare('SELECT ? AS a, ? AS b').bind(NaN, -Infinity).first()).toEqual({ a: null, b: null })
  })

  it('integral numbers bind as INTEGER, others as REAL (project decision)', async () => {
    const r = await db.prepare('SELECT typeof(?) AS a, typeof(?) AS b, typeof(?) AS c').bind(1, 1.5, 2 ** 60).first()
    expect(r).toEqual({ a: 'integer', b: 'real', c: 'real' })
  })

  it('11: wrong arity rejects on execution', async () => {
    const s = db.prepare('SELECT ? AS a, ? AS b').bind(1)
    await rejects(s.all(), Error, 'D1_ERROR: Wrong number of parameter bindings for SQL query.')
  })

  it('12: 100 parameters work, 101 do not', async () => {
    const sql = (n: number) => `SELECT ${Array.from({ length: n }, () => '?').join(', ')}`
    const vals = (n: number) => Array.from({ length: n }, (_, i) => i)
    expect(await db.prepare(sql(L.maxBoundParameters)).bind(...vals(100)).raw()).toEqual([vals(100)])
    await rejects(db.prepare(sql(101)).bind(...vals(101)).all(), Error, /^D1_ERROR: too many SQL variables at offset \d+: SQLITE_ERROR$/)
  })

  it('13: bind() returns a new statement and leaves the receiver unchanged', async () => {
    const s = db.prepare('SELECT ? AS v')
    const bound = s.bind(1)
    expect(bound).not.toBe(s)
    expect(s.params).toEqual([])
    expect(bound.params).toEqual([1])
    expect(bound.statement).toBe('SELECT ? AS v')
    await rejects(s.all(), Error, 'D1_ERROR: Wrong number of parameter bindings for SQL query.')
    expect(await bound.first('v')).toBe(1)
    expect(await bound.first('v')).toBe(1) // reusable
  })

  it('14: numbered parameters refer to bind positions', async () => {
    const t = await withTable()
    await t.prepare('INSERT INTO t (id, v) VALUES (7, ?)').bind('seven').run()
    expect(await t.prepare('SELECT v FROM t WHERE id = ?3').bind('a', 'b', 7).first('v')).toBe('seven')
  })

  it('named parameters are positional in order of first appearance', async () => {
    expect(await db.prepare('SELECT :x AS a, @y AS b, :x AS c').bind(1, 2).first()).toEqual({ a: 1, b: 2, c: 1 })
  })
})

describe('errors (§2.2)', () => {
  it('15: missing table', async () => {
    const db = new D1Database()
    const e = await rejects(db.prepare('SELECT * FROM missing').all(), Error, 'D1_ERROR: no such table: missing: SQLITE_ERROR')
    expect((e.cause as Error).message).toBe('no such table: missing: SQLITE_ERROR')
    expect(e.code).toBe('EB_D1_ERROR')
  })

  it('16: syntax errors name the token and the offset', async () => {
    const db = new D1Database()
    await rejects(db.prepare('PUT x').run(), Error, /^D1_ERROR: near "PUT": syntax error at offset 0: SQLITE_ERROR$/)
  })

  it('17: constraint failures carry the extended code', async () => {
    const db = await withTable()
    await db.prepare('INSERT INTO t (id) VALUES (1)').run()
    await rejects(db.prepare('INSERT INTO t (id) VALUES (1)').run(), Error, 'D1_ERROR: UNIQUE constraint failed: t.id: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)')
  })

  it('every failure is a plain Error (never a TypeError) and a rejection', async () => {
    const db = new D1Database()
    const p = db.prepare('nonsense').all()
    expect(p).toBeInstanceOf(Promise)
    const e = await p.catch((x) => x)
    expect(e.constructor).toBe(Error)
  })
})

describe('first / all / run / raw (§2.4)', () => {
  it('18, 19, 20: first() with and without a column', async () => {
    const db = await withTable()
    expect(await db.prepare('SELECT * FROM t').first()).toBeNull()
    expect(await db.prepare('SELECT * FROM t').first('nope')).toBeNull()
    await db.prepare('INSERT INTO t (id) VALUES (1)').run()
    const e = await rejects(db.prepare('SELECT * FROM t').first('nope'), Error, 'D1_COLUMN_NOTFOUND: Column not found (nope)')
    expect((e.cause as Error).message).toBe('Column not found')
    expect(await db.prepare('SELECT n FROM t').first('n')).toBeNull()
  })

  it('21: column names are SQLite result names', async () => {
    const db = new D1Database()
    expect(await db.prepare('SELECT 1').first()).toEqual({ 1: 1 })
    expect(await db.prepare('SELECT 1').first('1')).toBe(1)
    expect(await db.prepare('SELECT count(*) FROM (SELECT 1)').first()).toEqual({ 'count(*)': 1 })
  })

  it('22: first() on an INSERT executes it and returns null', async () => {
    const db = await withTable()
    expect(await db.prepare("INSERT INTO t (v) VALUES ('x')").first()).toBeNull()
    expect(await db.prepare('SELECT count(*) AS n FROM t').first('n')).toBe(1)
  })

  it('23: all() of an INSERT reports changes, last_row_id and changed_db', async () => {
    const db = await withTable()
    const r = await db.prepare("INSERT INTO t (v) VALUES ('x')").all()
    expect(r.success).toBe(true)
    expect(r.results).toEqual([])
    expect(r.meta.changes).toBe(1)
    expect(r.meta.last_row_id).toBe(1)
    expect(r.meta.changed_db).toBe(true)
    expect(r.meta.rows_written).toBe(1)
  })

  it('24: RETURNING rows come back', async () => {
    const db = await withTable()
    expect((await db.prepare("INSERT INTO t (v) VALUES ('x') RETURNING id").all()).results).toEqual([{ id: 1 }])
  })

  it('25: run() on a SELECT includes its rows', async () => {
    const db = new D1Database()
    const r = await db.prepare('SELECT 1 AS a').run()
    expect(r).toMatchObject({ success: true, results: [{ a: 1 }] })
  })

  it('26: meta of a pure SELECT, with every field and its type', async () => {
    const db = await withTable()
    await db.prepare("INSERT INTO t (v) VALUES ('x'), ('y'), ('z')").run()
    const { meta } = await db.prepare('SELECT * FROM t').all()
    expect(Object.keys(meta)).toEqual(['served_by', 'duration', 'changes', 'last_row_id', 'changed_db', 'size_after', 'rows_read', 'rows_written'])
    expect(meta).toMatchObject({ changes: 0, changed_db: false, last_row_id: 3, rows_read: 3, rows_written: 0, served_by: 'edgebase-native' })
    expect(typeof meta.duration).toBe('number')
    expect(meta.duration).toBeGreaterThanOrEqual(0)
    expect(meta.size_after).toBeGreaterThan(0)
  })

  it('27: duplicate column names: objects keep the last, raw keeps all', async () => {
    const db = new D1Database()
    await db.exec('CREATE TABLE abc (a, b, c)\nCREATE TABLE cde (c, d, e)\nINSERT INTO abc VALUES (1, 2, 3)\nINSERT INTO cde VALUES (4, 5, 6)')
    expect((await db.prepare('SELECT * FROM abc, cde').all()).results).toEqual([{ a: 1, b: 2, c: 4, d: 5, e: 6 }])
    expect(await db.prepare('SELECT * FROM abc, cde').raw()).toEqual([[1, 2, 3, 4, 5, 6]])
    expect((await db.prepare('SELECT * FROM abc, cde').raw({ columnNames: true }))[0]).toEqual(['a', 'b', 'c', 'c', 'd', 'e'])
  })

  it('28, 29: raw() headers even without rows; columnNames:false is raw()', async () => {
    const db = await withTable('CREATE TABLE t (a, b)')
    expect(await db.prepare('SELECT * FROM t').raw({ columnNames: true })).toEqual([['a', 'b']])
    expect(await db.prepare('SELECT * FROM t').raw()).toEqual([])
    await db.prepare('INSERT INTO t VALUES (1, 2)').run()
    expect(await db.prepare('SELECT * FROM t').raw({ columnNames: false })).toEqual(await db.prepare('SELECT * FROM t').raw())
  })

  it('a column named __proto__ is an own property', async () => {
    const db = new D1Database()
    const row = (await db.prepare('SELECT 1 AS __proto__').first()) as Record<string, unknown>
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBe(1)
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype)
  })

  it('44: integers past 2^53 lose precision like workerd', async () => {
    const db = new D1Database()
    expect(await db.prepare('SELECT 9007199254740993 AS v').first('v')).toBe(9007199254740992)
  })
})

describe('several statements in one prepare', () => {
  it('30: the last statement answers', async () => {
    const db = new D1Database()
    expect((await db.prepare('SELECT 1; SELECT 2').all()).results).toEqual([{ 2: 2 }])
  })

  it('31: only the last statement may have parameters', async () => {
    const db = new D1Database()
    await rejects(db.prepare('SELECT ?; SELECT 2').bind(1).all(), Error, 'D1_ERROR: When executing multiple SQL statements in a single call, only the last statement can have parameters.')
    expect(await db.prepare('SELECT 1; SELECT ? AS v').bind(5).first('v')).toBe(5)
  })

  it('32: empty and comment-only SQL', async () => {
    const db = new D1Database()
    await rejects(db.prepare('').all(), Error, 'D1_ERROR: No SQL statements detected.')
    await rejects(db.prepare('-- comment').all(), Error, 'D1_ERROR: No SQL statements detected.')
    await rejects(db.prepare('  /* c */ ; ').run(), Error, 'D1_ERROR: No SQL statements detected.')
  })

  it('a failure rolls back the earlier statements of the same prepare', async () => {
    const db = await withTable()
    await rejects(db.prepare("INSERT INTO t (v) VALUES ('a'); INSERT INTO missing VALUES (1)").run(), Error, 'D1_ERROR: no such table: missing: SQLITE_ERROR')
    expect(await db.prepare('SELECT count(*) AS n FROM t').first('n')).toBe(0)
  })
})

describe('batch', () => {
  it('33: a failure rolls back the whole batch', async () => {
    const db = await withTable()
    const ins = db.prepare('INSERT INTO t (id) VALUES (?)')
    await rejects(db.batch([ins.bind(5), db.prepare('INSERT INTO nope VALUES (1)'), ins.bind(7)]), Error, 'D1_ERROR: no such table: nope: SQLITE_ERROR')
    expect(await db.prepare('SELECT count(*) AS n FROM t').first('n')).toBe(0)
  })

  it('34: results in order, later statements see earlier ones', async () => {
    const db = await withTable()
    const r = await db.batch([db.prepare("INSERT INTO t (v) VALUES ('x')"), db.prepare('SELECT v FROM t')])
    expect(r).toHaveLength(2)
    expect(r[0].meta.changes).toBe(1)
    expect(r[1].results).toEqual([{ v: 'x' }])
  })

  it('35: an empty batch rejects', async () => {
    await rejects(new D1Database().batch([]), Error, 'D1_ERROR: No SQL statements detected.')
  })

  it('a constraint failure mid-batch rolls back, and the database stays usable', async () => {
    const db = await withTable()
    const ins = db.prepare('INSERT INTO t (id) VALUES (?)')
    await rejects(db.batch([ins.bind(1), ins.bind(1)]), Error, /^D1_ERROR: UNIQUE constraint failed: t\.id: SQLITE_CONSTRAINT/)
    expect((await db.batch([ins.bind(1), ins.bind(2)])).map((r) => r.meta.last_row_id)).toEqual([1, 2])
  })
})

describe('exec', () => {
  it('36, 37: one query per line, several statements per line allowed', async () => {
    const db = new D1Database()
    const r = await db.exec('CREATE TABLE a(x);CREATE TABLE b(y)')
    expect(r.count).toBe(1)
    expect(await db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name IN ('a', 'b')").first('n')).toBe(2)
    const two = await db.exec('UPDATE a SET x=1\nUPDATE b SET y=2')
    expect(two).toEqual({ count: 2, duration: expect.any(Number) })
    expect(two.duration).toBeGreaterThanOrEqual(0)
  })

  it('38: a statement split over lines breaks', async () => {
    const db = new D1Database()
    const e = await rejects(db.exec('CREATE TABLE t (\n x INT\n)'), Error, /^D1_EXEC_ERROR: Error in line 1: CREATE TABLE t \(: incomplete input: SQLITE_ERROR$/)
    expect((e.cause as Error).message).toMatch(/^Error in line 1: /)
  })

  it('39: errors report line 1 and quote the first line', async () => {
    const db = new D1Database()
    await rejects(db.exec('SELECT 1\nINVALID SQL'), Error, /^D1_EXEC_ERROR: Error in line 1: SELECT 1: near "INVALID": syntax error/)
  })

  it('40: blank and comment lines are dropped', async () => {
    const db = new D1Database()
    expect((await db.exec('\n\nSELECT 1\n\n')).count).toBe(1)
    expect((await db.exec('-- schema\nSELECT 1\n  -- more\nSELECT 2')).count).toBe(2)
  })

  it('41: BEGIN is refused with D1 transaction message', async () => {
    const db = new D1Database()
    await rejects(db.exec('BEGIN TRANSACTION'), Error, /^D1_EXEC_ERROR: Error in line 1: BEGIN TRANSACTION: To execute a transaction, please use the state\.storage\.transaction\(\)/)
  })

  it('exec("") and a non-string', async () => {
    const db = new D1Database()
    await rejects(db.exec(''), Error, 'D1_EXEC_ERROR: Error in line 1: : No SQL statements detected.')
    await rejects(db.exec(5 as unknown as string), TypeError, /trim is not a function/)
  })

  it('exec is all-or-nothing', async () => {
    const db = new D1Database()
    await db.exec('CREATE TABLE a (x)')
    await rejects(db.exec('INSERT INTO a VALUES (1)\nINSERT INTO zz VALUES (1)'), Error, /^D1_EXEC_ERROR: Error in line 1: INSERT INTO a VALUES \(1\): no such table: zz/)
    expect(await db.prepare('SELECT count(*) AS n FROM a').first('n')).toBe(0)
  })
})

describe('limits and guards', () => {
  it('42: _cf_ names are reserved (any case)', async () => {
    const db = new D1Database()
    await rejects(db.prepare('CREATE TABLE _cf_x (a)').run(), Error, 'D1_ERROR: not authorized: SQLITE_AUTH')
    await rejects(db.prepare('CREATE TABLE _CF_KV (a)').run(), Error, 'D1_ERROR: not authorized: SQLITE_AUTH')
    await db.prepare('CREATE TABLE cf_fine (a)').run()
  })

  it('43: 100 columns work, 101 do not', async () => {
    const db = new D1Database()
    const cols = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`).join(', ')
    await db.prepare(`CREATE TABLE ok (${cols(L.maxColumns)})`).run()
    await rejects(db.prepare(`CREATE TABLE wide (${cols(101)})`).run(), Error, 'D1_ERROR: too many columns on wide: SQLITE_ERROR')
  })

  it('statements over 100 KB, strings over the length limit and long LIKE patterns fail', async () => {
    const db = new D1Database()
    await rejects(db.prepare(`SELECT '${'x'.repeat(L.maxSqlBytes)}'`).all(), Error, 'D1_ERROR: statement too long: SQLITE_TOOBIG')
    await rejects(db.prepare('SELECT ?').bind('x'.repeat(L.maxValueBytes + 1)).all(), Error, 'D1_ERROR: string or blob too big: SQLITE_TOOBIG')
    await rejects(db.prepare("SELECT 'a' LIKE ?").bind('%'.repeat(L.maxLikePatternBytes + 1)).all(), Error, 'D1_ERROR: LIKE or GLOB pattern too complex: SQLITE_ERROR')
    expect(await db.prepare("SELECT 'a' LIKE ? AS m").bind('%'.repeat(L.maxLikePatternBytes)).first('m')).toBe(1)
  })

  it('transactions, ATTACH and unlisted pragmas are refused', async () => {
    const db = new D1Database()
    for (const sql of ['BEGIN', 'SAVEPOINT sp', 'COMMIT', 'ROLLBACK']) {
      await rejects(db.prepare(sql).run(), Error, /^D1_ERROR: To execute a transaction, please use the state\.storage\.transaction\(\) or state\.storage\.transactionSync\(\) APIs/)
    }
    await rejects(db.prepare("ATTACH DATABASE 'x.db' AS x").run(), Error, /^D1_ERROR: .*SQLITE_/)
    await rejects(db.prepare('PRAGMA journal_mode = DELETE').run(), Error, 'D1_ERROR: not authorized: SQLITE_AUTH')
    await rejects(db.prepare('PRAGMA integrity_check').run(), Error, 'D1_ERROR: not authorized: SQLITE_AUTH')
    expect(await db.prepare('PRAGMA quick_check').first()).toEqual({ quick_check: 'ok' })
  })

  it('foreign keys are enforced; defer_foreign_keys works in a batch', async () => {
    const db = new D1Database()
    await db.exec('CREATE TABLE p (id INTEGER PRIMARY KEY)\nCREATE TABLE c (p INTEGER REFERENCES p(id))')
    await rejects(db.prepare('INSERT INTO c VALUES (1)').run(), Error, 'D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)')
    await db.batch([db.prepare('PRAGMA defer_foreign_keys = on'), db.prepare('INSERT INTO c VALUES (2)'), db.prepare('INSERT INTO p VALUES (2)')])
    expect(await db.prepare('SELECT count(*) AS n FROM c').first('n')).toBe(1)
  })

  it('FTS5 and the JSON functions are built in', async () => {
    const db = new D1Database()
    await db.exec("CREATE VIRTUAL TABLE docs USING fts5(title, body)\nINSERT INTO docs VALUES ('one', 'the quick brown fox'), ('two', 'lazy dogs sleep')")
    expect((await db.prepare('SELECT title FROM docs WHERE docs MATCH ? ORDER BY rank').bind('quick').all()).results).toEqual([{ title: 'one' }])
    expect(await db.prepare('SELECT json_extract(?, ?) AS v').bind('{"a":{"b":[1,2,3]}}', '$.a.b[2]').first('v')).toBe(3)
    expect(await db.prepare("SELECT json_group_array(value) AS v FROM json_each('[1,2]')").first('v')).toBe('[1,2]')
  })
})

describe('sessions and bookmarks (§2.4)', () => {
  it('45: constraints have no bookmark until a query; bookmarks are returned as given', async () => {
    const db = new D1Database()
    expect(db.withSession().getBookmark()).toBeNull()
    expect(db.withSession('first-primary').getBookmark()).toBeNull()
    expect(db.withSession('first-unconstrained').getBookmark()).toBeNull()
    expect(db.withSession('bm-123').getBookmark()).toBe('bm-123')
    const s = db.withSession()
    await s.prepare('SELECT 1').all()
    expect(s.getBookmark()).toMatch(/^[0-9a-f]{16}-[0-9a-f]{16}$/)
  })

  it('46: blank input means first-unconstrained', () => {
    const db = new D1Database()
    expect(db.withSession('  ').getBookmark()).toBeNull()
    expect(() => db.withSession(5 as unknown as string)).toThrow(TypeError)
  })

  it('47: a session has prepare, batch and getBookmark, no exec or dump', () => {
    const s = new D1Database().withSession()
    expect(s).toBeInstanceOf(D1DatabaseSession)
    expect('exec' in s).toBe(false)
    expect('dump' in s).toBe(false)
    expect(typeof s.prepare).toBe('function')
    expect(typeof s.batch).toBe('function')
  })

  it('bookmarks grow with commits, never shrink, and the database itself has none', async () => {
    const db = new D1Database()
    const s = db.withSession('first-primary')
    await s.prepare('SELECT 1').all()
    const b1 = s.getBookmark()!
    await s.prepare('CREATE TABLE t (a)').run()
    const b2 = s.getBookmark()!
    expect(b2 > b1).toBe(true)
    await s.batch([s.prepare('INSERT INTO t VALUES (1)')])
    const b3 = s.getBookmark()!
    expect(b3 > b2).toBe(true)
    await s.prepare('SELECT * FROM t').all()
    expect(s.getBookmark()).toBe(b3)
    // An older bookmark in hand is kept only until a newer one arrives.
    const old = db.withSession(b1)
    expect(old.getBookmark()).toBe(b1)
    await old.prepare('SELECT 1').all()
    expect(old.getBookmark()).toBe(b3)
    // A bookmark "from the future" is never replaced by an older one.
    const future = db.withSession('ffffffffffffffff-ffffffffffffffff')
    await future.prepare('SELECT 1').all()
    expect(future.getBookmark()).toBe('ffffffffffffffff-ffffffffffffffff')
  })

  it('writes from another handle on the same file advance the session bookmark', async () => {
    const dir = tempDir()
    const a = new D1Database({ persist: dir, name: 'db' })
    const b = new D1Database({ persist: dir, name: 'db' })
    const s = a.withSession()
    await s.prepare('SELECT 1').all()
    const before = s.getBookmark()!
    await b.exec('CREATE TABLE t (a)')
    await s.prepare('SELECT 1').all()
    expect(s.getBookmark()! > before).toBe(true)
    await a.close()
    await b.close()
  })
})

describe('dump', () => {
  it('48 (ours, not Miniflare): dump() returns the database file as an ArrayBuffer', async () => {
    const db = await withTable()
    await db.prepare("INSERT INTO t (v) VALUES ('dumped')").run()
    const buf = await db.dump()
    expect(buf).toBeInstanceOf(ArrayBuffer)
    expect(new TextDecoder().decode(new Uint8Array(buf, 0, 15))).toBe('SQLite format 3')
    // The bytes are a complete database another SQLite opens.
    const dir = tempDir()
    const { writeFileSync } = await import('node:fs')
    const { join } = await import('node:path')
    writeFileSync(join(dir, 'copy.sqlite'), Buffer.from(buf))
    const Sqlite = (await import('better-sqlite3')).default
    const copy = new Sqlite(join(dir, 'copy.sqlite'))
    expect(copy.prepare('SELECT v FROM t').get()).toEqual({ v: 'dumped' })
    copy.close()
  })
})

describe('lifecycle', () => {
  it('a closed database rejects every call; close is idempotent', async () => {
    const db = new D1Database()
    await db.close()
    await db.close()
    await rejects(db.prepare('SELECT 1').all(), Error, 'D1_ERROR: D1 database "default" is closed.')
    await rejects(db.batch([db.prepare('SELECT 1')]), Error, /is closed/)
    await rejects(db.exec('SELECT 1'), Error, /is closed/)
    await rejects(db.dump(), Error, /is closed/)
  })

  it('statements run in submission order, also when some are queued', async () => {
    const db = await withTable('CREATE TABLE t (i)')
    const slow = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 300000) SELECT count(*) AS n FROM c'
    const ins = db.prepare('INSERT INTO t VALUES (?)')
    const order: number[] = []
    const calls: Promise<unknown>[] = []
    for (let i = 0; i < 50; i++) {
      if (i % 10 === 5) calls.push(db.prepare(slow).first('n').then(() => order.push(-i)))
      calls.push(ins.bind(i).run().then(() => order.push(i)))
    }
    await Promise.all(calls)
    const expected: number[] = []
    for (let i = 0; i < 50; i++) {
      if (i % 10 === 5) expected.push(-i)
      expected.push(i)
    }
    expect(order).toEqual(expected)
    expect((await db.prepare('SELECT i FROM t').raw()).flat()).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })

  it('promises of every kind of call settle in the order the calls were made', async () => {
    const db = await withTable('CREATE TABLE t (i)')
    const session = db.withSession()
    const ins = db.prepare('INSERT INTO t VALUES (?)')
    const slow = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 300000) SELECT count(*) AS n FROM c'
    const kinds = [
      (i: number) => ins.bind(i).run(),
      (i: number) => db.batch([ins.bind(i), db.prepare('SELECT count(*) AS n FROM t')]),
      () => db.prepare('SELECT count(*) AS n FROM t').first('n'),
      () => db.prepare('SELECT * FROM t').raw(),
      (i: number) => db.exec(`INSERT INTO t VALUES (${i})`),
      () => db.prepare('SELECT count(*) AS n FROM t').all(),
      () => session.prepare('SELECT 1').first(),
      (i: number) => session.batch([session.prepare('INSERT INTO t VALUES (?)').bind(i)]),
      () => db.prepare('SELECT 1 FROM nope').all(),
      () => db.dump(),
      () => db.prepare(slow).first('n'),
    ]
    const settled: number[] = []
    const calls: Promise<unknown>[] = []
    for (let i = 0; i < 220; i++) {
      const p = kinds[i % kinds.length](i)
      calls.push(p.then(() => settled.push(i), () => settled.push(i)))
    }
    await Promise.all(calls)
    expect(settled).toEqual(Array.from({ length: 220 }, (_, i) => i))
  })

  it('persisted databases are plain SQLite files in <persist>/d1/<name>.sqlite, shared per process', async () => {
    const dir = tempDir()
    const a = new D1Database({ persist: dir, name: 'main' })
    await a.exec("CREATE TABLE t (a)\nINSERT INTO t VALUES ('x')")
    const b = new D1Database({ persist: dir, name: 'main' })
    expect(await b.prepare('SELECT a FROM t').first('a')).toBe('x')
    const Sqlite = (await import('better-sqlite3')).default
    const { join } = await import('node:path')
    const other = new Sqlite(join(dir, 'd1', 'main.sqlite'))
    expect(other.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(other.prepare('SELECT a FROM t').get()).toEqual({ a: 'x' })
    other.close()
    await a.close()
    expect(await b.prepare('SELECT a FROM t').first('a')).toBe('x')
    await b.close()
  })

  it('bad names are refused', () => {
    for (const name of ['', '..', 'a/b', 'x\0y']) {
      expect(() => new D1Database({ persist: tempDir(), name })).toThrow(TypeError)
    }
  })
})
