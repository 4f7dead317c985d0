// Differential tests: the same R2 scenarios against Miniflare 4 (real workerd, the local oracle)
// and against us; values, error classes and messages must match. Headers-form options cannot
// cross Miniflare's proxy, so those cases live in r2.test.ts. Known, chosen differences:
// `storageClass` (Miniflare reports "", we store it, default "Standard") and `version`/`uploaded`
// (random / time) are left out of the comparison.
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { native, outcome as outcomeOf } from './helpers'

type Bucket = InstanceType<typeof native.R2Bucket>
const MiB = 1024 * 1024

const outcome = (f: () => Promise<unknown>) => outcomeOf(f, normalize)

async function normalize(v: unknown): Promise<unknown> {
  if (Array.isArray(v)) return Promise.all(v.map(normalize))
  if (v === null || typeof v !== 'object') return v
  const o = v as Record<string, unknown>
  if ('etag' in o && 'checksums' in o) {
    const out: Record<string, unknown> = {
      key: o.key, size: o.size, etag: o.etag, httpEtag: o.httpEtag,
      checksums: (o.checksums as { toJSON(): unknown }).toJSON(),
      httpMetadata: o.httpMetadata, customMetadata: o.customMetadata, range: o.range ?? null,
      uploadedIsDate: o.uploaded instanceof Date, hasBody: 'bodyUsed' in o,
    }
    // ('body' in o) would consume the body of Miniflare's proxied objects.
    if ('bodyUsed' in o) out.text = await (o as unknown as { text(): Promise<string> }).text()
    return out
  }
  if ('objects' in o && 'delimitedPrefixes' in o) {
    return {
      objects: await normalize(o.objects), delimitedPrefixes: o.delimitedPrefixes,
      truncated: o.truncated, hasCursor: typeof o.cursor === 'string',
    }
  }
  if ('partNumber' in o && 'etag' in o) return { partNumber: o.partNumber, etagIsString: typeof o.etag === 'string' }
  return v
}

const cursorOf = (l: unknown) => (l as { cursor?: string }).cursor
const part = (n: number, fill: number) => new Uint8Array(n).fill(fill)

