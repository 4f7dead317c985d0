// createEnv: a Worker's env from its wrangler config (TOML, JSONC, JSON), environments and their
// inheritance rules, secrets files, unsupported bindings, migrations, persistence shared with
// startServer, and clear errors for bad configs and options.
import { spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { native, rejects, tempDir } from './helpers'
import { post, ROOT_KEY, SERVICE_KEY } from './server.helpers'

const { createEnv, startServer, KVNamespace, D1Database, R2Bucket, VectorizeIndex, ManualClock } = native
const FIX = join(import.meta.dirname, 'fixtures', 'wrangler')
const CHILD = join(import.meta.dirname, 'fixtures', 'env-child.js')
const VEC = { EMBEDDINGS: { dimensions: 3, metric: 'cosine' as const } }
type Env = Record<string, any>

let warn: ReturnType<typeof vi.spyOn>
beforeEach(() => {
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
  vi.stubEnv('CLOUDFLARE_ENV', '')
  vi.stubEnv('CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV', '')
})
afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllEnvs()
})

/** A copy of a fixture project in a fresh directory (tests that write next to the config). */
function project(name: string): string {
  const dir = tempDir()
  cpSync(join(FIX, name), dir, { recursive: true })
  return dir
}

/** A project whose only file is this wrangler config. */
function configDir(file: string, text: string): string {
  const dir = tempDir()
  writeFileSync(join(dir, file), text)
  return dir
}

async function createRejects(options: Parameters<typeof createEnv>[0], Class: ErrorConstructor | TypeErrorConstructor | SyntaxErrorConstructor, message: string | RegExp) {
  return rejects(createEnv(options), Class as ErrorConstructor, message)
}

describe('the config: found, parsed, read as wrangler reads it', () => {
  it('1: wrangler.toml — every binding as a real instance, vars (JSON values too), secrets from .dev.vars', async () => {
    await using created = await createEnv<Env>({ cwd: join(FIX, 'toml'), persist: false, vectorize: VEC })
    const { env } = created
    expect(env.CACHE).toBeInstanceOf(KVNamespace)
    expect(env.DB).toBeInstanceOf(D1Database)
    expect(env.UPLOADS).toBeInstanceOf(R2Bucket)
    expect(env.EMBEDDINGS).toBeInstanceOf(VectorizeIndex)
    expect(env.API_HOST).toBe('api.example.com')
    expect(env.FEATURES).toEqual({ search: true, max_results: 20 })
    // .dev.vars overrides vars; multi-line quoted values keep their line breaks.
    expect(env.GREETING).toBe('from .dev.vars')
    expect(env.API_TOKEN).toBe('dev-token')
    expect(env.PRIVATE_KEY).toBe('-----BEGIN KEY-----\nline two\n-----END KEY-----')
    expect(created.configPath).toBe(join(FIX, 'toml', 'wrangler.toml'))
    expect(created.secretsFiles).toEqual([join(FIX, 'toml', '.dev.vars')])
    expect(created.environment).toBeUndefined()
    expect(created.persist).toBeNull()
    // The bindings work.
    await env.CACHE.put('k', 'v')
    expect(await env.CACHE.get('k')).toBe('v')
    expect(await env.DB.prepare('SELECT 1 + 1 AS two').first('two')).toBe(2)
    expect((await env.EMBEDDINGS.describe()).dimensions).toBe(3)
  })

  it('2: wrangler.json comes before wrangler.toml, and the search goes up through parent directories', async () => {
    await using here = await createEnv<Env>({ cwd: join(FIX, 'json'), persist: false })
    expect(here.env.MODE).toBe('json')
    expect(here.env.RETRIES).toBe(3)
    expect(here.env.ENABLED).toBe(false)
    expect(here.env.FLAGS).toBeInstanceOf(KVNamespace)
    const root = project('json')
    const deep = join(root, 'src', 'scripts')
    mkdirSync(deep, { recursive: true })
    await using below = await createEnv<Env>({ cwd: deep, persist: false })
    expect(below.configPath).toBe(join(root, 'wrangler.json'))
  })

  it('3: wrangler.jsonc — comments and trailing commas, "//" and "/*" inside strings kept', async () => {
    await using created = await createEnv<Env>({ cwd: join(FIX, 'jsonc'), persist: false })
    expect(created.env.URL).toBe('https://example.com/a//b')
    expect(created.env.PATTERN).toBe('/* not a comment */')
    expect(created.env.QUOTE).toBe('say "hi", // still a string')
    expect(Object.keys(created.env).sort()).toEqual(['ASSETS', 'DB', 'PATTERN', 'QUOTE', 'SESSIONS', 'URL'])
  })

  it('4: { config } names the file (relative to cwd), overriding the search', async () => {
    await using created = await createEnv<Env>({ cwd: FIX, config: 'json/wrangler.toml', persist: false })
    expect(created.env.MODE).toBe('toml')
    expect(created.configPath).toBe(join(FIX, 'json', 'wrangler.toml'))
    const e = await createRejects({ cwd: FIX, config: 'nope/wrangler.toml' }, Error, `createEnv: the config file ${join(FIX, 'nope', 'wrangler.toml')} does not exist`)
    expect(e.code).toBe('EB_ENV_CONFIG')
    await createRejects({ cwd: FIX, config: 'toml' }, Error, new RegExp(`^createEnv: cannot read ${join(FIX, 'toml')}: EISDIR`))
    const dir = configDir('wrangler.toml', '')
    mkdirSync(join(dir, '.dev.vars'))
    await createRejects({ cwd: dir, persist: false }, Error, new RegExp(`^createEnv: cannot read ${join(dir, '.dev.vars')}: EISDIR`))
  })

  it('5: no config in cwd or its parents is an error saying where it looked', async () => {
    const dir = tempDir()
    const above = ['wrangler.json', 'wrangler.jsonc', 'wrangler.toml'].some((f) => existsSync(join(dir, '..', f)) || existsSync(join('/', f)))
    if (above) return // a stray config above the temp directory would be found, as wrangler would
    await createRejects({ cwd: dir }, Error, `createEnv: no wrangler.json, wrangler.jsonc, wrangler.toml in ${dir} or its parents; pass { cwd } or { config }`)
  })

  it('6: an inline config object (an extension) is read like a file', async () => {
    await using created = await createEnv<Env>({ config: { vars: { A: 'a' }, kv_namespaces: [{ binding: 'KV' }] }, persist: false })
    expect(created.env.A).toBe('a')
    expect(created.env.KV).toBeInstanceOf(KVNamespace)
    expect(created.configPath).toBe('the inline config')
  })
})

