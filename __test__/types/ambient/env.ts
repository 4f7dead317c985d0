// createEnv in a Workers-typed project: the Worker's own Env interface (workers-types' binding
// types) types `env`.
import * as native from '../../../index.js'

interface Env {
  CACHE: KVNamespace
  DB: D1Database
  UPLOADS: R2Bucket
  EMBEDDINGS: Vectorize
  API_HOST: string
}

export async function seed(): Promise<void> {
  const { env, dispose } = await native.createEnv<Env>({ applyMigrations: true, vectorize: { EMBEDDINGS: { dimensions: 3, metric: 'cosine' } } })
  await env.CACHE.put('k', env.API_HOST)
  await env.DB.prepare('SELECT 1').first()
  await env.UPLOADS.put('a.txt', 'a')
  await env.EMBEDDINGS.upsert([{ id: 'a', values: [1, 0, 0] }])
  await dispose()
}
