'use strict'
// R2: ours vs plain node:fs (fs.promises.writeFile / readFile / stat / readdir of the same bytes:
// the raw-disk anchor) vs Miniflare 4 (workerd + its R2 simulator). All on disk under
// bench/.data/r2. Gets read the whole body (`arrayBuffer()` / `readFile`).

const fs = require('node:fs')
const path = require('node:path')
const crypto = require('node:crypto')
const { sequential, concurrent, report } = require('./harness.js')
const { R2Bucket } = require('..')

const KiB = 1024
const MiB = 1024 * KiB
const KEYS = 64

async function contenders(dir) {
  const { Miniflare } = require('miniflare')
  const ours = new R2Bucket({ persist: path.join(dir, 'ours'), name: 'bench' })
  const fsDir = path.join(dir, 'fs')
  fs.mkdirSync(fsDir, { recursive: true })
  const file = (k) => path.join(fsDir, k)
  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response(null) } }',
    r2Buckets: ['R2'],
    r2Persist: path.join(dir, 'miniflare'),
  })
  const theirs = await mf.getR2Bucket('R2')
  const r2 = (name, b, ours) => ({
    name,
    ours,
    put: (k, v) => b.put(k, v),
    get: async (k) => (await b.get(k)).arrayBuffer(),
    head: (k) => b.head(k),
    list: (prefix) => b.list({ prefix, limit: 1000 }),
  })
  return {
    list: [
      r2('@edgebase/native', ours, true),
      {
        name: 'node:fs',
        put: (k, v) => fs.promises.writeFile(file(k), v),
        get: (k) => fs.promises.readFile(file(k)),
        head: (k) => fs.promises.stat(file(k)),
        list: (prefix) => fs.promises.readdir(path.join(fsDir, prefix)),
      },
      {
        // What any R2 emulation on files must do at least: R2's etag is the body's MD5.
        name: 'node:fs + MD5',
        putOnly: true,
        put: (k, v) => {
          crypto.createHash('md5').update(v).digest('hex')
          return fs.promises.writeFile(file(k), v)
        },
      },
      r2('Miniflare 4', theirs, false),
    ],
    async close() {
      await ours.close()
      await mf.dispose()
    },
  }
}

module.exports = async function r2Bench() {
  const dir = path.join(__dirname, '.data', 'r2')
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const c = await contenders(dir)
  const small = new Uint8Array(KiB).fill(1)
  const large = new Uint8Array(MiB).fill(2)
  const cases = []
  const run = async (name, fn, putCase = false) => {
    const results = []
    for (const x of c.list) {
      if (x.putOnly && !putCase) continue
      results.push({ name: x.name, ours: x.ours, ...(await fn(x)) })
    }
    cases.push({ name, results })
  }
  const time = (x, seconds = 1.5) => (!x.name.startsWith('Miniflare') ? { seconds, warmup: 0.3 } : { seconds: 1, warmup: 0.2 })
  try {
    // Seed: KEYS objects of each size, and 1000 keys under list/ (node:fs: files in a directory).
    fs.mkdirSync(path.join(dir, 'fs', 'list'), { recursive: true })
    for (const x of c.list.filter((x) => !x.putOnly)) {
      const puts = []
      for (let i = 0; i < KEYS; i++) puts.push(x.put(`s${i}`, small), x.put(`l${i}`, large))
      await Promise.all(puts)
      for (let i = 0; i < 1000; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, j) => x.put(`list/${String(i + j).padStart(4, '0')}`, small)))
      }
    }
    await run('put 1 KiB, sequential', (x) => sequential((i) => x.put(`s${i % KEYS}`, small), time(x)), true)
    await run('get 1 KiB, sequential', (x) => sequential((i) => x.get(`s${i % KEYS}`), time(x)))
    await run('put 1 KiB, 16 in flight', (x) => concurrent((i) => x.put(`s${i % KEYS}`, small), { inFlight: 16, ...time(x) }), true)
    await run('get 1 KiB, 16 in flight', (x) => concurrent((i) => x.get(`s${i % KEYS}`), { inFlight: 16, ...time(x) }))
    await run('put 1 MiB, sequential', (x) => sequential((i) => x.put(`l${i % KEYS}`, large), time(x)), true)
    await run('get 1 MiB, sequential', (x) => sequential((i) => x.get(`l${i % KEYS}`), time(x)))
    await run('head (fs: stat), sequential', (x) => sequential((i) => x.head(`s${i % KEYS}`), time(x)))
    await run('list 1000 keys (fs: readdir)', (x) => sequential(() => x.list('list/'), time(x)))
  } finally {
    await c.close()
  }
  report('R2 (ratios: ours ÷ contender, ops/s)', cases)
}
