// startServer from Node: serving the binding instances a test holds (`{ env }`, in-memory
// included), config sources, variables, graceful close and file release.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { native, tempDir } from './helpers'
import { heldRequest, post, raw, SERVICE_KEY } from './server.helpers'

const { KVNamespace, startServer } = native
const CHILD = join(import.meta.dirname, 'fixtures', 'kv-child.js')
const MiB = 1024 * 1024

describe('{ env }: the server serves the very stores the test holds', () => {
  it('in-memory: seed with the class, read over HTTP, and the reverse', async () => {
    const cache = new KVNamespace()
    await cache.put('seeded', 'by the class')
    await using server = await startServer({ port: 0, env: { CACHE: cache, SERVICE_KEY } })
    const h = { 'X-EdgeBase-Service-Key': SERVICE_KEY }
    expect(server.serviceKey).toBeNull()
    expect((await post(`${server.url}/api/kv/CACHE`, { action: 'get', key: 'seeded' }, h)).body).toEqual({ value: 'by the class' })
    expect((await post(`${server.url}/api/kv/CACHE`, { action: 'set', key: 'http', value: 'by HTTP', ttl: 3600 }, h)).body).toEqual({ ok: true })
    expect(await cache.get('http')).toBe('by HTTP')
    const { keys } = await cache.list()
    expect(keys.find((k) => k.name === 'http')!.expiration).toBeGreaterThan(Date.now() / 1000)
    expect((await post(`${server.url}/api/kv/CACHE`, { action: 'list' }, h)).body).toEqual({ keys: ['http', 'seeded'] })
    await cache.delete('seeded')
    expect((await post(`${server.url}/api/kv/CACHE`, { action: 'get', key: 'seeded' }, h)).body).toEqual({ value: null })
  })

  it('two in-memory namespaces stay separate; non-binding values are ignored, strings are variables', async () => {
    const a = new KVNamespace()
    const b = new KVNamespace()
    await a.put('k', 'a')
    await b.put('k', 'b')
    await using server = await startServer({ port: 0, env: { A: a, B: b, SERVICE_KEY: 'from-env', OTHER: { not: 'a binding' }, N: 5 } })
    const h = { 'X-EdgeBase-Service-Key': 'from-env' }
    expect((await post(`${server.url}/api/kv/A`, { action: 'get', key: 'k' }, h)).body).toEqual({ value: 'a' })
    expect((await post(`${server.url}/api/kv/B`, { action: 'get', key: 'k' }, h)).body).toEqual({ value: 'b' })
    expect((await post(`${server.url}/api/kv/OTHER`, { action: 'get', key: 'k' }, h)).status).toBe(404)
  })

  it('a config maps resource names to env bindings; a missing binding is a config error', async () => {
    const kv = new KVNamespace()
    await kv.put('k', 'v')
    await using server = await startServer({
      port: 0,
      env: { CACHE_KV: kv },
      vars: { SERVICE_KEY },
      config: { kv: { cache: { binding: 'CACHE_KV' } }, serviceKeys: { keys: [{ kid: 'root', tier: 'root', scopes: ['*'], secretSource: 'dashboard', secretRef: 'SERVICE_KEY' }] } },
    })
    expect((await post(`${server.url}/api/kv/cache`, { action: 'get', key: 'k' }, { 'X-EdgeBase-Service-Key': SERVICE_KEY })).body).toEqual({ value: 'v' })
    const err = await startServer({ port: 0, env: { CACHE_KV: kv }, config: { kv: { sessions: { binding: 'SESSIONS_KV' } } } }).catch((e) => e)
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBe('EB_SERVER_CONFIG')
    expect(err.message).toBe("Invalid EdgeBase config: kv.sessions.binding 'SESSIONS_KV' is not a KVNamespace in env")
  })

  it('a persisted namespace and a server on the same directory share one store', async () => {
    const dir = tempDir()
    const kv = new KVNamespace({ persist: dir, name: 'SHARED' })
    await using server = await startServer({ port: 0, persist: dir, vars: { SERVICE_KEY }, config: { kv: { s: { binding: 'SHARED' } } }, devVars: false })
    await post(`${server.url}/api/kv/s`, { action: 'set', key: 'k', value: 'over http' }, { 'X-EdgeBase-Service-Key': SERVICE_KEY })
    expect(await kv.get('k')).toBe('over http')
    await kv.close()
  })

  it('the handed-over stores stay open after close(); the server stops answering', async () => {
    const kv = new KVNamespace()
    const server = await startServer({ port: 0, env: { KV: kv } })
    const url = server.url
    await server.close()
    await server.close() // idempotent
    await server.waitForClose()
    await kv.put('still', 'open')
    expect(await kv.get('still')).toBe('open')
    await expect(fetch(`${url}/api/health`)).rejects.toThrow()
  })
})

