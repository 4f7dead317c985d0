// How applications use KV, against Miniflare 4 (workerd's KV, the oracle) and against us: a
// session store with TTLs, a JSON response cache with metadata, paging through thousands of keys
// with cursors while keys come and go, bulk reads, and binary values. Same values, same errors.
import { createHash } from 'node:crypto'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { native } from './helpers'

type KV = InstanceType<typeof native.KVNamespace>
type Entry = [key: string, value: string, options?: { expirationTtl?: number; metadata?: unknown }]

// Seeding thousands of keys through Miniflare's Node proxy takes ~6 ms a put; a Worker writes them.
const SEEDER = `export default { async fetch(req, env) {
  const entries = await req.json()
  for (let i = 0; i < entries.length; i += 200) await Promise.all(entries.slice(i, i + 200).map(([k, v, o]) => env.KV.put(k, v, o)))
  return new Response('ok')
} }`

const now = () => Math.floor(Date.now() / 1000)

/** Plain data; an absolute expiration becomes whole minutes from now (the two run a moment apart). */
async function normalize(v: unknown): Promise<unknown> {
  if (v instanceof Map) return { map: await Promise.all([...v].map(async ([k, x]) => [k, await normalize(x)])) }
  if (v instanceof ArrayBuffer) return { sha256: createHash('sha256').update(new Uint8Array(v)).digest('hex'), bytes: v.byteLength }
  if (v instanceof ReadableStream) return { stream: await normalize(await new Response(v).arrayBuffer()) }
  if (Array.isArray(v)) return Promise.all(v.map(normalize))
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) {
      if (k === 'cursor') o.cursor = typeof x
      else if (k === 'expiration' && typeof x === 'number') o.expiresInMinutes = Math.round((x - now()) / 60)
      else o[k] = await normalize(x)
    }
    return o
  }
  return v
}

async function result(f: () => Promise<unknown>) {
  try {
    return { ok: await normalize(await f()) }
  } catch (e) {
    return { error: (e as Error).constructor.name, message: (e as Error).message }
  }
}

/** Every page of a listing, following cursors; `between` runs after each page. */
async function pages(kv: KV, options: { prefix?: string; limit?: number }, between?: (page: number) => Promise<void>) {
  const out = []
  let cursor: string | undefined
  for (let page = 0; ; page++) {
    const r = await kv.list({ ...options, cursor })
    out.push({ names: r.keys.map((k) => k.name), complete: r.list_complete, withMetadata: r.keys.filter((k) => k.metadata !== undefined).length })
    if (r.list_complete) return out
    cursor = r.cursor
    await between?.(page)
  }
}

const pad = (i: number) => String(i).padStart(5, '0')
// 2,500 items (some with metadata, some with TTLs), keys that sort around them, and unicode keys.
const ITEMS: Entry[] = Array.from({ length: 2500 }, (_, i) => [
  `item:${pad(i)}`,
  JSON.stringify({ i, name: `item ${i}` }),
  i % 3 === 0 ? { metadata: { i, tag: i % 2 ? 'odd' : 'even' } } : i % 7 === 0 ? { expirationTtl: 3600 } : {},
])
const OTHERS: Entry[] = ['item', 'item;', 'itek:x', 'itemz', 'item:ü', 'item:😀', 'item:\u00a0', 'ITEM:0'].map((k) => [k, 'x'])

