// The EdgeBase REST surface (spec edgebase-rest.md): every route, status code, auth case and bad
// body, run against the standalone binary and startServer alike. Numbers refer to the spec's
// sections; "EB" marks an assertion ported from EdgeBase's own tests (§7).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, jwt, post, raw, ROOT_KEY, SERVICE_KEY, TARGETS, TEST_CONFIG, TEST_VARS, userClaims, type Running } from './server.helpers'

const MiB = 1024 * 1024

describe.each(TARGETS)('$name', (target) => {
  let s: Running
  const key = { 'X-EdgeBase-Service-Key': SERVICE_KEY }
  const kv = (ns: string, body: unknown, headers: Record<string, string> = key) => post(`${s.url}/api/kv/${ns}`, body, headers)

  beforeAll(async () => {
    s = await target.start({ config: TEST_CONFIG, vars: TEST_VARS })
  })
  afterAll(() => s.close())

  describe('§6 health, root, 404, headers', () => {
    it('GET /api/health answers without auth', async () => {
      const r = await call(`${s.url}/api/health`)
      expect(r.status).toBe(200)
      expect(r.body).toEqual({ status: 'ok', version: expect.any(String), timestamp: expect.any(String) })
      expect(new Date(r.body.timestamp).toISOString()).toBe(r.body.timestamp)
      expect(r.headers.get('content-type')).toBe('application/json')
      expect(r.headers.get('x-content-type-options')).toBe('nosniff')
      const head = await call(`${s.url}/api/health`, { method: 'HEAD' })
      expect(head.status).toBe(200)
      expect(head.text).toBe('')
    })

    it('GET / describes the API', async () => {
      expect((await call(`${s.url}/`)).body).toEqual({ name: 'EdgeBase API', docs: '/openapi.json', admin: null })
    })

    it('unknown paths and unserved methods are EdgeBase 404s', async () => {
      for (const [method, path] of [
        ['GET', '/nope'],
        ['DELETE', '/api/nope/x'],
        ['GET', '/api/kv/cache'],
        ['PUT', '/api/kv/cache'],
        ['PATCH', '/api/kv/cache'],
        ['POST', '/api/kv/cache/extra'],
        ['POST', '/api/kv/'],
        ['POST', '/api/health'],
      ]) {
        const r = await call(`${s.url}${path}`, { method })
        expect(r.status, `${method} ${path}`).toBe(404)
        expect(r.body).toEqual({ code: 404, message: `Path '${path}' was not found on this EdgeBase server.` })
        expect(r.headers.get('allow')).toBeNull()
      }
    })
  })

  describe('§1.1 KV (EB admin.test.ts "admin — KV API")', () => {
    it('set, get, delete, get after delete', async () => {
      expect((await kv('cache', { action: 'set', key: 'k1', value: 'hello' })).body).toEqual({ ok: true })
      expect((await kv('cache', { action: 'get', key: 'k1' })).body).toEqual({ value: 'hello' })
      // `test` and `default` share the TEST_KV binding with `cache`: one store.
      expect((await kv('test', { action: 'get', key: 'k1' })).body).toEqual({ value: 'hello' })
      expect((await kv('cache', { action: 'delete', key: 'k1' })).body).toEqual({ ok: true })
      expect((await kv('cache', { action: 'get', key: 'k1' })).body).toEqual({ value: null })
      expect((await kv('cache', { action: 'delete', key: 'never-existed' })).body).toEqual({ ok: true })
    })

    it('values are strings, kept exactly (empty, unicode, JSON text)', async () => {
      for (const value of ['', 'ünïcødé €😀', '{"a":[1,2]}', 'line\nbreak\t"quoted"\\']) {
        expect((await kv('cache', { action: 'set', key: 'v', value })).status).toBe(200)
        expect((await kv('cache', { action: 'get', key: 'v' })).body).toEqual({ value })
      }
    })

    it('list: names only, prefix, limit and cursor paging; cursor omitted when complete', async () => {
      for (const k of ['lp:a', 'lp:b', 'lp:c', 'other']) await kv('default', { action: 'set', key: k, value: '1' })
      expect((await kv('default', { action: 'list', prefix: 'lp:' })).body).toEqual({ keys: ['lp:a', 'lp:b', 'lp:c'] })
      const first = (await kv('default', { action: 'list', prefix: 'lp:', limit: 1 })).body
      expect(first.keys).toEqual(['lp:a'])
      expect(first.cursor).toEqual(expect.any(String))
      const rest = (await kv('default', { action: 'list', prefix: 'lp:', limit: 5, cursor: first.cursor })).body
      expect(rest).toEqual({ keys: ['lp:b', 'lp:c'] })
      // Falsy prefix/limit/cursor are not forwarded.
      const all = (await kv('default', { action: 'list', prefix: '', limit: 0, cursor: '' })).body
      expect(all.keys).toEqual(expect.arrayContaining(['lp:a', 'other']))
      expect((await kv('default', { action: 'list', limit: 1000 })).status).toBe(200)
    })

    it('ttl: 60 accepted, 0 means none, under 60 or negative rejected with a ttl message', async () => {
      expect((await kv('cache', { action: 'set', key: 't', value: 'x', ttl: 60 })).body).toEqual({ ok: true })
      expect((await kv('cache', { action: 'set', key: 't0', value: 'x', ttl: 0 })).body).toEqual({ ok: true })
      const short = await kv('cache', { action: 'set', key: 't', value: 'x', ttl: 1 })
      expect(short.status).toBe(400)
      expect(short.body).toEqual({ code: 400, message: 'KV PUT failed: 400 Invalid expiration_ttl of 1. Expiration TTL must be at least 60.' })
      const neg = await kv('cache', { action: 'set', key: 't', value: 'x', ttl: -1 })
      expect(neg.status).toBe(400)
      expect(neg.body.message).toContain('expiration_ttl of -1')
      expect((await kv('cache', { action: 'set', key: 't', value: 'x', ttl: 1e12 })).status).toBe(400)
    })

    it('missing fields are 400 with EdgeBase texts (falsy key counts as missing)', async () => {
      const cases: Array<[unknown, string]> = [
        [{ action: 'get' }, "Missing required field 'key' for KV action 'get'."],
        [{ action: 'get', key: '' }, "Missing required field 'key' for KV action 'get'."],
        [{ action: 'set', value: 'v' }, "Missing required field 'key' for KV action 'set'."],
        [{ action: 'set', key: 'k' }, "Missing required field 'value' for KV action 'set'."],
        [{ action: 'delete' }, "Missing required field 'key' for KV action 'delete'."],
      ]
      for (const [body, message] of cases) expect((await kv('cache', body)).body, JSON.stringify(body)).toEqual({ code: 400, message })
    })

    it('schema errors are 400 in zod form: bad action, wrong types, null optionals, non-objects', async () => {
      const action = 'action: Invalid option: expected one of "get"|"set"|"delete"|"list"'
      expect((await kv('cache', { action: 'nope' })).body).toEqual({ code: 400, message: action })
      expect((await kv('cache', {})).body).toEqual({ code: 400, message: action })
      expect((await kv('cache', { action: 'get', key: 5 })).body.message).toBe('key: Invalid input: expected string, received number')
      expect((await kv('cache', { action: 'set', key: 'k', value: { a: 1 } })).body.message).toBe('value: Invalid input: expected string, received object')
      expect((await kv('cache', { action: 'list', limit: '5', prefix: null })).body.message).toBe(
        'prefix: Invalid input: expected string, received null, limit: Invalid input: expected number, received string',
      )
      expect((await kv('cache', [1, 2])).body).toEqual({ code: 400, message: 'Invalid input: expected object, received array' })
      expect((await kv('cache', 'null')).body).toEqual({ code: 400, message: 'Invalid input: expected object, received null' })
      // Unknown fields are ignored.
      expect((await kv('cache', { action: 'get', key: 'x', extra: true })).status).toBe(200)
    })

    it('malformed JSON, and bodies that are not JSON by content type', async () => {
      for (const body of ['{"action":', '', 'nope', '{"a":1}}']) {
        expect((await kv('cache', body)).body, body).toEqual({ code: 400, message: 'Malformed JSON in request body' })
      }
      const action = 'action: Invalid option: expected one of "get"|"set"|"delete"|"list"'
      const asText = await call(`${s.url}/api/kv/cache`, { method: 'POST', headers: key, body: '{"action":"get","key":"k"}' })
      expect(asText.body).toEqual({ code: 400, message: action })
      for (const ct of ['text/plain', 'Application/JSON', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
        expect((await kv('cache', { action: 'get', key: 'k' }, { ...key, 'content-type': ct })).body, ct).toEqual({ code: 400, message: action })
      }
      for (const ct of ['application/json; charset=utf-8', 'application/vnd.api+json']) {
        expect((await kv('cache', { action: 'get', key: 'k' }, { ...key, 'content-type': ct })).status, ct).toBe(200)
      }
      // A UTF-8 BOM is tolerated like Request.json() does.
      expect((await kv('cache', '\uFEFF{"action":"get","key":"k"}')).status).toBe(200)
    })

    it('binding validation is 4xx with the binding text, never 500', async () => {
      expect((await kv('cache', { action: 'get', key: '.' })).body).toEqual({ code: 400, message: '"." is not allowed as a key name.' })
      expect((await kv('cache', { action: 'set', key: '..', value: 'v' })).body).toEqual({ code: 400, message: '".." is not allowed as a key name.' })
      const long = 'k'.repeat(513)
      for (const action of ['get', 'set', 'delete']) {
        const r = await kv('cache', { action, key: long, value: 'v' })
        expect(r.status, action).toBe(400)
        expect(r.body.message).toMatch(/^KV (GET|PUT|DELETE) failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512\.$/)
      }
      expect((await kv('cache', { action: 'set', key: 'k'.repeat(512), value: 'v' })).status).toBe(200)
      expect((await kv('cache', { action: 'list', limit: 1001 })).body).toEqual({
        code: 400,
        message: 'KV GET failed: 400 Invalid key_count_limit of 1001. Please specify an integer less than 1000.',
      })
      expect((await kv('cache', { action: 'list', cursor: 'not-a-cursor' })).body).toEqual({ code: 400, message: 'KV GET failed: 400 Invalid cursor.' })
      expect((await kv('cache', { action: 'list', prefix: 'p'.repeat(513) })).status).toBe(400)
    })

    it('a 25 MiB value fits; one byte more is 413; a body over the limit is 413 before it is read', async () => {
      const value = 'v'.repeat(25 * MiB)
      expect((await kv('cache', { action: 'set', key: 'big', value })).body).toEqual({ ok: true })
      const got = await kv('cache', { action: 'get', key: 'big' })
      expect(got.body.value.length).toBe(25 * MiB)
      const over = await kv('cache', { action: 'set', key: 'big', value: value + 'v' })
      expect(over.status).toBe(413)
      expect(over.body).toEqual({ code: 413, message: 'KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400.' })
      const huge = Buffer.alloc(33 * MiB, 'a')
      const limit = { code: 413, message: 'Request body exceeds the limit of 33554432 bytes.' }
      // Refused on the declared length alone: the body is never sent.
      const declared = await raw(`${s.url}/api/kv/cache`, { headers: { ...key, 'content-type': 'application/json', 'content-length': String(huge.length) } })
      expect(declared.status).toBe(413)
      expect(JSON.parse(declared.text)).toEqual(limit)
      const chunked = await raw(`${s.url}/api/kv/cache`, { headers: { ...key, 'content-type': 'application/json' }, chunks: [huge.subarray(0, 20 * MiB), huge.subarray(20 * MiB)] })
      expect(chunked.status).toBe(413)
      expect(JSON.parse(chunked.text)).toEqual(limit)
      // The stored value is intact.
      expect((await kv('cache', { action: 'get', key: 'big' })).body.value.length).toBe(25 * MiB)
    })

    it('namespace names are percent-decoded and matched exactly; traversal names are just unknown', async () => {
      expect((await kv('ca%63he', { action: 'get', key: 'x' })).status).toBe(200)
      // Sent raw: fetch would normalize the dot segments away.
      for (const ns of ['CACHE', '..%2Fcache', '%2e%2e', '..', 'cache%00', 'user-meta', '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd']) {
        const r = await raw(`${s.url}/api/kv/${ns}`, { headers: { ...key, 'content-type': 'application/json' }, body: '{"action":"get","key":"x"}' })
        expect(r.status, ns).toBe(404)
        // (workerd would have normalized `..` away and answered with the path 404 instead.)
        expect(JSON.parse(r.text).message).toMatch(/^KV namespace '.*' not found in config\.$/)
      }
    })
  })

  describe('§1.0/§3.4 order of checks: 400 body → 404 undeclared → 403 missing → 401 invalid → 400 fields', () => {
    it('each stage wins over the later ones', async () => {
      const none = {}
      // 400 body beats 404 and 403.
      expect((await kv('undeclared', '{bad', none)).status).toBe(400)
      expect((await kv('undeclared', { action: 'zap' }, none)).status).toBe(400)
      // 404 beats 403 (an unauthenticated caller can probe names, as in EdgeBase).
      expect((await kv('undeclared', { action: 'get' }, none)).body).toEqual({ code: 404, message: "KV namespace 'undeclared' not found in config." })
      // 403 beats field validation.
      expect((await kv('cache', { action: 'get' }, none)).body).toEqual({
        code: 403,
        message: "X-EdgeBase-Service-Key is required to access KV namespace 'cache'.",
      })
      // 401 beats field validation.
      expect((await kv('cache', { action: 'get' }, { 'X-EdgeBase-Service-Key': 'wrong' })).body).toEqual({
        code: 401,
        message: "Invalid X-EdgeBase-Service-Key for KV namespace 'cache'.",
      })
      // Then the field check.
      expect((await kv('cache', { action: 'get' })).status).toBe(400)
    })
  })

  describe('§3 service keys on native routes', () => {
    it('header only: missing → 403, empty → 401, bearer service key → 403', async () => {
      expect((await kv('cache', { action: 'get', key: 'k' }, {})).status).toBe(403)
      expect((await kv('cache', { action: 'get', key: 'k' }, { 'X-EdgeBase-Service-Key': '' })).status).toBe(401)
      expect((await kv('cache', { action: 'get', key: 'k' }, { Authorization: `Bearer ${SERVICE_KEY}` })).status).toBe(403)
      expect((await kv('cache', { action: 'get', key: 'k' }, { 'x-edgebase-service-key': SERVICE_KEY })).status).toBe(200)
    })
  })
})

/** A server per config, for the cases that need their own. */
async function withServer(config: object, vars: Record<string, string>, fn: (s: Running) => Promise<void>, target = TARGETS[0]) {
  const s = await target.start({ config, vars })
  try {
    await fn(s)
  } finally {
    await s.close()
  }
}

describe.each(TARGETS)('$name: scoped keys and constraints (§3.3)', (target) => {
  const keys = [
    ROOT_KEY,
    { kid: 'ro', tier: 'scoped', scopes: ['kv:namespace:cache:read'], secret: 'jb_ro_secret1' },
    { kid: 'any-kv', tier: 'scoped', scopes: ['kv:*:*:*'], secretSource: 'dashboard', secretRef: 'ANY_KV_KEY' },
    { kid: 'reader', tier: 'scoped', scopes: ['kv:namespace:*:read'], secret: 'jb_reader_x' },
    { kid: 'partial', tier: 'scoped', scopes: ['kv:namespace:cach*:read'], secret: 'jb_partial_x' },
    { kid: 'short', tier: 'scoped', scopes: ['kv:namespace'], secret: 'jb_short_x' },
    { kid: 'star', tier: 'scoped', scopes: ['*'], secret: 'jb_star_x' },
    { kid: 'expired', tier: 'scoped', scopes: ['*'], secret: 'jb_expired_x', constraints: { expiresAt: '2020-01-01T00:00:00Z' } },
    { kid: 'later', tier: 'scoped', scopes: ['*'], secret: 'jb_later_x', constraints: { expiresAt: '2999-01-01T00:00:00Z' } },
    { kid: 'staging', tier: 'scoped', scopes: ['*'], secret: 'jb_staging_x', constraints: { env: ['staging'] } },
    { kid: 'prod', tier: 'scoped', scopes: ['*'], secret: 'jb_prod_x', constraints: { env: ['production'] } },
    { kid: 'local', tier: 'scoped', scopes: ['*'], secret: 'jb_local_x', constraints: { ipCidr: ['127.0.0.0/8', '::1/128'] } },
    { kid: 'lan', tier: 'scoped', scopes: ['*'], secret: 'jb_lan_x', constraints: { ipCidr: ['10.0.0.0/8'] } },
    { kid: 'tenant', tier: 'scoped', scopes: ['*'], secret: 'jb_tenant_x', constraints: { tenant: 't1' } },
    { kid: 'off', tier: 'scoped', scopes: ['*'], secret: 'jb_off_x', enabled: false },
    { kid: 'limited-root', tier: 'root', scopes: ['*'], secret: 'plain-root-2', constraints: { env: ['production'] } },
  ]
  const config = { kv: { cache: { binding: 'C' }, other: { binding: 'O' } }, serviceKeys: { keys } }
  const vars = { SERVICE_KEY, ANY_KV_KEY: 'jb_any-kv_y', ENVIRONMENT: 'staging' }

  it('scopes by segment with *, root keys pass everything, constraints fail closed', async () => {
    await withServer(
      config,
      vars,
      async (s) => {
        const status = async (ns: string, action: string, k: string) =>
          (await post(`${s.url}/api/kv/${ns}`, { action, key: 'k', value: 'v' }, { 'X-EdgeBase-Service-Key': k })).status
        const table: Array<[string, string, string, number]> = [
          ['cache', 'get', SERVICE_KEY, 200],
          ['cache', 'set', SERVICE_KEY, 200],
          ['cache', 'get', 'jb_ro_secret1', 200],
          ['cache', 'list', 'jb_ro_secret1', 200],
          ['cache', 'set', 'jb_ro_secret1', 401], // wrong scope is 401, not 403
          ['other', 'get', 'jb_ro_secret1', 401],
          ['cache', 'get', 'jb_ro_secret2', 401], // right kid, wrong secret
          ['cache', 'get', 'jb_nobody_secret1', 401], // unknown kid
          ['cache', 'set', 'jb_any-kv_y', 200], // secret from a variable
          ['other', 'delete', 'jb_any-kv_y', 200],
          ['other', 'get', 'jb_reader_x', 200],
          ['other', 'set', 'jb_reader_x', 401],
          ['cache', 'get', 'jb_partial_x', 401], // no globbing inside a segment
          ['cache', 'get', 'jb_short_x', 401], // segment count must match
          ['cache', 'set', 'jb_star_x', 200],
          ['cache', 'get', 'jb_expired_x', 401],
          ['cache', 'get', 'jb_later_x', 200],
          ['cache', 'get', 'jb_staging_x', 200], // ENVIRONMENT=staging
          ['cache', 'get', 'jb_prod_x', 401],
          ['cache', 'get', 'jb_local_x', 200], // loopback client
          ['cache', 'get', 'jb_lan_x', 401],
          ['cache', 'get', 'jb_tenant_x', 401], // no tenant on native routes
          ['cache', 'get', 'jb_off_x', 401], // disabled → unknown kid
          ['cache', 'get', 'plain-root-2', 401], // root key whose env constraint fails
          ['cache', 'get', 'jb_ro', 401], // no second underscore → plain → no root match
        ]
        for (const [ns, action, k, expected] of table) expect(await status(ns, action, k), `${ns} ${action} ${k}`).toBe(expected)
      },
      target,
    )
  })

  it('without resolvable keys every call is 403, even with a key; an explicit empty list stays 403 in dev', async () => {
    const only = { kv: { cache: { binding: 'C' } } }
    await withServer(
      { ...only, release: true, serviceKeys: { keys: [{ kid: 'root', tier: 'root', secretSource: 'dashboard', secretRef: 'UNSET_VAR' }] } },
      {},
      async (s) => {
        expect(s.serviceKey).toBeNull()
        expect((await post(`${s.url}/api/kv/cache`, { action: 'get', key: 'k' }, { 'X-EdgeBase-Service-Key': 'anything' })).status).toBe(403)
      },
      target,
    )
    await withServer(
      { ...only, serviceKeys: { keys: [] } },
      {},
      async (s) => {
        expect(s.serviceKey).toBeNull()
        expect((await post(`${s.url}/api/kv/cache`, { action: 'get', key: 'k' }, { 'X-EdgeBase-Service-Key': 'anything' })).status).toBe(403)
      },
      target,
    )
    // A scoped-only keymap: a plain key is "missing" (403).
    await withServer(
      { ...only, serviceKeys: { keys: [{ kid: 'ro', tier: 'scoped', scopes: ['*'], secret: 'jb_ro_x' }] } },
      {},
      async (s) => {
        expect((await post(`${s.url}/api/kv/cache`, { action: 'get', key: 'k' }, { 'X-EdgeBase-Service-Key': 'plain' })).status).toBe(403)
        expect((await post(`${s.url}/api/kv/cache`, { action: 'get', key: 'k' }, { 'X-EdgeBase-Service-Key': 'jb_ro_x' })).status).toBe(200)
      },
      target,
    )
  })

  it('dev without any key configured: a root key is generated and works', async () => {
    await withServer(
      { kv: { cache: { binding: 'C' } } },
      {},
      async (s) => {
        expect(s.serviceKey).toMatch(/^[0-9a-f]{64}$/)
        expect((await post(`${s.url}/api/kv/cache`, { action: 'set', key: 'k', value: 'v' }, { 'X-EdgeBase-Service-Key': s.serviceKey! })).status).toBe(200)
      },
      target,
    )
    // SERVICE_KEY set: no generation, that key is the root key.
    await withServer(
      { kv: { cache: { binding: 'C' } } },
      { SERVICE_KEY: 'mine' },
      async (s) => {
        expect(s.serviceKey).toBeNull()
        expect((await post(`${s.url}/api/kv/cache`, { action: 'get', key: 'k' }, { 'X-EdgeBase-Service-Key': 'mine' })).status).toBe(200)
      },
      target,
    )
  })
})

describe.each(TARGETS)('$name: JWT (§3.6)', (target) => {
  const body = { action: 'get', key: 'k' }
  const only = { kv: { cache: { binding: 'C' } }, serviceKeys: { keys: [ROOT_KEY] } }

  it('release: forged, expired, alg:none, foreign issuer and refresh tokens are 401 before routing', async () => {
    await withServer(
      { ...only, release: true },
      TEST_VARS,
      async (s) => {
        const bearer = (t: string) => ({ Authorization: `Bearer ${t}` })
        const invalid = { code: 401, message: 'Invalid token.', error: 'TOKEN_INVALID' }
        // A valid user token passes the middleware; the KV route still wants a service key.
        expect((await post(`${s.url}/api/kv/cache`, body, bearer(jwt(userClaims())))).status).toBe(403)
        const now = Math.floor(Date.now() / 1000)
        expect((await post(`${s.url}/api/kv/cache`, body, bearer(jwt(userClaims({ exp: now - 1 }))))).body).toEqual({
          code: 401,
          message: 'Token expired.',
          error: 'TOKEN_EXPIRED',
        })
        for (const [what, token] of [
          ['forged signature', jwt(userClaims(), 'not-the-secret')],
          ['alg none', jwt(userClaims(), '', { alg: 'none', typ: 'JWT' })],
          ['HS512 header', jwt(userClaims(), undefined, { alg: 'HS512' })],
          ['admin issuer', jwt(userClaims({ iss: 'edgebase:admin' }))],
          ['refresh token', jwt(userClaims({ type: 'refresh' }))],
          ['not before', jwt(userClaims({ nbf: now + 600 }))],
          ['garbage', 'a.b.c'],
        ]) {
          const r = await post(`${s.url}/api/kv/cache`, body, bearer(token))
          expect(r.body, what).toEqual(invalid)
        }
        // Tampered payload under a valid signature.
        const [h, , sig] = jwt(userClaims()).split('.')
        const tampered = `${h}.${Buffer.from(JSON.stringify(userClaims({ sub: 'admin' }))).toString('base64url')}.${sig}`
        expect((await post(`${s.url}/api/kv/cache`, body, bearer(tampered))).body).toEqual(invalid)
        // Before the 404 of an unknown /api path, but not outside /api.
        expect((await call(`${s.url}/api/whatever`, { headers: bearer('junk') })).status).toBe(401)
        expect((await call(`${s.url}/`, { headers: bearer('junk') })).status).toBe(200)
        // A service key header skips JWT parsing; a bearer equal to a key is a key, not a JWT.
        expect((await post(`${s.url}/api/kv/cache`, body, { ...bearer('junk'), 'X-EdgeBase-Service-Key': SERVICE_KEY })).status).toBe(200)
        expect((await post(`${s.url}/api/kv/cache`, body, bearer(SERVICE_KEY))).status).toBe(403)
        // "Bearer" needs its space; anything else is not a bearer token.
        expect((await post(`${s.url}/api/kv/cache`, body, { Authorization: 'Basic eDp5' })).status).toBe(403)
      },
      target,
    )
  })

  it('dev: a bad token is anonymous; no JWT_USER_SECRET with a bearer token is 401', async () => {
    await withServer(
      only,
      TEST_VARS,
      async (s) => {
        const r = await post(`${s.url}/api/kv/cache`, body, { Authorization: `Bearer ${jwt(userClaims(), 'forged')}` })
        expect(r.status).toBe(403)
      },
      target,
    )
    await withServer(
      only,
      { SERVICE_KEY },
      async (s) => {
        const r = await post(`${s.url}/api/kv/cache`, body, { Authorization: `Bearer ${jwt(userClaims())}` })
        expect(r.body).toEqual({ code: 401, message: 'Authentication service not configured.', error: 'AUTH_NOT_CONFIGURED' })
      },
      target,
    )
  })
})

describe.each(TARGETS)('$name: CORS and OPTIONS (§6)', (target) => {
  const only = { kv: { cache: { binding: 'C' } }, serviceKeys: { keys: [ROOT_KEY] } }

  it('default policy: localhost origins only, echoed with credentials', async () => {
    await withServer(
      only,
      TEST_VARS,
      async (s) => {
        const r = await call(`${s.url}/api/health`, { headers: { Origin: 'http://localhost:5173' } })
        expect(r.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
        expect(r.headers.get('access-control-allow-credentials')).toBe('true')
        expect(r.headers.get('access-control-allow-headers')).toBe('Content-Type, Authorization, X-EdgeBase-Service-Key')
        expect(r.headers.get('access-control-allow-methods')).toBe('GET, POST, PATCH, DELETE, OPTIONS')
        expect(r.headers.get('access-control-max-age')).toBe('86400')
        expect(r.headers.get('vary')).toBe('Origin')
        const foreign = await call(`${s.url}/api/health`, { headers: { Origin: 'https://evil.example' } })
        expect(foreign.headers.get('access-control-allow-origin')).toBeNull()
        expect(foreign.headers.get('x-content-type-options')).toBe('nosniff')
        // Errors are decorated too.
        const denied = await post(`${s.url}/api/kv/cache`, { action: 'get', key: 'k' }, { Origin: 'http://127.0.0.1:3000' })
        expect(denied.status).toBe(403)
        expect(denied.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:3000')
      },
      target,
    )
  })

  it('any OPTIONS is 204 at once (before auth and 404), with headers only for allowed origins', async () => {
    await withServer(
      { ...only, release: true, rateLimiting: { global: { requests: 1, window: '1h' } } },
      TEST_VARS,
      async (s) => {
        for (const path of ['/api/kv/cache', '/api/unknown', '/']) {
          const r = await call(`${s.url}${path}`, {
            method: 'OPTIONS',
            headers: { Origin: 'http://localhost:3000', 'Access-Control-Request-Method': 'POST', Authorization: 'Bearer junk' },
          })
          expect(r.status, path).toBe(204)
          expect(r.text).toBe('')
          expect(r.headers.get('access-control-allow-origin')).toBe('http://localhost:3000')
          expect(r.headers.get('x-content-type-options')).toBeNull()
        }
        const foreign = await call(`${s.url}/api/kv/cache`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example' } })
        expect(foreign.status).toBe(204)
        expect(foreign.headers.get('access-control-allow-origin')).toBeNull()
      },
      target,
    )
  })

  it('configured origins: * (credentials off), exact and wildcard patterns', async () => {
    await withServer(
      { ...only, cors: { origin: '*' } },
      TEST_VARS,
      async (s) => {
        const r = await call(`${s.url}/`, { headers: { Origin: 'https://any.example' } })
        expect(r.headers.get('access-control-allow-origin')).toBe('*')
        expect(r.headers.get('access-control-allow-credentials')).toBeNull()
      },
      target,
    )
    await withServer(
      { ...only, cors: { origin: ['*.example.com', 'https://app.dev'], methods: ['GET'], credentials: false, maxAge: 60 } },
      TEST_VARS,
      async (s) => {
        const acao = async (o: string) => (await call(`${s.url}/`, { headers: { Origin: o } })).headers.get('access-control-allow-origin')
        expect(await acao('https://a.example.com')).toBe('https://a.example.com')
        expect(await acao('https://app.dev')).toBe('https://app.dev')
        expect(await acao('http://localhost:3000')).toBeNull()
        expect(await acao('https://example.com.evil')).toBeNull()
        const r = await call(`${s.url}/`, { headers: { Origin: 'https://app.dev' } })
        expect(r.headers.get('access-control-allow-methods')).toBe('GET')
        expect(r.headers.get('access-control-max-age')).toBe('60')
        expect(r.headers.get('access-control-allow-credentials')).toBeNull()
      },
      target,
    )
  })
})

describe.each(TARGETS)('$name: rate limits (§6)', (target) => {
  it('fixed window per group and client; 429 with Retry-After; valid service keys bypass', async () => {
    await withServer(
      { kv: { cache: { binding: 'C' } }, serviceKeys: { keys: [ROOT_KEY] }, rateLimiting: { global: { requests: 3, window: '1h' } } },
      TEST_VARS,
      async (s) => {
        for (let i = 0; i < 3; i++) expect((await call(`${s.url}/api/health`)).status).toBe(200)
        const r = await call(`${s.url}/api/health`)
        expect(r.status).toBe(429)
        expect(r.body).toEqual({ code: 429, message: 'Too many requests. Please try again later.', group: 'global' })
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(3500)
        // Wrong keys are counted (and refused); valid keys, header or bearer, are not limited.
        expect((await post(`${s.url}/api/kv/cache`, { action: 'get', key: 'k' }, { 'X-EdgeBase-Service-Key': 'wrong' })).status).toBe(429)
        for (let i = 0; i < 5; i++) {
          expect((await post(`${s.url}/api/kv/cache`, { action: 'get', key: 'k' }, { 'X-EdgeBase-Service-Key': SERVICE_KEY })).status).toBe(200)
          expect((await call(`${s.url}/api/health`, { headers: { Authorization: `Bearer ${SERVICE_KEY}` } })).status).toBe(200)
        }
      },
      target,
    )
  })
})

describe('startServer: invalid config is a clear error naming the field, before binding', () => {
  it.each([
    [{ vectorize: { e: { dimensions: 'big', metric: 'cosine' } } }, 'vectorize.e.dimensions must be a positive integer (got "big")'],
    [{ vectorize: { e: { dimensions: 3, metric: 'manhattan' } } }, 'vectorize.e.metric'],
    [{ kv: { cache: {} } }, 'kv.cache.binding is required'],
    [{ kv: { cache: { binding: 7 } } }, 'kv.cache.binding must be a string (got a number)'],
    [{ d1: 'analytics' }, 'd1 must be an object keyed by name, or an array'],
    [{ serviceKeys: { keys: [{ kid: 'bad_kid', secret: 'x' }] } }, 'serviceKeys.keys[0].kid'],
    [{ serviceKeys: { keys: [{ kid: 'a', tier: 'root', secretSource: 'inline' }] } }, 'serviceKeys.keys[0].inlineSecret is required'],
    [{ cors: { origin: 5 } }, 'cors.origin must be a string or an array of strings'],
    [{ rateLimiting: { global: { requests: 1, window: 'soon' } } }, 'rateLimiting.global.window'],
    [{ release: 1 }, 'release must be a boolean'],
  ])('%j', async (config, fragment) => {
    const { native } = await import('./helpers')
    const err = await native.startServer({ port: 0, config, devVars: false }).then(
      () => null,
      (e: Error & { code?: string }) => e,
    )
    expect(err).toBeInstanceOf(TypeError)
    expect(err!.code).toBe('EB_SERVER_CONFIG')
    expect(err!.message).toContain('Invalid EdgeBase config: ')
    expect(err!.message).toContain(fragment)
  })

  it('a binding name that would escape the persist directory is refused', async () => {
    const { native, tempDir } = await import('./helpers')
    const err = await native.startServer({ port: 0, persist: tempDir(), config: { kv: { cache: { binding: '../evil' } } }, devVars: false }).catch((e) => e)
    expect(err.message).toMatch(/Cannot open KV namespace 'cache' \(binding \.\.\/evil\): Invalid KV namespace name/)
    expect(err.code).toBe('EB_INVALID_NAME')
  })

  it('port in use: EB_SERVER_LISTEN', async () => {
    const { native } = await import('./helpers')
    const a = await native.startServer({ port: 0, devVars: false })
    try {
      const err = await native.startServer({ port: a.port, devVars: false }).catch((e) => e)
      expect(err.code).toBe('EB_SERVER_LISTEN')
      expect(err.message).toContain(`Cannot listen on 127.0.0.1:${a.port}`)
    } finally {
      await a.close()
    }
  })
})
