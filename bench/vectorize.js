'use strict'
// Vectorize: our exact search vs usearch's exact (brute-force) search and vs the memory-bandwidth
// bound measured on this machine (bytes scanned per query ÷ memcpy bandwidth), one run.
//
//   npm run bench -- vectorize            N ∈ {10k, 100k, 1M} × d = 128, N ∈ {10k, 100k} × d = 768
//   npm run bench -- vectorize --large    adds 1M × 768 (3 GB of vectors, twice: ours and usearch's
//                                         input) and the reopen / memory check of a persisted
//                                         1M × 768 index (VECTORIZE_BENCH_LARGE=1 does the same)
//
// Miniflare has no local Vectorize (it only proxies to a real, billed index), so it cannot be a
// contender here.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { performance } = require('node:perf_hooks')
const { sequential, concurrent } = require('./harness.js')
const { VectorizeIndex } = require('..')

const LARGE = process.argv.includes('--large') || process.env.VECTORIZE_BENCH_LARGE === '1'
const TOP_K = 10
const BATCH = 1000

function fmt(n, digits = 2) {
  if (!Number.isFinite(n)) return '-'
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}

function label(n) {
  return n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`
}

/** usearch's version (its package.json is not exported). */
function usearchVersion() {
  for (let dir = path.dirname(require.resolve('usearch')); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json')
    if (fs.existsSync(file) && JSON.parse(fs.readFileSync(file, 'utf8')).name === 'usearch') return JSON.parse(fs.readFileSync(file, 'utf8')).version
  }
  return '?'
}

/** Best of a few 256 MiB Buffer copies: bytes copied per millisecond. */
function memcpyBytesPerMs() {
  const size = 256 * 1024 * 1024
  const src = Buffer.alloc(size, 1)
  const dst = Buffer.alloc(size)
  let best = Infinity
  for (let i = 0; i < 6; i++) {
    const t = performance.now()
    src.copy(dst)
    best = Math.min(best, performance.now() - t)
  }
  return size / best
}

/** Deterministic uniform floats in [-1, 1). */
function randomVectors(count, d, seed) {
  const out = new Float32Array(count * d)
  let s = seed >>> 0
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = s / 2 ** 31 - 1
  }
  return out
}

async function fill(ix, data, n, d, withMetadata) {
  for (let i = 0; i < n; i += BATCH) {
    const batch = []
    for (let j = i; j < Math.min(n, i + BATCH); j++) {
      batch.push({ id: `v${j}`, values: data.subarray(j * d, (j + 1) * d), metadata: withMetadata ? { bucket: j % 10 } : undefined })
    }
    await ix.upsert(batch)
  }
}

function usearchMetric(metric) {
  return metric === 'cosine' ? 'cos' : 'l2sq'
}

async function searchCase(n, d, bw, rows) {
  const { exactSearch } = require('usearch')
  const data = randomVectors(n, d, n + d)
  const queries = randomVectors(64, d, 7)
  const q = (i) => queries.subarray((i % 64) * d, ((i % 64) + 1) * d)
  const seconds = n * d >= 1e8 ? 3 : 1.5
  for (const metric of ['cosine', 'euclidean']) {
    const ix = new VectorizeIndex({ dimensions: d, metric, metadataIndexes: [{ propertyName: 'bucket', indexType: 'number' }] })
    await fill(ix, data, n, d, true)
    const um = usearchMetric(metric)
    const ours = await sequential((i) => ix.query(q(i), { topK: TOP_K }), { seconds })
    const theirs = await sequential(async (i) => exactSearch(data, q(i), d, TOP_K, um, 0), { seconds })
    // 64 queries in flight; usearch answers the same 64 as one batch on 2 threads.
    const ours64 = await concurrent((i) => ix.query(q(i), { topK: TOP_K }), { inFlight: 64, seconds })
    const theirs64 = await sequential(async () => exactSearch(data, queries, d, TOP_K, um, 2), { seconds })
    const filtered = await sequential((i) => ix.query(q(i), { topK: TOP_K, filter: { bucket: 3 } }), { seconds })
    const boundMs = (n * d * 4) / bw
    rows.push({
      name: `${label(n)} × ${d}, ${metric}`,
      ours: ours.p50,
      usearch: theirs.p50,
      bound: boundMs,
      ours64: ours64.opsPerSec,
      usearch64: theirs64.opsPerSec * 64,
      filtered: filtered.p50,
      large: n >= 1e5,
    })
    await ix.close()
  }
}

async function insertCase(dir) {
  const d = 128
  const n = 100_000
  const data = randomVectors(n, d, 11)
  const arrays = Array.from({ length: n }, (_, j) => Array.from(data.subarray(j * d, (j + 1) * d)))
  const out = []
  for (const persist of [dir, undefined]) {
    const ix = new VectorizeIndex({ persist, name: 'insert', dimensions: d, metric: 'cosine', metadataIndexes: [{ propertyName: 'bucket', indexType: 'number' }] })
    for (const op of ['insert', 'upsert']) {
      const t = performance.now()
      for (let i = 0; i < n; i += BATCH) {
        const batch = []
        for (let j = i; j < i + BATCH; j++) batch.push({ id: `v${j}`, values: arrays[j], metadata: { bucket: j % 10 } })
        await ix[op](batch)
      }
      out.push({ name: `${op}, ${persist ? 'persisted (durable)' : 'in-memory'}`, perSec: (n / (performance.now() - t)) * 1000 })
    }
    await ix.close()
  }
  return out
}

/** Writes a persisted 1M × 768 index, then reopens it in a fresh process: load time and RSS. */
async function reopenCase(dir) {
  const n = 1_000_000
  const d = 768
  const ix = new VectorizeIndex({ persist: dir, name: 'reopen', dimensions: d, metric: 'cosine' })
  const t = performance.now()
  for (let i = 0; i < n; i += BATCH) {
    const data = randomVectors(BATCH, d, i)
    const batch = []
    for (let j = 0; j < BATCH; j++) batch.push({ id: `v${i + j}`, values: data.subarray(j * d, (j + 1) * d) })
    await ix.upsert(batch)
  }
  const writeMs = performance.now() - t
  await ix.close()
  const script = `
    const { performance } = require('node:perf_hooks')
    const before = process.memoryUsage().rss
    const t = performance.now()
    const ix = new (require(${JSON.stringify(path.join(__dirname, '..'))}).VectorizeIndex)({ persist: ${JSON.stringify(dir)}, name: 'reopen' })
    const ms = performance.now() - t
    ix.describe().then((info) => {
      console.log(JSON.stringify({ ms, count: info.vectorCount, rss: process.memoryUsage().rss - before }))
    })`
  const r = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }))
  return { writeMs, ...r, raw: n * d * 4, file: fs.statSync(path.join(dir, 'vectorize', 'reopen.redb')).size }
}

module.exports = async function vectorizeBench() {
  const dir = path.join(__dirname, '.data', 'vectorize')
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const bw = memcpyBytesPerMs()
  console.log(`\nmemcpy bandwidth: ${fmt(bw / 1e6, 1)} GB/s (best of 6 × 256 MiB); ${os.cpus().length} cores; usearch ${usearchVersion()}`)
  const rows = []
  const cases = [
    [10_000, 128],
    [100_000, 128],
    [1_000_000, 128],
    [10_000, 768],
    [100_000, 768],
  ]
  if (LARGE) cases.push([1_000_000, 768])
  for (const [n, d] of cases) await searchCase(n, d, bw, rows)

  console.log('\n## Vectorize query, topK 10 (latency p50; ratios < 1 mean we are faster)\n')
  console.log('| case | ours ms | usearch exact ms | ours ÷ usearch | bandwidth bound ms | ours ÷ bound |')
  console.log('|---|---:|---:|---:|---:|---:|')
  for (const r of rows) {
    console.log(`| ${r.name} | ${fmt(r.ours, 3)} | ${fmt(r.usearch, 3)} | ${fmt(r.ours / r.usearch)}× | ${fmt(r.bound, 3)} | ${r.large ? `${fmt(r.ours / r.bound)}×` : '-'} |`)
  }
  console.log('\n## 64 concurrent queries (queries/s; ours batched vs usearch batch search on 2 threads)\n')
  console.log('| case | ours q/s | usearch batch q/s | ours ÷ usearch |')
  console.log('|---|---:|---:|---:|')
  for (const r of rows) console.log(`| ${r.name} | ${fmt(r.ours64, 0)} | ${fmt(r.usearch64, 0)} | ${fmt(r.ours64 / r.usearch64)}× |`)
  console.log('\n## Filtered query, 10% selectivity on an indexed number (latency p50)\n')
  console.log('| case | unfiltered ms | filtered ms | speed-up |')
  console.log('|---|---:|---:|---:|')
  for (const r of rows) console.log(`| ${r.name} | ${fmt(r.ours, 3)} | ${fmt(r.filtered, 3)} | ${fmt(r.ours / r.filtered, 1)}× |`)

  const inserts = await insertCase(dir)
  console.log('\n## Insert / upsert, d = 128, batches of 1000 number[] vectors with metadata (100k vectors)\n')
  console.log('| case | vectors/s |')
  console.log('|---|---:|')
  for (const r of inserts) console.log(`| ${r.name} | ${fmt(r.perSec, 0)} |`)

  if (LARGE) {
    const r = await reopenCase(dir)
    console.log('\n## Persisted 1M × 768 (cosine): write, reopen in a fresh process, memory\n')
    console.log('| write (durable) s | file GB | reopen s | vectors | RSS after reopen GB | RSS ÷ raw vector bytes |')
    console.log('|---:|---:|---:|---:|---:|---:|')
    console.log(`| ${fmt(r.writeMs / 1000, 1)} | ${fmt(r.file / 1e9)} | ${fmt(r.ms / 1000)} | ${r.count.toLocaleString('en-US')} | ${fmt(r.rss / 1e9)} | ${fmt(r.rss / r.raw)}× |`)
  }
  fs.rmSync(dir, { recursive: true, force: true })
}