describe('environments: [env.<name>] as wrangler applies it', () => {
  it('7: only the environment\'s own bindings and vars; .dev.vars.<env> replaces .dev.vars; warnings say what was not inherited', async () => {
    await using created = await createEnv<Env>({ cwd: join(FIX, 'toml'), environment: 'staging', persist: false })
    const { env } = created
    expect(Object.keys(env).sort()).toEqual(['API_TOKEN', 'CACHE', 'DB', 'GREETING'])
    expect(env.GREETING).toBe('hello from staging')
    expect(env.API_TOKEN).toBe('staging-token')
    expect(created.environment).toBe('staging')
    expect(created.secretsFiles).toEqual([join(FIX, 'toml', '.dev.vars.staging')])
    expect(created.unsupported).toEqual([])
    const file = join(FIX, 'toml', 'wrangler.toml')
    for (const field of ['r2_buckets', 'vectorize', 'durable_objects', 'services', 'queues', 'ai']) {
      expect(created.warnings).toContain(`${file}: "${field}" exists at the top level, but not on "env.staging"; it is not inherited by environments, so env.staging has none`)
    }
    expect(created.warnings).toContain(`${file}: the vars API_HOST, FEATURES exist at the top level, but not on "env.staging.vars"; vars are not inherited by environments`)
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^\[@edgebase\/native\] createEnv: .*"r2_buckets" exists at the top level/))
  })

  it('8: .dev.vars is the fallback when .dev.vars.<env> does not exist', async () => {
    const dir = project('toml')
    writeFileSync(join(dir, 'wrangler.toml'), 'name = "w"\n[env.preview]\nvars = { GREETING = "preview" }\n')
    await using created = await createEnv<Env>({ cwd: dir, environment: 'preview', persist: false })
    expect(created.env.API_TOKEN).toBe('dev-token')
    expect(created.env.GREETING).toBe('from .dev.vars')
  })

  it('9: CLOUDFLARE_ENV selects the environment when the option is absent; the option wins', async () => {
    vi.stubEnv('CLOUDFLARE_ENV', 'staging')
    await using fromVar = await createEnv<Env>({ cwd: join(FIX, 'toml'), persist: false })
    expect(fromVar.environment).toBe('staging')
    expect(fromVar.env.GREETING).toBe('hello from staging')
    await using explicit = await createEnv<Env>({ cwd: join(FIX, 'jsonc'), environment: 'production', persist: false })
    expect(explicit.environment).toBe('production')
    expect(explicit.env.URL).toBe('https://prod.example.com')
    expect(Object.keys(explicit.env).sort()).toEqual(['ASSETS', 'URL'])
  })

  it('10: an unknown environment is an error listing the configured ones; with none configured, a warning and the top level', async () => {
    const file = join(FIX, 'toml', 'wrangler.toml')
    const e = await createRejects({ cwd: join(FIX, 'toml'), environment: 'prod', persist: false }, Error,
      `${file}: No environment found in configuration with name "prod". The available configured environment names are: ["staging"]`)
    expect(e.code).toBe('EB_ENV_CONFIG')
    await using plain = await createEnv<Env>({ cwd: join(FIX, 'json'), environment: 'prod', persist: false })
    expect(plain.env.FLAGS).toBeInstanceOf(KVNamespace)
    expect(plain.warnings).toEqual([`${join(FIX, 'json', 'wrangler.json')}: No environment found in configuration with name "prod". The top level applies (as in wrangler, when a file defines no environments)`])
  })

  it('11: without .dev.vars, the .env files, the more specific winning; CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV=false skips them', async () => {
    const dir = join(FIX, 'dotenv')
    await using top = await createEnv<Env>({ cwd: dir, persist: false })
    expect(top.env).toEqual({ FROM_CONFIG: 'config', A: 'from .env', B: 'from .env', C: 'from .env.local', D: 'from .env.local' })
    await using test = await createEnv<Env>({ cwd: dir, environment: 'test', persist: false })
    expect(test.env).toEqual({ FROM_CONFIG: 'test config', A: 'from .env', B: 'from .env.test', C: 'from .env.local', D: 'from .env.test.local' })
    expect(test.secretsFiles.map((f) => f.slice(dir.length + 1))).toEqual(['.env', '.env.test', '.env.local', '.env.test.local'])
    vi.stubEnv('CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV', 'false')
    await using none = await createEnv<Env>({ cwd: dir, persist: false })
    expect(none.env).toEqual({ FROM_CONFIG: 'config' })
  })

  it('12: secrets.required keeps only the listed secrets and warns about missing ones', async () => {
    const dir = configDir('wrangler.jsonc', '{ "secrets": { "required": ["API_TOKEN", "MISSING"] } }')
    writeFileSync(join(dir, '.dev.vars'), 'API_TOKEN=t\nEXTRA=x\n')
    await using created = await createEnv<Env>({ cwd: dir, persist: false })
    expect(created.env).toEqual({ API_TOKEN: 't' })
    expect(created.warnings).toEqual(['the secret "MISSING" listed in secrets.required is not in .dev.vars'])
  })
})

