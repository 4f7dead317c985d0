// A real ORM on both D1s: drizzle-orm's D1 driver over a drizzle-kit migration folder, driven
// against Miniflare 4 (workerd's D1, the oracle) and against us. Every query builder path the
// driver has (`all`/`get`/`values`/`run`, batch, relational queries, `db.run/all/get/values`
// with raw SQL, its migrator, `transaction()`) must give the same rows, the same meta and the same
// errors.
import { join } from 'node:path'
import { drizzle, type DrizzleD1Database } from 'drizzle-orm/d1'
import { migrate } from 'drizzle-orm/d1/migrator'
import { and, asc, count, desc, eq, gt, inArray, isNull, like, relations, sql } from 'drizzle-orm'
import { blob, index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dropVolatileMeta, native } from './helpers'

const MIGRATIONS = join(import.meta.dirname, 'fixtures', 'drizzle-migrations')

// The schema drizzle-kit generated the fixture migrations from.
const users = sqliteTable('users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  email: text('email').notNull().unique(),
  name: text('name'),
  isAdmin: integer('is_admin', { mode: 'boolean' }).notNull().default(false),
  createdAt: integer('created_at', { mode: 'timestamp' }).notNull().default(sql`(unixepoch())`),
  settings: text('settings', { mode: 'json' }).$type<{ theme: string; flags?: string[] }>(),
  avatar: blob('avatar', { mode: 'buffer' }),
  score: real('score'),
  deletedAt: integer('deleted_at', { mode: 'timestamp' }),
})

const posts = sqliteTable(
  'posts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    authorId: integer('author_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    slug: text('slug').notNull().default(''),
    published: integer('published', { mode: 'boolean' }).default(false),
    tags: blob('tags', { mode: 'json' }).$type<string[]>(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }),
    big: blob('big', { mode: 'bigint' }),
  },
  (t) => [index('posts_author_idx').on(t.authorId), uniqueIndex('posts_author_title').on(t.authorId, t.title)],
)

const comments = sqliteTable('comments', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  postId: integer('post_id')
    .notNull()
    .references(() => posts.id, { onDelete: 'cascade' }),
  authorId: integer('author_id').references(() => users.id, { onDelete: 'set null' }),
  body: text('body').notNull(),
})

const usersRelations = relations(users, ({ many }) => ({ posts: many(posts), comments: many(comments) }))
const postsRelations = relations(posts, ({ one, many }) => ({
  author: one(users, { fields: [posts.authorId], references: [users.id] }),
  comments: many(comments),
}))
const commentsRelations = relations(comments, ({ one }) => ({
  post: one(posts, { fields: [comments.postId], references: [posts.id] }),
  author: one(users, { fields: [comments.authorId], references: [users.id] }),
}))
const schema = { users, posts, comments, usersRelations, postsRelations, commentsRelations }

type Raw = InstanceType<typeof native.D1Database>
type DB = DrizzleD1Database<typeof schema>

/** Drops what legitimately differs (timing, the server's name, the file size); plain data. */
function normalize(v: unknown): unknown {
  if (v instanceof Date) return { date: v.getTime() }
  if (typeof v === 'bigint') return { bigint: String(v) }
  if (Buffer.isBuffer(v)) return { buffer: [...v] }
  if (Array.isArray(v)) return v.map(normalize)
  if (v && typeof v === 'object') {
    const o = { ...(v as Record<string, unknown>) }
    dropVolatileMeta(o)
    for (const k of Object.keys(o)) o[k] = normalize(o[k])
    return o
  }
  return v
}

const T0 = new Date('2026-01-02T03:04:05.678Z')

/** The value or the error, with the D1 error drizzle wraps (its `cause`). */
async function result(f: () => Promise<unknown>) {
  try {
    return { ok: normalize(await f()) }
  } catch (e) {
    const cause = (e as Error).cause as Error | undefined
    return { error: (e as Error).constructor.name, message: (e as Error).message, cause: cause?.message }
  }
}

/**
 * Miniflare's Node-to-workerd proxy cannot carry a Node `Buffer` (it fails with "false == true");
 * inside a Worker `bind(buffer)` is a Uint8Array like any other. Give Miniflare plain Uint8Arrays.
 */
