'use strict'
// Tiny side-by-side benchmark harness: runs each contender's op for a fixed time (after a
// warm-up), records per-op latency, and prints ops/s, p50, p99 and the ratio to a baseline row.

const { performance } = require('node:perf_hooks')

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

/** Sequential: `await op(i)` one at a time. */
async function sequential(op, { seconds = 1, warmup = 0.2 } = {}) {
  let i = 0
  const until = performance.now() + warmup * 1000
  while (performance.now() < until) await op(i++)
  const lat = []
  const start = performance.now()
  const end = start + seconds * 1000
  let now = start
  while (now < end) {
    const t = now
    await op(i++)
    now = performance.now()
    lat.push(now - t)
  }
  return summarize(lat, now - start)
}

/** `inFlight` concurrent chains of `await op(i)`. */
async function concurrent(op, { inFlight = 64, seconds = 1, warmup = 0.2 } = {}) {
  let i = 0
  const run = async (ms, lat) => {
    const end = performance.now() + ms
    const chain = async () => {
      while (performance.now() < end) {
        const t = performance.now()
        await op(i++)
        if (lat) lat.push(performance.now() - t)
      }
    }
    await Promise.all(Array.from({ length: inFlight }, chain))
  }
  await run(warmup * 1000, null)
  const lat = []
  const start = performance.now()
  await run(seconds * 1000, lat)
  return summarize(lat, performance.now() - start)
}

function summarize(lat, elapsedMs) {
  lat.sort((a, b) => a - b)
  return { ops: lat.length, opsPerSec: (lat.length / elapsedMs) * 1000, p50: percentile(lat, 50), p99: percentile(lat, 99) }
}

function fmt(n, digits = 0) {
  if (!Number.isFinite(n)) return '-'
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}

/**
 * Prints one table per case: rows = contenders, with ratio = ours ÷ contender (how many times
 * faster we are in ops/s).
 */
function report(title, cases) {
  console.log(`\n## ${title}\n`)
  console.log('| case | contender | ops/s | p50 µs | p99 µs | ours ÷ contender |')
  console.log('|---|---|---:|---:|---:|---:|')
  for (const c of cases) {
    const ours = c.results.find((r) => r.ours)
    for (const r of c.results) {
      const ratio = ours && !r.ours ? `${fmt(ours.opsPerSec / r.opsPerSec, 2)}×` : ''
      console.log(`| ${c.name} | ${r.name} | ${fmt(r.opsPerSec)} | ${fmt(r.p50 * 1000, 1)} | ${fmt(r.p99 * 1000, 1)} | ${ratio} |`)
    }
  }
}

module.exports = { sequential, concurrent, report }