const scenarios: Record<string, (kv: KV) => Promise<unknown>> = {
  'session store: create, read, refresh, expire-list, logout': async (kv) => {
    const session = (id: string, user: number) => JSON.stringify({ id, user, roles: ['member'], csrf: `t-${id}` })
    await kv.put('session:a1', session('a1', 7), { expirationTtl: 3600, metadata: { user: 7, ua: 'Mozilla/5.0' } })
    await kv.put('session:b2', session('b2', 8), { expirationTtl: 60, metadata: { user: 8 } })
    await kv.put('session:c3', session('c3', 7), { expiration: now() + 86_400, metadata: { user: 7 } })
    const read = [await kv.getWithMetadata('session:a1', 'json'), await kv.get('session:a1', { type: 'json', cacheTtl: 60 }), await kv.get('session:zz', 'json')]
    await kv.put('session:a1', session('a1', 7), { expirationTtl: 7200, metadata: { user: 7, refreshed: true } })
    const listed = await kv.list({ prefix: 'session:' })
    const ofUser7 = listed.keys.filter((k) => (k.metadata as { user?: number } | undefined)?.user === 7).map((k) => k.name)
    await kv.delete('session:b2')
    return [read, listed, ofUser7, await kv.get('session:b2'), await kv.list({ prefix: 'session:' })]
  },
  'session store: libraries passing a too-short or missing TTL fail as in production': async (kv) =>
    Promise.all([
      result(() => kv.put('session:x', '{}', { expirationTtl: 30 })),
      result(() => kv.put('session:x', '{}', { expirationTtl: 0 })),
      result(() => kv.put('session:x', '{}', { expiration: now() + 10 })),
      result(() => kv.put('session:x', '{}', { expirationTtl: null as unknown as number })),
      result(() => kv.get('session:x', { cacheTtl: 10 })),
    ]),
  'JSON cache with metadata: hit, miss, overwrite clears metadata, size limits': async (kv) => {
    const body = { users: Array.from({ length: 50 }, (_, i) => ({ id: i, email: `u${i}@example.com`, tags: ['a', 'ü'] })), page: 1 }
    const meta = { etag: 'W/"5f-abc"', status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, cachedAt: 1767225600 }
    await kv.put('cache:/api/users?page=1', JSON.stringify(body), { metadata: meta, expirationTtl: 300 })
    const hit = [
      await kv.getWithMetadata('cache:/api/users?page=1', 'json'),
      await kv.getWithMetadata('cache:/api/users?page=1', { type: 'text', cacheTtl: 30 }),
      await kv.get('cache:/api/users?page=1', 'arrayBuffer'),
      await kv.get('cache:/api/users?page=1', 'stream'),
    ]
    await kv.put('cache:/api/users?page=1', '{"stale":true}')
    const after = await kv.getWithMetadata('cache:/api/users?page=1', 'json')
    const exactly1024 = { etag: 'x'.repeat(1024 - '{"etag":""}'.length) }
    return [
      hit,
      after,
      await kv.getWithMetadata('cache:/missing', 'json'),
      await result(() => kv.put('cache:m', 'v', { metadata: exactly1024 })),
      await result(() => kv.put('cache:m', 'v', { metadata: { ...exactly1024, e: 1 } })),
      await result(() => kv.put('cache:m', 'v', { metadata: { emoji: '😀'.repeat(254) } })),
      await kv.getWithMetadata('cache:m'),
    ]
  },
  'paging: every key once, in UTF-8 byte order, pages of the default 1000': (kv) => pages(kv, {}),
  'paging: a prefix, 250 keys a page': (kv) => pages(kv, { prefix: 'item:', limit: 250 }),
  'paging: tiny and odd page sizes': async (kv) => [
    (await pages(kv, { prefix: 'item:0000', limit: 1 })).slice(0, 12),
    await pages(kv, { prefix: 'item:01', limit: 33 }),
    await pages(kv, { prefix: 'item:02', limit: '7' as unknown as number }),
  ],
  'paging: a prefix holding exactly one page': async (kv) => [await pages(kv, { prefix: 'item:00', limit: 100 }), await pages(kv, { prefix: 'item:0', limit: 1000 })],
  'paging while keys are deleted ahead and added behind and ahead of the cursor': async (kv) =>
    pages(kv, { prefix: 'item:', limit: 400 }, async (page) => {
      await Promise.all([
        kv.delete(`item:${pad(1000 + page * 10)}`),
        kv.delete(`item:${pad(1001 + page * 10)}`),
        kv.put(`item:${pad(page)}a`, 'behind'),
        kv.put(`item:${pad(2000 + page)}b`, 'ahead'),
      ])
    }),
  'bulk reads: 100 keys, present and missing, text, json and with metadata': async (kv) => {
    const keys = Array.from({ length: 100 }, (_, i) => (i % 10 === 9 ? `missing:${i}` : `item:${pad(i * 3)}`))
    return [
      await kv.get(keys),
      await kv.get(keys, 'json'),
      await kv.get(keys, { type: 'json', cacheTtl: 60 }),
      await kv.getWithMetadata(keys, 'json'),
      await kv.getWithMetadata(keys.slice(0, 5)),
      await result(() => kv.get([...keys, 'item:00001'])),
      await result(() => kv.get(['item:00000', 'session:nope', 'item'], 'json')),
    ]
  },
  'binary values: every byte value, a 1 MiB buffer, typed-array windows, empty': async (kv) => {
    const all = new Uint8Array(256).map((_, i) => i)
    const big = new Uint8Array(1 << 20)
    let x = 7
    for (let i = 0; i < big.length; i++) big[i] = x = (x * 1103515245 + 12345) & 0xff
    const window = new Uint16Array([1, 2, 3, 4, 0xffff]).subarray(1, 4)
    await kv.put('bin:all', all)
    await kv.put('bin:big', big.buffer)
    await kv.put('bin:window', window)
    await kv.put('bin:empty', new Uint8Array(0))
    await kv.put('bin:view', new DataView(all.buffer, 250, 6), { metadata: { type: 'application/octet-stream' } })
    return [
      await kv.get('bin:all', 'arrayBuffer'),
      await kv.get('bin:big', 'arrayBuffer'),
      await kv.get('bin:big', 'stream'),
      await kv.get('bin:window', 'arrayBuffer'),
      await kv.get('bin:empty', 'arrayBuffer'),
      await kv.get('bin:empty'),
      await kv.getWithMetadata('bin:view', 'arrayBuffer'),
      [...((await kv.get('bin:all')) ?? '')].map((c) => c.codePointAt(0)),
      await result(() => kv.get(['bin:all'], 'json')),
    ]
  },
}

describe('KV usage patterns against Miniflare', () => {
  let mf: Miniflare
  let theirs: KV
  let ours: KV

  beforeAll(async () => {
    mf = new Miniflare({ modules: true, script: SEEDER, kvNamespaces: ['KV'] })
    theirs = (await mf.getKVNamespace('KV')) as unknown as KV
    ours = new native.KVNamespace()
    const entries = [...ITEMS, ...OTHERS]
    const seeded = await mf.dispatchFetch('http://seed/', { method: 'POST', body: JSON.stringify(entries) })
    expect(await seeded.text()).toBe('ok')
    await Promise.all(entries.map(([k, v, o]) => ours.put(k, v, o)))
  })
  afterAll(async () => {
    await mf?.dispose()
    await ours?.close()
  })

  it('both hold the same seed', async () => {
    const theirPages = await pages(theirs, {})
    expect(await pages(ours, {})).toEqual(theirPages)
    expect(theirPages.map((p) => p.names.length)).toEqual([1000, 1000, 508])
  })

  for (const [name, scenario] of Object.entries(scenarios)) {
    it(name, async () => {
      const expected = await result(() => scenario(theirs))
      expect(await result(() => scenario(ours))).toEqual(expected)
    })
  }
})