describe('lifecycle', () => {
  it('close() lets an in-flight request finish, then releases the files it opened', async () => {
    const dir = tempDir()
    const server = await startServer({ port: 0, persist: dir, vars: { SERVICE_KEY }, config: { kv: { c: { binding: 'crash' } } }, devVars: false })
    const value = 'x'.repeat(20 * MiB)
    const body = Buffer.from(JSON.stringify({ action: 'set', key: 'big', value }))
    const held = heldRequest(server.url, '/api/kv/c', { 'content-type': 'application/json', 'X-EdgeBase-Service-Key': SERVICE_KEY }, body, 1000)
    await new Promise((r) => setTimeout(r, 200)) // the route is now reading the body
    const closing = server.close()
    held.rest()
    const answer = await held.answered
    expect(answer.status).toBe(200)
    expect(answer.text).toContain('{"ok":true}')
    await closing
    // Another process can now open the file: the server let it go.
    expect(spawnSync(process.execPath, [CHILD, 'open', dir], { encoding: 'utf8' }).stdout.trim()).toBe('opened')
    const kv = new KVNamespace({ persist: dir, name: 'crash' })
    expect((await kv.get('big'))!.length).toBe(20 * MiB)
    await kv.close()
  })

  it('defaults: 127.0.0.1, the built-in config, a generated key kept under persist', async () => {
    const dir = tempDir()
    const a = await startServer({ port: 0, persist: dir, devVars: false })
    expect(a.host).toBe('127.0.0.1')
    expect(a.url).toBe(`http://127.0.0.1:${a.port}`)
    expect(a.serviceKey).toMatch(/^[0-9a-f]{64}$/)
    expect(a.serviceKeyFile).toBe(join(dir, 'dev-service-key'))
    const h = { 'X-EdgeBase-Service-Key': a.serviceKey! }
    expect((await post(`${a.url}/api/kv/cache`, { action: 'set', key: 'k', value: 'v' }, h)).body).toEqual({ ok: true })
    await a.close()
    const b = await startServer({ port: 0, persist: dir, devVars: false })
    expect(b.serviceKey).toBe(a.serviceKey)
    expect((await post(`${b.url}/api/kv/cache`, { action: 'get', key: 'k' }, h)).body).toEqual({ value: 'v' })
    await b.close()
    const mem = await startServer({ port: 0, devVars: false })
    expect(mem.serviceKeyFile).toBeNull()
    expect(mem.serviceKey).not.toBe(a.serviceKey)
    await mem.close()
  })

  it('a truncated body leaves nothing behind and the server keeps serving', async () => {
    await using server = await startServer({ port: 0, vars: { SERVICE_KEY }, devVars: false })
    const h = { 'X-EdgeBase-Service-Key': SERVICE_KEY }
    const { connect } = await import('node:net')
    await new Promise<void>((resolve) => {
      const sock = connect(server.port, '127.0.0.1', () => {
        sock.write(`POST /api/kv/cache HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-EdgeBase-Service-Key: ${SERVICE_KEY}\r\nContent-Length: 1000\r\n\r\n{"action":"set","key":"trunc","value":"`)
        setTimeout(() => sock.destroy(), 50)
      })
      sock.on('close', () => resolve())
      sock.on('error', () => {})
    })
    expect((await post(`${server.url}/api/kv/cache`, { action: 'get', key: 'trunc' }, h)).body).toEqual({ value: null })
    const chunkedCut = await raw(`${server.url}/api/kv/cache`, { headers: { ...h, 'content-type': 'application/json' }, chunks: ['{"action":"set"'] }).catch(() => null)
    expect(chunkedCut === null || chunkedCut.status === 400).toBe(true)
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200)
  })
})