// Each scenario uses its own key prefix `p`, so one bucket per target serves them all.
const scenarios: Record<string, (b: Bucket, p: string) => Promise<unknown>> = {
  'missing head/get': async (b, p) => [await b.head(`${p}m`), await b.get(`${p}m`), await b.get(`${p}m`, { onlyIf: { etagMatches: 'x' } })],
  'put result': (b, p) => b.put(`${p}k`, 'value', { httpMetadata: { contentType: 'text/plain', cacheExpiry: new Date(1000) }, customMetadata: { b: '2', a: '1' } }),
  'head and get': async (b, p) => { await b.put(`${p}k`, 'value', { customMetadata: { x: 'y' } }); return [await b.head(`${p}k`), await b.get(`${p}k`)] },
  'empty values': async (b, p) => { await b.put(`${p}n`, null); await b.put(`${p}e`, ''); return [await b.get(`${p}n`), await b.get(`${p}e`)] },
  'bytes and views': async (b, p) => { await b.put(`${p}a`, new Uint8Array([104, 105]).buffer); await b.put(`${p}v`, new Uint8Array(new Uint8Array([0, 104, 105, 0]).buffer, 1, 2)); return [await b.get(`${p}a`), await b.get(`${p}v`)] },
  'blob value': async (b, p) => { await b.put(`${p}b`, new Blob(['ab', 'c'])); return b.get(`${p}b`) },
  'bad value types': async (b, p) => [await outcome(() => b.put(`${p}k`, 123 as never)), await outcome(() => b.put(`${p}k`, {} as never))],
  'failed precondition get': async (b, p) => { await b.put(`${p}k`, 'value'); return b.get(`${p}k`, { onlyIf: { etagMatches: 'wrong' } }) },
  'failed precondition put': async (b, p) => { await b.put(`${p}k`, 'old'); return [await b.put(`${p}k`, 'new', { onlyIf: { etagMatches: 'wrong' } }), await b.get(`${p}k`)] },
  'create if absent': async (b, p) => [await b.put(`${p}k`, '1', { onlyIf: { etagDoesNotMatch: '*' } }), await b.put(`${p}k`, '2', { onlyIf: { etagDoesNotMatch: '*' } })],
  'etagMatches on missing': async (b, p) => [await b.put(`${p}k`, 'v', { onlyIf: { etagMatches: 'a' } }), await b.head(`${p}k`)],
  'quoted etag': (b, p) => b.get(`${p}k`, { onlyIf: { etagMatches: '"abc"' } }),
  'date conditions': async (b, p) => {
    const o = (await b.put(`${p}k`, 'v'))!
    return [
      await b.get(`${p}k`, { onlyIf: { uploadedAfter: new Date(o.uploaded.getTime() + 60_000) } }),
      await b.get(`${p}k`, { onlyIf: { uploadedBefore: new Date(0) } }),
      await b.get(`${p}k`, { onlyIf: { uploadedBefore: new Date(o.uploaded.getTime() + 60_000) } }),
      await b.get(`${p}k`, { onlyIf: { etagDoesNotMatch: 'x', uploadedAfter: new Date(o.uploaded.getTime() + 60_000) } }),
      await b.get(`${p}k`, { onlyIf: { etagMatches: o.etag, uploadedBefore: new Date(0) } }),
    ]
  },
  'condition types': async (b, p) => { await b.put(`${p}k`, 'v'); return [await outcome(() => b.get(`${p}k`, { onlyIf: 5 as never })), await outcome(() => b.get(`${p}k`, { onlyIf: { etagMatches: 5 as never } })), await outcome(() => b.get(`${p}k`, { onlyIf: { uploadedBefore: '2020' as never } }))] },
  'multiple hashes': (b, p) => b.put(`${p}k`, 'v', { md5: 'd41d8cd98f00b204e9800998ecf8427e', sha1: 'a'.repeat(40) }),
  'hex errors': async (b, p) => [
    await outcome(() => b.put(`${p}k`, 'v', { sha256: 'zz'.repeat(32) })),
    await outcome(() => b.put(`${p}k`, 'v', { sha256: 'a'.repeat(63) })),
    await outcome(() => b.put(`${p}k`, 'v', { md5: new ArrayBuffer(3) })),
    await outcome(() => b.put(`${p}k`, 'v', { sha384: 5 as never })),
  ],
  'checksum mismatch and match': async (b, p) => [
    await outcome(() => b.put(`${p}k`, 'value', { sha1: '0'.repeat(40) })),
    await outcome(() => b.put(`${p}k`, 'value', { md5: '2063C1608D6E0BAF80249C42E2BE5804' })),
    await outcome(() => b.put(`${p}k`, 'value', { sha512: 'cd'.repeat(64) })),
  ],
  'metadata size': async (b, p) => [
    await outcome(() => b.put(`${p}k`, 'v', { customMetadata: { key: 'x'.repeat(2045) } })),
    await outcome(() => b.put(`${p}k`, 'v', { customMetadata: { key: 'x'.repeat(2046) } })),
    await outcome(() => b.put(`${p}k`, 'v', { customMetadata: { key1: '🙂'.repeat(511) } })),
    await outcome(() => b.put(`${p}k`, 'v', { customMetadata: { key12: '🙂'.repeat(511) } })),
  ],
  'cacheExpiry dates workerd cannot convert': async (b, p) => {
    const out = []
    for (const ce of [new Date(NaN), new Date(9_223_372_036_855), 9_223_372_036_854, 1e20, new Date(-9_223_372_036_855)]) {
      out.push(await outcome(() => b.put(`${p}k`, 'v', { httpMetadata: { cacheExpiry: ce } })))
      out.push(await outcome(async () => (await b.createMultipartUpload(`${p}m`, { httpMetadata: { cacheExpiry: ce } })).key))
    }
    out.push(await outcome(() => b.put(`${p}k`, 'v', { httpMetadata: { cacheExpiry: new Date(NaN) }, onlyIf: { etagMatches: '"quoted"' } })))
    return out
  },
  'multipart metadata size': async (b, p) => [
    await outcome(async () => (await b.createMultipartUpload(`${p}m`, { customMetadata: { key: 'x'.repeat(3000) } })).key),
  ],
  'metadata types': async (b, p) => [
    await outcome(() => b.put(`${p}k`, 'v', { httpMetadata: { contentType: 5 as never }, customMetadata: { a: 5 as never } })),
    await outcome(() => b.put(`${p}k`, 'v', { httpMetadata: 5 as never })),
    await outcome(() => b.put(`${p}k`, 'v', { customMetadata: 5 as never })),
    await outcome(() => b.put(`${p}k`, 'v', 5 as never)),
  ],
  'long keys': async (b, p) => {
    const long = `${p}${'x'.repeat(1025)}`
    return [
      await outcome(() => b.put(`${p}${'x'.repeat(1024 - p.length)}`, 'v')),
      await outcome(() => b.head(long)), await outcome(() => b.get(long)), await outcome(() => b.put(long, 'v')),
      await outcome(() => b.delete([`${p}ok`, long])), await outcome(() => b.createMultipartUpload(long)),
      await outcome(() => b.put(`${p}${'é'.repeat(512)}`, 'v')),
    ]
  },
  'non-string keys': async (b) => [await b.put(42 as never, 'x'), await b.head('42')],
  'delete forms': async (b, p) => { for (const k of ['a', 'b', 'c']) await b.put(p + k, 'v'); await b.delete([`${p}a`, `${p}missing`]); await b.delete(`${p}c`); return b.list({ prefix: p }) },
  'list order': async (b, p) => { for (const k of ['key3', 'key1', 'key2', ', ', '!', 'B', 'a', 'é']) await b.put(p + k, 'v'); return b.list({ prefix: p }) },
  'list limits': async (b, p) => {
    for (const k of ['a', 'b', 'c']) await b.put(p + k, 'v')
    return [
      await outcome(() => b.list({ prefix: p, limit: 0 })), await outcome(() => b.list({ prefix: p, limit: 1001 })),
      await outcome(() => b.list({ prefix: p, limit: 1.5 })), await outcome(() => b.list({ prefix: p, limit: -1 })),
      await outcome(() => b.list({ prefix: p, limit: '2' as never })),
    ]
  },
  'list paging': async (b, p) => {
    for (const k of ['b', 'd', 'f']) await b.put(p + k, 'v')
    const p1 = await b.list({ prefix: p, limit: 2 })
    await b.put(`${p}a`, 'v')
    await b.put(`${p}e`, 'v')
    return [p1, await b.list({ prefix: p, limit: 2, cursor: cursorOf(p1) })]
  },
  'list startAfter': async (b, p) => { for (const k of ['key1', 'key2', 'key3', 'key4']) await b.put(p + k, 'v'); return [await b.list({ prefix: p, startAfter: `${p}key1`, limit: 2 }), await b.list({ prefix: p, startAfter: `${p}key` })] },
  'list include': async (b, p) => {
    await b.put(`${p}k`, 'v', { customMetadata: { a: '1' }, httpMetadata: { contentType: 't/t' } })
    return [await b.list({ prefix: p }), await b.list({ prefix: p, include: ['customMetadata'] }), await b.list({ prefix: p, include: ['httpMetadata', 'customMetadata'] }), await outcome(() => b.list({ include: ['bogus' as never] }))]
  },
  'list option types': async (b) => [await outcome(() => b.list({ prefix: 4 as never })), await outcome(() => b.list(5 as never)), await outcome(() => b.list({ include: 'httpMetadata' as never }))],
  'list delimiter': async (b, p) => {
    for (const k of ['dir0/file0', 'dir0/file1', 'dir0/sub0/file2', 'dir0/sub1/x', 'file8', 'a--b--c', 'a--d', 'ax']) await b.put(p + k, 'v')
    const page = await b.list({ prefix: `${p}dir0/`, delimiter: '/', limit: 2 })
    return [
      await b.list({ prefix: p, delimiter: '/' }), await b.list({ prefix: `${p}dir0/`, delimiter: '/' }), await b.list({ prefix: `${p}dir0`, delimiter: '/' }),
      page, await b.list({ prefix: `${p}dir0/`, delimiter: '/', limit: 2, cursor: cursorOf(page) }),
      await b.list({ prefix: `${p}a`, delimiter: '--' }),
    ]
  },
  'ranges': async (b, p) => {
    await b.put(`${p}k`, 'value')
    const r = (range: object) => outcome(() => b.get(`${p}k`, { range } as never))
    return [
      await r({ offset: 1, length: 3 }), await r({ suffix: 42 }), await r({ suffix: 3 }), await r({ length: 42 }), await r({ offset: 2 }), await r({}),
      await r({ offset: 42 }), await r({ offset: 5 }), await r({ length: 0 }), await r({ suffix: 0 }), await r({ offset: -1 }), await r({ offset: 1.5 }),
      await r({ offset: NaN }), await r({ offset: Infinity }), await r({ length: -2 }), await r({ offset: 1, suffix: 1 }), await r({ length: 1, suffix: 1 }),
      await r({ suffix: -1 }), await r({ suffix: 0.5 }), await r({ offset: '1' }), await outcome(() => b.get(`${p}k`, { range: 5 as never })),
      await outcome(() => b.get(`${p}missing`, { range: { offset: 99 } })),
    ]
  },
  'body reads': async (b, p) => {
    await b.put(`${p}k`, '{"a":1}', { httpMetadata: { contentType: 'application/json' } })
    const o = (await b.get(`${p}k`))!
    const first = await o.json()
    const used = o.bodyUsed
    const again = await outcome(() => o.text())
    const blob = await (await b.get(`${p}k`))!.blob()
    const bytes = await (await b.get(`${p}k`))!.arrayBuffer()
    return [first, used, again, blob.type, await blob.text(), bytes.byteLength]
  },
  'ssec validation': async (b, p) => [
    await outcome(() => b.put(`${p}k`, 'v', { ssecKey: 'zz' })), await outcome(() => b.put(`${p}k`, 'v', { ssecKey: 'a'.repeat(62) })),
    await outcome(() => b.put(`${p}k`, 'v', { ssecKey: new Uint8Array(5) })),
  ],
  'multipart errors': async (b, p) => {
    const u = await b.createMultipartUpload(`${p}m`)
    const bad = b.resumeMultipartUpload(`${p}m`, 'bad')
    const p1 = await u.uploadPart(1, 'abc')
    return [
      await outcome(() => u.uploadPart(0, 'v')), await outcome(() => u.uploadPart(10001, 'v')), await outcome(() => u.uploadPart(NaN, 'v')),
      await outcome(() => u.uploadPart(1.5, 'v')), await outcome(() => u.uploadPart(1, 5 as never)),
      await outcome(() => bad.uploadPart(1, 'v')), await outcome(() => bad.abort()), await outcome(() => bad.complete([])),
      await outcome(() => u.complete(5 as never)), await outcome(() => u.complete([{} as never])), await outcome(() => u.complete([p1, p1])),
      await outcome(() => u.complete([{ partNumber: 7, etag: 'x' }])), await outcome(() => u.complete([p1, { ...p1, partNumber: 2 }])),
      await b.head(`${p}m`), (await b.list({ prefix: p })).objects.length,
    ]
  },
  'multipart complete': async (b, p) => {
    const u = await b.createMultipartUpload(`${p}m`, { httpMetadata: { contentType: 'a/b' }, customMetadata: { c: '1' } })
    const p1 = await u.uploadPart(1, part(5 * MiB, 1))
    const p2 = await u.uploadPart(2, 'tail')
    const tiny = await b.createMultipartUpload(`${p}t`)
    const t = [await tiny.uploadPart(1, 'a'), await tiny.uploadPart(2, 'b')]
    const obj = await u.complete([p2, p1])
    const head = await b.head(`${p}m`)
    return [
      { ...(await normalize(obj) as object), text: undefined }, { ...(await normalize(head) as object) },
      await outcome(() => u.complete([p1, p2])), await outcome(() => u.abort()),
      await outcome(() => tiny.complete(t)), await outcome(() => tiny.abort()), await outcome(() => tiny.abort()),
      await outcome(async () => (await b.get(`${p}m`, { range: { offset: 5 * MiB - 2, length: 6 } }))!.text()),
    ]
  },
  'multipart empty': async (b, p) => { const u = await b.createMultipartUpload(`${p}e`); return u.complete([]) },
  'multipart empty part': async (b, p) => { const u = await b.createMultipartUpload(`${p}e`); return u.complete([await u.uploadPart(1, '')]) },
  'multipart uneven': async (b, p) => {
    const u = await b.createMultipartUpload(`${p}u`)
    const parts = [await u.uploadPart(1, part(5 * MiB, 1)), await u.uploadPart(2, part(5 * MiB + 1, 2)), await u.uploadPart(3, 'x')]
    return outcome(() => u.complete(parts))
  },
}

describe('R2 matches Miniflare 4', () => {
  let mf: Miniflare
  let theirs: Bucket
  const ours: Bucket = new native.R2Bucket()

  beforeAll(async () => {
    mf = new Miniflare({ modules: true, script: 'export default { fetch() { return new Response(null) } }', r2Buckets: ['B'] })
    theirs = (await mf.getR2Bucket('B')) as unknown as Bucket
  })
  afterAll(async () => {
    await mf?.dispose()
  })

  let n = 0
  for (const [name, run] of Object.entries(scenarios)) {
    it(name, async () => {
      const p = `s${n++}/`
      const expected = await outcome(() => run(theirs, p))
      const actual = await outcome(() => run(ours, p))
      expect(actual).toEqual(expected)
    })
  }
})
