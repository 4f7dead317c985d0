// A retrieval-augmented-generation flow as a Workers user writes it: deterministic "embeddings"
// (topic centroids plus noise, not normalized), chunks upserted in concurrent batches, one
// namespace per tenant, metadata filters ($in, $gte, $nin, booleans, a nested property) on indexed
// fields, queryById, deletes and re-upserts, then a reopen from disk and the same questions over
// the EdgeBase REST route. Every answer is checked against an independent float64 brute force.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { native, tempDir } from './helpers'

const DIMS = 96
const TENANTS = ['acme', 'globex', 'initech']
const LANGS = ['en', 'de', 'fr', 'ja']
const KINDS = ['pdf', 'html', 'md']
const KEY = 'rag-key'
const INDEXES = [
  { propertyName: 'lang', indexType: 'string' },
  { propertyName: 'year', indexType: 'number' },
  { propertyName: 'public', indexType: 'boolean' },
  { propertyName: 'source.kind', indexType: 'string' },
] as const

type Meta = { doc: string; chunk: number; lang: string; year: number; public: boolean; source: { kind: string }; text: string }
type Chunk = { id: string; namespace: string; values: Float32Array; metadata: Meta }
type Pred = (m: Meta) => boolean

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const rand = prng(42)
const centroids = Array.from({ length: 8 }, () => Float64Array.from({ length: DIMS }, () => rand() * 2 - 1))

function embed(topic: number, noise: number, r = rand): Float32Array {
  const c = centroids[topic % centroids.length]
  const scale = 0.5 + r() * 2
  return Float32Array.from(c, (x) => (x + (r() * 2 - 1) * noise) * scale)
}

function corpus(): Chunk[] {
  const out: Chunk[] = []
  for (const ns of TENANTS) {
    for (let d = 0; d < 40; d++) {
      const topic = Math.floor(rand() * 8)
      for (let c = 0; c < 10; c++) {
        out.push({
          id: `${ns}-doc${d}-c${c}`,
          namespace: ns,
          values: embed(topic, 0.6),
          metadata: {
            doc: `doc${d}`, chunk: c, lang: LANGS[(d + c) % 4], year: 2015 + ((d * 7 + c) % 11),
            public: (d + c) % 3 === 0, source: { kind: KINDS[d % 3] }, text: `chunk ${c} of document ${d} for ${ns}`,
          },
        })
      }
    }
  }
  return out
}

/** Cosine similarity in float64 of float32 inputs; a zero vector scores 0. */
function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0, na = 0, nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i]
    na += a[i] * a[i]
    nb += b[i] * b[i]
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb)
}

/** The reference answer: every live chunk scored, filtered, best first (ties by id). */
function reference(live: Map<string, Chunk>, q: Float32Array, topK: number, namespace?: string, pred: Pred = () => true) {
  return [...live.values()]
    .filter((c) => (namespace === undefined || c.namespace === namespace) && pred(c.metadata))
    .map((c) => ({ id: c.id, score: cosine(q, c.values) }))
    .sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : 1))
    .slice(0, topK)
}

type Matches = { matches: Array<{ id: string; score: number; metadata?: unknown; namespace?: string }> }

function expectSame(got: Matches, want: Array<{ id: string; score: number }>) {
  expect(got.matches.map((m) => m.id)).toEqual(want.map((w) => w.id))
  got.matches.forEach((m, i) => expect(Math.abs(m.score - want[i].score)).toBeLessThan(1e-5))
}

// The questions: a filter as Vectorize takes it and the same predicate in JS.
const QUESTIONS: Array<{ name: string; namespace?: string; filter?: object; pred?: Pred; topK: number }> = [
  { name: 'tenant only', namespace: 'acme', topK: 10 },
  { name: 'all tenants', topK: 20 },
  { name: '$in and $gte', namespace: 'globex', filter: { lang: { $in: ['en', 'de'] }, year: { $gte: 2020 } }, pred: (m) => ['en', 'de'].includes(m.lang) && m.year >= 2020, topK: 8 },
  { name: 'boolean and nested kind', namespace: 'initech', filter: { public: true, 'source.kind': 'pdf' }, pred: (m) => m.public && m.source.kind === 'pdf', topK: 5 },
  { name: '$nin and $lt', filter: { lang: { $nin: ['ja', 'fr'] }, year: { $lt: 2018 } }, pred: (m) => !['ja', 'fr'].includes(m.lang) && m.year < 2018, topK: 15 },
  { name: 'range on both sides', namespace: 'acme', filter: { year: { $gt: 2016, $lte: 2019 } }, pred: (m) => m.year > 2016 && m.year <= 2019, topK: 50 },
  { name: '$ne on a string', namespace: 'acme', filter: { lang: { $ne: 'en' } }, pred: (m) => m.lang !== 'en', topK: 7 },
  { name: 'nothing matches', namespace: 'acme', filter: { lang: 'xx' }, pred: () => false, topK: 5 },
]