describe('config sources and variables', () => {
  it('a JSON file path, a CommonJS file, and EDGEBASE_CONFIG', async () => {
    const dir = tempDir()
    const cfg = { kv: { fromfile: { binding: 'F' } }, serviceKeys: { keys: [{ kid: 'k', tier: 'root', secret: 'inline-key' }] } }
    writeFileSync(join(dir, 'edgebase.config.json'), JSON.stringify(cfg))
    writeFileSync(join(dir, 'edgebase.config.js'), `module.exports = { default: ${JSON.stringify(cfg)} }`)
    const h = { 'X-EdgeBase-Service-Key': 'inline-key' }
    for (const config of [join(dir, 'edgebase.config.json'), join(dir, 'edgebase.config.js')]) {
      await using s = await startServer({ port: 0, config, devVars: false })
      expect((await post(`${s.url}/api/kv/fromfile`, { action: 'get', key: 'k' }, h)).status).toBe(200)
    }
    vi.stubEnv('EDGEBASE_CONFIG', JSON.stringify(cfg))
    try {
      await using s = await startServer({ port: 0, devVars: false })
      expect((await post(`${s.url}/api/kv/fromfile`, { action: 'get', key: 'k' }, h)).status).toBe(200)
    } finally {
      vi.unstubAllEnvs()
    }
    const missing = await startServer({ port: 0, config: join(dir, 'nope.json') }).catch((e) => e)
    expect(missing.message).toMatch(/^Cannot read the config file .*nope\.json/)
  })

  it('.dev.vars is read; process env overrides it; vars override both', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, '.dev.vars'), '# secrets\nSERVICE_KEY="from-dev-vars"\nOTHER_KEY=other\n')
    const config = {
      kv: { c: { binding: 'C' } },
      serviceKeys: {
        keys: [
          { kid: 'root', tier: 'root', secretSource: 'dashboard', secretRef: 'SERVICE_KEY' },
          { kid: 'other', tier: 'root', secretSource: 'dashboard', secretRef: 'OTHER_KEY' },
        ],
      },
    }
    const ok = async (s: { url: string }, k: string) => (await post(`${s.url}/api/kv/c`, { action: 'get', key: 'x' }, { 'X-EdgeBase-Service-Key': k })).status
    {
      await using s = await startServer({ port: 0, config, devVars: join(dir, '.dev.vars') })
      expect(await ok(s, 'from-dev-vars')).toBe(200)
      expect(await ok(s, 'other')).toBe(200)
    }
    vi.stubEnv('OTHER_KEY', 'from-process')
    try {
      await using s = await startServer({ port: 0, config, devVars: join(dir, '.dev.vars'), vars: { SERVICE_KEY: 'explicit' } })
      expect(await ok(s, 'explicit')).toBe(200)
      expect(await ok(s, 'from-dev-vars')).toBe(401)
      expect(await ok(s, 'from-process')).toBe(200)
      expect(await ok(s, 'other')).toBe(401)
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it('rules: KV rules are ignored with a warning; storage rule functions deny, with a warning', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      await using s = await startServer({
        port: 0,
        devVars: false,
        config: {
          kv: { c: { binding: 'C', rules: { read: (auth: unknown) => auth !== null } } },
          storage: { buckets: { avatars: { access: { read: true, write: function ownerOnly() { return true } } } } },
        },
      })
      expect(s.warnings).toEqual([
        'kv rules are not evaluated by the REST routes (as in EdgeBase): KV access needs a service key.',
        'storage.buckets.avatars.access.write is a function, which this server cannot run: it denies every request without a service key.',
      ])
      expect(warn).toHaveBeenCalledTimes(2)
    } finally {
      warn.mockRestore()
    }
  })

  it('bad options are refused before binding', async () => {
    await expect(startServer({ port: 70000 })).rejects.toThrow('port must be 0 to 65535, got 70000')
    await expect(startServer({ port: 0, config: 42 as never })).rejects.toThrow(TypeError)
    await expect(startServer({ port: 0, host: 'not an address' })).rejects.toMatchObject({ code: 'EB_SERVER_LISTEN' })
  })
})