describe('bindings', () => {
  it('13: Durable Objects, services, queues, AI… are listed as unsupported and warned about, never silently dropped', async () => {
    await using created = await createEnv<Env>({ cwd: join(FIX, 'toml'), persist: false, vectorize: VEC })
    expect(created.unsupported).toEqual([
      { binding: 'COUNTER', type: 'durable_objects', field: 'durable_objects' },
      { binding: 'AUTH', type: 'services', field: 'services' },
      { binding: 'JOBS', type: 'queues', field: 'queues' },
      { binding: 'AI', type: 'ai', field: 'ai' },
    ])
    for (const name of ['COUNTER', 'AUTH', 'JOBS', 'AI']) expect(name in created.env).toBe(false)
    const file = join(FIX, 'toml', 'wrangler.toml')
    expect(warn).toHaveBeenCalledWith(`[@edgebase/native] createEnv: durable_objects (binding "COUNTER") in ${file} is not supported in-process: env has no such binding`)
    expect(warn).toHaveBeenCalledTimes(4)
  })

  it('14: Vectorize needs { dimensions, metric } per binding: missing or misnamed settings are errors naming the binding', async () => {
    const file = join(FIX, 'toml', 'wrangler.toml')
    const e = await createRejects({ cwd: join(FIX, 'toml'), persist: false }, TypeError,
      `createEnv: the Vectorize binding "EMBEDDINGS" (index_name "notes-index", vectorize[0] in ${file}) needs its dimensions and metric, which wrangler config does not hold: pass createEnv({ vectorize: { EMBEDDINGS: { dimensions: 768, metric: 'cosine' } } }) with the values the index was created with`)
    expect(e.code).toBe('EB_ENV_OPTIONS')
    await createRejects({ cwd: join(FIX, 'toml'), persist: false, vectorize: { EMBEDDINGS: { dimensions: 3 } as any } }, TypeError, /the Vectorize binding "EMBEDDINGS" .* needs its dimensions and metric/)
    await createRejects({ cwd: join(FIX, 'toml'), persist: false, vectorize: { ...VEC, EMBEDINGS: VEC.EMBEDDINGS } }, TypeError,
      `createEnv: vectorize.EMBEDINGS: ${file} declares no Vectorize binding "EMBEDINGS" (its Vectorize bindings: EMBEDDINGS)`)
    // The index's own validation, with the binding in front.
    const bad = await createRejects({ cwd: join(FIX, 'toml'), persist: false, vectorize: { EMBEDDINGS: { dimensions: 0, metric: 'cosine' } } }, TypeError,
      /^createEnv: Vectorize binding "EMBEDDINGS" \(vectorize\[0\] in .*wrangler\.toml\): /)
    expect(bad.cause).toBeInstanceOf(TypeError)
    await using ok = await createEnv<Env>({ cwd: join(FIX, 'toml'), persist: false, vectorize: { EMBEDDINGS: { dimensions: 2, metric: 'euclidean' } } })
    expect(await ok.env.EMBEDDINGS.describe()).toMatchObject({ dimensions: 2, vectorCount: 0 })
  })

  it('15: applyMigrations applies migrations_dir in order, records them in d1_migrations, and re-running is a no-op', async () => {
    const dir = project('toml')
    const persist = tempDir()
    const first = await createEnv<Env>({ cwd: dir, persist, vectorize: VEC, applyMigrations: true })
    expect(await first.env.DB.prepare('SELECT id, body FROM notes ORDER BY id').all()).toMatchObject({ results: [{ id: 1, body: 'first; with a semicolon' }, { id: 2, body: 'second' }] })
    expect((await first.env.DB.prepare('SELECT name FROM d1_migrations ORDER BY id').raw()).flat()).toEqual(['0001_create_notes.sql', '0002_seed_notes.sql'])
    await first.env.DB.prepare("INSERT INTO notes (id, body) VALUES (3, 'third')").run()
    await first.dispose()
    await using again = await createEnv<Env>({ cwd: dir, persist, vectorize: VEC, applyMigrations: true })
    expect(await again.env.DB.prepare('SELECT count(*) AS n FROM notes').first('n')).toBe(3)
    expect(await again.env.DB.prepare('SELECT count(*) AS n FROM d1_migrations').first('n')).toBe(2)
  })

  it('16: migrations_dir and migrations_table are honoured; a default folder that is missing is a warning', async () => {
    await using jsonc = await createEnv<Env>({ cwd: join(FIX, 'jsonc'), persist: false, applyMigrations: true })
    expect((await jsonc.env.DB.prepare('SELECT name FROM schema_history').raw()).flat()).toEqual(['0001_users.sql'])
    await jsonc.env.DB.prepare("INSERT INTO users (email) VALUES ('a@example.com')").run()
    const dir = configDir('wrangler.toml', '[[d1_databases]]\nbinding = "DB"\n')
    await using none = await createEnv<Env>({ cwd: dir, persist: false, applyMigrations: true })
    expect(none.warnings).toEqual([`no migrations folder ${join(dir, 'migrations')} for the D1 binding "DB": nothing applied`])
  })

  it('17: a failing migration names its file and binding, keeps earlier ones, and leaves nothing open', async () => {
    const dir = project('toml')
    writeFileSync(join(dir, 'migrations', '0003_broken.sql'), 'CREATE TABLE ok (x);\nINSERT INTO nope VALUES (1);\n')
    const persist = tempDir()
    const e = await createRejects({ cwd: dir, persist, vectorize: VEC, applyMigrations: true }, Error,
      new RegExp(`^createEnv: D1 binding "DB" \\(d1_databases\\[0\\] in ${join(dir, 'wrangler.toml')}\\): migration ${join(dir, 'migrations', '0003_broken.sql')} failed: D1_ERROR: no such table: nope`))
    expect(e.cause).toBeInstanceOf(Error)
    // The broken migration rolled back as a whole (its batch); the two before it stayed.
    const db = new D1Database({ persist, name: 'DB' })
    expect((await db.prepare('SELECT name FROM d1_migrations').raw()).flat()).toEqual(['0001_create_notes.sql', '0002_seed_notes.sql'])
    expect(await db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'ok'").first('n')).toBe(0)
    await db.close()
    // Every store createEnv opened was closed: another process can take the KV file's lock.
    const open = spawnSync(process.execPath, ['-e', `new (require(${JSON.stringify(join(import.meta.dirname, '..', 'index.js'))}).KVNamespace)({ persist: ${JSON.stringify(persist)}, name: 'CACHE' }); console.log('opened')`], { encoding: 'utf8' })
    expect(open.stdout.trim()).toBe('opened')
  })

  it('18: a missing explicit migrations_dir and migrations_pattern are errors naming the binding', async () => {
    const dir = configDir('wrangler.toml', '[[d1_databases]]\nbinding = "DB"\nmigrations_dir = "db/missing"\n')
    await createRejects({ cwd: dir, persist: false, applyMigrations: true }, Error,
      new RegExp(`^createEnv: D1 binding "DB" \\(d1_databases\\[0\\] in .*\\): cannot read the migrations folder ${join(dir, 'db', 'missing')}: ENOENT`))
    await using without = await createEnv({ cwd: dir, persist: false })
    expect(without.warnings).toEqual([])
    const pattern = configDir('wrangler.toml', '[[d1_databases]]\nbinding = "DB"\nmigrations_pattern = "drizzle/**/*.sql"\n')
    await createRejects({ cwd: pattern, persist: false, applyMigrations: true }, TypeError,
      /^createEnv: D1 binding "DB" \(d1_databases\[0\] in .*\): migrations_pattern is not supported by createEnv's applyMigrations; use migrations_dir$/)
  })

  it('19: a ManualClock drives KV expiry', async () => {
    const clock = new ManualClock()
    await using created = await createEnv<Env>({ config: { kv_namespaces: [{ binding: 'KV' }] }, persist: false, clock })
    await created.env.KV.put('k', 'v', { expirationTtl: 60 })
    expect(await created.env.KV.get('k')).toBe('v')
    clock.advance(60_000)
    expect(await created.env.KV.get('k')).toBeNull()
  })
})

describe('persistence: the layout of the classes, named after bindings, shared with startServer', () => {
  it('20: default .edgebase next to the config; false keeps memory only; a path is resolved against cwd', async () => {
    const dir = project('toml')
    const created = await createEnv<Env>({ cwd: join(dir), vectorize: VEC })
    expect(created.persist).toBe(join(dir, '.edgebase'))
    await created.env.UPLOADS.put('a.txt', 'a')
    await created.dispose()
    for (const f of ['kv/CACHE.redb', 'd1/DB.sqlite', 'r2/UPLOADS', 'vectorize/EMBEDDINGS.redb']) expect(existsSync(join(dir, '.edgebase', f))).toBe(true)
    const memory = project('toml')
    await (await createEnv<Env>({ cwd: memory, persist: false, vectorize: VEC })).dispose()
    expect(existsSync(join(memory, '.edgebase'))).toBe(false)
    const rel = await createEnv<Env>({ cwd: memory, persist: 'data/local', vectorize: VEC })
    expect(rel.persist).toBe(join(memory, 'data', 'local'))
    await rel.dispose()
    expect(existsSync(join(memory, 'data', 'local', 'kv', 'CACHE.redb'))).toBe(true)
  })

  it('21: round trip — createEnv seeds, startServer on the same persist serves it, and createEnv sees the server\'s writes', async () => {
    const dir = project('toml')
    const persist = tempDir()
    const seed = await createEnv<Env>({ cwd: dir, persist, vectorize: VEC, applyMigrations: true })
    await seed.env.CACHE.put('greeting', 'seeded by createEnv')
    await seed.env.UPLOADS.put('avatars/me.txt', 'an avatar')
    await seed.env.EMBEDDINGS.upsert([{ id: 'n1', values: [1, 0, 0] }])
    await seed.dispose()

    const config = {
      kv: { cache: { binding: 'CACHE' } },
      d1: { notes: { binding: 'DB' } },
      vectorize: { notes: { binding: 'EMBEDDINGS', dimensions: 3, metric: 'cosine' } },
      storage: { buckets: { avatars: { binding: 'UPLOADS' } } },
      serviceKeys: { keys: [ROOT_KEY] },
    }
    const server = await startServer({ port: 0, persist, config, vars: { SERVICE_KEY }, devVars: false })
    const h = { 'X-EdgeBase-Service-Key': SERVICE_KEY }
    expect((await post(`${server.url}/api/kv/cache`, { action: 'get', key: 'greeting' }, h)).body).toEqual({ value: 'seeded by createEnv' })
    expect((await post(`${server.url}/api/d1/notes`, { query: 'SELECT body FROM notes ORDER BY id' }, h)).body).toMatchObject({ results: [{ body: 'first; with a semicolon' }, { body: 'second' }] })
    expect((await post(`${server.url}/api/vectorize/notes`, { action: 'describe' }, h)).body).toMatchObject({ vectorCount: 1, dimensions: 3 })
    expect(await (await fetch(`${server.url}/api/storage/avatars/me.txt`, { headers: h })).text()).toBe('an avatar')
    await post(`${server.url}/api/kv/cache`, { action: 'set', key: 'greeting', value: 'written over HTTP' }, h)
    await post(`${server.url}/api/d1/notes`, { query: "INSERT INTO notes (id, body) VALUES (3, 'from the server')" }, h)
    await server.close()

    // Another process (a seed script run later) reads what the server wrote.
    const child = spawnSync(process.execPath, [CHILD, 'read', dir, persist], { encoding: 'utf8' })
    expect(JSON.parse(child.stdout)).toEqual({ cache: 'written over HTTP', notes: ['first; with a semicolon', 'second', 'from the server'] })
  })

  it('22: in one process, createEnv and a server on the same persist share the open stores', async () => {
    const dir = project('toml')
    const persist = tempDir()
    await using created = await createEnv<Env>({ cwd: dir, persist, vectorize: VEC })
    await using server = await startServer({ port: 0, persist, config: { kv: { cache: { binding: 'CACHE' } }, serviceKeys: { keys: [ROOT_KEY] } }, vars: { SERVICE_KEY }, devVars: false })
    await post(`${server.url}/api/kv/cache`, { action: 'set', key: 'live', value: 'at once' }, { 'X-EdgeBase-Service-Key': SERVICE_KEY })
    expect(await created.env.CACHE.get('live')).toBe('at once')
  })

  it('23: startServer({ env }) serves a created env, string secrets included', async () => {
    const dir = configDir('wrangler.toml', '[[kv_namespaces]]\nbinding = "CACHE"\n')
    writeFileSync(join(dir, '.dev.vars'), `SERVICE_KEY=${SERVICE_KEY}\n`)
    await using created = await createEnv<Env>({ cwd: dir, persist: false })
    await created.env.CACHE.put('k', 'in memory')
    await using server = await startServer({ port: 0, env: created.env })
    expect((await post(`${server.url}/api/kv/CACHE`, { action: 'get', key: 'k' }, { 'X-EdgeBase-Service-Key': SERVICE_KEY })).body).toEqual({ value: 'in memory' })
  })

  it('24: dispose releases every file (another process may open them) and later calls reject; await using disposes too', async () => {
    const dir = project('toml')
    const persist = tempDir()
    const created = await createEnv<Env>({ cwd: dir, persist, vectorize: VEC, applyMigrations: true })
    await created.env.CACHE.put('greeting', 'kept')
    const busy = spawnSync(process.execPath, [CHILD, 'read', dir, persist], { encoding: 'utf8' })
    expect(busy.stdout).toMatch(/^error EB_STORE_LOCKED: createEnv: KV binding "CACHE" \(kv_namespaces\[0\] in .*\): /)
    await created.dispose()
    await created.dispose() // idempotent
    await expect(created.env.CACHE.get('greeting')).rejects.toThrow()
    const free = spawnSync(process.execPath, [CHILD, 'read', dir, persist], { encoding: 'utf8' })
    expect(JSON.parse(free.stdout)).toEqual({ cache: 'kept', notes: ['first; with a semicolon', 'second'] })
    let env: Env
    {
      await using scoped = await createEnv<Env>({ cwd: dir, persist, vectorize: VEC })
      env = scoped.env
    }
    await expect(env.CACHE.get('greeting')).rejects.toThrow()
  })

  it('25: a store held by another process fails createEnv naming the binding, and closes what it had opened', async () => {
    const persist = tempDir()
    const dir = configDir('wrangler.toml', '[[kv_namespaces]]\nbinding = "FIRST"\n[[kv_namespaces]]\nbinding = "SECOND"\n')
    const holder = spawn(process.execPath, [CHILD, 'hold', persist, 'SECOND'], { stdio: ['pipe', 'pipe', 'inherit'] })
    await new Promise<void>((resolve) => holder.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()))
    const e = await createRejects({ cwd: dir, persist }, Error, new RegExp(`^createEnv: KV binding "SECOND" \\(kv_namespaces\\[1\\] in ${join(dir, 'wrangler.toml')}\\): `))
    expect(e.code).toBe('EB_STORE_LOCKED')
    holder.stdin!.end()
    await new Promise((r) => holder.on('exit', r))
    const open = spawnSync(process.execPath, [CHILD, 'hold', persist, 'FIRST'], { encoding: 'utf8', input: '' })
    expect(open.stdout.trim()).toBe('ready')
  })
})

describe('bad configs and options: clear errors naming the file and the field', () => {
  it('26: a TOML syntax error is a SyntaxError with the file, line and column', async () => {
    const dir = configDir('wrangler.toml', 'name = "w"\n[[kv_namespaces]]\nbinding = CACHE\n')
    const e = await createRejects({ cwd: dir }, SyntaxError, new RegExp(`^${join(dir, 'wrangler.toml')}: TOML parse error at line 3, column 11\\n`))
    expect(e.code).toBe('EB_ENV_CONFIG')
    await createRejects({ cwd: configDir('wrangler.toml', 'a = 1\na = 2\n') }, SyntaxError, /TOML parse error at line 2, column 1[\s\S]*duplicate key/)
  })

  it('27: a JSONC syntax error points at the line and column in the file; comments and commas are not miscounted', async () => {
    const dir = configDir('wrangler.jsonc', '{\n  // a comment\n  "vars": { "A": 1, }, /* block\n comment */\n  "name": "w"\n  "main": "x"\n}\n')
    const e = await createRejects({ cwd: dir }, SyntaxError, new RegExp(`^${join(dir, 'wrangler.jsonc')}:6:3: `))
    expect(e.code).toBe('EB_ENV_CONFIG')
    await createRejects({ cwd: configDir('wrangler.jsonc', '{ "a": 1 } /* open') }, SyntaxError, /wrangler\.jsonc:1:12: unterminated \/\* comment$/)
    await createRejects({ cwd: configDir('wrangler.json', '') }, SyntaxError, /wrangler\.json: Unexpected end of JSON input$/)
    await createRejects({ cwd: configDir('wrangler.json', '[1]') }, TypeError, /wrangler\.json: the configuration must be an object \(got \[1\]\)$/)
  })

  it('28: wrong binding fields name each field, inside environments too', async () => {
    const dir = configDir('wrangler.toml', [
      'kv_namespaces = { binding = "X" }',
      '[[d1_databases]]', 'database_name = "db"',
      '[[r2_buckets]]', 'binding = "R2"', 'bucket_name = 7',
      '[[vectorize]]', 'binding = "V"',
      '[env.staging]', 'd1_databases = ["DB"]', 'vars = "nope"',
    ].join('\n'))
    const file = join(dir, 'wrangler.toml')
    const e = await createRejects({ cwd: dir, persist: false }, TypeError,
      `${file}: "kv_namespaces" should be an array but got {"binding":"X"}; "d1_databases[0].binding" should be a non-empty string but got undefined; ` +
        `"r2_buckets[0].bucket_name" should be a string but got 7; "vectorize[0].index_name" should be a non-empty string but got undefined`)
    expect(e.code).toBe('EB_ENV_CONFIG')
    await createRejects({ cwd: dir, environment: 'staging', persist: false }, TypeError,
      `${file}: "env.staging.d1_databases[0]" should be an object but got "DB"; "env.staging.vars" should be an object but got "nope"`)
    await createRejects({ config: { env: { staging: 3 } }, environment: 'staging' }, TypeError, 'the inline config: "env.staging" should be an object but got 3')
    await createRejects({ config: { secrets: { required: 'A' } } }, TypeError, 'the inline config: "secrets" should be an object with a "required" array of strings but got {"required":"A"}')
  })

  it('29: one name bound twice (across kinds, vars and unsupported bindings) is an error naming both places', async () => {
    const dir = configDir('wrangler.jsonc', JSON.stringify({
      kv_namespaces: [{ binding: 'DATA' }],
      d1_databases: [{ binding: 'DATA' }],
      vars: { COUNTER: 'x' },
      durable_objects: { bindings: [{ name: 'COUNTER', class_name: 'C' }] },
    }))
    await createRejects({ cwd: dir }, TypeError,
      `${join(dir, 'wrangler.jsonc')}: the binding name "DATA" is used by both kv_namespaces[0] and d1_databases[0]; the binding name "COUNTER" is used by both durable_objects and vars.COUNTER`)
  })

  it('30: a binding name that cannot be a store name is refused with the binding and field in front', async () => {
    const dir = configDir('wrangler.toml', '[[kv_namespaces]]\nbinding = "OK"\n[[r2_buckets]]\nbinding = "../escape"\n')
    const persist = tempDir()
    const e = await createRejects({ cwd: dir, persist }, TypeError, /^createEnv: R2 binding "\.\.\/escape" \(r2_buckets\[0\] in .*wrangler\.toml\): /)
    expect(e.code).toBe('EB_INVALID_NAME')
    expect(existsSync(join(persist, 'escape'))).toBe(false)
  })

  it('31: options are checked: unknown keys (typos), wrong types', async () => {
    const cwd = join(FIX, 'json')
    const e = await createRejects({ cwd, enviroment: 'staging' } as any, TypeError,
      'createEnv: unknown option "enviroment" (known: cwd, config, environment, persist, vectorize, clock, applyMigrations)')
    expect(e.code).toBe('EB_ENV_OPTIONS')
    await createRejects({ cwd, persist: 1 } as any, TypeError, 'createEnv: persist must be a directory path, true or false (got number)')
    await createRejects({ cwd, environment: 5 } as any, TypeError, 'createEnv: environment must be a string (got number)')
    await createRejects({ cwd, clock: { now: () => 0 } } as any, TypeError, 'createEnv: clock must be a ManualClock (got object)')
    await createRejects({ cwd, applyMigrations: 'yes' } as any, TypeError, 'createEnv: applyMigrations must be a boolean (got "yes")')
    await createRejects(null as any, TypeError, 'createEnv: options must be an object')
  })

  it('32: remote: true bindings are served locally, with a warning', async () => {
    await using created = await createEnv({ config: { kv_namespaces: [{ binding: 'KV', id: 'x', remote: true }] }, persist: false })
    expect(created.warnings).toEqual(['the inline config: kv_namespaces[0] (binding "KV") has remote: true; createEnv serves a local store'])
  })
})
