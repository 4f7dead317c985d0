// Differential tests: the same D1 scenarios against Miniflare 4 (workerd's D1, the local oracle)
// and against us. Results, meta counters (rows read/written, changes, last_row_id, changed_db),
// error classes and messages must match; the few deliberate differences are pinned at the end.
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dropVolatileMeta, native, outcome } from './helpers'

type DB = InstanceType<typeof native.D1Database>

/** Drops what legitimately differs: timing, the server's name, and the file size. */
function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize)
  if (v instanceof ArrayBuffer) return { bytes: v.byteLength }
  if (v && typeof v === 'object') {
    const o = { ...(v as Record<string, unknown>) }
    dropVolatileMeta(o)
    if ('count' in o && 'duration' in o && Object.keys(o).length === 2) o.duration = typeof o.duration
    for (const k of Object.keys(o)) o[k] = normalize(o[k])
    return o
  }
  return v
}

// Each scenario gets a fresh table name prefix `p` so one database per target serves them all.
const scenarios: Record<string, (db: DB, p: string) => Promise<unknown>> = {
  'select literal': (db) => db.prepare('SELECT 1').all(),
  'first column': (db) => db.prepare('SELECT 1 AS a, 2 AS b').first('b'),
  'first missing column': (db) => db.prepare('SELECT 1 AS a').first('nope'),
  'first no rows': (db, p) => db.exec(`CREATE TABLE ${p}t (a)`).then(() => db.prepare(`SELECT * FROM ${p}t`).first('nope')),
  'bind types': (db) => db.prepare('SELECT ? AS s, ? AS n, ? AS b, ? AS z, ? AS f').bind('x', null, true, false, 1.5).first(),
  'blob round trip': (db) => db.prepare('SELECT ? AS a, ? AS b, ? AS c').bind(new Uint8Array([1, 2, 3]), new Uint8Array([4]).buffer, [0, 255]).first(),
  'typed array elements': (db) => db.prepare('SELECT ? AS v').bind(new Int16Array([300, -1])).first(),
  'empty blob': (db) => db.prepare('SELECT ? AS v, typeof(?1) AS t').bind([]).first(),
  'nan binds null': (db) => db.prepare('SELECT ? AS v').bind(NaN).first(),
  'wrong arity': (db) => db.prepare('SELECT ?, ?').bind(1).all(),
  'numbered params': (db) => db.prepare('SELECT ?3 AS v').bind('a', 'b', 'c').first('v'),
  'named params': (db) => db.prepare('SELECT :x AS a, @y AS b, :x AS c').bind(1, 2).first(),
  '101 params': (db) => db.prepare(`SELECT ${Array(101).fill('?').join(',')}`).bind(...Array(101).fill(1)).all(),
  '100 params': (db) => db.prepare(`SELECT ${Array(100).fill('?').join(',')}`).bind(...Array(100).fill('x')).raw(),
  'missing table': (db) => db.prepare('SELECT * FROM missing').all(),
  'syntax error': (db) => db.prepare('PUT x').run(),
  'syntax error later': (db) => db.prepare('SELECT 1 FROM').all(),
  'empty sql': (db) => db.prepare('').all(),
  'whitespace sql': (db) => db.prepare('   \n ').all(),
  'multi statement': (db) => db.prepare('SELECT 1; SELECT 2').all(),
  'multi with params': (db) => db.prepare('SELECT ?; SELECT 2').bind(1).all(),
  'multi last param': (db) => db.prepare('SELECT 1; SELECT ? AS v').bind(9).all(),
  'multi rollback': async (db, p) => {
    await db.exec(`CREATE TABLE ${p}t (a)`)
    const err = await db.prepare(`INSERT INTO ${p}t VALUES (1); INSERT INTO ${p}nope VALUES (2)`).run().catch((e) => e.message)
    return [err, await db.prepare(`SELECT count(*) AS n FROM ${p}t`).first('n')]
  },
  'insert meta': async (db, p) => {
    await db.exec(`CREATE TABLE ${p}t (id INTEGER PRIMARY KEY, v TEXT)`)
    return [
      await db.prepare(`INSERT INTO ${p}t (v) VALUES (?)`).bind('a').run(),
      await db.prepare(`INSERT INTO ${p}t (v) VALUES ('b'), ('c')`).all(),
      await db.prepare(`SELECT * FROM ${p}t`).all(),
      await db.prepare(`SELECT * FROM ${p}t WHERE id = ?`).bind(2).run(),
      await db.prepare(`SELECT * FROM ${p}t WHERE id = ?`).bind(99).run(),
      await db.prepare(`SELECT count(*) AS n FROM ${p}t`).all(),
      await db.prepare(`INSERT INTO ${p}t (v) VALUES ('d') RETURNING id`).all(),
      await db.prepare(`UPDATE ${p}t SET v = 'z' WHERE id > 2`).run(),
      await db.prepare(`CREATE INDEX ${p}iv ON ${p}t(v)`).run(),
      await db.prepare(`INSERT INTO ${p}t (v) VALUES ('e')`).run(),
      await db.prepare(`SELECT id FROM ${p}t WHERE v = ?`).bind('z').all(),
      await db.prepare(`DELETE FROM ${p}t WHERE id = 1`).run(),
      await db.prepare(`SELECT 1 AS one`).run(),
      await db.prepare(`DELETE FROM ${p}t`).run(),
    ]
  },
  'multi statement meta': async (db, p) => {
    await db.exec(`CREATE TABLE ${p}t (id INTEGER PRIMARY KEY, v TEXT)`)
    return [
      await db.prepare(`INSERT INTO ${p}t (v) VALUES (1),(2),(3); SELECT * FROM ${p}t`).all(),
      await db.prepare(`SELECT * FROM ${p}t; SELECT * FROM ${p}t WHERE id = 1`).all(),
      await db.prepare(`INSERT INTO ${p}t (v) VALUES (4); INSERT INTO ${p}t (v) VALUES (5)`).run(),
    ]
  },
  'unique violation': async (db, p) => {
    await db.exec(`CREATE TABLE ${p}t (id INTEGER PRIMARY KEY, u TEXT UNIQUE)`)
    await db.prepare(`INSERT INTO ${p}t VALUES (1, 'a')`).run()
    return Promise.all([
      db.prepare(`INSERT INTO ${p}t VALUES (1, 'b')`).run().catch((e) => e.message),
      db.prepare(`INSERT INTO ${p}t VALUES (2, 'a')`).run().catch((e) => e.message),
      db.prepare(`INSERT INTO ${p}t VALUES (3, NULL), (3, NULL)`).run().catch((e) => e.message),
    ])
  },
  'not null and check': async (db, p) => {
    await db.exec(`CREATE TABLE ${p}t (a NOT NULL, b CHECK (b > 0))`)
    return [
      await db.prepare(`INSERT INTO ${p}t VALUES (NULL, 1)`).run().catch((e) => e.message),
      await db.prepare(`INSERT INTO ${p}t VALUES (1, -1)`).run().catch((e) => e.message),
    ]
  },
  'foreign keys': async (db, p) => {
    await db.exec(`CREATE TABLE ${p}p (id INTEGER PRIMARY KEY)\nCREATE TABLE ${p}c (p INTEGER REFERENCES ${p}p(id) ON DELETE CASCADE)`)
    const bad = await db.prepare(`INSERT INTO ${p}c VALUES (1)`).run().catch((e) => e.message)
    await db.batch([db.prepare(`INSERT INTO ${p}p VALUES (1)`), db.prepare(`INSERT INTO ${p}c VALUES (1)`)])
    return [bad, await db.prepare(`DELETE FROM ${p}p`).run()]
  },
  'duplicate columns': async (db, p) => {
    await db.exec(`CREATE TABLE ${p}abc (a, b, c)\nCREATE TABLE ${p}cde (c, d, e)\nINSERT INTO ${p}abc VALUES (1, 2, 3)\nINSERT INTO ${p}cde VALUES (4, 5, 6)`)
    const q = db.prepare(`SELECT * FROM ${p}abc, ${p}cde`)
    return [await q.all(), await q.raw(), await q.raw({ columnNames: true })]
  },
  'raw empty': async (db, p) => {
    await db.exec(`CREATE TABLE ${p}t (a, b)`)
    return [await db.prepare(`SELECT * FROM ${p}t`).raw({ columnNames: true }), await db.prepare(`SELECT * FROM ${p}t`).raw()]
  },
  'big integer': (db) => db.prepare('SELECT 9007199254740993 AS v, -9223372036854775808 AS m').first(),
  'reals and text': (db) => db.prepare("SELECT 0.1 + 0.2 AS r, 'héllo ☃' AS t, x'00ff' AS b, NULL AS n").first(),
  'batch ok': async (db, p) => {
    await db.exec(`CREATE TABLE ${p}t (id INTEGER PRIMARY KEY, v)`)
    return db.batch([db.prepare(`INSERT INTO ${p}t (v) VALUES (?)`).bind('x'), db.prepare(`SELECT * FROM ${p}t`)])
  },
  'batch rollback': async (db, p) => {
    await db.exec(`CREATE TABLE ${p}t (id INTEGER PRIMARY KEY)`)
    const ins = db.prepare(`INSERT INTO ${p}t VALUES (?)`)
    const err = await db.batch([ins.bind(5), db.prepare('INSERT INTO nope VALUES (1)'), ins.bind(7)]).catch((e) => e.message)
    return [err, await db.prepare(`SELECT count(*) AS n FROM ${p}t`).first('n')]
  },
  'batch empty': (db) => db.batch([]),
  'batch blank statement dropped': (db) => db.batch([db.prepare(''), db.prepare('SELECT 1 AS a')]),
  'exec lines': (db, p) => db.exec(`CREATE TABLE ${p}a(x);CREATE TABLE ${p}b(y)\n\nINSERT INTO ${p}a VALUES (1)\n`),
  'exec split statement': (db, p) => db.exec(`CREATE TABLE ${p}t (\n x INT\n)`),
  'exec bad later line': (db) => db.exec('SELECT 1\nINVALID SQL'),
  'exec empty': (db) => db.exec(''),
  'exec atomic': async (db, p) => {
    await db.exec(`CREATE TABLE ${p}t (a)`)
    const err = await db.exec(`INSERT INTO ${p}t VALUES (1)\nINSERT INTO zz VALUES (1)`).catch((e) => e.message)
    return [err, await db.prepare(`SELECT count(*) AS n FROM ${p}t`).first('n')]
  },
  'begin refused': (db) => db.prepare('BEGIN TRANSACTION').run(),
  'savepoint refused': (db) => db.exec('SAVEPOINT a'),
  'reserved names': (db) => db.prepare('CREATE TABLE _cf_x (a)').run(),
  '100 columns': (db, p) => db.prepare(`CREATE TABLE ${p}w (${Array.from({ length: 100 }, (_, i) => `c${i}`).join(',')})`).run(),
  '101 columns': (db, p) => db.prepare(`CREATE TABLE ${p}w (${Array.from({ length: 101 }, (_, i) => `c${i}`).join(',')})`).run(),
  'sql too long': (db) => db.prepare(`SELECT '${'x'.repeat(100_000)}'`).all(),
  'like pattern too long': (db) => db.prepare("SELECT 'a' LIKE ?").bind('%'.repeat(51)).all(),
  'compound select limit': (db) => db.prepare('SELECT 1 UNION SELECT 2 UNION SELECT 3 UNION SELECT 4 UNION SELECT 5 UNION SELECT 6').all(),
  'disallowed pragma': (db) => db.prepare('PRAGMA journal_mode').all(),
  'allowed pragmas': async (db, p) => {
    await db.exec(`CREATE TABLE ${p}t (a INTEGER PRIMARY KEY, b TEXT)`)
    return [await db.prepare('PRAGMA foreign_keys').all(), await db.prepare(`PRAGMA table_info(${p}t)`).raw(), await db.prepare('PRAGMA quick_check').first()]
  },
  'disallowed function': (db) => db.prepare('SELECT sqlite_version()').all(),
  'attach refused': (db) => db.prepare("ATTACH DATABASE 'other.db' AS o").run(),
  'temp table refused': (db) => db.prepare('CREATE TEMP TABLE tt (a)').run(),
  'keyword defaults': async (db, p) => {
    await db.prepare(`CREATE TABLE ${p}t (a TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL, b DEFAULT CURRENT_DATE, c INT)`).run()
    await db.prepare(`INSERT INTO ${p}t (c) VALUES (1)`).run()
    return db.prepare(`SELECT typeof(a) AS ta, length(b) AS lb, c FROM ${p}t`).all()
  },
  'vacuum': (db) => db.prepare('VACUUM').run(),
  'vacuum in exec': (db) => db.exec('VACUUM'),
  'math functions': (db) => db.prepare('SELECT sqrt(16) AS s, pi() AS p, log(100) AS l, ceil(1.2) AS c').first(),
  'printf precision limit': (db) => db.prepare("SELECT length(printf('%.200000f', 1.0)) AS n").first('n'),
  'analyze writes stat1 only': async (db, p) => {
    await db.exec(`CREATE TABLE ${p}t (a)\nCREATE INDEX ${p}ia ON ${p}t(a)\nINSERT INTO ${p}t VALUES (1), (2), (2)`)
    await db.prepare(`ANALYZE ${p}t`).run()
    return db.prepare(`SELECT idx, stat FROM sqlite_stat1 WHERE tbl = ?`).bind(`${p}t`).all()
  },
  'json functions': (db) => db.prepare(`SELECT json_extract('{"a":[1,2]}', '$.a[1]') AS v, json_array(1, 'x') AS arr`).first(),
  'fts5': async (db, p) => {
    await db.exec(`CREATE VIRTUAL TABLE ${p}docs USING fts5(body)\nINSERT INTO ${p}docs VALUES ('the quick brown fox'), ('lazy dogs')`)
    return db.prepare(`SELECT body FROM ${p}docs WHERE ${p}docs MATCH ?`).bind('quick').all()
  },
  'bind errors are synchronous': async (db) => {
    const out: string[] = []
    // (Functions cannot cross Miniflare's proxy, so they are tested in d1.test.ts only.)
    for (const v of [undefined, 10n, { a: 1 }, ['a', 'b'], [256], new Date(0)]) {
      try {
        db.prepare('SELECT ?').bind(v)
        out.push('no throw')
      } catch (e) {
        out.push(`${(e as Error).constructor.name}: ${(e as Error).message}`)
      }
    }
    return out
  },
  // SQLite applies `PRAGMA foreign_keys` while preparing it; D1 runs each query in a transaction,
  // where it does nothing. Migration scripts written for sqlite3 (`PRAGMA foreign_keys=OFF` first)
  // must fail here as they do on D1.
  'foreign_keys = OFF is a no-op': async (db, p) => {
    await db.exec(`CREATE TABLE ${p}a (id INTEGER PRIMARY KEY)\nCREATE TABLE ${p}b (a INTEGER REFERENCES ${p}a(id))`)
    return [
      await db.prepare('PRAGMA foreign_keys = OFF').run(),
      await db.prepare('PRAGMA foreign_keys').first(),
      await outcome(() => db.prepare(`INSERT INTO ${p}b VALUES (1)`).run()),
      await outcome(() => db.prepare(`PRAGMA foreign_keys = OFF; INSERT INTO ${p}b VALUES (2)`).run()),
      await outcome(() => db.batch([db.prepare('PRAGMA foreign_keys=0'), db.prepare(`INSERT INTO ${p}b VALUES (3)`)])),
      await db.prepare(`SELECT count(*) AS n FROM ${p}b`).first('n'),
    ]
  },
  'defer_foreign_keys in a batch': async (db, p) => {
    await db.exec(`CREATE TABLE ${p}a (id INTEGER PRIMARY KEY)\nCREATE TABLE ${p}b (a INTEGER REFERENCES ${p}a(id))`)
    const ins = (t: string, v: number) => db.prepare(`INSERT INTO ${p}${t} VALUES (?)`).bind(v)
    return [(await db.batch([db.prepare('PRAGMA defer_foreign_keys = ON'), ins('b', 5), ins('a', 5)])).length, await db.prepare(`SELECT count(*) AS n FROM ${p}b`).first('n')]
  },
  'reals beyond double come back null (JSON)': (db) => db.prepare('SELECT 1e999 AS a, -1e999 AS b, -0.0 AS z').first(),
  'functions and tables workerd lacks': async (db) => [
    await outcome(() => db.prepare("SELECT soundex('x')").all()),
    await outcome(() => db.prepare('SELECT * FROM dbstat').all()),
    await outcome(() => db.prepare('CREATE VIRTUAL TABLE v USING fts4(x)').run()),
  ],
  // `db.batch(stmt)` instead of `db.batch([stmt])`
  'batch of a non-array': async (db) => [
    await outcome(() => db.batch(db.prepare('SELECT 1') as never)),
    await outcome(() => db.batch(undefined as never)),
    await outcome(() => db.batch(new Set([db.prepare('SELECT 1')]) as never)),
  ],
  'session bookmark shape': async (db) => {
    const s = db.withSession('first-primary')
    const before = s.getBookmark()
    await s.prepare('SELECT 1').all()
    return [before, typeof s.getBookmark(), db.withSession('  ').getBookmark(), db.withSession('bm-1').getBookmark()]
  },
}

