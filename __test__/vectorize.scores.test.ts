// Scores and rankings against a brute-force float64 reference written in JS, for every metric,
// with namespaces and filters, on sizes that take the inline path, the search thread, the
// multi-core scan and the batched (concurrent) scan.
import { describe, expect, it } from 'vitest'
import { native } from './helpers'

const { VectorizeIndex } = native
type Metric = 'cosine' | 'euclidean' | 'dot-product'

function rng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32 - 0.5
  }
}

interface Row {
  id: string
  values: number[]
  namespace?: string
  metadata: { bucket: number; tag: string }
}

function reference(rows: Row[], q: number[], metric: Metric, k: number, keep: (r: Row) => boolean) {
  const qf = Array.from(Float32Array.from(q))
  const nq = Math.sqrt(qf.reduce((a, x) => a + x * x, 0))
  const scored = rows.filter(keep).map((r) => {
    const v = Array.from(Float32Array.from(r.values))
    let dot = 0
    let l2 = 0
    let nv = 0
    for (let i = 0; i < v.length; i++) {
      dot += qf[i] * v[i]
      l2 += (qf[i] - v[i]) ** 2
      nv += v[i] * v[i]
    }
    const score = metric === 'cosine' ? dot / (nq * Math.sqrt(nv)) : metric === 'euclidean' ? Math.sqrt(l2) : -dot
    return { id: r.id, score }
  })
  scored.sort((a, b) => (metric === 'cosine' ? b.score - a.score : a.score - b.score))
  return scored.slice(0, k)
}

async function build(metric: Metric, n: number, d: number, seed: number) {
  const r = rng(seed)
  const rows: Row[] = Array.from({ length: n }, (_, i) => ({
    id: `v${i}`,
    values: Array.from({ length: d }, r),
    namespace: i % 3 === 0 ? 'third' : undefined,
    metadata: { bucket: i % 10, tag: i % 2 ? 'odd' : 'even' },
  }))
  const ix = new VectorizeIndex({
    dimensions: d,
    metric,
    metadataIndexes: [
      { propertyName: 'bucket', indexType: 'number' },
      { propertyName: 'tag', indexType: 'string' },
    ],
  })
  for (let i = 0; i < n; i += 1000) await ix.insert(rows.slice(i, i + 1000))
  return { ix, rows, r }
}

function expectSame(got: { matches: { id: string; score: number }[] }, want: { id: string; score: number }[]) {
  expect(got.matches.map((m) => m.id)).toEqual(want.map((m) => m.id))
  got.matches.forEach((m, i) => expect(m.score).toBeCloseTo(want[i].score, 4))
}

describe.each(['cosine', 'euclidean', 'dot-product'] as Metric[])('%s', (metric) => {
  it.each([
    [200, 16],
    [6000, 64],
  ])('n=%i d=%i: query, namespace, filter and queryById match the reference', async (n, d) => {
    const { ix, rows, r } = await build(metric, n, d, n + d)
    for (let t = 0; t < 4; t++) {
      const q = Array.from({ length: d }, r)
      expectSame(await ix.query(q, { topK: 10 }), reference(rows, q, metric, 10, () => true))
      expectSame(await ix.query(q, { topK: 7, namespace: 'third' }), reference(rows, q, metric, 7, (x) => x.namespace === 'third'))
      expectSame(
        await ix.query(q, { topK: 5, filter: { bucket: { $gte: 3, $lt: 5 }, tag: 'odd' } }),
        reference(rows, q, metric, 5, (x) => x.metadata.bucket >= 3 && x.metadata.bucket < 5 && x.metadata.tag === 'odd'),
      )
      expectSame(
        await ix.query(q, { topK: 5, namespace: 'third', filter: { bucket: { $ne: 0 } } }),
        reference(rows, q, metric, 5, (x) => x.namespace === 'third' && x.metadata.bucket !== 0),
      )
    }
    const self = rows[17]
    expectSame(await ix.queryById(self.id, { topK: 3 }), reference(rows, self.values, metric, 3, () => true))
  })
})

it('64 concurrent queries (batched into shared scans) answer exactly like sequential ones', async () => {
  const { ix, r } = await build('cosine', 8000, 96, 3)
  const queries = Array.from({ length: 64 }, () => Array.from({ length: 96 }, r))
  const filters = [undefined, { tag: 'even' }]
  const opts = (i: number) => ({ topK: 1 + (i % 20), filter: filters[i % 2], namespace: i % 5 === 0 ? 'third' : undefined })
  const concurrent = await Promise.all(queries.map((q, i) => ix.query(q, opts(i))))
  for (let i = 0; i < queries.length; i++) expect(concurrent[i]).toEqual(await ix.query(queries[i], opts(i)))
})