describe('RAG over Vectorize: ingest, filter, update, reopen, REST', () => {
  const chunks = corpus()
  const live = new Map(chunks.map((c) => [c.id, c]))
  const queries = Array.from({ length: 6 }, (_, i) => embed(i, 0.9, prng(1000 + i)))
  let dir: string
  let idx: InstanceType<typeof native.VectorizeIndex>

  async function askAll(ix: typeof idx) {
    const out: unknown[] = []
    for (const q of queries) {
      for (const Q of QUESTIONS) {
        out.push(await ix.query(q, { topK: Q.topK, namespace: Q.namespace, filter: Q.filter as never, returnMetadata: 'all' }))
      }
    }
    return out
  }

  beforeAll(() => {
    // tempDir() is per test; this directory lives for the whole block.
    dir = mkdtempSync(join(tmpdir(), 'edgebase-rag-'))
    idx = new native.VectorizeIndex({ persist: dir, name: 'docs', dimensions: DIMS, metric: 'cosine', metadataIndexes: INDEXES as never })
  })
  afterAll(async () => {
    await idx.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('ingests 1200 chunks in concurrent batches of 250 (one stream per tenant)', async () => {
    await Promise.all(TENANTS.map(async (ns) => {
      const mine = chunks.filter((c) => c.namespace === ns)
      for (let i = 0; i < mine.length; i += 250) {
        const { mutationId } = await idx.upsert(mine.slice(i, i + 250))
        expect(mutationId).toMatch(/^[0-9a-f-]{36}$/)
      }
    }))
    expect((await idx.describe()).vectorCount).toBe(1200)
  })

  it('every question answers exactly like the float64 reference, metadata and namespace included', async () => {
    for (const q of queries) {
      for (const Q of QUESTIONS) {
        const got = await idx.query(q, { topK: Q.topK, namespace: Q.namespace, filter: Q.filter as never, returnMetadata: 'all' })
        expectSame(got, reference(live, q, Q.topK, Q.namespace, Q.pred))
        for (const m of got.matches) {
          expect(m.namespace).toBe(live.get(m.id)!.namespace)
          expect(m.metadata).toEqual(live.get(m.id)!.metadata)
        }
      }
    }
  })

  it('"indexed" metadata returns only the indexed properties, nested as stored', async () => {
    const { matches } = await idx.query(queries[0], { topK: 1, namespace: 'acme', returnMetadata: 'indexed' })
    const m = live.get(matches[0].id)!.metadata
    expect(matches[0].metadata).toEqual({ lang: m.lang, year: m.year, public: m.public, source: { kind: m.source.kind } })
  })

  it('queryById finds the chunk itself first and its neighbours like a query with its values', async () => {
    const c = chunks[123]
    const byId = await idx.queryById(c.id, { topK: 6, namespace: c.namespace })
    expect(byId.matches[0].id).toBe(c.id)
    expect(byId.matches[0].score).toBeCloseTo(1, 6)
    expectSame(byId, reference(live, c.values, 6, c.namespace))
    expect(await idx.queryById('no-such-chunk')).toEqual({ matches: [], count: 0 })
  })

  it('deleting a document and re-upserting a chunk with new metadata changes every answer', async () => {
    const gone = chunks.filter((c) => c.namespace === 'globex' && c.metadata.doc === 'doc3').map((c) => c.id)
    await idx.deleteByIds(gone)
    for (const id of gone) live.delete(id)
    expect(await idx.getByIds(gone)).toEqual([])
    const moved = { ...live.get('globex-doc5-c1')!, metadata: { ...live.get('globex-doc5-c1')!.metadata, lang: 'en', year: 2025 } }
    await idx.upsert([moved])
    live.set(moved.id, moved)
    expect((await idx.describe()).vectorCount).toBe(1200 - gone.length)
    for (const q of queries) {
      for (const Q of QUESTIONS) {
        expectSame(await idx.query(q, { topK: Q.topK, namespace: Q.namespace, filter: Q.filter as never }), reference(live, q, Q.topK, Q.namespace, Q.pred))
      }
    }
    const [back] = await idx.getByIds([moved.id])
    expect(back).toEqual({ id: moved.id, namespace: 'globex', values: Array.from(moved.values), metadata: moved.metadata })
  })

  it('a reopened index (settings read from the file) gives the same answers', async () => {
    const before = await askAll(idx)
    await idx.close()
    idx = new native.VectorizeIndex({ persist: dir, name: 'docs' })
    expect((await idx.describe()).dimensions).toBe(DIMS)
    expect(await idx.listMetadataIndexes()).toEqual({ metadataIndexes: expect.arrayContaining(INDEXES.map((i) => ({ ...i }))) })
    expect(await askAll(idx)).toEqual(before)
  })

  it('the same questions over POST /api/vectorize/:index (startServer with the instance in env)', async () => {
    const server = await native.startServer({ port: 0, env: { EMBEDDINGS: idx, SERVICE_KEY: KEY } })
    try {
      const call = async (body: object) => {
        const res = await fetch(`${server.url}/api/vectorize/EMBEDDINGS`, {
          method: 'POST', headers: { 'content-type': 'application/json', 'x-edgebase-service-key': KEY }, body: JSON.stringify(body),
        })
        return { status: res.status, body: await res.json() }
      }
      for (const Q of QUESTIONS) {
        const r = await call({ action: 'search', vector: Array.from(queries[2]), topK: Q.topK, namespace: Q.namespace, filter: Q.filter, returnMetadata: 'all' })
        expect(r.status).toBe(200)
        expect(r.body.count).toBe(r.body.matches.length)
        expectSame(r.body, reference(live, queries[2], Q.topK, Q.namespace, Q.pred))
        const viaBinding = await idx.query(queries[2], { topK: Q.topK, namespace: Q.namespace, filter: Q.filter as never, returnMetadata: 'all' })
        expect(r.body.matches).toEqual(viaBinding.matches.map((m) => expect.objectContaining({ id: m.id, metadata: m.metadata })))
      }
      // Writes over REST are seen by the binding at once, and the reverse.
      const v = embed(3, 0.1, prng(7))
      expect((await call({ action: 'upsert', namespace: 'acme', vectors: [{ id: 'rest-1', values: Array.from(v), metadata: { lang: 'de', year: 2030 } }] })).status).toBe(200)
      const found = await idx.query(v, { topK: 1, namespace: 'acme', filter: { year: { $gte: 2030 } } })
      expect(found.matches.map((m) => m.id)).toEqual(['rest-1'])
      const byId = await call({ action: 'queryById', vectorId: 'rest-1', topK: 1, namespace: 'acme' })
      expect(byId.body.matches[0].id).toBe('rest-1')
      expect((await call({ action: 'delete', ids: ['rest-1'] })).body.ok).toBe(true)
      expect(await idx.getByIds(['rest-1'])).toEqual([])
      const d = await call({ action: 'describe' })
      expect(d.body).toMatchObject({ vectorCount: live.size, dimensions: DIMS, metric: 'cosine' })
    } finally {
      await server.close()
    }
  })
})

it('metadata indexes created after the vectors do not see them until they are re-upserted (as Vectorize V2)', async () => {
  const ix = new native.VectorizeIndex({ persist: tempDir(), name: 'late', dimensions: 4 })
  await ix.upsert([{ id: 'a', values: [1, 0, 0, 0], metadata: { lang: 'en' } }])
  await ix.createMetadataIndex('lang', { type: 'string' })
  expect((await ix.query([1, 0, 0, 0], { filter: { lang: 'en' } })).matches).toEqual([])
  await ix.upsert([{ id: 'a', values: [1, 0, 0, 0], metadata: { lang: 'en' } }])
  expect((await ix.query([1, 0, 0, 0], { filter: { lang: 'en' } })).matches.map((m) => m.id)).toEqual(['a'])
  await ix.close()
})

it('text chunks cut through an emoji (lone surrogates) are stored and filtered, as JSON.parse reads them', async () => {
  // `text.slice(0, n)` on "…🙂…" leaves half a surrogate pair; JSON.stringify escapes it as \ud83d.
  const chunk = 'see 🙂 here'.slice(0, 5)
  const ix = new native.VectorizeIndex({ dimensions: 2, metadataIndexes: [{ propertyName: 'text', indexType: 'string' }] })
  await ix.upsert([{ id: 'a', values: [1, 0], metadata: { text: chunk, title: `${chunk}!` } }])
  const [got] = await ix.getByIds(['a'])
  expect(got.metadata).toEqual({ text: chunk, title: `${chunk}!` })
  expect((await ix.query([1, 0], { filter: { text: chunk } })).matches.map((m) => m.id)).toEqual(['a'])
  const server = await native.startServer({ port: 0, env: { V: ix, SERVICE_KEY: 'k' } })
  try {
    const res = await fetch(`${server.url}/api/vectorize/V`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-edgebase-service-key': 'k' },
      body: JSON.stringify({ action: 'search', vector: [1, 0], filter: { text: chunk } }),
    })
    expect(res.status).toBe(200)
    expect((await res.json()).matches.map((m: { id: string }) => m.id)).toEqual(['a'])
  } finally {
    await server.close()
  }
  await ix.close()
})
