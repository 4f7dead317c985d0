// `npm start`: the EdgeBase REST dev server on http://127.0.0.1:8787 with the built-in config
// (KV namespace `cache`, D1 database `main`, Vectorize index `embeddings` with 4 dimensions,
// storage bucket `uploads`), data in .edgebase/. PORT and HOST override the address; SERVICE_KEY
// (environment or .dev.vars) chooses the root key, otherwise one is generated and kept.
'use strict'
const { startServer } = require('..')

async function main() {
  const server = await startServer({
    host: process.env.HOST || '127.0.0.1',
    port: process.env.PORT ? Number(process.env.PORT) : 8787,
    persist: '.edgebase',
    log: true,
  })
  const key = server.serviceKey ?? '$SERVICE_KEY'
  console.log(`EdgeBase REST server listening on ${server.url} (data in .edgebase/)`)
  if (server.serviceKey) console.log(`dev service key: ${server.serviceKey} (kept in ${server.serviceKeyFile})`)
  else console.log('service key: the SERVICE_KEY you configured')
  console.log(`try: curl -s -X POST ${server.url}/api/kv/cache -H 'content-type: application/json' -H 'X-EdgeBase-Service-Key: ${key}' -d '{"action":"set","key":"hello","value":"world"}'`)
  const stop = async () => {
    await server.close()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((e) => {
  console.error(e.message)
  process.exit(1)
})
