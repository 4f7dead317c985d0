'use strict'
// KV: ours vs Miniflare 4 (workerd) vs lmdb-js (the raw-engine anchor), one run, same machine.
// All stores are on disk under bench/.data; lmdb runs with overlappingSync off so that its put,
// like ours and like Miniflare's, resolves only once durable.

const fs = require('node:fs')
const path = require('node:path')
const { sequential, concurrent, report } = require('./harness.js')
const { KVNamespace } = require('..')

const VALUE = 'v'.repeat(100)
const KEYS = 10_000

async function contenders(dir) {
  const { open } = require('lmdb')
  const { Miniflare } = require('miniflare')
  const ours = new KVNamespace({ persist: path.join(dir, 'ours'), name: 'bench' })
  const lmdb = open({ path: path.join(dir, 'lmdb'), overlappingSync: false })
  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response(null) } }',
    kvNamespaces: ['KV'],
    kvPersist: path.join(dir, 'miniflare'),
  })
  const mfkv = await mf.getKVNamespace('KV')
  return {
    list: [
      { name: '@edgebase/native', ours: true, kv: ours, get: (k) => ours.get(k), put: (k, v) => ours.put(k, v), list: (p) => ours.list({ prefix: p, limit: 100 }) },
      { name: 'lmdb-js', kv: lmdb, get: (k) => lmdb.get(k), put: (k, v) => lmdb.put(k, v), list: (p) => Array.from(lmdb.getRange({ start: p, end: p + '\uffff', limit: 100 })) },
      { name: 'Miniflare 4', kv: mfkv, get: (k) => mfkv.get(k), put: (k, v) => mfkv.put(k, v), list: (p) => mfkv.list({ prefix: p, limit: 100 }) },
    ],
    async close() {
      await ours.close()
      await lmdb.close()
      await mf.dispose()
    },
  }
}

module.exports = async function kvBench() {
  const dir = path.join(__dirname, '.data', 'kv')
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const c = await contenders(dir)
  const key = (i) => `key:${String(i % KEYS).padStart(6, '0')}`
  const cases = []
  try {
    for (const x of c.list) {
      const batch = []
      for (let i = 0; i < KEYS; i++) batch.push(x.put(key(i), VALUE))
      await Promise.all(batch)
    }
    const slow = (x) => (x.name.startsWith('Miniflare') ? { seconds: 1.5, warmup: 0.3 } : { seconds: 1.5, warmup: 0.3 })
    const run = async (name, fn) => {
      const results = []
      for (const x of c.list) results.push({ name: x.name, ours: x.ours, ...(await fn(x)) })
      cases.push({ name, results })
    }
    await run('get hit, 100 B, sequential', (x) => sequential((i) => x.get(key(i * 7919)), slow(x)))
    await run('get hit, 100 B, 64 in flight', (x) => concurrent((i) => x.get(key(i * 7919)), slow(x)))
    await run('put 100 B durable, sequential', (x) => sequential((i) => x.put(`put:${i}`, VALUE), slow(x)))
    await run('put 100 B durable, 64 in flight', (x) => concurrent((i) => x.put(`put64:${i}`, VALUE), slow(x)))
    await run('list 100 keys by prefix, sequential', (x) => sequential((i) => x.list(`key:00${i % 100}`.slice(0, 7)), slow(x)))
  } finally {
    await c.close()
  }
  report('KV (ratios: ours ÷ contender, ops/s)', cases)
}
