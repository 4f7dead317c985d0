// A persistent KV namespace in plain Node: write, read back, list — with expiry and metadata.
// Run with `npm start`; data lands in .edgebase/kv/EXAMPLE.redb and survives restarts.
'use strict'
const { KVNamespace } = require('..')

async function main() {
  const kv = new KVNamespace({ persist: '.edgebase', name: 'EXAMPLE' })
  const runs = Number((await kv.get('runs')) ?? 0) + 1
  await kv.put('runs', String(runs))
  await kv.put('user:1', JSON.stringify({ name: 'Ada' }), { metadata: { role: 'admin' } })
  await kv.put('session:abc', 'token', { expirationTtl: 3600 })

  const user = await kv.get('user:1', 'json')
  const { metadata } = await kv.getWithMetadata('user:1')
  const page = await kv.list({ prefix: 'session:' })
  console.log(`run #${runs} (persisted in .edgebase/kv/EXAMPLE.redb)`)
  console.log('user:1 =', user, 'metadata =', metadata)
  console.log('sessions:', page.keys.map((k) => `${k.name} expires ${new Date(k.expiration * 1000).toISOString()}`))
  await kv.close()
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
