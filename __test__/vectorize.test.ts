// Vectorize (V2) behaviour, following spec §3.4 (numbered cases), plus the INFERRED choices
// documented in docs/vectorize.md and the metadata-index admin API.
import { describe, expect, it } from 'vitest'
import { native, rejects, tempDir } from './helpers'

const { VectorizeIndex, Vectorize, limits } = native
const L = limits().vectorize

type Opts = ConstructorParameters<typeof VectorizeIndex>[0]
const make = (o: Opts = {}) => new VectorizeIndex({ dimensions: 3, metric: 'cosine', ...o })
/** Asserts a synchronous TypeError with exactly this message. */
function throws(fn: () => unknown, message: string) {
  let err: unknown
  try {
    fn()
  } catch (e) {
    err = e
  }
  expect(err).toBeInstanceOf(TypeError)
  expect((err as Error).message).toBe(message)
}
const RM_TEXT = 'Invalid returnMetadata option. Expected: true, false, "none", "indexed" or "all"; got: '

async function seeded(o: Opts = {}) {
  const ix = make(o)
  await ix.upsert([
    { id: 'a', values: [1, 0, 0], metadata: { genre: 'scifi', n: 1 } },
    { id: 'b', values: [0, 1, 0], metadata: { genre: 'drama', n: 2 } },
    { id: 'c', values: [0.9, 0.1, 0], namespace: 'ns1', metadata: { genre: 'scifi', n: 3 } },
  ])
  return ix
}

describe('exports', () => {
  it('Vectorize and VectorizeIndex are the same V2 class', () => {
    expect(Vectorize).toBe(VectorizeIndex)
    expect(typeof make().queryById).toBe('function')
  })
})

describe('returnMetadata (client-side check)', () => {
  it('1: an unknown level rejects with workerd\'s exact text, before any I/O', async () => {
    const ix = make()
    await rejects(ix.query([1, 0, 0], { returnMetadata: 'some' as never }), Error, RM_TEXT + 'some')
    await rejects(ix.queryById('a', { returnMetadata: 'ALL' as never }), Error, RM_TEXT + 'ALL')
    // Checked before the vector: a wrong-length vector still gets the returnMetadata error.
    await rejects(ix.query([1], { returnMetadata: 1 as never }), Error, RM_TEXT + '1')
    await rejects(ix.query([1, 0, 0], { returnMetadata: {} as never }), Error, RM_TEXT + '[object Object]')
  })

  it('2: true is rewritten in place to "all"; false is falsy, so (as in workerd) it stays false', async () => {
    const ix = await seeded()
    const o: { returnMetadata: boolean | string } = { returnMetadata: true }
    const r = await ix.query([1, 0, 0], o as never)
    expect(o.returnMetadata).toBe('all')
    expect(r.matches[0].metadata).toEqual({ genre: 'scifi', n: 1 })
    const f: { returnMetadata: boolean | string } = { returnMetadata: false }
    const r2 = await ix.query([1, 0, 0], f as never)
    expect(f.returnMetadata).toBe(false)
    expect('metadata' in r2.matches[0]).toBe(false)
  })

  it('3: falsy values skip validation and mean "none"', async () => {
    const ix = await seeded()
    for (const v of [0, '', null, undefined]) {
      const r = await ix.query([1, 0, 0], { returnMetadata: v as never })
      expect('metadata' in r.matches[0]).toBe(false)
    }
  })
})

