// /api/storage/... (spec §2, EdgeBase's storage.test.ts cases), against the binary and startServer:
// uploads, downloads with Range, metadata, list cursors, deletes, signed URLs, multipart, rules,
// keys, path traversal and truncated uploads.
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, jwt, post, raw, ROOT_KEY, SERVICE_KEY, TARGETS, TEST_VARS, userClaims, type Running } from './server.helpers'

const MiB = 1024 * 1024
const CONFIG = {
  storage: {
    buckets: {
      files: {},
      public: { access: { read: true, write: 'auth != null', delete: 'auth.id == resource.uploadedBy' } },
      locked: { access: { read: false, write: false, delete: false } },
      fn: { access: { read: { $function: 'custom' } } },
    },
  },
  serviceKeys: { keys: [ROOT_KEY, { kid: 'pubread', tier: 'scoped', scopes: ['storage:bucket:public:read'], secret: 'jb_pubread_x' }] },
}

function form(fields: Record<string, string | Blob>): FormData {
  const f = new FormData()
  for (const [k, v] of Object.entries(fields)) f.append(k, v)
  return f
}

describe.each(TARGETS)('$name: storage routes', (target) => {
  let s: Running
  const key = { 'X-EdgeBase-Service-Key': SERVICE_KEY }
  const user = (id: string) => ({ Authorization: `Bearer ${jwt(userClaims({ sub: id }))}` })
  const at = (path: string) => `${s.url}/api/storage/${path}`
  const upload = (bucket: string, fields: Record<string, string | Blob>, headers: Record<string, string> = key, query = '') =>
    call(at(`${bucket}/upload${query}`), { method: 'POST', headers, body: form(fields) })

  beforeAll(async () => {
    s = await target.start({ config: CONFIG, vars: TEST_VARS })
  })
  afterAll(() => s.close())

  it('upload: 201 with EdgeBase metadata; overwrite; nested and unicode keys', async () => {
    const r = await upload('files', { file: new Blob(['hello world'], { type: 'text/plain' }), key: 'docs/hello.txt', customMetadata: '{"tag":"x","n":1}' })
    expect(r.status).toBe(201)
    expect(r.body).toEqual({
      key: 'docs/hello.txt',
      size: 11,
      contentType: 'text/plain',
      etag: expect.stringMatching(/^[0-9a-f]{32}$/),
      uploadedAt: expect.any(String),
      uploadedBy: null,
      customMetadata: { tag: 'x', n: '1' },
    })
    const again = await upload('files', { file: new Blob(['bye']), key: 'docs/hello.txt' })
    expect(again.body).toMatchObject({ size: 3, contentType: 'application/octet-stream', customMetadata: {} })
    expect(again.body.etag).not.toBe(r.body.etag)
    const uni = await upload('files', { key: 'ünï/cødé €.txt', file: new Blob(['u']) })
    expect(uni.status).toBe(201)
    expect((await call(at(`files/${encodeURIComponent('ünï')}/${encodeURIComponent('cødé €.txt')}`), { headers: key })).text).toBe('u')
  })

  it('upload errors: missing fields, not multipart, invalid keys, unknown bucket', async () => {
    const missing = { code: 400, message: 'Missing required fields: file and key.', slug: 'validation-failed' }
    expect((await upload('files', { key: 'k' })).body).toEqual(missing)
    expect((await upload('files', { file: new Blob(['x']) })).body).toEqual(missing)
    const notForm = await post(at('files/upload'), { file: 'x', key: 'k' }, key)
    expect(notForm.body).toEqual({ code: 400, message: 'Expected multipart/form-data request body.', slug: 'validation-failed' })
    const bad = async (k: string) => (await upload('files', { file: new Blob(['x']), key: k })).body.message
    expect(await bad('   ')).toBe('Storage key must not be empty.')
    expect(await bad('a/../../b')).toBe('Storage key must not contain path traversal sequences (..).')
    expect(await bad('..')).toBe('Storage key must not contain path traversal sequences (..).')
    expect(await bad('a\u0000b')).toBe('Storage key must not contain null bytes.')
    expect(await bad('k'.repeat(1025))).toBe('Storage key must not exceed 1024 characters.')
    expect((await upload('files', { file: new Blob(['x']), key: 'a/..b/c' })).status).toBe(201) // `..b` is not a traversal
    expect((await upload('nowhere', { file: new Blob(['x']), key: 'k' })).body).toEqual({
      code: 404,
      message: "Storage bucket 'nowhere' is not configured.",
      slug: 'not-found',
    })
  })

  it('download: body and headers; Range 206 / 416; HEAD; binary round trip', async () => {
    const bytes = randomBytes(3 * MiB + 17)
    const up = await upload('files', { file: new Blob([bytes], { type: 'application/x-bin' }), key: 'bin/data.bin' })
    const res = await fetch(at('files/bin/data.bin'), { headers: key })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/x-bin')
    expect(res.headers.get('content-length')).toBe(String(bytes.length))
    expect(res.headers.get('etag')).toBe(up.body.etag)
    expect(new Date(res.headers.get('last-modified')!).getTime()).toBeGreaterThan(Date.now() - 60_000)
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true)
    const part = await fetch(at('files/bin/data.bin'), { headers: { ...key, Range: 'bytes=10-19' } })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${bytes.length}`)
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(10, 20))).toBe(true)
    const suffix = await fetch(at('files/bin/data.bin'), { headers: { ...key, Range: 'bytes=-5' } })
    expect(Buffer.from(await suffix.arrayBuffer()).equals(bytes.subarray(bytes.length - 5))).toBe(true)
    const beyond = await fetch(at('files/bin/data.bin'), { headers: { ...key, Range: `bytes=${bytes.length}-` } })
    expect(beyond.status).toBe(416)
    expect(beyond.headers.get('content-range')).toBe(`bytes */${bytes.length}`)
    const junk = await fetch(at('files/bin/data.bin'), { headers: { ...key, Range: 'pages=1-2' } })
    expect(junk.status).toBe(200)
    await junk.arrayBuffer()
    expect((await call(at('files/bin/nope.bin'), { headers: key })).body).toEqual({ code: 404, message: 'File not found.', slug: 'not-found' })
    expect((await call(at('files/bin/data.bin'), { method: 'HEAD', headers: key })).status).toBe(200)
    expect((await call(at('files/bin/nope.bin'), { method: 'HEAD', headers: key })).status).toBe(404)
  })

  it('metadata: get, patch (merged), errors', async () => {
    await upload('files', { file: new Blob(['m'], { type: 'text/plain' }), key: 'meta/m.txt', customMetadata: '{"a":"1"}' })
    const got = await call(at('files/meta/m.txt/metadata'), { headers: key })
    expect(got.body).toMatchObject({ key: 'meta/m.txt', size: 1, contentType: 'text/plain', customMetadata: { a: '1' } })
    const patched = await call(at('files/meta/m.txt/metadata'), {
      method: 'PATCH',
      headers: { ...key, 'content-type': 'application/json' },
      body: JSON.stringify({ customMetadata: { b: '2' }, contentType: 'text/markdown' }),
    })
    expect(patched.body).toMatchObject({ key: 'meta/m.txt', size: 1, contentType: 'text/markdown', customMetadata: { a: '1', b: '2' } })
    expect(await (await fetch(at('files/meta/m.txt'), { headers: key })).text()).toBe('m')
    const bad = await call(at('files/meta/m.txt/metadata'), { method: 'PATCH', headers: { ...key, 'content-type': 'application/json' }, body: '{"customMetadata":{"n":1}}' })
    expect(bad.body).toEqual({ code: 400, message: 'customMetadata.n: Invalid input: expected string, received number' })
    expect((await call(at('files/meta/none.txt/metadata'), { method: 'PATCH', headers: { ...key, 'content-type': 'application/json' }, body: '{}' })).status).toBe(404)
    expect((await call(at('files/meta/m.txt'), { method: 'PATCH', headers: key })).body).toEqual({ code: 404, message: 'Not found.', slug: 'not-found' })
    expect((await call(at('files/meta/none.txt/metadata'), { headers: key })).status).toBe(404)
  })

  it('list: files, prefix, limit with cursors, offset cursors, bad limits', async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e']) await upload('files', { file: new Blob([n]), key: `list/${n}.txt` })
    const all = await call(at('files?prefix=list/'), { headers: key })
    expect(all.body.files.map((f: { key: string }) => f.key)).toEqual(['list/a.txt', 'list/b.txt', 'list/c.txt', 'list/d.txt', 'list/e.txt'])
    expect(all.body).toMatchObject({ cursor: null, truncated: false })
    expect(all.body.files[0]).toMatchObject({ size: 1, contentType: 'application/octet-stream', customMetadata: {} })
    const p1 = await call(at('files?prefix=list/&limit=2'), { headers: key })
    expect(p1.body.files.map((f: { key: string }) => f.key)).toEqual(['list/a.txt', 'list/b.txt'])
    expect(p1.body.truncated).toBe(true)
    const p2 = await call(at(`files?prefix=list/&limit=2&cursor=${encodeURIComponent(p1.body.cursor)}`), { headers: key })
    expect(p2.body.files.map((f: { key: string }) => f.key)).toEqual(['list/c.txt', 'list/d.txt'])
    const off = await call(at('files?prefix=list/&limit=2&offset=3'), { headers: key })
    expect(off.body.files.map((f: { key: string }) => f.key)).toEqual(['list/d.txt', 'list/e.txt'])
    expect(off.body).toMatchObject({ truncated: false, cursor: null })
    const off2 = await call(at('files?prefix=list/&limit=2&offset=1'), { headers: key })
    expect(off2.body).toMatchObject({ truncated: true, cursor: 'offset:3' })
    const next = await call(at('files?prefix=list/&limit=2&cursor=offset:3'), { headers: key })
    expect(next.body.files.map((f: { key: string }) => f.key)).toEqual(['list/d.txt', 'list/e.txt'])
    expect((await call(at('files?limit=-1'), { headers: key })).body).toEqual({
      code: 400,
      message: 'Invalid storage limit: must be a non-negative integer.',
      slug: 'validation-failed',
    })
    expect((await call(at('files?offset=x'), { headers: key })).body.message).toBe('Invalid storage offset: must be a non-negative integer.')
    expect((await call(at('files?prefix=list/&limit=0'), { headers: key })).body.files).toHaveLength(1)
  })

  it('delete and delete-batch', async () => {
    await upload('files', { file: new Blob(['x']), key: 'del/one.txt' })
    expect((await call(at('files/del/one.txt'), { method: 'DELETE', headers: key })).body).toEqual({ ok: true })
    expect((await call(at('files/del/one.txt'), { method: 'DELETE', headers: key })).status).toBe(404)
    await upload('files', { file: new Blob(['x']), key: 'del/a' })
    const batch = await post(at('files/delete-batch'), { keys: ['del/a', 'del/missing', '../x'] }, key)
    expect(batch.body).toEqual({
      deleted: ['del/a'],
      failed: [
        { key: 'del/missing', error: 'File not found.' },
        { key: '../x', error: 'Storage key must not contain path traversal sequences (..).' },
      ],
    })
    expect((await post(at('files/delete-batch'), { keys: [] }, key)).body.message).toBe('Missing required field: keys (non-empty array).')
    expect((await post(at('files/delete-batch'), { keys: Array.from({ length: 101 }, (_, i) => `k${i}`) }, key)).body.message).toBe(
      'Maximum 100 keys per batch delete request.',
    )
    expect((await post(at('files/delete-batch'), { keys: 'x' }, key)).body.message).toBe('keys: Invalid input: expected array, received string')
  })

  it('signed download URLs bypass rules; forged or expired tokens do not', async () => {
    await upload('locked', { file: new Blob(['secret']), key: 's/x.txt' })
    expect((await call(at('locked/s/x.txt'))).body).toEqual({ code: 403, message: 'Access denied by storage access rules.', slug: 'access-denied' })
    const signed = await post(at('locked/signed-url'), { key: 's/x.txt', expiresIn: '2s' }, key)
    expect(signed.body).toEqual({ url: expect.stringContaining('/api/storage/locked/s%2Fx.txt?token='), expiresAt: expect.any(String) })
    const url = signed.body.url.replace(/^http:\/\/[^/]+/, s.url)
    expect(await (await fetch(url)).text()).toBe('secret')
    const forged = url.replace(/.$/, (c: string) => (c === '0' ? '1' : '0'))
    expect((await call(forged)).status).toBe(403)
    expect((await post(at('locked/signed-url'), { key: 's/none.txt' }, key)).status).toBe(404)
    const many = await post(at('locked/signed-urls'), { keys: ['s/x.txt', 's/none.txt'] }, key)
    expect(many.body.urls.map((u: { key: string }) => u.key)).toEqual(['s/x.txt'])
    expect((await post(at('locked/signed-urls'), { keys: Array.from({ length: 101 }, () => 'k') }, key)).body.message).toBe(
      'Maximum 100 keys per batch signed URL request.',
    )
    await new Promise((r) => setTimeout(r, 2100))
    expect((await call(url)).status).toBe(403)
  })

  it('signed upload URLs: upload without a key, maxFileSize → 413, key mismatch → 400', async () => {
    const signed = await post(at('locked/signed-upload-url'), { key: 'up/a.txt', maxFileSize: '10B' }, key)
    expect(signed.body).toEqual({ url: expect.stringContaining('/api/storage/locked/upload?token='), expiresAt: expect.any(String), maxFileSize: '10B', uploadedBy: null })
    const path = signed.body.url.replace(/^http:\/\/[^/]+\/api\/storage\//, '')
    const ok = await call(at(path), { method: 'POST', body: form({ file: new Blob(['0123456789']), key: 'up/a.txt' }) })
    expect(ok.status).toBe(201)
    const big = await call(at(path), { method: 'POST', body: form({ file: new Blob(['0123456789A']), key: 'up/a.txt' }) })
    expect(big.body).toEqual({ code: 413, message: 'Signed upload exceeds maxFileSize of 10 bytes.', slug: 'payload-too-large' })
    const other = await call(at(path), { method: 'POST', body: form({ file: new Blob(['x']), key: 'up/b.txt' }) })
    expect(other.body).toEqual({ code: 400, message: 'Signed upload key mismatch between query and form body.', slug: 'validation-failed' })
    expect((await post(at('locked/signed-upload-url'), { key: 'k', maxFileSize: '5 MB' }, key)).body.message).toBe(
      'Invalid maxFileSize. Use a byte size like 128B, 1KB, 5MB, or 1GB.',
    )
    // Without the key, the rules decide (locked: write false).
    expect((await upload('locked', { file: new Blob(['x']), key: 'up/c.txt' }, {})).status).toBe(403)
  })

  it('multipart: create, upload parts, list parts, complete, abort', async () => {
    const created = await post(at('files/multipart/create'), { key: 'mp/big.bin', contentType: 'application/x-big', customMetadata: { t: '1' } }, key)
    expect(created.body).toEqual({ uploadId: expect.any(String), key: 'mp/big.bin' })
    const id = created.body.uploadId
    const one = randomBytes(5 * MiB)
    const two = randomBytes(1234)
    const part = (n: number, body: Buffer) =>
      call(at(`files/multipart/upload-part?uploadId=${id}&partNumber=${n}&key=mp/big.bin`), {
        method: 'POST',
        headers: { ...key, 'content-type': 'application/octet-stream' },
        body,
      })
    const p1 = await part(1, one)
    expect(p1.body).toEqual({ partNumber: 1, etag: expect.any(String) })
    const p2 = await part(2, two)
    const listed = await call(at(`files/uploads/${id}/parts?key=mp/big.bin`), { headers: key })
    expect(listed.body).toEqual({ uploadId: id, key: 'mp/big.bin', parts: [p1.body, p2.body] })
    const done = await post(at('files/multipart/complete'), { uploadId: id, key: 'mp/big.bin', parts: [p1.body, p2.body] }, key)
    expect(done.body).toMatchObject({ key: 'mp/big.bin', size: one.length + two.length, contentType: 'application/x-big', customMetadata: { t: '1' } })
    const back = Buffer.from(await (await fetch(at('files/mp/big.bin'), { headers: key })).arrayBuffer())
    expect(back.equals(Buffer.concat([one, two]))).toBe(true)
    expect((await call(at(`files/uploads/${id}/parts?key=mp/big.bin`), { headers: key })).body.parts).toEqual([])

    const aborted = await post(at('files/multipart/create'), { key: 'mp/gone.bin' }, key)
    expect((await post(at('files/multipart/abort'), { uploadId: aborted.body.uploadId, key: 'mp/gone.bin' }, key)).body).toEqual({ ok: true })
    const late = await call(at(`files/multipart/upload-part?uploadId=${aborted.body.uploadId}&partNumber=1&key=mp/gone.bin`), {
      method: 'POST',
      headers: { ...key, 'content-type': 'application/octet-stream' },
      body: 'x',
    })
    expect(late.status).toBe(400)
    expect(late.body.message).toBe('uploadPart: The specified multipart upload does not exist. (10024)')
    expect((await post(at('files/multipart/complete'), { uploadId: 'x', key: 'k', parts: [] }, key)).body.message).toBe('Missing required fields: uploadId, key, parts.')
    expect((await post(at('files/multipart/complete'), { uploadId: 'nope', key: 'k', parts: [{ partNumber: 1, etag: 'e' }] }, key)).status).toBe(400)
    expect((await call(at('files/multipart/upload-part?uploadId=x'), { method: 'POST', headers: key, body: 'x' })).body.message).toBe(
      'Missing required query params: uploadId, partNumber, key.',
    )
    expect((await post(at('files/multipart/abort'), { key: 'k' }, key)).body.message).toBe('uploadId: Invalid input: expected string, received undefined')
    expect((await call(at('files/uploads/x/parts'), { headers: key })).body.message).toBe('Missing required query param: key.')
  })

  it('rules: booleans and expressions with JWT users; service keys bypass, wrong ones are 401; functions deny', async () => {
    expect((await upload('public', { file: new Blob(['x']), key: 'p.txt' }, {})).body).toEqual({
      code: 403,
      message: 'Access denied by storage access rules.',
      slug: 'access-denied',
    })
    const mine = await upload('public', { file: new Blob(['mine']), key: 'p.txt' }, user('u1'))
    expect(mine.status).toBe(201)
    expect(mine.body.uploadedBy).toBe('u1')
    expect(mine.body.customMetadata).toEqual({ uploadedBy: 'u1' })
    expect(await (await fetch(at('public/p.txt'))).text()).toBe('mine')
    expect((await call(at('public/p.txt'), { method: 'DELETE', headers: user('u2') })).status).toBe(403)
    expect((await call(at('public/p.txt'), { method: 'DELETE', headers: user('u1') })).body).toEqual({ ok: true })
    // A forged user token is anonymous in dev.
    expect((await upload('public', { file: new Blob(['x']), key: 'q.txt' }, { Authorization: `Bearer ${jwt(userClaims(), 'forged')}` })).status).toBe(403)
    expect((await call(at('locked'), { headers: key })).status).toBe(200)
    expect((await call(at('locked'))).status).toBe(403)
    expect((await call(at('locked'), { headers: { 'X-EdgeBase-Service-Key': 'wrong' } })).body).toEqual({
      code: 401,
      message: "Invalid X-EdgeBase-Service-Key for storage scope 'storage:bucket:locked:read'.",
      slug: 'unauthenticated',
    })
    expect((await call(at('public'), { headers: { 'X-EdgeBase-Service-Key': 'jb_pubread_x' } })).status).toBe(200)
    expect((await upload('public', { file: new Blob(['x']), key: 'r.txt' }, { 'X-EdgeBase-Service-Key': 'jb_pubread_x' })).status).toBe(401)
    expect((await call(at('fn'))).status).toBe(403)
    expect((await upload('fn', { file: new Blob(['x']), key: 'ok.txt' }, {})).status).toBe(201) // no write rule, dev
  })

  it('path traversal in keys and bucket names never escapes', async () => {
    for (const p of ['files/../locked/s/x.txt', 'files/a/%2e%2e/%2e%2e/etc/passwd', 'files/..']) {
      const r = await raw(at(p), { method: 'GET', headers: key })
      expect(r.status, p).toBe(400)
      expect(JSON.parse(r.text).message).toBe('Storage key must not contain path traversal sequences (..).')
    }
    for (const p of ['..', '%2e%2e', '..%2Ffiles']) {
      const r = await raw(at(`${p}/x`), { method: 'GET', headers: key })
      expect(r.status, p).toBe(404)
      expect(JSON.parse(r.text).message).toMatch(/^Storage bucket '.*' is not configured\.$/)
    }
  })

  it('a truncated upload stores nothing and the server keeps serving', async () => {
    const port = Number(new URL(s.url).port)
    const boundary = 'XBOUNDARYX'
    await new Promise<void>((resolve) => {
      const sock = connect(port, '127.0.0.1', () => {
        sock.write(
          `POST /api/storage/files/upload HTTP/1.1\r\nHost: x\r\nX-EdgeBase-Service-Key: ${SERVICE_KEY}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 100000\r\n\r\n` +
            `--${boundary}\r\nContent-Disposition: form-data; name="key"\r\n\r\ncut.txt\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.txt"\r\n\r\n` +
            'partial bytes...',
        )
        setTimeout(() => sock.destroy(), 100)
      })
      sock.on('close', () => resolve())
      sock.on('error', () => {})
    })
    await new Promise((r) => setTimeout(r, 100))
    expect((await call(at('files/cut.txt'), { headers: key })).status).toBe(404)
    expect((await call(`${s.url}/api/health`)).status).toBe(200)
  })
})

