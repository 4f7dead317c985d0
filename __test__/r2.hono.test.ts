// A real Workers-style app (Hono, `__test__/fixtures/r2-hono-app.mjs`) served twice: inside workerd
// by Miniflare 4 with its R2 binding, and in Node with our R2Bucket as `env.BUCKET`. Each scenario
// sends the same HTTP requests to both; status, the headers a client reads and the bodies must be
// identical. This drives what the per-method differential suite cannot: the request's own
// `Headers` as `onlyIf`/`range`, `request.body` streams and `writeHttpMetadata` into a Response.
import { Miniflare } from 'miniflare'
import { createServer, type Server } from 'node:http'
import { type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { native, ROOT } from './helpers'

const MiB = 1024 * 1024
const APP = join(ROOT, '__test__/fixtures/r2-hono-app.mjs')
const COMPARED = ['content-type', 'content-language', 'content-disposition', 'cache-control', 'expires',
  'etag', 'content-range', 'x-size', 'x-custom']

type Reply = { status: number; headers: Record<string, string>; body: string; lastModified: string | null }
type Init = { headers?: Record<string, string>; body?: BodyInit | null; announce?: boolean }
type Send = (method: string, path: string, init?: Init) => Promise<Reply>
type App = { fetch(req: Request, env: unknown): Promise<Response> }

async function reply(res: Response): Promise<Reply> {
  const headers: Record<string, string> = {}
  for (const h of COMPARED) if (res.headers.has(h)) headers[h] = res.headers.get(h)!
  const body = await res.text()
  return { status: res.status, headers, body, lastModified: res.headers.get('last-modified') }
}

/** A body stream of unknown length (no Content-Length): `n` bytes of `fill` in chunks. */
function stream(n: number, fill: number, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let sent = 0
  return new ReadableStream({
    type: 'bytes',
    pull(c) {
      if (sent >= n) return c.close()
      const len = Math.min(chunk, n - sent)
      c.enqueue(new Uint8Array(len).fill(fill))
      sent += len
    },
  })
}

/** Upload times and upload ids differ between the two targets by nature. */
const comparable = (r: Reply) => ({
  ...r, body: r.body.replace(/"uploadId":"[^"]*"/, '"uploadId":"…"'), lastModified: r.lastModified === null ? null : 'set',
})

// Each scenario uses its own key prefix; they run against one bucket per target.
const scenarios: Record<string, (send: Send, p: string) => Promise<unknown[]>> = {
  'upload with metadata headers, download': async (send, p) => {
    const put = await send('PUT', `/files/${p}doc.txt`, {
      headers: {
        'content-type': 'text/plain; charset=utf-8', 'content-language': 'en', 'content-disposition': 'attachment; filename="doc.txt"',
        'cache-control': 'max-age=60', expires: 'Wed, 21 Oct 2037 07:28:00 GMT', 'x-meta': '{"owner":"ada","n":"1"}',
      },
      body: 'hello world',
    })
    return [put, await send('GET', `/files/${p}doc.txt`), await send('HEAD', `/files/${p}doc.txt`)]
  },
  'missing object': async (send, p) => [await send('GET', `/files/${p}nope`), await send('HEAD', `/files/${p}nope`),
    await send('GET', `/files/${p}nope`, { headers: { 'if-none-match': '"x"', range: 'bytes=0-1' } })],
  'If-None-Match': async (send, p) => {
    const put = await send('PUT', `/files/${p}a`, { body: 'abc' })
    const etag = put.headers.etag
    return [
      await send('GET', `/files/${p}a`, { headers: { 'if-none-match': etag } }),
      await send('GET', `/files/${p}a`, { headers: { 'if-none-match': `W/${etag}` } }),
      await send('GET', `/files/${p}a`, { headers: { 'if-none-match': `"other", ${etag}` } }),
      await send('GET', `/files/${p}a`, { headers: { 'if-none-match': '*' } }),
      await send('GET', `/files/${p}a`, { headers: { 'if-none-match': '"other"' } }),
    ]
  },
  'If-Match': async (send, p) => {
    const put = await send('PUT', `/files/${p}a`, { body: 'abc' })
    return [
      await send('GET', `/files/${p}a`, { headers: { 'if-match': put.headers.etag } }),
      await send('GET', `/files/${p}a`, { headers: { 'if-match': '"nope"' } }),
      await send('GET', `/files/${p}a`, { headers: { 'if-match': `W/${put.headers.etag}` } }),
    ]
  },
  'If-Modified-Since / If-Unmodified-Since': async (send, p) => {
    await send('PUT', `/files/${p}a`, { body: 'abc' })
    const lm = (await send('HEAD', `/files/${p}a`)).lastModified!
    const later = new Date(Date.parse(lm) + 3_600_000).toUTCString()
    const earlier = new Date(Date.parse(lm) - 3_600_000).toUTCString()
    return [
      await send('GET', `/files/${p}a`, { headers: { 'if-modified-since': lm } }),
      await send('GET', `/files/${p}a`, { headers: { 'if-modified-since': later } }),
      await send('GET', `/files/${p}a`, { headers: { 'if-modified-since': earlier } }),
      await send('GET', `/files/${p}a`, { headers: { 'if-modified-since': 'not a date' } }),
      await send('GET', `/files/${p}a`, { headers: { 'if-unmodified-since': earlier } }),
      await send('GET', `/files/${p}a`, { headers: { 'if-unmodified-since': later } }),
      // If-None-Match wins over If-Modified-Since (RFC 7232 §6).
      await send('GET', `/files/${p}a`, { headers: { 'if-none-match': '"other"', 'if-modified-since': later } }),
    ]
  },
  'Range header': async (send, p) => {
    await send('PUT', `/files/${p}r`, { body: '0123456789' })
    const ranges = ['bytes=0-3', 'bytes=4-', 'bytes=-3', 'bytes=8-100', 'bytes=0-0', 'bytes=9-9', 'bytes=10-12',
      'bytes=3-1', 'bytes=0-1,4-5', 'items=0-1', 'bytes=-0', 'bytes=abc', 'bytes = 2-4']
    const out = []
    for (const range of ranges) out.push(await send('GET', `/files/${p}r`, { headers: { range } }))
    return out
  },
  'Range with conditionals': async (send, p) => {
    const put = await send('PUT', `/files/${p}r`, { body: '0123456789' })
    return [
      await send('GET', `/files/${p}r`, { headers: { range: 'bytes=2-4', 'if-match': put.headers.etag } }),
      await send('GET', `/files/${p}r`, { headers: { range: 'bytes=2-4', 'if-none-match': put.headers.etag } }),
    ]
  },
  'conditional put (create only, replace if match)': async (send, p) => {
    const first = await send('PUT', `/files/${p}c`, { headers: { 'if-none-match': '*' }, body: 'one' })
    const again = await send('PUT', `/files/${p}c`, { headers: { 'if-none-match': '*' }, body: 'two' })
    const stale = await send('PUT', `/files/${p}c`, { headers: { 'if-match': '"0123"' }, body: 'three' })
    const ok = await send('PUT', `/files/${p}c`, { headers: { 'if-match': first.headers.etag }, body: 'four' })
    return [first, again, stale, ok, await send('GET', `/files/${p}c`)]
  },
  'bad conditional header': async (send, p) => {
    await send('PUT', `/files/${p}c`, { body: 'x' })
    return [await send('GET', `/files/${p}c`, { headers: { 'if-match': '"unclosed' } }),
      await send('GET', `/files/${p}c`, { headers: { 'if-none-match': '"a" "b"' } })]
  },
  'empty objects and awkward keys': async (send, p) => {
    const key = encodeURIComponent('dir with space/ünï cödé %41+?#&.txt')
    const out = [await send('PUT', `/files/${p}empty`, { body: '' }), await send('PUT', `/files/${p}${key}`, { body: 'ü' })]
    for (const range of ['bytes=0-', 'bytes=-1', 'bytes=0-0']) out.push(await send('GET', `/files/${p}empty`, { headers: { range } }))
    out.push(await send('GET', `/files/${p}${key}`, { headers: { range: 'bytes=1-' } }))
    out.push(await send('GET', `/list?prefix=${encodeURIComponent(p)}&startAfter=${encodeURIComponent(`${p}dir`)}`))
    return out
  },
  'binary body with Content-Length, 3 MiB': async (send, p) => {
    const bytes = new Uint8Array(3 * MiB).map((_, i) => (i * 31) & 0xff)
    const put = await send('PUT', `/files/${p}bin`, { headers: { 'content-type': 'application/octet-stream' }, body: bytes })
    const got = await send('GET', `/files/${p}bin`, { headers: { range: `bytes=${MiB - 2}-${MiB + 1}` } })
    return [put, got]
  },
  'overwrite replaces metadata': async (send, p) => {
    await send('PUT', `/files/${p}o`, { headers: { 'content-type': 'text/html', 'x-meta': '{"a":"1"}' }, body: 'v1' })
    await send('PUT', `/files/${p}o`, { body: 'v2' })
    return [await send('GET', `/files/${p}o`)]
  },
  'delete then get': async (send, p) => {
    await send('PUT', `/files/${p}d`, { body: 'x' })
    return [await send('DELETE', `/files/${p}d`), await send('GET', `/files/${p}d`), await send('DELETE', `/files/${p}d`)]
  },
  'folders with a delimiter': async (send, p) => {
    for (const k of ['a.txt', 'photos/1.jpg', 'photos/2.jpg', 'photos/2024/x.jpg', 'docs/readme', 'z/', 'b.txt']) {
      await send('PUT', `/files/${p}${encodeURIComponent(k)}`, { headers: { 'content-type': 'x/y', 'x-meta': '{"k":"v"}' }, body: k })
    }
    const out = [
      await send('GET', `/list?prefix=${p}&delimiter=/`),
      await send('GET', `/list?prefix=${p}photos/&delimiter=/`),
      await send('GET', `/list?prefix=${p}&delimiter=/&include=httpMetadata,customMetadata`),
      await send('GET', `/list?prefix=${p}photos&delimiter=/`),
    ]
    // Paging two entries at a time walks files and folders alike.
    let cursor = ''
    for (let i = 0; i < 6; i++) {
      const page = await send('GET', `/list?prefix=${p}&delimiter=/&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      const parsed = JSON.parse(page.body)
      out.push({ ...page, body: JSON.stringify({ ...parsed, cursor: parsed.cursor === null ? null : 'set' }) })
      if (!parsed.truncated) break
      cursor = parsed.cursor
    }
    return out
  },
  'multipart upload, 3 parts of a few MiB, then ranges across parts': async (send, p) => {
    const create = await send('POST', `/mpu/${p}big.bin?action=create`, { headers: { 'content-type': 'video/mp4' } })
    const uploadId = JSON.parse(create.body).uploadId
    const q = `uploadId=${encodeURIComponent(uploadId)}`
    const parts = []
    for (const [n, size] of [[1, 5 * MiB], [2, 5 * MiB], [3, MiB + 7]]) {
      const r = await send('PUT', `/mpu/${p}big.bin?${q}&partNumber=${n}`, { body: new Uint8Array(size).fill(n) })
      parts.push(JSON.parse(r.body))
    }
    const done = await send('POST', `/mpu/${p}big.bin?action=complete&${q}`, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ parts }) })
    const across = await send('GET', `/files/${p}big.bin`, { headers: { range: `bytes=${5 * MiB - 3}-${5 * MiB + 2}` } })
    const tail = await send('GET', `/files/${p}big.bin`, { headers: { range: 'bytes=-4' } })
    const again = await send('POST', `/mpu/${p}big.bin?action=complete&${q}`, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ parts }) })
    return [create, done, across, tail, again, await send('DELETE', `/mpu/${p}big.bin?${q}`)]
  },
  'multipart errors': async (send, p) => {
    // Part etags are opaque and differ in form (Miniflare: 171 base64url characters, ours: 32 hex).
    const opaque = (r: Reply) => ({ ...r, body: r.body.replace(/"etag":"[^"]*"/, '"etag":"…"') })
    const create = await send('POST', `/mpu/${p}m?action=create`)
    const q = `uploadId=${encodeURIComponent(JSON.parse(create.body).uploadId)}`
    const small = await send('PUT', `/mpu/${p}m?${q}&partNumber=1`, { body: 'tiny' })
    const last = await send('PUT', `/mpu/${p}m?${q}&partNumber=2`, { body: 'end' })
    const complete = await send('POST', `/mpu/${p}m?action=complete&${q}`, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ parts: [JSON.parse(small.body), JSON.parse(last.body)] }) })
    const zero = await send('PUT', `/mpu/${p}m?${q}&partNumber=0`, { body: 'x' })
    const aborted = await send('DELETE', `/mpu/${p}m?${q}`)
    const after = await send('PUT', `/mpu/${p}m?${q}&partNumber=1`, { body: 'x' })
    const unknown = await send('PUT', `/mpu/${p}m?uploadId=bogus&partNumber=1`, { body: 'x' })
    return [opaque(small), complete, zero, aborted, after, unknown]
  },
}

/** Known body lengths are announced in `x-upload-length` (see the app's `bodyOf`). */
function sender(fetcher: (url: string, init: RequestInit) => Promise<Response>): Send {
  return async (method, path, init = {}) => {
    const headers = { ...init.headers }
    const b = init.body
    if (init.announce === false) {
      // Nothing announced: the app passes request.body through untouched.
    } else if (typeof b === 'string') headers['x-upload-length'] = String(Buffer.byteLength(b))
    else if (b instanceof Uint8Array) headers['x-upload-length'] = String(b.byteLength)
    return reply(await fetcher(path, { method, headers, body: b ?? null, duplex: 'half' } as RequestInit))
  }
}

/** Serves `app` with node:http the plain way: the request body as a stream of unknown length. */
function serve(app: App, env: unknown): Promise<Server> {
  const server = createServer(async (req, res) => {
    const body = req.method === 'GET' || req.method === 'HEAD' ? null : (Readable.toWeb(req) as ReadableStream)
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method, headers: req.headers as Record<string, string>, body, duplex: 'half',
    } as RequestInit)
    const response = await app.fetch(request, env)
    res.writeHead(response.status, Object.fromEntries(response.headers))
    if (response.body && req.method !== 'HEAD') for await (const chunk of response.body) res.write(chunk)
    res.end()
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

describe('a Hono file server on R2: Miniflare 4 vs ours, over HTTP', () => {
  let mf: Miniflare
  let theirs: Send
  let ours: Send
  let server: Server
  const bucket = new native.R2Bucket()

  beforeAll(async () => {
    server = await serve((await import(APP)).default as App, { BUCKET: bucket })
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    ours = sender((path, init) => fetch(`${base}${path}`, init))
    mf = new Miniflare({ modules: true, scriptPath: APP, modulesRoot: ROOT, r2Buckets: ['BUCKET'], compatibilityDate: '2025-01-01',
      modulesRules: [{ type: 'ESModule', include: ['**/*.js', '**/*.mjs'] }] })
    theirs = sender((path, init) => mf.dispatchFetch(`http://files.test${path}`, init as never) as unknown as Promise<Response>)
  })
  afterAll(async () => {
    await mf?.dispose()
    await new Promise((r) => server?.close(r))
    await bucket.close()
  })

  let n = 0
  for (const [name, run] of Object.entries(scenarios)) {
    it(name, async () => {
      const p = `s${n++}/`
      const expected = (await run(theirs, p)).map((r) => comparable(r as Reply))
      const actual = (await run(ours, p)).map((r) => comparable(r as Reply))
      expect(actual).toEqual(expected)
    })
  }

  it('request.body of unknown length: Miniflare refuses it (workers-sdk#4373), ours stores it as production does', async () => {
    const theirsPut = await theirs('PUT', '/files/u/stream.bin', { body: 'abc', announce: false })
    expect(theirsPut.status).toBe(500)
    expect(theirsPut.body).toContain('Provided readable stream must have a known length')
    const put = await ours('PUT', '/files/u/stream.bin', { body: stream(3 * MiB + 5, 7), announce: false })
    expect(put.status).toBe(201)
    expect(JSON.parse(put.body).size).toBe(3 * MiB + 5)
    const got = await ours('GET', '/files/u/stream.bin', { headers: { range: 'bytes=-2' } })
    expect(got.status).toBe(206)
    expect(got.headers['content-range']).toBe(`bytes ${3 * MiB + 3}-${3 * MiB + 4}/${3 * MiB + 5}`)
    expect(got.body).toBe('\x07\x07')
  })
})
