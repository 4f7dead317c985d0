// startServer's options and handle, from a Node project.
import * as native from '../../../index.js'

export async function usage(): Promise<void> {
  const kv = new native.KVNamespace()
  const server: native.EdgeBaseServer = await native.startServer({
    port: 0,
    env: { CACHE: kv, SERVICE_KEY: 'dev' },
    config: {
      kv: { cache: { binding: 'CACHE' } },
      d1: ['analytics'],
      storage: { buckets: { avatars: { access: { read: true, write: 'auth != null', delete: (auth: unknown) => auth !== null } } } },
      serviceKeys: { keys: [{ kid: 'root', tier: 'root', scopes: ['*'], secretSource: 'dashboard', secretRef: 'SERVICE_KEY' }] },
    },
  })
  const url: string = server.url
  const key: string | null = server.serviceKey
  // @ts-expect-error — the handle is read-only
  server.port = 1
  await server.close()
  await server.waitForClose()
  await native.startServer({ config: 'edgebase.config.json', persist: '.edgebase', devVars: false, log: true })
  // @ts-expect-error — port is a number
  await native.startServer({ port: '8787' })
  void [url, key]
}
