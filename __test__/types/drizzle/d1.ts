// A Workers-typed project using drizzle-orm's D1 driver (skipLibCheck, as drizzle's typings need):
// our D1Database is accepted where drizzle wants a D1 binding, and a KV namespace is not.
import { drizzle } from 'drizzle-orm/d1'
import { sqliteTable, integer } from 'drizzle-orm/sqlite-core'
import * as native from '../../../index.js'

const t = sqliteTable('t', { id: integer('id').primaryKey() })
export async function rows(): Promise<{ id: number }[]> {
  const db = drizzle(new native.D1Database(), { schema: { t } })
  return db.select().from(t).all()
}
// @ts-expect-error a KVNamespace is not a D1 database
drizzle(new native.KVNamespace())