describe('D1 against Miniflare', () => {
  let mf: Miniflare
  let theirs: DB
  let ours: DB

  beforeAll(async () => {
    mf = new Miniflare({ modules: true, script: 'export default { fetch() { return new Response(null) } }', d1Databases: ['DB'] })
    theirs = (await mf.getD1Database('DB')) as unknown as DB
    ours = new native.D1Database()
    // Miniflare's first write transaction inserts a row of its own, which moves
    // last_insert_rowid; one user insert on both sides after it makes last_row_id comparable.
    for (const db of [theirs, ours]) {
      await db.exec('CREATE TABLE prime (a)')
      await db.prepare('INSERT INTO prime VALUES (1)').run()
    }
  })
  afterAll(async () => {
    await mf?.dispose()
    await ours?.close()
  })

  let n = 0
  for (const [name, scenario] of Object.entries(scenarios)) {
    it(name, async () => {
      const p = `s${n++}_`
      const expected = await outcome(() => scenario(theirs, p), normalize)
      const actual = await outcome(() => scenario(ours, p), normalize)
      expect(actual).toEqual(expected)
    })
  }

  // Deliberate, documented differences (docs/d1.md). If Miniflare changes, these tell us.
  it('differences: integral numbers bind as INTEGER (Miniflare: REAL)', async () => {
    const q = 'SELECT typeof(?) AS t'
    expect(await theirs.prepare(q).bind(1).first('t')).toBe('real')
    expect(await ours.prepare(q).bind(1).first('t')).toBe('integer')
  })

  it('differences: comment-only SQL and trailing comments (Miniflare: "SQL code did not contain a statement.")', async () => {
    const m = await theirs.prepare('-- comment').all().catch((e) => e.message)
    expect(m).toBe('D1_ERROR: SQL code did not contain a statement.')
    await expect(ours.prepare('-- comment').all()).rejects.toThrow('D1_ERROR: No SQL statements detected.')
    expect(await theirs.prepare('SELECT 1; -- done').all().catch((e) => e.message)).toBe('D1_ERROR: SQL code did not contain a statement.')
    expect((await ours.prepare('SELECT 1 AS a; -- done').all()).results).toEqual([{ a: 1 }])
    expect(await theirs.exec('-- schema\nSELECT 1').catch((e) => e.message)).toMatch(/did not contain a statement/)
    expect((await ours.exec('-- schema\nSELECT 1')).count).toBe(1)
  })

  it('differences: reserved names are refused in any case (current workerd; Miniflare 4 checks "_cf_" case-sensitively)', async () => {
    expect((await theirs.prepare('CREATE TABLE _CF_Y (a)').run()).success).toBe(true)
    await expect(ours.prepare('CREATE TABLE _CF_Y (a)').run()).rejects.toThrow('D1_ERROR: not authorized: SQLITE_AUTH')
  })

  it('known gap: DELETE/UPDATE … LIMIT (workerd builds SQLite with SQLITE_ENABLE_UPDATE_DELETE_LIMIT; the amalgamation parser cannot)', async () => {
    for (const db of [theirs, ours]) await db.exec('CREATE TABLE lim (a)\nINSERT INTO lim VALUES (1), (2)')
    expect((await theirs.prepare('DELETE FROM lim WHERE a > 0 LIMIT 1').run()).meta.changes).toBe(1)
    await expect(ours.prepare('DELETE FROM lim WHERE a > 0 LIMIT 1').run()).rejects.toThrow('D1_ERROR: near "LIMIT": syntax error at offset 28: SQLITE_ERROR')
  })

  it('differences: strings and BLOBs up to 4 MiB, as current workerd (Miniflare 4.20260426: 2,200,000 bytes)', async () => {
    const big = 'x'.repeat(2_200_001)
    await expect(theirs.prepare('SELECT length(?) AS n').bind(big).first('n')).rejects.toThrow('D1_ERROR: string or blob too big: SQLITE_TOOBIG')
    expect(await ours.prepare('SELECT length(?) AS n').bind(big).first('n')).toBe(2_200_001)
    await expect(ours.prepare('SELECT length(?) AS n').bind('x'.repeat(4 * 1024 * 1024 + 1)).first('n')).rejects.toThrow('D1_ERROR: string or blob too big: SQLITE_TOOBIG')
  })

  it('differences: R*Tree tables, as current workerd (Miniflare 4.20260426 refuses them)', async () => {
    const sql = 'CREATE VIRTUAL TABLE boxes USING rtree(id, x0, x1)'
    await expect(theirs.prepare(sql).run()).rejects.toThrow('D1_ERROR: not authorized: SQLITE_AUTH')
    expect((await ours.prepare(sql).run()).success).toBe(true)
  })

  it('differences: dump() works (Miniflare has no dump route)', async () => {
    await expect(theirs.dump()).rejects.toThrow(/^D1_DUMP_ERROR: /)
    expect((await ours.dump()).byteLength).toBeGreaterThan(0)
  })
})