function carryBuffers(binding: Raw): Raw {
  const fix = (v: unknown) => (Buffer.isBuffer(v) ? new Uint8Array(v) : v)
  const forward = <T extends object>(target: T, override: (k: string | symbol) => unknown) =>
    new Proxy(target, {
      get(t, k) {
        const o = override(k)
        if (o !== undefined) return o
        const x = Reflect.get(t, k)
        return typeof x === 'function' ? x.bind(t) : x
      },
    })
  return forward(binding, (k) =>
    k === 'prepare'
      ? (q: string) => {
          const stmt = binding.prepare(q)
          return forward(stmt, (kk) => (kk === 'bind' ? (...v: unknown[]) => stmt.bind(...v.map(fix)) : undefined))
        }
      : undefined,
  )
}

const scenarios: Record<string, (db: DB, raw: Raw) => Promise<unknown>> = {
  'insert returning, defaults, json, blob, boolean': (db) =>
    db
      .insert(users)
      .values([
        { email: 'ada@example.com', name: 'Ada', isAdmin: true, createdAt: T0, settings: { theme: 'dark', flags: ['a', 'b'] }, avatar: Buffer.from([0, 1, 2, 255]), score: 1.5 },
        { email: 'alan@example.com', name: 'Alan', createdAt: T0, score: 3 },
        { email: 'grace@example.com', createdAt: T0, settings: { theme: 'light' } },
      ])
      .returning(),
  'insert posts in a batch': (db) =>
    db.batch([
      db.insert(posts).values({ authorId: 1, title: 'Hello', slug: 'hello', published: true, tags: ['intro', 'ünï'], createdAt: T0, big: 2n ** 63n - 1n }),
      db.insert(posts).values({ authorId: 1, title: 'Again', createdAt: T0 }).returning({ id: posts.id, slug: posts.slug }),
      db.insert(posts).values({ authorId: 2, title: 'Hello', published: false }),
      db.insert(comments).values([
        { postId: 1, authorId: 2, body: 'nice' },
        { postId: 1, authorId: 3, body: 'thanks; really' },
        { postId: 3, authorId: 1, body: 'hi' },
      ]),
      db.select({ n: count() }).from(posts),
    ]),
  'select all': (db) => db.select().from(users).orderBy(users.id),
  'select where get': (db) => db.select().from(users).where(eq(users.email, 'ada@example.com')).get(),
  'select get missing': (db) => db.select().from(users).where(eq(users.id, 999)).get(),
  'select values': (db) => db.select({ id: posts.id, title: posts.title, tags: posts.tags }).from(posts).orderBy(desc(posts.id)).values(),
  'select json blob bigint back': (db) => db.select({ tags: posts.tags, big: posts.big, at: posts.createdAt }).from(posts).where(eq(posts.id, 1)).get(),
  'join with duplicate column names': (db) =>
    db.select().from(posts).innerJoin(users, eq(users.id, posts.authorId)).leftJoin(comments, eq(comments.postId, posts.id)).orderBy(asc(posts.id), asc(comments.id)),
  'aggregate and group by': (db) =>
    db
      .select({ author: users.name, posts: count(posts.id), firstTitle: sql<string>`min(${posts.title})` })
      .from(users)
      .leftJoin(posts, eq(posts.authorId, users.id))
      .groupBy(users.id)
      .orderBy(users.id),
  'where operators': (db) =>
    db
      .select({ id: users.id })
      .from(users)
      .where(and(inArray(users.id, [1, 2, 3]), like(users.email, '%@example.com'), gt(users.score, 1), isNull(users.deletedAt))),
  'relational findMany nested': (db) =>
    db.query.users.findMany({
      columns: { avatar: false },
      orderBy: (u, { asc }) => [asc(u.id)],
      with: {
        posts: {
          columns: { tags: false, big: false },
          orderBy: (p, { asc }) => [asc(p.id)],
          with: { comments: { with: { author: { columns: { name: true, settings: true, createdAt: true } } } } },
        },
      },
    }),
  'relational findFirst with where, columns and extras': (db) =>
    db.query.posts.findFirst({
      where: (p, { eq }) => eq(p.title, 'Hello'),
      columns: { id: true, title: true, tags: true, createdAt: true, big: true },
      with: { author: { columns: { email: true, isAdmin: true, settings: true } } },
      extras: { upper: sql<string>`upper(${posts.title})`.as('upper') },
    }),
  // drizzle nests relations with json_array(), which cannot hold BLOBs: the same error on both.
  'relational query over a blob column': (db) => db.query.posts.findFirst({ with: { author: { columns: { avatar: true } } } }),
  'update returning': (db) => db.update(users).set({ score: sql`${users.score} * 2`, name: 'Grace' }).where(eq(users.id, 3)).returning({ id: users.id, score: users.score, name: users.name }),
  'update run meta': (db) => db.update(posts).set({ published: true }).where(eq(posts.authorId, 1)).run(),
  'unique violation': (db) => db.insert(users).values({ email: 'ada@example.com' }),
  'composite unique violation': (db) => db.insert(posts).values({ authorId: 1, title: 'Hello' }),
  'foreign key violation': (db) => db.insert(posts).values({ authorId: 42, title: 'orphan' }),
  'not null violation': (db) => db.insert(posts).values({ authorId: 1, title: sql`NULL` }),
  'batch rolls back on failure': async (db) => {
    const err = await db
      .batch([db.insert(users).values({ email: 'tmp@example.com' }), db.insert(users).values({ email: 'ada@example.com' })])
      .catch((e: Error) => [e.message, (e.cause as Error | undefined)?.message])
    return [err, await db.select({ n: count() }).from(users).get()]
  },
  'transaction() uses BEGIN, which D1 refuses': (db) =>
    db.transaction(async (tx) => {
      await tx.insert(users).values({ email: 'tx@example.com' })
    }),
  'db.run raw sql': (db) => db.run(sql`UPDATE ${users} SET ${sql.identifier('name')} = ${'Ada L.'} WHERE ${users.id} = ${1}`),
  'db.all raw sql': (db) => db.all(sql`SELECT id, email, is_admin FROM users ORDER BY id DESC`),
  'db.get raw sql': (db) => db.get(sql`SELECT count(*) AS n, sum(score) AS s FROM users`),
  'db.get raw sql no rows': (db) => db.get(sql`SELECT id FROM users WHERE id < 0`),
  'db.values raw sql': (db) => db.values(sql`SELECT id, title, length(tags) FROM posts ORDER BY id`),
  'prepared placeholder reuse': async (db) => {
    const q = db.select().from(posts).where(eq(posts.authorId, sql.placeholder('author'))).orderBy(posts.id).prepare()
    return [await q.all({ author: 1 }), await q.all({ author: 2 }), await q.get({ author: 3 })]
  },
  'cascade delete and set null': async (db) => {
    const r = await db.delete(users).where(eq(users.id, 2)).run()
    return [r, await db.select().from(comments).orderBy(comments.id), await db.select({ n: count() }).from(posts).get()]
  },
  'upsert on conflict': (db) =>
    db
      .insert(users)
      .values({ email: 'ada@example.com', name: 'dup' })
      .onConflictDoUpdate({ target: users.email, set: { name: sql`excluded.name || '!'` } })
      .returning({ id: users.id, name: users.name }),
  'insert or ignore': (db) => db.insert(users).values({ email: 'ada@example.com' }).onConflictDoNothing().run(),
  'json functions over a json column': (db) =>
    db.all(sql`SELECT id, json_extract(settings, '$.theme') AS theme, json_array_length(settings, '$.flags') AS n FROM users ORDER BY id`),
  'limit offset with placeholders': (db) => db.select({ id: users.id }).from(users).orderBy(users.id).limit(1).offset(1),
  'count with $count': (db) => db.$count(posts, eq(posts.published, true)),
  'delete returning everything': (db) => db.delete(comments).returning(),
  'raw client exec after drizzle': (_db, raw) => raw.prepare('SELECT name FROM sqlite_master WHERE type = ? ORDER BY name').bind('index').raw(),
}

