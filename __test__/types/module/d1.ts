// Module setup (a Node project importing workers-types next to @types/node): D1's results are
// plain data, so everything is assignable here too — no Web-type gaps.
import type { D1Database, D1DatabaseSession, D1PreparedStatement, D1Result } from '@cloudflare/workers-types/index.js'
import * as native from '../../../index.js'

const db: D1Database = new native.D1Database()
const session: D1DatabaseSession = new native.D1Database().withSession()
const stmt: D1PreparedStatement = db.prepare('SELECT 1')
// The other way round: a Workers binding (e.g. from Miniflare) works with our migration helpers.
export async function migrate(binding: D1Database): Promise<void> {
  await native.applyD1Migrations(binding, await native.readD1Migrations('migrations'))
}

export async function usage(d: native.D1Database): Promise<void> {
  const row: { id: number } | null = await d.prepare('SELECT 1 AS id').first<{ id: number }>()
  const id: number | null = await d.prepare('SELECT 1 AS id').first<number>('id')
  const all: D1Result<{ id: number }> = await d.prepare('SELECT 1 AS id').all<{ id: number }>()
  const raw: [string[], ...[number][]] = await d.prepare('SELECT 1').raw<[number]>({ columnNames: true })
  const batch = await d.batch<{ n: number }>([d.prepare('SELECT 1 AS n')])
  const n: number = batch[0].results[0].n
  const bookmark: string | null = d.withSession().getBookmark()
  const { count, duration } = await d.exec('SELECT 1')
  const bytes: ArrayBuffer = await d.dump()
  const rowsRead: number = all.meta.rows_read
  void [row, id, raw, n, bookmark, count, duration, bytes, rowsRead, session, stmt]
}
