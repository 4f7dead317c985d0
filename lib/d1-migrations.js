'use strict'
// D1 migrations the way wrangler keeps them: a folder of numbered `.sql` files, applied in order
// and recorded in a `d1_migrations` table (same schema as wrangler's, so `wrangler d1 migrations
// list` agrees). Same signatures as @cloudflare/vitest-pool-workers' helpers; works on any
// D1Database (ours or a Miniflare/workerd binding).

const fs = require('node:fs/promises')
const path = require('node:path')
const native = require('../binding.js')

const DEFAULT_TABLE = 'd1_migrations'

/** The leading number of a file name (`0001_init.sql` → 1), NaN when it has none. */
function leadingNumber(name) {
  return parseInt(name.split('_')[0], 10)
}

/** Wrangler's order: by leading number (numbered before unnumbered), then by name. */
function compareMigrationNames(a, b) {
  const an = leadingNumber(a)
  const bn = leadingNumber(b)
  if (an !== bn) {
    if (Number.isFinite(an) && Number.isFinite(bn)) return an - bn
    if (Number.isFinite(an)) return -1
    if (Number.isFinite(bn)) return 1
  }
  return a < b ? -1 : a > b ? 1 : 0
}

function quoteIdentifier(id) {
  return `"${id.replace(/"/g, '""')}"`
}

/**
 * Reads every `*.sql` file of `migrationsPath` in wrangler's order.
 * @param {string} migrationsPath
 * @returns {Promise<Array<{ name: string, queries: string[] }>>}
 */
async function readD1Migrations(migrationsPath) {
  const entries = await fs.readdir(migrationsPath, { withFileTypes: true })
  const names = entries.filter((e) => e.isFile() && e.name.endsWith('.sql')).map((e) => e.name)
  names.sort(compareMigrationNames)
  const migrations = []
  for (const name of names) {
    const sql = await fs.readFile(path.join(migrationsPath, name), 'utf8')
    migrations.push({ name, queries: native.splitSqlStatements(sql) })
  }
  return migrations
}

/**
 * Applies the migrations not yet recorded in `migrationsTableName`, each in one batch (its
 * statements and its record commit together or not at all). Re-running is a no-op.
 * @param {{ prepare(sql: string): any, batch(statements: any[]): Promise<unknown> }} db
 * @param {Array<{ name: string, queries: string[] }>} migrations
 * @param {string} [migrationsTableName]
 */
async function applyD1Migrations(db, migrations, migrationsTableName = DEFAULT_TABLE) {
  const table = quoteIdentifier(String(migrationsTableName))
  // The columns wrangler creates and reads.
  await db.prepare(`CREATE TABLE IF NOT EXISTS ${table} (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`).run()
  const applied = new Set((await db.prepare(`SELECT name FROM ${table} ORDER BY id`).raw()).map((row) => row[0]))
  for (const migration of migrations) {
    if (applied.has(migration.name)) continue
    const statements = migration.queries.map((q) => db.prepare(q))
    statements.push(db.prepare(`INSERT INTO ${table} (name) VALUES (?)`).bind(migration.name))
    await db.batch(statements)
    applied.add(migration.name)
  }
}

module.exports = { readD1Migrations, applyD1Migrations }
