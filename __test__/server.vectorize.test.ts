// POST /api/vectorize/:index (spec §1.3 and its Decisions: real results, never `_stub`), against
// the binary and startServer. "EB" marks checks ported from EdgeBase's admin.test.ts
// "admin — Vectorize API (stub)", turned into real-index assertions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { post, ROOT_KEY, SERVICE_KEY, TARGETS, TEST_VARS, type Running } from './server.helpers'

const D = 1536
const CONFIG = {
  release: true,
  vectorize: { embeddings: { dimensions: D, metric: 'cosine', metadataIndexes: [{ propertyName: 'tag', indexType: 'string' }] }, small: { dimensions: 3, metric: 'euclidean' } },
  serviceKeys: { keys: [ROOT_KEY, { kid: 'reader', tier: 'scoped', scopes: ['vectorize:index:*:query'], secret: 'jb_reader_x' }] },
}

/** A 1536-d vector pointing mostly along axis `i`. */
function vec(i: number, tilt = 0): number[] {
  const v = new Array(D).fill(0)
  v[i] = 1
  v[(i + 1) % D] = tilt
  return v
}

describe.each(TARGETS)('$name: Vectorize route', (target) => {
  let s: Running
  const key = { 'X-EdgeBase-Service-Key': SERVICE_KEY }
  const vz = (index: string, body: unknown, headers: Record<string, string> = key) => post(`${s.url}/api/vectorize/${index}`, body, headers)

  beforeAll(async () => {
    s = await target.start({ config: CONFIG, vars: TEST_VARS })
  })
  afterAll(() => s.close())

  it('EB: upsert, insert, search, queryById, getByIds, delete, describe answer from the real index', async () => {
    const up = await vz('embeddings', {
      action: 'upsert',
      vectors: [
        { id: 'doc-1', values: vec(0), metadata: { title: 'Hello', tag: 'docs' } },
        { id: 'doc-2', values: vec(1), metadata: { title: 'World', tag: 'blog' } },
      ],
    })
    expect(up.body).toEqual({ ok: true, count: 2, mutationId: expect.any(String) })
    expect(up.text).not.toContain('_stub')
    const ins = await vz('embeddings', { action: 'insert', vectors: [{ id: 'doc-3', values: vec(2) }], namespace: 'ns1' })
    expect(ins.body).toEqual({ ok: true, count: 1, mutationId: expect.any(String) })

    const search = await vz('embeddings', { action: 'search', vector: vec(0, 0.1), topK: 2, returnMetadata: 'all' })
    expect(search.body.count).toBe(2)
    expect(search.body.matches.map((m: { id: string }) => m.id)).toEqual(['doc-1', 'doc-2'])
    expect(search.body.matches[0]).toEqual({ id: 'doc-1', score: expect.any(Number), metadata: { title: 'Hello', tag: 'docs' } })
    expect(search.body.matches[0].score).toBeGreaterThan(0.99)
    const withValues = await vz('embeddings', { action: 'search', vector: vec(0), topK: 1, returnValues: true })
    expect(withValues.body.matches[0].values).toHaveLength(D)
    expect(withValues.body.matches[0].values[0]).toBe(1)
    const filtered = await vz('embeddings', { action: 'search', vector: vec(0), returnMetadata: true, filter: { tag: 'blog' } })
    expect(filtered.body.matches.map((m: { id: string }) => m.id)).toEqual(['doc-2'])
    const inNs = await vz('embeddings', { action: 'search', vector: vec(0), namespace: 'ns1' })
    expect(inNs.body.matches).toEqual([{ id: 'doc-3', score: expect.any(Number), namespace: 'ns1' }])

    const byId = await vz('embeddings', { action: 'queryById', vectorId: 'doc-2', topK: 1 })
    expect(byId.body).toEqual({ matches: [{ id: 'doc-2', score: expect.any(Number) }], count: 1 })
    expect((await vz('embeddings', { action: 'queryById', vectorId: 'missing' })).body).toEqual({ matches: [], count: 0 })

    const got = await vz('embeddings', { action: 'getByIds', ids: ['doc-1', 'missing', 'doc-3'] })
    expect(got.body.vectors.map((v: { id: string }) => v.id)).toEqual(['doc-1', 'doc-3'])
    expect(got.body.vectors[0].metadata).toEqual({ title: 'Hello', tag: 'docs' })
    expect(got.body.vectors[1].namespace).toBe('ns1')
    expect(got.body.vectors[0].values).toHaveLength(D)

    const described = await vz('embeddings', { action: 'describe' })
    expect(described.body).toEqual({
      vectorCount: 3,
      dimensions: D,
      metric: 'cosine',
      processedUpToDatetime: expect.any(String),
      processedUpToMutation: ins.body.mutationId,
    })
    const del = await vz('embeddings', { action: 'delete', ids: ['doc-1', 'never'] })
    expect(del.body).toEqual({ ok: true, count: 2, mutationId: expect.any(String) })
    expect((await vz('embeddings', { action: 'getByIds', ids: ['doc-1'] })).body).toEqual({ vectors: [] })
    expect((await vz('embeddings', { action: 'describe' })).body.vectorCount).toBe(2)
  })

  it('a duplicate insert is 409; upsert replaces', async () => {
    await vz('small', { action: 'upsert', vectors: [{ id: 'a', values: [1, 2, 3] }] })
    const dup = await vz('small', { action: 'insert', vectors: [{ id: 'b', values: [0, 0, 1] }, { id: 'a', values: [0, 0, 1] }] })
    expect(dup.status).toBe(409)
    expect(dup.body).toEqual({ code: 409, message: "Insert failed — duplicate ID: vector 'a' already exists in Vectorize index 'small'." })
    expect((await vz('small', { action: 'getByIds', ids: ['b'] })).body.vectors).toEqual([])
    await vz('small', { action: 'upsert', vectors: [{ id: 'a', values: [3, 2, 1], metadata: { v: 2 } }] })
    expect((await vz('small', { action: 'getByIds', ids: ['a'] })).body.vectors).toEqual([{ id: 'a', values: [3, 2, 1], metadata: { v: 2 } }])
  })

  it('EB: EdgeBase\'s validations, in its order, as 400s', async () => {
    const cases: Array<[unknown, string]> = [
      [{ action: 'upsert', vectors: [] }, 'vectors array is required and must not be empty for upsert'],
      [{ action: 'insert' }, 'vectors array is required and must not be empty for insert'],
      [{ action: 'upsert', vectors: [{ id: 'x', values: [1, 2] }] }, `vector dimension mismatch: expected ${D}, got 2`],
      [{ action: 'insert', vectors: [{ id: 'x', values: [1] }] }, `vector dimension mismatch: expected ${D}, got 1`],
      [{ action: 'delete', ids: [] }, 'ids array is required and must not be empty for delete'],
      [{ action: 'getByIds' }, 'ids array is required and must not be empty for getByIds'],
      [{ action: 'search', vector: vec(0), topK: 0 }, 'topK must be between 1 and 100'],
      [{ action: 'search', vector: vec(0), topK: 101 }, 'topK must be between 1 and 100'],
      [{ action: 'queryById', vectorId: 'x', topK: 101 }, 'topK must be between 1 and 100'],
      [{ action: 'search' }, 'vector array is required for search'],
      [{ action: 'search', vector: [1, 2, 3] }, `vector dimension mismatch: expected ${D}, got 3`],
      [{ action: 'queryById' }, 'vectorId string is required for queryById'],
      [{ action: 'queryById', vectorId: '' }, 'vectorId string is required for queryById'],
      [{ action: 'nope' }, 'action: Invalid option: expected one of "upsert"|"insert"|"search"|"queryById"|"getByIds"|"delete"|"describe"'],
      [{}, 'action: Invalid option: expected one of "upsert"|"insert"|"search"|"queryById"|"getByIds"|"delete"|"describe"'],
      [{ action: 'upsert', vectors: [{ id: 1, values: ['a'] }] }, 'vectors[0].id: Invalid input: expected string, received number, vectors[0].values[0]: Invalid input: expected number, received string'],
      [{ action: 'search', vector: vec(0), returnMetadata: 'some' }, 'returnMetadata: Invalid input'],
      [{ action: 'search', vector: vec(0), filter: [1] }, 'filter: Invalid input: expected record, received array'],
      [{ action: 'getByIds', ids: [1] }, 'ids[0]: Invalid input: expected string, received number'],
    ]
    for (const [body, message] of cases) {
      const r = await vz('embeddings', body)
      expect(r.body, JSON.stringify(body).slice(0, 80)).toEqual({ code: 400, message })
    }
  })

  it('binding limits are 400 with the binding text (topK with values, ids, filters)', async () => {
    const withValues = await vz('embeddings', { action: 'search', vector: vec(0), topK: 60, returnValues: true })
    expect(withValues.body).toEqual({ code: 400, message: 'VECTOR_QUERY_ERROR (code = 40025): max top K is 50, but got 60' })
    const badFilter = await vz('embeddings', { action: 'search', vector: vec(0), filter: { tag: { $regex: 'x' } } })
    expect(badFilter.status).toBe(400)
    expect(badFilter.body.message).toMatch(/^VECTOR_QUERY_ERROR \(code = 40026\)/)
    const longId = await vz('embeddings', { action: 'upsert', vectors: [{ id: 'x'.repeat(65), values: vec(0) }] })
    expect(longId.status).toBe(400)
    const fraction = await vz('embeddings', { action: 'search', vector: vec(0), topK: 2.5 })
    expect(fraction.status).toBe(400)
  })

  it('EB: unknown index 404, no key 403, a read-only key cannot write', async () => {
    expect((await vz('nope', { action: 'describe' })).body).toEqual({ code: 404, message: "Vectorize index 'nope' not found in config." })
    expect((await vz('embeddings', { action: 'describe' }, {})).body).toEqual({
      code: 403,
      message: "X-EdgeBase-Service-Key is required to access Vectorize index 'embeddings'.",
    })
    const reader = { 'X-EdgeBase-Service-Key': 'jb_reader_x' }
    expect((await vz('embeddings', { action: 'describe' }, reader)).status).toBe(200)
    expect((await vz('embeddings', { action: 'search', vector: vec(0) }, reader)).status).toBe(200)
    expect((await vz('embeddings', { action: 'upsert', vectors: [{ id: 'x', values: vec(0) }] }, reader)).body).toEqual({
      code: 401,
      message: "Invalid X-EdgeBase-Service-Key for Vectorize index 'embeddings'.",
    })
  })
})
