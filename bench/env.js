'use strict'
// createEnv: a seed script's whole life (build the env from wrangler.toml, write, dispose) vs
// Miniflare 4 building the same bindings (what wrangler's getPlatformProxy starts underneath,
// so a lower bound for it; wrangler itself is not installed here).

const fs = require('node:fs')
const path = require('node:path')
const { sequential, report } = require('./harness.js')
const { createEnv } = require('..')

const TOML = `
[[kv_namespaces]]
binding = "CACHE"
[[d1_databases]]
binding = "DB"
[[r2_buckets]]
binding = "UPLOADS"
`

module.exports = async function envBench() {
  const dir = path.join(__dirname, '.data', 'env')
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'wrangler.toml'), TOML)
  const { Miniflare } = require('miniflare')
  const miniflare = (persist) =>
    new Miniflare({
      modules: true,
      script: 'export default { fetch() { return new Response(null) } }',
      kvNamespaces: ['CACHE'],
      d1Databases: ['DB'],
      r2Buckets: ['UPLOADS'],
      ...(persist ? { kvPersist: persist, d1Persist: persist, r2Persist: persist } : {}),
    })
  const seed = async (env, i) => {
    await env.CACHE.put(`k${i}`, 'v')
    await env.DB.prepare('CREATE TABLE IF NOT EXISTS t (i INTEGER)').run()
    await env.DB.prepare('INSERT INTO t VALUES (?)').bind(i).run()
  }
  const slow = { seconds: 4, warmup: 1 }
  const fast = { seconds: 1.5, warmup: 0.3 }
  const cases = []
  const run = async (name, ours, theirs) => {
    cases.push({
      name,
      results: [
        { name: '@edgebase/native createEnv', ours: true, ...(await sequential(ours, fast)) },
        { name: 'Miniflare 4 getBindings', ...(await sequential(theirs, slow)) },
      ],
    })
  }
  await run(
    'env of KV + D1 + R2, then dispose (in memory)',
    async () => (await createEnv({ cwd: dir, persist: false })).dispose(),
    async () => {
      const mf = miniflare()
      await mf.getBindings()
      await mf.dispose()
    },
  )
  await run(
    'seed script: env from wrangler.toml, 1 KV put + 1 D1 insert, dispose (persisted)',
    async (i) => {
      const { env, dispose } = await createEnv({ cwd: dir, persist: path.join(dir, 'ours') })
      await seed(env, i)
      await dispose()
    },
    async (i) => {
      const mf = miniflare(path.join(dir, 'miniflare'))
      await seed(await mf.getBindings(), i)
      await mf.dispose()
    },
  )
  report('createEnv (ratios: ours ÷ contender, runs/s)', cases)
}