describe('drizzle-orm/d1 against Miniflare', () => {
  let mf: Miniflare
  const targets: Record<'theirs' | 'ours', { raw: Raw; db: DB }> = {} as never

  beforeAll(async () => {
    mf = new Miniflare({ modules: true, script: 'export default { fetch() { return new Response(null) } }', d1Databases: ['DB'] })
    const theirs = carryBuffers((await mf.getD1Database('DB')) as unknown as Raw)
    const ours = new native.D1Database()
    for (const [name, raw] of [['theirs', theirs], ['ours', ours]] as const) {
      const db = drizzle(raw as never, { schema })
      await migrate(db, { migrationsFolder: MIGRATIONS })
      targets[name] = { raw, db }
    }
  })
  afterAll(async () => {
    await mf?.dispose()
    await targets.ours?.raw.close()
  })

  it('the migrator leaves the same schema and journal', async () => {
    const q = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE '_cf_%' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    const ours = await targets.ours.raw.prepare(q).raw()
    expect(ours).toEqual(await targets.theirs.raw.prepare(q).raw())
    expect(ours.map((r) => r[1])).toContain('posts_author_title')
    const journal = 'SELECT hash, created_at FROM __drizzle_migrations ORDER BY id'
    expect(await targets.ours.raw.prepare(journal).raw()).toEqual(await targets.theirs.raw.prepare(journal).raw())
  })

  for (const [name, scenario] of Object.entries(scenarios)) {
    it(name, async () => {
      const expected = await result(() => scenario(targets.theirs.db, targets.theirs.raw))
      const actual = await result(() => scenario(targets.ours.db, targets.ours.raw))
      expect(actual).toEqual(expected)
    })
  }
})

