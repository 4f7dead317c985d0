// An EdgeBase client's session against startServer({ env }) holding persisted KV, D1, R2 and
// Vectorize instances: many clients at once mixing KV, D1, uploads, ranged and signed downloads,
// multipart parts and vector upserts, plus clients that abort uploads half-way. Everything written
// over HTTP must be what the classes read, and aborted uploads must leave no file behind.
import { createHash, randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { native, tempDir } from './helpers'

const KEY = 'client-key'
const MiB = 1024 * 1024
const headers = { 'x-edgebase-service-key': KEY }
const json = { ...headers, 'content-type': 'application/json' }
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex')

/** Files under a directory, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]))
}

describe('an EdgeBase client session over startServer({ env })', () => {
  it('concurrent mixed traffic and aborted uploads: the classes see every write, no stray files', async () => {
    const dir = tempDir()
    const kv = new native.KVNamespace({ persist: dir, name: 'CACHE' })
    const db = new native.D1Database({ persist: dir, name: 'DB' })
    const r2 = new native.R2Bucket({ persist: dir, name: 'STORAGE' })
    const vec = new native.VectorizeIndex({ persist: dir, name: 'EMB', dimensions: 8 })
    await db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, owner TEXT, body TEXT)')
    const server = await native.startServer({
      port: 0,
      env: { CACHE: kv, DB: db, STORAGE: r2, EMB: vec, SERVICE_KEY: KEY, JWT_USER_SECRET: 's'.repeat(32) },
      config: {
        kv: { cache: { binding: 'CACHE' } }, d1: { main: { binding: 'DB' } },
        vectorize: { emb: { binding: 'EMB', dimensions: 8, metric: 'cosine' } },
        storage: { buckets: { files: {} } },
      },
    })
    const url = (p: string) => `${server.url}${p}`
    const postJson = (p: string, body: unknown) => fetch(url(p), { method: 'POST', headers: json, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: await r.json() }))
    const uploaded = new Map<string, Uint8Array>()
    try {
      const client = async (c: number) => {
        for (let i = 0; i < 6; i++) {
          const id = `${c}-${i}`
          expect((await postJson('/api/kv/cache', { action: 'set', key: `k${id}`, value: `v${id}` })).body).toEqual({ ok: true })
          const ins = await postJson('/api/d1/main', { query: 'INSERT INTO notes (owner, body) VALUES (?, ?)', params: [`u${c}`, `note ${id}`] })
          expect(ins.body.meta.changes).toBe(1)
          const bytes = randomBytes(1000 + c * 997 + i * 31)
          const f = new FormData()
          f.append('file', new Blob([bytes], { type: 'application/octet-stream' }), 'f.bin')
          f.append('key', `u${c}/f${i}.bin`)
          const up = await fetch(url('/api/storage/files/upload'), { method: 'POST', headers, body: f })
          expect(up.status).toBe(201)
          uploaded.set(`files/u${c}/f${i}.bin`, bytes)
          const ranged = await fetch(url(`/api/storage/files/u${c}/f${i}.bin`), { headers: { ...headers, range: 'bytes=10-19' } })
          expect(ranged.status).toBe(206)
          expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(10, 20))).toBe(true)
          const v = Array.from({ length: 8 }, (_, j) => Math.cos(c * 8 + i + j))
          expect((await postJson('/api/vectorize/emb', { action: 'upsert', vectors: [{ id, values: v, metadata: { c } }] })).status).toBe(200)
        }
      }
      // Clients that give up half-way through an upload (a plain one and a multipart part).
      const aborter = async (n: number) => {
        const ac = new AbortController()
        let sent = 0
        const body = new ReadableStream({
          async pull(ctl) {
            if (sent >= 2 * MiB) {
              ac.abort()
              return new Promise(() => {})
            }
            ctl.enqueue(new Uint8Array(256 * 1024).fill(n))
            sent += 256 * 1024
          },
        })
        const boundary = 'XQAXBOUNDARY'
        const head = new TextEncoder().encode(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\n`)
        const whole = new ReadableStream({
          async start(ctl) {
            ctl.enqueue(head)
            const r = body.getReader()
            for (;;) {
              const { done, value } = await r.read()
              if (done) break
              ctl.enqueue(value)
            }
          },
        })
        await fetch(url('/api/storage/files/upload'), {
          method: 'POST', headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
          body: whole, duplex: 'half', signal: ac.signal,
        } as RequestInit).then(() => { throw new Error('the upload was not aborted') }, (e) => expect((e as Error).name).toBe('AbortError'))
      }
      const mp = await postJson('/api/storage/files/multipart/create', { key: 'mp/cut.bin' })
      const partAborter = async () => {
        const ac = new AbortController()
        let sent = 0
        const body = new ReadableStream({
          pull(ctl) {
            if (sent >= 3 * MiB) {
              ac.abort()
              return new Promise(() => {})
            }
            ctl.enqueue(new Uint8Array(MiB))
            sent += MiB
          },
        })
        await fetch(url(`/api/storage/files/multipart/upload-part?uploadId=${mp.body.uploadId}&partNumber=1&key=mp/cut.bin`), {
          method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream' }, body, duplex: 'half', signal: ac.signal,
        } as RequestInit).catch((e) => expect((e as Error).name).toBe('AbortError'))
      }
      await Promise.all([...Array.from({ length: 6 }, (_, c) => client(c)), aborter(1), aborter(2), partAborter()])

      // Signed download with a Range, without the service key.
      const signed = await postJson('/api/storage/files/signed-url', { key: 'u3/f2.bin', expiresIn: '5m' })
      const viaToken = await fetch(signed.body.url.replace(/^http:\/\/[^/]+/, server.url), { headers: { range: 'bytes=-5' } })
      expect(viaToken.status).toBe(206)
      expect(Buffer.from(await viaToken.arrayBuffer()).equals(uploaded.get('files/u3/f2.bin')!.subarray(-5))).toBe(true)

      // The classes see every write at once.
      expect(await kv.get('k5-5')).toBe('v5-5')
      expect((await kv.list({ limit: 1000 })).keys.length).toBe(36)
      expect(await db.prepare('SELECT count(*) AS n FROM notes').first('n')).toBe(36)
      expect((await vec.describe()).vectorCount).toBe(36)
      const listed = await r2.list({ prefix: 'files/', limit: 1000 })
      expect(listed.objects.map((o) => o.key).sort()).toEqual([...uploaded.keys()].sort())
      for (const [k, bytes] of uploaded) expect((await r2.head(k))!.etag).toBe(md5(bytes))
      // Give the server a moment to finish tearing down the aborted requests.
      await new Promise((r) => setTimeout(r, 300))
      const parts = await fetch(url(`/api/storage/files/uploads/${mp.body.uploadId}/parts?key=mp/cut.bin`), { headers }).then((r) => r.json())
      expect(parts.parts).toEqual([])
    } finally {
      await server.close()
    }
    await Promise.all([kv.close(), db.close(), r2.close(), vec.close()])
    // On disk: no upload in flight, and exactly one blob per stored object (no orphan from the
    // aborted uploads or parts).
    const bucket = join(dir, 'r2', 'STORAGE')
    expect(readdirSync(join(bucket, 'tmp'))).toEqual([])
    expect(files(join(bucket, 'blobs')).length).toBe(uploaded.size)
  })
})
