// createEnv's options and result, from a Node project.
import * as native from '../../../index.js'

interface Env {
  CACHE: native.KVNamespace
  DB: native.D1Database
  GREETING: string
}

export async function usage(): Promise<void> {
  const created: native.CreatedEnv<Env> = await native.createEnv<Env>({
    cwd: '.',
    config: 'wrangler.toml',
    environment: 'staging',
    persist: '.edgebase',
    vectorize: { EMBEDDINGS: { dimensions: 768, metric: 'cosine', metadataIndexes: [{ propertyName: 'tag', indexType: 'string' }] } },
    clock: new native.ManualClock(),
    applyMigrations: true,
  })
  const greeting: string = created.env.GREETING
  await created.env.CACHE.put('k', greeting)
  const where: string | null = created.persist
  const unsupported: Array<{ binding: string | null; type: string; field: string }> = created.unsupported
  await created.dispose()
  {
    await using scoped = await native.createEnv({ persist: false, config: { kv_namespaces: [{ binding: 'KV' }] } })
    const value: unknown = scoped.env.KV
    void value
  }
  // @ts-expect-error — persist is a path or a boolean
  await native.createEnv({ persist: 1 })
  // @ts-expect-error — a Vectorize index needs its metric
  await native.createEnv({ vectorize: { E: { dimensions: 3 } } })
  // @ts-expect-error — unknown option
  await native.createEnv({ enviroment: 'staging' })
  void [where, unsupported]
}