describe.each(TARGETS)('$name: storage in release mode and without JWT_USER_SECRET', (target) => {
  it('release: a bucket without a rule is denied; signed URLs need JWT_USER_SECRET; the storage rate limit', async () => {
    const s = await target.start({
      config: { ...CONFIG, release: true, rateLimiting: { storage: { requests: 3, window: '1h' } } },
      vars: { SERVICE_KEY },
    })
    try {
      expect((await call(`${s.url}/api/storage/files`)).body).toEqual({
        code: 403,
        message: "Access denied. No 'read' rule defined for bucket 'files'.",
        slug: 'access-denied',
      })
      const f = new FormData()
      f.append('file', new Blob(['x']))
      f.append('key', 'k.txt')
      await call(`${s.url}/api/storage/files/upload`, { method: 'POST', headers: { 'X-EdgeBase-Service-Key': SERVICE_KEY }, body: f })
      expect((await post(`${s.url}/api/storage/files/signed-url`, { key: 'k.txt' }, { 'X-EdgeBase-Service-Key': SERVICE_KEY })).body).toEqual({
        code: 500,
        message: 'Signed URLs require JWT_USER_SECRET to be configured.',
        slug: 'internal-error',
      })
      // One anonymous storage request was counted above (keyed ones are not); two more pass.
      expect((await call(`${s.url}/api/storage/public/x`)).status).toBe(404)
      expect((await call(`${s.url}/api/storage/public/x`)).status).toBe(404)
      const limited = await call(`${s.url}/api/storage/public/x`)
      expect(limited.status).toBe(429)
      expect(limited.body).toEqual({ code: 429, message: 'Too many requests. Please try again later.', group: 'storage' })
    } finally {
      await s.close()
    }
  })
})
