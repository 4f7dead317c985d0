// Differential tests: the same scenarios against Miniflare 4 (real workerd, the local oracle of
// Cloudflare's behaviour) and against us; values, error classes and messages must match.
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { native } from './helpers'

type KV = InstanceType<typeof native.KVNamespace>
type Outcome = { ok: unknown } | { error: string; message: string }

async function outcome(f: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: await normalize(await f()) }
  } catch (e) {
    return { error: (e as Error).constructor.name, message: (e as Error).message }
  }
}

async function normalize(v: unknown): Promise<unknown> {
  if (Array.isArray(v)) return Promise.all(v.map(normalize))
  if (v instanceof Map) return { map: await Promise.all([...v].map(async ([k, x]) => [k, await normalize(x)])) }
  if (v instanceof ArrayBuffer) return { bytes: [...new Uint8Array(v)] }
  if (v && typeof v === 'object' && 'getReader' in v) return { stream: await new Response(v as ReadableStream).text() }
  if (v && typeof v === 'object' && 'keys' in v && 'list_complete' in v) {
    const { cursor, ...rest } = v as { cursor?: string }
    return { ...rest, hasCursor: cursor !== undefined }
  }
  return v
}

// Each scenario uses its own key prefix `p`, so one namespace per target serves them all.
const scenarios: Record<string, (kv: KV, p: string) => Promise<unknown>> = {
  'empty key': (kv) => kv.put('', 'v'),
  'dot keys': (kv) => kv.get('..'),
  'long key put': (kv) => kv.put('x'.repeat(513), 'v'),
  'long unicode key get': (kv) => kv.get('€'.repeat(171)),
  'long key getWithMetadata': (kv) => kv.getWithMetadata('x'.repeat(513)),
  'long key delete': (kv) => kv.delete('x'.repeat(600)),
  'missing get types': async (kv, p) => [await kv.get(`${p}m`), await kv.get(`${p}m`, 'json'), await kv.get(`${p}m`, 'banana' as 'text')],
  'unknown type on existing key': async (kv, p) => { await kv.put(`${p}k`, 'v'); return kv.get(`${p}k`, 'banana' as 'text') },
  'json of non-json': async (kv, p) => { await kv.put(`${p}k`, 'not json'); return kv.get(`${p}k`, 'json') },
  'bytes round trip': async (kv, p) => { await kv.put(`${p}k`, new Uint8Array([0, 1, 127, 128, 255]).buffer); return [await kv.get(`${p}k`, 'arrayBuffer'), await kv.get(`${p}k`)] },
  'view window': async (kv, p) => { await kv.put(`${p}k`, new Uint8Array(new Uint8Array([1, 2, 3, 4, 5]).buffer, 1, 3)); return kv.get(`${p}k`, 'arrayBuffer') },
  'stream round trip': async (kv, p) => { await kv.put(`${p}k`, new Blob(['abc', 'def']).stream()); return kv.get(`${p}k`, 'stream') },
  'object value': (kv, p) => kv.put(`${p}k`, { a: 1 } as unknown as string),
  'primitive values': async (kv, p) => { const out = []; for (const v of [1, true, null, undefined, 10n]) { await kv.put(`${p}k`, v as unknown as string); out.push(await kv.get(`${p}k`)) } return out },
  'empty value': async (kv, p) => { await kv.put(`${p}k`, ''); return kv.get(`${p}k`) },
  'value too large': (kv, p) => kv.put(`${p}k`, new Uint8Array(26214401)),
  'metadata too large': (kv, p) => kv.put(`${p}k`, 'v', { metadata: 'x'.repeat(1023) }),
  'metadata types': async (kv, p) => { const out = []; for (const m of [123, 's', [1], { a: { b: null } }, null]) { await kv.put(`${p}k`, 'v', { metadata: m }); out.push(await kv.getWithMetadata(`${p}k`)) } return out },
  'missing with metadata': (kv, p) => kv.getWithMetadata(`${p}missing`),
  'ttl 30': (kv, p) => kv.put(`${p}k`, 'v', { expirationTtl: 30 }),
  'ttl 0': (kv, p) => kv.put(`${p}k`, 'v', { expirationTtl: 0 }),
  'ttl nan': (kv, p) => kv.put(`${p}k`, 'v', { expirationTtl: 'nan' as unknown as number }),
  'expiration out of int32': (kv, p) => kv.put(`${p}k`, 'v', { expiration: 2 ** 40 }),
  'expiration Infinity': (kv, p) => kv.put(`${p}k`, 'v', { expiration: Infinity }),
  'validation order': (kv, p) => kv.put(`${p}k`, 'x'.repeat(26214401), { expirationTtl: 1, metadata: 'x'.repeat(2000) }),
  'overwrite clears': async (kv, p) => { await kv.put(`${p}k`, '1', { metadata: { a: 1 }, expirationTtl: 1000 }); await kv.put(`${p}k`, '2'); return [await kv.getWithMetadata(`${p}k`), await kv.list({ prefix: p })] },
  'delete missing': (kv, p) => kv.delete(`${p}never`),
  'list order': async (kv, p) => { for (const k of ['key3', 'key1', '!', ', ', 'KEY1', 'é', 'z']) await kv.put(p + k, 'v'); return kv.list({ prefix: p }) },
  'list prefix literal': async (kv, p) => { for (const k of ['key1', 'KEY2', 'k\\_%']) await kv.put(p + k, 'v'); return [await kv.list({ prefix: `${p}KEY` }), await kv.list({ prefix: `${p}k\\_%` })] },
  'list limit 1001': (kv) => kv.list({ limit: 1001 }),
  'list limit 0 and -5': async (kv, p) => { for (const k of ['a', 'b']) await kv.put(p + k, 'v'); return [await kv.list({ prefix: p, limit: 0 }), await kv.list({ prefix: p, limit: -5 })] },
  'list paging': async (kv, p) => {
    for (const k of ['a', 'b', 'c']) await kv.put(p + k, 'v')
    const p1 = await kv.list({ prefix: p, limit: 2 })
    const p2 = await kv.list({ prefix: p, limit: 2, cursor: (p1 as { cursor?: string }).cursor })
    return [p1, p2]
  },
  'list long prefix': (kv) => kv.list({ prefix: 'x'.repeat(513) }),
  'list limit out of int32': (kv) => kv.list({ limit: 2 ** 40 }),
  'bulk 101': (kv) => kv.get(Array.from({ length: 101 }, (_, i) => `k${i}`)),
  'bulk 0': (kv) => kv.get([]),
  'bulk types': (kv) => kv.get(['k'], 'stream' as 'text'),
  'bulk type before count': (kv) => kv.get([], { type: 'arrayBuffer' } as unknown as { type: 'text' }),
  'bulk key rules': async (kv) => [await outcome(() => kv.get([''])), await outcome(() => kv.get(['.'])), await outcome(() => kv.get(['x'.repeat(513)]))],
  'bulk found and missing': async (kv, p) => { await kv.put(`${p}a`, '"va"', { metadata: { m: 1 } }); return [await kv.get([`${p}a`, `${p}m`]), await kv.get([`${p}a`], 'json'), await kv.getWithMetadata([`${p}a`, `${p}m`])] },
  'bulk non-json': async (kv, p) => { await kv.put(`${p}b`, 'nope'); return kv.get([`${p}b`], 'json') },
  'bulk cacheTtl': (kv) => kv.get(['k'], { cacheTtl: 10 }),
  'cacheTtl 10': (kv) => kv.get('k', { type: 'text', cacheTtl: 10 }),
  'cacheTtl string': (kv) => kv.get('k', { cacheTtl: 'x' as unknown as number }),
  // null is an integer option's 0 in workerd (libraries passing `expirationTtl: ttl ?? null` fail in production)
  'null ttl': (kv, p) => kv.put(`${p}k`, 'v', { expirationTtl: null as unknown as number }),
  'null expiration': (kv, p) => kv.put(`${p}k`, 'v', { expiration: null as unknown as number }),
  'null cacheTtl': (kv) => kv.get('k', { cacheTtl: null as unknown as number }),
  'null list limit': async (kv, p) => { await kv.put(`${p}a`, 'v'); return kv.list({ prefix: p, limit: null as unknown as number }) },
  'bigint ttl': (kv, p) => kv.put(`${p}k`, 'v', { expirationTtl: 120n as unknown as number }),
  // e.g. `put(key, value, 3600)` meaning a TTL: the options must be an object
  'put options not an object': async (kv, p) => [await outcome(() => kv.put(`${p}k`, 'v', 3600 as never)), await outcome(() => kv.put(`${p}k`, 'v', '' as never)), await outcome(() => kv.put('', { a: 1 } as never, true as never)), await kv.get(`${p}k`)],
  'list options not an object': async (kv) => [await outcome(() => kv.list(5 as never)), await outcome(() => kv.list('prefix' as never))],
  'lone surrogates in metadata': async (kv, p) => {
    await kv.put(`${p}k`, 'v', { metadata: { cut: '😀'.slice(0, 1), low: 'x\uDC00', literal: '\\ud800', pair: '😀' } })
    return [await kv.getWithMetadata(`${p}k`), await kv.list({ prefix: p })]
  },
  'bulk text loses a leading BOM': async (kv, p) => { await kv.put(`${p}a`, '\uFEFF{"a":1}'); await kv.put(`${p}b`, '\uFEFF\uFEFFb'); return [await kv.get([`${p}a`, `${p}b`]), await kv.get([`${p}a`], 'json'), await kv.get(`${p}b`)] },
}

let mf: Miniflare
let theirs: KV
let ours: KV

beforeAll(async () => {
  mf = new Miniflare({ modules: true, script: 'export default { fetch() { return new Response(null) } }', kvNamespaces: ['KV'] })
  theirs = (await mf.getKVNamespace('KV')) as unknown as KV
  ours = new native.KVNamespace()
})

afterAll(async () => {
  await mf?.dispose()
  await ours?.close()
})

describe('KV matches Miniflare', () => {
  let n = 0
  for (const [name, run] of Object.entries(scenarios)) {
    it(name, async () => {
      const p = `s${n++}:`
      const want = await outcome(() => run(theirs, p))
      const got = await outcome(() => run(ours, p))
      expect(got).toEqual(want)
    })
  }
})