describe('mutations', () => {
  it('4, 5: insert, upsert and deleteByIds resolve to exactly { mutationId } with fresh ids', async () => {
    const ix = make()
    const a = await ix.insert([{ id: 'a', values: [1, 2, 3] }])
    const b = await ix.insert([{ id: 'b', values: [1, 2, 3] }])
    const c = await ix.upsert([{ id: 'a', values: [3, 2, 1] }])
    const d = await ix.deleteByIds(['b'])
    for (const m of [a, b, c, d]) {
      expect(Object.keys(m)).toEqual(['mutationId'])
      expect(m.mutationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    }
    expect(new Set([a, b, c, d].map((m) => m.mutationId)).size).toBe(4)
  })

  it('6: insert of an existing id keeps the first vector, without error', async () => {
    const ix = make()
    await ix.insert([{ id: 'a', values: [1, 2, 3], metadata: { v: 1 } }])
    await ix.insert([{ id: 'a', values: [9, 9, 9], metadata: { v: 2 } }])
    expect(await ix.getByIds(['a'])).toEqual([{ id: 'a', values: [1, 2, 3], metadata: { v: 1 } }])
  })

  it('7, 8: upsert replaces values, namespace and metadata completely (no merge)', async () => {
    const ix = make()
    await ix.upsert([{ id: 'a', values: [1, 2, 3], namespace: 'n', metadata: { old: 1, keep: 2 } }])
    await ix.upsert([{ id: 'a', values: [3, 2, 1], metadata: { fresh: true } }])
    expect(await ix.getByIds(['a'])).toEqual([{ id: 'a', values: [3, 2, 1], metadata: { fresh: true } }])
    await ix.upsert([{ id: 'a', values: [3, 2, 1] }])
    expect(await ix.getByIds(['a'])).toEqual([{ id: 'a', values: [3, 2, 1], metadata: {} }])
  })

  it('duplicate ids in one batch (INFERRED): insert keeps the first, upsert the last', async () => {
    const ix = make()
    await ix.insert([{ id: 'd', values: [1, 0, 0] }, { id: 'd', values: [0, 1, 0] }])
    expect((await ix.getByIds(['d']))[0].values).toEqual([1, 0, 0])
    await ix.upsert([{ id: 'd', values: [1, 0, 0] }, { id: 'd', values: [0, 0, 1] }])
    expect((await ix.getByIds(['d']))[0].values).toEqual([0, 0, 1])
  })

  it('9: a vector of the wrong length is a VECTOR_INSERT_ERROR naming the id', async () => {
    const ix = make()
    const e = await rejects(
      ix.insert([{ id: 'ok', values: [1, 2, 3] }, { id: 'short', values: [1, 2] }]),
      Error,
      'VECTOR_INSERT_ERROR (code = 40012): invalid vector for id="short", expected 3 dimensions, and got 2 dimensions',
    )
    expect(e.code).toBe('EB_VECTORIZE_DIMENSIONS')
    await rejects(ix.upsert([{ id: 'x', values: [1, 2, 3, 4] }]), Error, 'VECTOR_UPSERT_ERROR (code = 40012): invalid vector for id="x", expected 3 dimensions, and got 4 dimensions')
    // The whole batch is rejected: nothing was written.
    expect(await ix.getByIds(['ok'])).toEqual([])
    expect((await ix.describe()).vectorCount).toBe(0)
  })

  it('10: a query vector of the wrong length is a VECTOR_QUERY_ERROR', async () => {
    const ix = make()
    await rejects(ix.query([1, 2]), Error, 'VECTOR_QUERY_ERROR (code = 40012): expected 3 dimensions, got 2')
    await rejects(ix.query(new Float32Array(1536)), Error, 'VECTOR_QUERY_ERROR (code = 40012): expected 3 dimensions, got 1536')
  })

  it('11: Float32Array and Float64Array behave like number[] for insert and query', async () => {
    const a = make()
    const b = make()
    const c = make()
    const rows = [[0.1, 0.2, 0.3], [58.8, -1, 2.5], [-0.7, 0.7, 0]]
    await a.insert(rows.map((v, i) => ({ id: `v${i}`, values: v })))
    await b.insert(rows.map((v, i) => ({ id: `v${i}`, values: new Float32Array(v) })))
    await c.insert(rows.map((v, i) => ({ id: `v${i}`, values: new Float64Array(v) })))
    const q = [0.3, 0.2, 0.1]
    const ra = await a.query(q, { topK: 3, returnValues: true })
    expect(await b.query(new Float32Array(q), { topK: 3, returnValues: true })).toEqual(ra)
    expect(await c.query(new Float64Array(q), { topK: 3, returnValues: true })).toEqual(ra)
  })

  it('12: values are stored as float32 and come back float32-rounded', async () => {
    const ix = make()
    await ix.insert([{ id: 'a', values: [58.8, 6.7, 3.4] }])
    expect((await ix.getByIds(['a']))[0].values).toEqual([58.79999923706055, 6.699999809265137, 3.4000000953674316])
  })

  it('13: ids of 65 bytes are rejected, 64 accepted (UTF-8 bytes)', async () => {
    const ix = make()
    await rejects(ix.insert([{ id: 'x'.repeat(65), values: [1, 2, 3] }]), Error, 'VECTOR_INSERT_ERROR (code = 40004): id too long; max is 64 bytes, got 65 bytes')
    await rejects(ix.upsert([{ id: 'é'.repeat(33), values: [1, 2, 3] }]), Error, 'VECTOR_UPSERT_ERROR (code = 40004): id too long; max is 64 bytes, got 66 bytes')
    await ix.insert([{ id: 'x'.repeat(64), values: [1, 2, 3] }])
    expect((await ix.getByIds(['x'.repeat(64)])).length).toBe(1)
    await rejects(ix.insert([{ id: '', values: [1, 2, 3] }]), Error, 'VECTOR_INSERT_ERROR (code = 40004): invalid vector id, ids must be non-empty strings')
    await rejects(ix.insert([{ id: 5 as never, values: [1, 2, 3] }]), Error, 'VECTOR_INSERT_ERROR (code = 40004): invalid vector id, ids must be non-empty strings')
    await rejects(ix.getByIds(['y'.repeat(65)]), Error, 'VECTOR_GET_ERROR (code = 40004): id too long; max is 64 bytes, got 65 bytes')
    await rejects(ix.deleteByIds(['y'.repeat(65)]), Error, 'VECTOR_DELETE_ERROR (code = 40004): id too long; max is 64 bytes, got 65 bytes')
  })

  it('14: namespaces of 65 bytes are rejected, 64 accepted', async () => {
    const ix = make()
    await rejects(ix.insert([{ id: 'a', values: [1, 2, 3], namespace: 'n'.repeat(65) }]), Error, 'VECTOR_INSERT_ERROR (code = 40005): namespace too long; max is 64 bytes, got 65 bytes')
    await rejects(ix.query([1, 2, 3], { namespace: 'n'.repeat(65) }), Error, 'VECTOR_QUERY_ERROR (code = 40005): namespace too long; max is 64 bytes, got 65 bytes')
    await ix.insert([{ id: 'a', values: [1, 2, 3], namespace: 'n'.repeat(64) }])
    expect((await ix.query([1, 2, 3], { namespace: 'n'.repeat(64) })).count).toBe(1)
  })

  it('15: metadata over 10 KiB of JSON is rejected; exactly 10 KiB is accepted; non-objects are rejected', async () => {
    const ix = make()
    const pad = (n: number) => ({ k: 'x'.repeat(n - 8) }) // {"k":"…"} is n bytes
    expect(JSON.stringify(pad(L.maxMetadataBytes)).length).toBe(L.maxMetadataBytes)
    await ix.insert([{ id: 'ok', values: [1, 2, 3], metadata: pad(L.maxMetadataBytes) }])
    await rejects(ix.insert([{ id: 'big', values: [1, 2, 3], metadata: pad(L.maxMetadataBytes + 1) }]), Error, 'VECTOR_INSERT_ERROR (code = 40006): metadata too large for id="big"; max is 10240 bytes, got 10241 bytes')
    await rejects(ix.insert([{ id: 'arr', values: [1, 2, 3], metadata: [1] as never }]), Error, 'VECTOR_INSERT_ERROR (code = 40006): invalid metadata for id="arr", metadata must be an object')
  })

  it('16: 1001 vectors in one call are rejected, 1000 accepted; an empty batch is rejected', async () => {
    const ix = make()
    const batch = (n: number, p: string) => Array.from({ length: n }, (_, i) => ({ id: `${p}${i}`, values: [i, 1, 2] }))
    await rejects(ix.insert(batch(1001, 'x')), Error, 'VECTOR_INSERT_ERROR (code = 40007): too many vectors; max is 1000 per request, got 1001')
    await ix.insert(batch(1000, 'y'))
    expect((await ix.describe()).vectorCount).toBe(1000)
    await rejects(ix.upsert([]), Error, 'VECTOR_UPSERT_ERROR (code = 40007): no vectors provided; at least 1 vector is required')
  })

  it('non-finite or non-numeric values are rejected (INFERRED text)', async () => {
    const ix = make()
    for (const values of [[1, NaN, 2], [1, Infinity, 2], [1, '2', 3], [1, null, 3], new Float64Array([1e39, 0, 0])]) {
      await rejects(ix.insert([{ id: 'bad', values: values as never }]), Error, 'VECTOR_INSERT_ERROR (code = 40008): invalid vector for id="bad", values must be finite 32-bit floating point numbers')
    }
    await rejects(ix.query([1, NaN, 0]), Error, 'VECTOR_QUERY_ERROR (code = 40008): invalid query vector, values must be finite 32-bit floating point numbers')
    await rejects(ix.insert([{ id: 'novalues' } as never]), Error, 'VECTOR_INSERT_ERROR (code = 40012): invalid vector for id="novalues", expected 3 dimensions, and got 0 dimensions')
  })

  it('non-array arguments reject with a TypeError', async () => {
    const ix = make()
    await rejects(ix.insert({} as never), TypeError, 'vectors must be an array of { id, values, namespace?, metadata? }')
    await rejects(ix.getByIds('a' as never), TypeError, 'ids must be an array of strings')
    await rejects(ix.deleteByIds(null as never), TypeError, 'ids must be an array of strings')
  })
})

describe('query', () => {
  it('17: defaults: at most 5 matches with only id and score', async () => {
    const ix = make()
    await ix.insert(Array.from({ length: 8 }, (_, i) => ({ id: `v${i}`, values: [1, i, 0], metadata: { i } })))
    const r = await ix.query([1, 1, 0])
    expect(r.count).toBe(5)
    for (const m of r.matches) expect(Object.keys(m)).toEqual(['id', 'score'])
  })

  it('18: topK 100 is accepted, 101 rejected; 0, negatives and fractions too', async () => {
    const ix = await seeded()
    expect((await ix.query([1, 0, 0], { topK: 100 })).count).toBe(3)
    const e = await rejects(ix.query([1, 0, 0], { topK: 101 }), Error, 'VECTOR_QUERY_ERROR (code = 40025): max top K is 100, but got 101')
    expect(e.code).toBe('EB_VECTORIZE_TOP_K')
    await rejects(ix.query([1, 0, 0], { topK: 0 }), Error, 'VECTOR_QUERY_ERROR (code = 40025): top K must be a positive integer, but got 0')
    await rejects(ix.query([1, 0, 0], { topK: -3 }), Error, 'VECTOR_QUERY_ERROR (code = 40025): top K must be a positive integer, but got -3')
    await rejects(ix.query([1, 0, 0], { topK: 2.5 }), Error, 'VECTOR_QUERY_ERROR (code = 40025): top K must be a positive integer, but got 2.5')
    await rejects(ix.query([1, 0, 0], { topK: '5' as never }), Error, 'VECTOR_QUERY_ERROR (code = 40025): top K must be a positive integer, but got NaN')
  })

  it('19, 20: topK above 50 with returnMetadata "all" or returnValues is the observed 40025 error', async () => {
    const ix = await seeded()
    await rejects(ix.query([1, 0, 0], { topK: 51, returnMetadata: 'all' }), Error, 'VECTOR_QUERY_ERROR (code = 40025): max top K is 50, but got 51')
    await rejects(ix.query([1, 0, 0], { topK: 60, returnMetadata: true }), Error, 'VECTOR_QUERY_ERROR (code = 40025): max top K is 50, but got 60')
    await rejects(ix.query([1, 0, 0], { topK: 51, returnValues: true }), Error, 'VECTOR_QUERY_ERROR (code = 40025): max top K is 50, but got 51')
    expect((await ix.query([1, 0, 0], { topK: 50, returnMetadata: 'all', returnValues: true })).count).toBe(3)
  })

  it('21: topK 100 with returnMetadata "indexed" is accepted (INFERRED)', async () => {
    const ix = await seeded()
    expect((await ix.query([1, 0, 0], { topK: 100, returnMetadata: 'indexed' })).count).toBe(3)
  })

  it('22: count equals matches.length, fewer than topK when the index is small', async () => {
    const ix = await seeded()
    const r = await ix.query([1, 0, 0], { topK: 10 })
    expect(r.count).toBe(3)
    expect(r.matches.length).toBe(3)
    expect((await make().query([1, 0, 0])).count).toBe(0)
  })

  it('23, 24: cosine: identical ≈ 1, orthogonal ≈ 0, opposite ≈ -1, scores non-increasing', async () => {
    const ix = make()
    await ix.insert([
      { id: 'same', values: [1, 2, 3] },
      { id: 'orth', values: [-2, 1, 0] },
      { id: 'opp', values: [-1, -2, -3] },
      { id: 'near', values: [1, 2, 2.5] },
    ])
    const r = await ix.query([1, 2, 3], { topK: 4 })
    expect(r.matches.map((m) => m.id)).toEqual(['same', 'near', 'orth', 'opp'])
    expect(r.matches[0].score).toBeCloseTo(1, 6)
    expect(r.matches[2].score).toBeCloseTo(0, 6)
    expect(r.matches[3].score).toBeCloseTo(-1, 6)
    for (let i = 1; i < r.matches.length; i++) expect(r.matches[i].score).toBeLessThanOrEqual(r.matches[i - 1].score)
  })

  it('25: euclidean: exact match scores 0, L2 (not squared) distance, non-decreasing', async () => {
    const ix = make({ dimensions: 2, metric: 'euclidean' })
    await ix.insert([{ id: 'far', values: [3, 4] }, { id: 'zero', values: [0, 0] }, { id: 'mid', values: [1, 1] }])
    const r = await ix.query([0, 0], { topK: 3 })
    expect(r.matches.map((m) => [m.id, m.score])).toEqual([['zero', 0], ['mid', Math.fround(Math.SQRT2)], ['far', 5]].map(([id, s]) => [id, expect.closeTo(s as number, 6)]))
  })

  it('26: dot-product: score is the negated dot product, ascending (docs convention)', async () => {
    const ix = make({ dimensions: 2, metric: 'dot-product' })
    await ix.insert([{ id: 'small', values: [1, 0] }, { id: 'big', values: [10, 0] }, { id: 'neg', values: [-5, 0] }])
    const r = await ix.query([100, 0], { topK: 3 })
    expect(r.matches.map((m) => [m.id, m.score])).toEqual([['big', -1000], ['small', -100], ['neg', 500]])
  })

  it('27: scores are always exact: returnValues does not change them', async () => {
    const ix = await seeded()
    const a = await ix.query([0.3, 0.5, 0.1], { topK: 3 })
    const b = await ix.query([0.3, 0.5, 0.1], { topK: 3, returnValues: true })
    expect(b.matches.map((m) => m.score)).toEqual(a.matches.map((m) => m.score))
  })

  it('28: returnValues adds values as plain number arrays', async () => {
    const ix = await seeded()
    const r = await ix.query([1, 0, 0], { topK: 1, returnValues: true })
    expect(Array.isArray(r.matches[0].values)).toBe(true)
    expect(r.matches[0].values).toEqual([1, 0, 0])
  })

  it('29, 30: "all" returns full metadata; "indexed" only indexed properties, strings cut to 64 bytes', async () => {
    const ix = make({ metadataIndexes: [{ propertyName: 'title', indexType: 'string' }, { propertyName: 'a.b', indexType: 'number' }] })
    const title = 'é'.repeat(40) // 80 bytes; 64 bytes = 32 'é'
    const metadata = { title, body: 'not indexed', a: { b: 7, c: 1 }, tags: ['x', 'y'] }
    await ix.insert([{ id: 'doc', values: [1, 0, 0], metadata }])
    const all = await ix.query([1, 0, 0], { returnMetadata: 'all' })
    expect(all.matches[0].metadata).toEqual(metadata)
    const indexed = await ix.query([1, 0, 0], { returnMetadata: 'indexed' })
    expect(indexed.matches[0].metadata).toEqual({ title: 'é'.repeat(32), a: { b: 7 } })
    const none = await ix.query([1, 0, 0], { returnMetadata: 'none' })
    expect('metadata' in none.matches[0]).toBe(false)
  })
})

describe('filters', () => {
  async function catalog() {
    const ix = make({
      dimensions: 2,
      metric: 'euclidean',
      metadataIndexes: [
        { propertyName: 'genre', indexType: 'string' },
        { propertyName: 'ts', indexType: 'number' },
        { propertyName: 'ok', indexType: 'boolean' },
        { propertyName: 'pandas.nice', indexType: 'number' },
        { propertyName: 'name', indexType: 'string' },
      ],
    })
    await ix.insert([
      { id: 'a', values: [1, 0], metadata: { genre: 'scifi', ts: 10, ok: true, pandas: { nice: 42 }, name: 'netflix' } },
      { id: 'b', values: [2, 0], metadata: { genre: 'drama', ts: 15, ok: false, name: 'neutral' } },
      { id: 'c', values: [3, 0], metadata: { genre: 'scifi', ts: 20, ok: true, name: 'net' } },
      { id: 'd', values: [4, 0], metadata: { genre: 'comedy', ts: '20' } },
      { id: 'e', values: [5, 0], namespace: 'ns1', metadata: { genre: 'scifi', ts: 25 } },
    ])
    return ix
  }
  const ids = async (ix: InstanceType<typeof VectorizeIndex>, filter: object, extra: object = {}) =>
    (await ix.query([0, 0], { topK: 100, filter: filter as never, ...extra })).matches.map((m) => m.id).sort()

  it('31: implicit $eq equals explicit $eq', async () => {
    const ix = await catalog()
    expect(await ids(ix, { genre: 'scifi' })).toEqual(['a', 'c', 'e'])
    expect(await ids(ix, { genre: { $eq: 'scifi' } })).toEqual(['a', 'c', 'e'])
    expect(await ids(ix, { ok: true })).toEqual(['a', 'c'])
    expect(await ids(ix, { ts: 15 })).toEqual(['b'])
  })

  it('32: $in and $nin (among vectors having the indexed property — INFERRED); $ne likewise', async () => {
    const ix = await catalog()
    expect(await ids(ix, { genre: { $in: ['drama', 'comedy'] } })).toEqual(['b', 'd'])
    expect(await ids(ix, { genre: { $nin: ['drama', 'comedy'] } })).toEqual(['a', 'c', 'e'])
    expect(await ids(ix, { genre: { $ne: 'scifi' } })).toEqual(['b', 'd'])
    // "d" has ts as a string: not in the number index, so not in $ne/$nin either.
    expect(await ids(ix, { ts: { $ne: 10 } })).toEqual(['b', 'c', 'e'])
    expect(await ids(ix, { ts: { $in: [] } })).toEqual([])
  })

  it('33: number ranges; two lower bounds are rejected', async () => {
    const ix = await catalog()
    expect(await ids(ix, { ts: { $gte: 10, $lt: 20 } })).toEqual(['a', 'b'])
    expect(await ids(ix, { ts: { $gt: 10 } })).toEqual(['b', 'c', 'e'])
    expect(await ids(ix, { ts: { $lte: 15 } })).toEqual(['a', 'b'])
    await rejects(
      ix.query([0, 0], { filter: { ts: { $gt: 1, $gte: 2 } } }),
      Error,
      'VECTOR_QUERY_ERROR (code = 40026): invalid filter: invalid operator combination for key "ts": only one lower bound ($gt, $gte) and one upper bound ($lt, $lte) may be combined',
    )
    await rejects(ix.query([0, 0], { filter: { ts: { $eq: 1, $lt: 2 } } }), Error, /invalid operator combination for key "ts"/)
  })

  it('34: string ranges compare lexicographically (prefix search)', async () => {
    const ix = await catalog()
    expect(await ids(ix, { name: { $gte: 'net', $lt: 'neu' } })).toEqual(['a', 'c'])
  })

  it('35: dotted keys reach nested properties', async () => {
    const ix = await catalog()
    expect(await ids(ix, { 'pandas.nice': 42 })).toEqual(['a'])
  })

  it('36: several keys are ANDed', async () => {
    const ix = await catalog()
    expect(await ids(ix, { genre: 'scifi', ok: true })).toEqual(['a', 'c'])
    expect(await ids(ix, { genre: 'scifi', ts: { $gt: 15 } })).toEqual(['c', 'e'])
    expect(await ids(ix, { genre: 'drama', ok: true })).toEqual([])
  })

  it('37: filter validation: empty, too large, $-keys, bad operators and operands', async () => {
    const ix = await catalog()
    const P = 'VECTOR_QUERY_ERROR (code = 40026): invalid filter: '
    await rejects(ix.query([0, 0], { filter: {} }), Error, P + 'filter must be a non-empty object')
    await rejects(ix.query([0, 0], { filter: 'genre' as never }), Error, P + 'filter must be a non-empty object')
    const big = { genre: 'x'.repeat(2048 - 12) } // {"genre":"…"} is 2048 bytes
    expect(JSON.stringify(big).length).toBe(2048)
    await rejects(ix.query([0, 0], { filter: big }), Error, P + 'filter must be less than 2048 bytes of compact JSON, got 2048')
    await ix.query([0, 0], { filter: { genre: 'x'.repeat(2047 - 12) } })
    await rejects(ix.query([0, 0], { filter: { $or: [{ a: 1 }] } as never }), Error, P + 'invalid key "$or": keys cannot start with "$"')
    await rejects(ix.query([0, 0], { filter: { '': 1 } }), Error, P + 'invalid key "": keys cannot be empty')
    await rejects(ix.query([0, 0], { filter: { 'a"b': 1 } }), Error, P + 'invalid key "a"b": keys cannot contain \'"\'')
    await rejects(ix.query([0, 0], { filter: { ['k'.repeat(513)]: 1 } }), Error, new RegExp('keys cannot be longer than 512 characters$'))
    await rejects(ix.query([0, 0], { filter: { 'a.': 1 } }), Error, /empty property name around "\."/)
    await rejects(ix.query([0, 0], { filter: { ts: { $regex: 'x' } } as never }), Error, /unsupported operator "\$regex" for key "ts"/)
    await rejects(ix.query([0, 0], { filter: { ts: { $in: 5 } } as never }), Error, P + 'invalid operand of "$in" for key "ts": expected an array of strings, numbers, booleans or null')
    await rejects(ix.query([0, 0], { filter: { ts: { $gt: true } } as never }), Error, P + 'invalid operand of "$gt" for key "ts": expected a string or a number')
    await rejects(ix.query([0, 0], { filter: { genre: ['a'] } as never }), Error, /invalid value for key "genre"/)
  })

  it('38: unindexed properties match nothing; vectors written before the index are not filterable until re-upserted', async () => {
    const ix = make()
    await ix.upsert([{ id: 'early', values: [1, 0, 0], metadata: { color: 'red' } }])
    expect((await ix.query([1, 0, 0], { filter: { color: 'red' } })).count).toBe(0)
    await ix.createMetadataIndex('color', { type: 'string' })
    await ix.upsert([{ id: 'late', values: [0, 1, 0], metadata: { color: 'red' } }])
    expect((await ix.query([1, 0, 0], { filter: { color: 'red' } })).matches.map((m) => m.id)).toEqual(['late'])
    await ix.upsert([{ id: 'early', values: [1, 0, 0], metadata: { color: 'red' } }])
    expect((await ix.query([1, 0, 0], { filter: { color: 'red' } })).matches.map((m) => m.id)).toEqual(['early', 'late'])
  })

  it('null in filters (INFERRED): $eq null matches nothing, $ne null matches every indexed value', async () => {
    const ix = await catalog()
    expect(await ids(ix, { genre: null })).toEqual([])
    expect(await ids(ix, { genre: { $ne: null } })).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(await ids(ix, { genre: { $in: [null, 'drama'] } })).toEqual(['b'])
  })

  it('39: namespace first, then filter, then topK from the filtered set', async () => {
    const ix = await catalog()
    expect(await ids(ix, { genre: 'scifi' }, { namespace: 'ns1' })).toEqual(['e'])
    const r = await ix.query([0, 0], { namespace: 'ns1', topK: 10 })
    expect(r.matches.map((m) => m.id)).toEqual(['e'])
    expect(r.matches[0].namespace).toBe('ns1')
    expect((await ix.query([0, 0], { topK: 1, filter: { genre: 'scifi', ts: { $gte: 20 } } })).matches.map((m) => m.id)).toEqual(['c'])
    expect((await ix.query([0, 0], { namespace: 'unknown' })).count).toBe(0)
  })
})

describe('queryById, getByIds, deleteByIds, describe', () => {
  it('40: queryById uses the stored vector and honours topK, filter and namespace', async () => {
    const ix = await seeded({ metadataIndexes: [{ propertyName: 'genre', indexType: 'string' }] })
    const r = await ix.queryById('a', { topK: 2 })
    expect(r.matches[0].id).toBe('a')
    expect(r.matches[0].score).toBeCloseTo(1, 6)
    expect(r.count).toBe(2)
    expect((await ix.queryById('a', { namespace: 'ns1' })).matches.map((m) => m.id)).toEqual(['c'])
    expect((await ix.queryById('b', { filter: { genre: 'scifi' }, topK: 5 })).matches.map((m) => m.id).sort()).toEqual(['a', 'c'])
  })

  it('queryById of an unknown id returns no matches (INFERRED)', async () => {
    const ix = await seeded()
    expect(await ix.queryById('missing')).toEqual({ matches: [], count: 0 })
    await rejects(ix.queryById('x'.repeat(65)), Error, 'VECTOR_QUERY_ERROR (code = 40004): id too long; max is 64 bytes, got 65 bytes')
  })

  it('41: getByIds returns found vectors in request order; missing ids are omitted', async () => {
    const ix = await seeded()
    const got = await ix.getByIds(['c', 'missing', 'a', 'c'])
    expect(got).toEqual([
      { id: 'c', values: [0.8999999761581421, 0.10000000149011612, 0], namespace: 'ns1', metadata: { genre: 'scifi', n: 3 } },
      { id: 'a', values: [1, 0, 0], metadata: { genre: 'scifi', n: 1 } },
    ])
    expect(await ix.getByIds([])).toEqual([])
  })

  it('42: deleteByIds removes vectors; unknown ids are not an error', async () => {
    const ix = await seeded()
    await ix.deleteByIds(['a', 'nope'])
    expect(await ix.getByIds(['a'])).toEqual([])
    expect((await ix.query([1, 0, 0], { topK: 10 })).matches.map((m) => m.id)).not.toContain('a')
    expect((await ix.describe()).vectorCount).toBe(2)
    await ix.deleteByIds([])
  })

  it('43: describe reports dimensions, vectorCount and the last applied mutation', async () => {
    const clock = new native.ManualClock(Date.UTC(2026, 0, 2, 3, 4, 5, 678))
    const ix = new VectorizeIndex({ dimensions: 3, clock })
    expect(await ix.describe()).toEqual({ vectorCount: 0, dimensions: 3, processedUpToDatetime: null, processedUpToMutation: null })
    const { mutationId } = await ix.insert([{ id: 'a', values: [1, 2, 3] }])
    expect(await ix.describe()).toEqual({ vectorCount: 1, dimensions: 3, processedUpToDatetime: '2026-01-02T03:04:05.678Z', processedUpToMutation: mutationId })
    const del = await ix.deleteByIds(['a'])
    expect((await ix.describe()).processedUpToMutation).toBe(del.mutationId)
  })

  it('read-your-writes: a query right after a resolved mutation sees it', async () => {
    const ix = make()
    for (let i = 0; i < 20; i++) {
      await ix.upsert([{ id: `v${i}`, values: [1, i, 0] }])
      expect((await ix.queryById(`v${i}`, { topK: 1 })).matches[0].id).toBe(`v${i}`)
    }
  })
})

describe('metadata index admin API (non-standard, shaped like the REST API)', () => {
  it('create, list, delete; limits and texts', async () => {
    const ix = make()
    const m = await ix.createMetadataIndex('genre', { type: 'string' })
    expect(Object.keys(m)).toEqual(['mutationId'])
    await ix.createMetadataIndex('year', { indexType: 'number' } as never)
    expect(await ix.listMetadataIndexes()).toEqual({
      metadataIndexes: [
        { propertyName: 'genre', indexType: 'string' },
        { propertyName: 'year', indexType: 'number' },
      ],
    })
    await rejects(ix.createMetadataIndex('genre', { type: 'number' }), Error, 'METADATA_INDEX_CREATE_ERROR (code = 40030): metadata index for property "genre" already exists')
    await rejects(ix.createMetadataIndex('x', { type: 'date' as never }), Error, 'METADATA_INDEX_CREATE_ERROR (code = 40030): invalid metadata index type "date"; expected "string", "number" or "boolean"')
    await rejects(ix.createMetadataIndex('$x', { type: 'string' }), Error, 'METADATA_INDEX_CREATE_ERROR (code = 40030): invalid property name: property names cannot start with "$"')
    for (let i = 0; i < 8; i++) await ix.createMetadataIndex(`p${i}`, { type: 'boolean' })
    await rejects(ix.createMetadataIndex('eleventh', { type: 'string' }), Error, 'METADATA_INDEX_CREATE_ERROR (code = 40030): max metadata indexes per index is 10')
    await ix.deleteMetadataIndex('year')
    await rejects(ix.deleteMetadataIndex('year'), Error, 'METADATA_INDEX_DELETE_ERROR (code = 40030): metadata index for property "year" does not exist')
    expect((await ix.listMetadataIndexes()).metadataIndexes.length).toBe(9)
  })

  it('deleting an index stops filtering on it; re-creating it does not revive old entries', async () => {
    const ix = make({ metadataIndexes: [{ propertyName: 'k', indexType: 'number' }] })
    await ix.insert([{ id: 'a', values: [1, 0, 0], metadata: { k: 1 } }])
    expect((await ix.query([1, 0, 0], { filter: { k: 1 } })).count).toBe(1)
    await ix.deleteMetadataIndex('k')
    expect((await ix.query([1, 0, 0], { filter: { k: 1 } })).count).toBe(0)
    await ix.createMetadataIndex('k', { type: 'number' })
    expect((await ix.query([1, 0, 0], { filter: { k: 1 } })).count).toBe(0)
  })
})

describe('constructor', () => {
  it('validates dimensions and metric synchronously (TypeError)', () => {
    throws(() => new VectorizeIndex({ dimensions: 0 }), 'Vectorize dimensions must be an integer from 1 to 1536, got 0.')
    throws(() => new VectorizeIndex({ dimensions: 1537 }), 'Vectorize dimensions must be an integer from 1 to 1536, got 1537.')
    throws(() => new VectorizeIndex({ dimensions: 3, metric: 'manhattan' as never }), 'Vectorize metric must be "cosine", "euclidean" or "dot-product", got "manhattan".')
    throws(() => new VectorizeIndex({}), 'A new Vectorize index needs `dimensions` (1 to 1536).')
    expect(() => new VectorizeIndex({ dimensions: L.maxDimensions, metric: 'dot-product' })).not.toThrow()
  })

  it('metric defaults to cosine; a persisted index keeps its settings and rejects different ones', async () => {
    const dir = tempDir()
    const a = new VectorizeIndex({ persist: dir, name: 'emb', dimensions: 2 })
    await a.insert([{ id: 'x', values: [1, 0] }])
    await a.close()
    const b = new VectorizeIndex({ persist: dir, name: 'emb' })
    expect((await b.describe()).dimensions).toBe(2)
    throws(() => new VectorizeIndex({ persist: dir, name: 'emb', dimensions: 3 }), 'This Vectorize index was created with 2 dimensions and metric cosine.')
    expect(() => new VectorizeIndex({ persist: dir, name: 'emb', metric: 'euclidean' })).toThrow(TypeError)
    expect(() => new VectorizeIndex({ persist: dir, name: '../escape', dimensions: 2 })).toThrow(TypeError)
    expect(() => new VectorizeIndex({ persist: dir, name: 'n'.repeat(65), dimensions: 2 })).toThrow(TypeError)
    await b.close()
  })

  it('closed indexes reject every method', async () => {
    const ix = make()
    await ix.close()
    await rejects(ix.query([1, 0, 0]), Error, 'Vectorize index "default" is closed.')
    await rejects(ix.insert([{ id: 'a', values: [1, 2, 3] }]), Error, 'Vectorize index "default" is closed.')
    await rejects(ix.describe(), Error, 'Vectorize index "default" is closed.')
    await ix.close()
  })
})