// The same drizzle-kit folder applied the wrangler way (`wrangler d1 migrations apply` reads a
// drizzle-kit output folder too): our readD1Migrations/applyD1Migrations on both databases.
describe('drizzle-kit migrations through readD1Migrations/applyD1Migrations', () => {
  it('splits each file at its statements (the breakpoint comments stay with the next one)', async () => {
    const migrations = await native.readD1Migrations(MIGRATIONS)
    expect(migrations.map((m) => [m.name, m.queries.length])).toEqual([
      ['0000_init_schema.sql', 6],
      ['0001_posts_slug.sql', 9],
    ])
    expect(migrations[1].queries[1]).toMatch(/^--> statement-breakpoint\nCREATE TABLE `__new_posts`/)
  })

  it('a table rebuild on a populated database does what D1 does (cascades fire; foreign_keys=OFF is ignored)', async () => {
    const mf = new Miniflare({ modules: true, script: 'export default { fetch() { return new Response(null) } }', d1Databases: ['DB'] })
    try {
      const [init, rebuild] = await native.readD1Migrations(MIGRATIONS)
      const results = []
      for (const raw of [(await mf.getD1Database('DB')) as unknown as Raw, new native.D1Database()]) {
        await native.applyD1Migrations(raw, [init])
        await raw.exec(
          "INSERT INTO users (email) VALUES ('a@x'), ('b@x')\nINSERT INTO posts (author_id, title) VALUES (1, 'p1'), (2, 'p2')\nINSERT INTO comments (post_id, author_id, body) VALUES (1, 2, 'c1'), (2, 1, 'c2')",
        )
        await native.applyD1Migrations(raw, [init, rebuild])
        results.push([
          await raw.prepare('SELECT name FROM d1_migrations ORDER BY id').raw(),
          await raw.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE '_cf_%' ORDER BY name").raw(),
          await raw.prepare('SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM posts), (SELECT count(*) FROM comments), (SELECT group_concat(slug) FROM posts)').raw(),
          await raw.prepare('PRAGMA foreign_keys').raw(),
        ])
      }
      const [theirs, ours] = results
      expect(ours).toEqual(theirs)
      // DROP TABLE posts deleted every comment through ON DELETE CASCADE, on D1 as here.
      expect(ours[2]).toEqual([[2, 2, 0, ',']])
    } finally {
      await mf.dispose()
    }
  })
})
