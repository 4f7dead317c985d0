// readD1Migrations / applyD1Migrations: wrangler's migration folder and d1_migrations table.
import { cpSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Miniflare } from 'miniflare'
import { describe, expect, it } from 'vitest'
import { native, tempDir } from './helpers'

const { D1Database, readD1Migrations, applyD1Migrations } = native
const FIXTURES = join(import.meta.dirname, 'fixtures', 'd1-migrations')

type DB = InstanceType<typeof D1Database>

async function schema(db: DB) {
  return db.prepare("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'posts_fts_%' ORDER BY name").raw()
}

describe('readD1Migrations', () => {
  it('reads the .sql files in wrangler order, split into statements', async () => {
    const migrations = await readD1Migrations(FIXTURES)
    expect(migrations.map((m) => m.name)).toEqual(['0001_init.sql', '0002_posts.sql', '0003_seed.sql', '10_search.sql'])
    const [init, posts] = migrations
    expect(init.queries).toHaveLength(2)
    expect(init.queries[0]).toMatch(/^-- Migration number: 0001[\s\S]*CREATE TABLE users[\s\S]*\);$/)
    expect(posts.queries).toHaveLength(3)
    expect(posts.queries[2]).toMatch(/^CREATE TRIGGER posts_count[\s\S]*END;$/)
  })

  it('orders by number, numbered before unnumbered, and rejects a missing folder', async () => {
    const dir = tempDir()
    for (const f of ['2_b.sql', '10_c.sql', '1_a.sql', 'extra.sql', '002_x.sql']) writeFileSync(join(dir, f), 'SELECT 1;')
    expect((await readD1Migrations(dir)).map((m) => m.name)).toEqual(['1_a.sql', '002_x.sql', '2_b.sql', '10_c.sql', 'extra.sql'])
    await expect(readD1Migrations(join(dir, 'nope'))).rejects.toThrow(/ENOENT/)
  })
})

describe('applyD1Migrations', () => {
  it('applies in order, records each in d1_migrations, and is idempotent', async () => {
    const db = new D1Database()
    const migrations = await readD1Migrations(FIXTURES)
    await applyD1Migrations(db, migrations)
    const recorded = await db.prepare('SELECT id, name, applied_at FROM d1_migrations ORDER BY id').all<{ id: number; name: string; applied_at: string }>()
    expect(recorded.results.map((r) => [r.id, r.name])).toEqual(migrations.map((m, i) => [i + 1, m.name]))
    expect(recorded.results[0].applied_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
    expect(await db.prepare('SELECT email, post_count FROM users ORDER BY id').raw()).toEqual([['ada@example.com', 2], ['alan@example.com', 0]])
    const before = await schema(db)
    await applyD1Migrations(db, migrations)
    await applyD1Migrations(db, await readD1Migrations(FIXTURES))
    expect(await db.prepare('SELECT count(*) AS n FROM d1_migrations').first('n')).toBe(migrations.length)
    expect(await db.prepare('SELECT count(*) AS n FROM posts').first('n')).toBe(2)
    expect(await schema(db)).toEqual(before)
  })

  it('a new file later applies alone; a failing migration rolls back whole and is not recorded', async () => {
    const dir = tempDir()
    cpSync(FIXTURES, dir, { recursive: true })
    const db = new D1Database({ persist: tempDir(), name: 'app' })
    await applyD1Migrations(db, await readD1Migrations(dir))
    writeFileSync(join(dir, '11_tags.sql'), 'CREATE TABLE tags (name TEXT PRIMARY KEY);\nINSERT INTO tags VALUES (\'a\');')
    writeFileSync(join(dir, '12_broken.sql'), 'CREATE TABLE half (a);\nINSERT INTO nowhere VALUES (1);')
    await expect(applyD1Migrations(db, await readD1Migrations(dir))).rejects.toThrow('D1_ERROR: no such table: nowhere: SQLITE_ERROR')
    expect((await db.prepare('SELECT name FROM d1_migrations ORDER BY id').raw()).flat().slice(-2)).toEqual(['10_search.sql', '11_tags.sql'])
    expect(await db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half'").first('n')).toBe(0)
    writeFileSync(join(dir, '12_broken.sql'), 'CREATE TABLE half (a);')
    await applyD1Migrations(db, await readD1Migrations(dir))
    expect(await db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half'").first('n')).toBe(1)
    await db.close()
  })

  it('takes a custom table name (quoted), and BEGIN in a migration is refused like D1 does', async () => {
    const db = new D1Database()
    await applyD1Migrations(db, [{ name: '1_a.sql', queries: ['CREATE TABLE a (x)'] }], 'my "migrations"')
    expect(await db.prepare('SELECT name FROM "my ""migrations"""').first('name')).toBe('1_a.sql')
    await expect(applyD1Migrations(db, [{ name: '2_tx.sql', queries: ['BEGIN TRANSACTION', 'CREATE TABLE b (x)', 'COMMIT'] }])).rejects.toThrow(/^D1_ERROR: To execute a transaction/)
  })

  it('the recorded table is the one wrangler reads: same columns, a plain SQLite file', async () => {
    const dir = tempDir()
    const db = new D1Database({ persist: dir, name: 'DB' })
    await applyD1Migrations(db, await readD1Migrations(FIXTURES))
    expect(await db.prepare('PRAGMA table_info(d1_migrations)').raw()).toEqual([
      [0, 'id', 'INTEGER', 0, null, 1],
      [1, 'name', 'TEXT', 0, null, 0],
      [2, 'applied_at', 'TIMESTAMP', 1, 'CURRENT_TIMESTAMP', 0],
    ])
    await db.close()
  })

  it('gives the same schema and records on Miniflare as on us', async () => {
    const mf = new Miniflare({ modules: true, script: 'export default { fetch() { return new Response(null) } }', d1Databases: ['DB'] })
    try {
      const theirs = (await mf.getD1Database('DB')) as unknown as DB
      const ours = new D1Database()
      const migrations = await readD1Migrations(FIXTURES)
      for (const db of [theirs, ours]) {
        await applyD1Migrations(db, migrations)
        await applyD1Migrations(db, migrations)
      }
      expect(await schema(ours)).toEqual(await schema(theirs))
      const names = 'SELECT name FROM d1_migrations ORDER BY id'
      expect(await ours.prepare(names).raw()).toEqual(await theirs.prepare(names).raw())
      const users = 'SELECT id, email, post_count FROM users ORDER BY id'
      expect(await ours.prepare(users).raw()).toEqual(await theirs.prepare(users).raw())
    } finally {
      await mf.dispose()
    }
  })
})