describe('{ env } with D1, Vectorize and R2', () => {
  it('each binding is served under its name: D1 rows, vector matches, storage objects', async () => {
    const { D1Database, VectorizeIndex, R2Bucket } = native
    const db = new D1Database()
    await db.exec('CREATE TABLE t (a INTEGER)')
    await db.prepare('INSERT INTO t VALUES (?)').bind(7).run()
    const idx = new VectorizeIndex({ dimensions: 3, metric: 'euclidean' })
    await idx.upsert([{ id: 'x', values: [1, 0, 0] }])
    const files = new R2Bucket()
    await files.put('avatars/a.txt', 'seeded')
    await using server = await startServer({ port: 0, env: { DB: db, IDX: idx, avatars: files, SERVICE_KEY } })
    const h = { 'X-EdgeBase-Service-Key': SERVICE_KEY }
    expect((await post(`${server.url}/api/d1/DB`, { query: 'SELECT a FROM t' }, h)).body.results).toEqual([{ a: 7 }])
    await post(`${server.url}/api/d1/DB`, { query: 'INSERT INTO t VALUES (8)' }, h)
    expect(await db.prepare('SELECT count(*) AS n FROM t').first('n')).toBe(2)
    const described = await post(`${server.url}/api/vectorize/IDX`, { action: 'describe' }, h)
    expect(described.body).toMatchObject({ vectorCount: 1, dimensions: 3, metric: 'euclidean' })
    await post(`${server.url}/api/vectorize/IDX`, { action: 'upsert', vectors: [{ id: 'y', values: [0, 1, 0] }] }, h)
    expect((await idx.getByIds(['y']))[0].values).toEqual([0, 1, 0])
    // A storage bucket keeps its objects as `<bucket>/<key>` in its R2 binding (EdgeBase's layout).
    expect(await (await fetch(`${server.url}/api/storage/avatars/a.txt`, { headers: h })).text()).toBe('seeded')
    const form = new FormData()
    form.append('file', new Blob(['uploaded']))
    form.append('key', 'b.txt')
    expect((await fetch(`${server.url}/api/storage/avatars/upload`, { method: 'POST', headers: h, body: form })).status).toBe(201)
    expect(await (await files.get('avatars/b.txt'))!.text()).toBe('uploaded')
  })

  it('a config whose index shape differs from the env index is refused, naming the field', async () => {
    const idx = new native.VectorizeIndex({ dimensions: 3, metric: 'cosine' })
    const err = await startServer({ port: 0, env: { EMB: idx }, config: { vectorize: { emb: { binding: 'EMB', dimensions: 4, metric: 'cosine' } } } }).catch((e) => e)
    expect(err.code).toBe('EB_SERVER_CONFIG')
    expect(err.message).toBe('Invalid EdgeBase config: vectorize.emb.dimensions is 4 but the index in binding EMB has 3 dimensions')
    const metric = await startServer({ port: 0, env: { EMB: idx }, config: { vectorize: { emb: { binding: 'EMB', dimensions: 3, metric: 'euclidean' } } } }).catch((e) => e)
    expect(metric.message).toBe("Invalid EdgeBase config: vectorize.emb.metric is 'euclidean' but the index in binding EMB uses 'cosine'")
    const missing = await startServer({ port: 0, env: {}, config: { d1: { main: { binding: 'DB' } } } }).catch((e) => e)
    expect(missing.message).toBe("Invalid EdgeBase config: d1.main.binding 'DB' is not a D1Database in env")
  })

  it('a server with persist and a class on the same directory share D1, Vectorize and R2 stores', async () => {
    const dir = tempDir()
    const config = {
      d1: { main: { binding: 'DB' } },
      vectorize: { emb: { binding: 'EMB', dimensions: 2, metric: 'cosine' } },
      storage: { buckets: { up: {} } },
    }
    const server = await startServer({ port: 0, persist: dir, config, vars: { SERVICE_KEY }, devVars: false })
    const h = { 'X-EdgeBase-Service-Key': SERVICE_KEY }
    await post(`${server.url}/api/d1/main`, { query: 'CREATE TABLE x (v TEXT)' }, h)
    await post(`${server.url}/api/vectorize/emb`, { action: 'upsert', vectors: [{ id: 'a', values: [1, 0] }] }, h)
    const db = new native.D1Database({ persist: dir, name: 'DB' })
    expect(await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'x'").first('name')).toBe('x')
    const idx = new native.VectorizeIndex({ persist: dir, name: 'EMB' })
    expect((await idx.describe()).vectorCount).toBe(1)
    const r2 = new native.R2Bucket({ persist: dir, name: 'STORAGE' })
    await r2.put('up/from-class.txt', 'hi')
    expect(await (await fetch(`${server.url}/api/storage/up/from-class.txt`, { headers: h })).text()).toBe('hi')
    await server.close()
    await Promise.all([db.close(), idx.close(), r2.close()])
  })
})
