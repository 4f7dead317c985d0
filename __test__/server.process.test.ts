// The standalone binary as an operator runs it: CLI, environment overrides, .dev.vars,
// structured logs, signals and graceful shutdown, persistence across restarts, start-up failures.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { native, tempDir } from './helpers'
import { BIN, cleanEnv, heldRequest, post, SERVICE_KEY, spawnServer } from './server.helpers'

const run = (args: string[], env: Record<string, string> = {}, cwd?: string) =>
  spawnSync(BIN, args, { env: cleanEnv(env), cwd, encoding: 'utf8', timeout: 10_000 })

const KV_ONLY = (binding = 'C') => JSON.stringify({ kv: { cache: { binding } } })

describe('CLI', () => {
  it('help, version, unknown commands and options', () => {
    expect(run(['--help']).stdout).toContain('Usage: edgebase-native serve')
    expect(run([]).status).toBe(0)
    expect(run(['--version']).stdout.trim()).toMatch(/^edgebase-native \d+\.\d+\.\d+$/)
    const unknown = run(['launch'])
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain('unknown command "launch"')
    const badFlag = run(['serve', '--turbo'])
    expect(badFlag.status).toBe(2)
    expect(badFlag.stderr).toContain('unknown option --turbo')
    expect(run(['serve', '--port']).stderr).toContain('--port needs a value')
    expect(run(['serve', '--port', 'http']).stderr).toContain('invalid port "http"')
  })

  it('an invalid config fails before the port is bound, naming the field', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ vectorize: { embeddings: { dimensions: -3, metric: 'cosine' } } }))
    const out = run(['serve', '--config', join(dir, 'bad.json'), '--persist', dir, '--port', '0'])
    expect(out.status).toBe(1)
    expect(out.stdout).not.toContain('listening')
    expect(out.stderr).toBe('edgebase-native: Invalid EdgeBase config: vectorize.embeddings.dimensions must be a positive integer (got -3)\n')
    const env = run(['serve', '--persist', dir, '--port', '0'], { EDGEBASE_CONFIG: '{"kv": [' })
    expect(env.status).toBe(1)
    expect(env.stderr).toMatch(/^edgebase-native: Invalid EdgeBase config: not valid JSON/)
    expect(run(['serve', '--config', join(dir, 'missing.json')]).stderr).toMatch(/Cannot read .*missing\.json/)
  })

  it('a port in use and a store held by another process are clear start-up errors', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const port = (blocker.address() as { port: number }).port
    const dir = tempDir()
    try {
      const out = run(['serve', '--persist', dir, '--port', String(port)], { EDGEBASE_CONFIG: KV_ONLY() })
      expect(out.status).toBe(1)
      expect(out.stderr).toContain(`Cannot listen on 127.0.0.1:${port}`)
    } finally {
      blocker.close()
    }
    const kv = new native.KVNamespace({ persist: dir, name: 'C' })
    const locked = run(['serve', '--persist', dir, '--port', '0'], { EDGEBASE_CONFIG: KV_ONLY() })
    expect(locked.status).toBe(1)
    expect(locked.stderr).toMatch(/Cannot open KV namespace 'cache' \(binding C\): .*kv\/C\.redb is already open in another process/)
    await kv.close()
  })
})

describe('configuration by flags, environment and .dev.vars', () => {
  it('env overrides: PORT, HOST, PERSIST_DIR, EDGEBASE_CONFIG, SERVICE_KEY; flags win over env', async () => {
    const dir = tempDir()
    const s = await spawnServer(['--quiet'], { PORT: '0', HOST: '127.0.0.1', PERSIST_DIR: join(dir, 'data'), EDGEBASE_CONFIG: KV_ONLY('ENVKV'), SERVICE_KEY: 'env-key' })
    try {
      expect(s.serviceKey).toBeNull()
      expect((await post(`${s.url}/api/kv/cache`, { action: 'set', key: 'k', value: 'v' }, { 'X-EdgeBase-Service-Key': 'env-key' })).status).toBe(200)
      expect(existsSync(join(dir, 'data', 'kv', 'ENVKV.redb'))).toBe(true)
    } finally {
      await s.stop()
    }
    writeFileSync(join(dir, 'flag.json'), KV_ONLY('FLAGKV'))
    const f = await spawnServer(['--quiet', '--config', join(dir, 'flag.json'), '--persist', join(dir, 'flag'), '--port', '0'], {
      PORT: '1',
      PERSIST_DIR: join(dir, 'data'),
      EDGEBASE_CONFIG: KV_ONLY('ENVKV'),
      SERVICE_KEY: 'env-key',
    })
    try {
      expect(f.url).not.toMatch(/:1$/)
      expect((await post(`${f.url}/api/kv/cache`, { action: 'set', key: 'k', value: 'v' }, { 'X-EdgeBase-Service-Key': 'env-key' })).status).toBe(200)
      expect(existsSync(join(dir, 'flag', 'kv', 'FLAGKV.redb'))).toBe(true)
    } finally {
      await f.stop()
    }
  })

  it('defaults: .edgebase under the working directory, .dev.vars there, the built-in config', async () => {
    const cwd = tempDir()
    const a = await spawnServer(['--port', '0', '--quiet'], {}, cwd)
    const key = a.serviceKey!
    expect(key).toMatch(/^[0-9a-f]{64}$/)
    const dev = a.lines.find((l) => l.serviceKey)!
    expect(dev.storedIn).toBe(join('.edgebase', 'dev-service-key'))
    expect(readFileSync(join(cwd, '.edgebase', 'dev-service-key'), 'utf8')).toBe(key)
    expect((await post(`${a.url}/api/kv/cache`, { action: 'set', key: 'k', value: 'kept' }, { 'X-EdgeBase-Service-Key': key })).body).toEqual({ ok: true })
    expect(await a.stop()).toBe(0)
    // Same key and data after a restart.
    const b = await spawnServer(['--port', '0', '--quiet'], {}, cwd)
    expect(b.serviceKey).toBe(key)
    expect((await post(`${b.url}/api/kv/cache`, { action: 'get', key: 'k' }, { 'X-EdgeBase-Service-Key': key })).body).toEqual({ value: 'kept' })
    await b.stop()
    // .dev.vars in the working directory supplies SERVICE_KEY; the process environment wins over it.
    writeFileSync(join(cwd, '.dev.vars'), 'SERVICE_KEY=from-dev-vars\n')
    const c = await spawnServer(['--port', '0', '--quiet'], {}, cwd)
    expect(c.serviceKey).toBeNull()
    expect((await post(`${c.url}/api/kv/cache`, { action: 'get', key: 'k' }, { 'X-EdgeBase-Service-Key': 'from-dev-vars' })).status).toBe(200)
    await c.stop()
    const d = await spawnServer(['--port', '0', '--quiet'], { SERVICE_KEY: 'from-env' }, cwd)
    expect((await post(`${d.url}/api/kv/cache`, { action: 'get', key: 'k' }, { 'X-EdgeBase-Service-Key': 'from-dev-vars' })).status).toBe(401)
    expect((await post(`${d.url}/api/kv/cache`, { action: 'get', key: 'k' }, { 'X-EdgeBase-Service-Key': 'from-env' })).status).toBe(200)
    await d.stop()
  })

  it('release mode generates no key: native routes stay 403', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'x'))
    const s = await spawnServer(['--port', '0', '--quiet', '--persist', dir], { EDGEBASE_CONFIG: JSON.stringify({ release: true, kv: { cache: { binding: 'C' } } }) })
    try {
      expect(s.serviceKey).toBeNull()
      expect(existsSync(join(dir, 'dev-service-key'))).toBe(false)
      expect((await post(`${s.url}/api/kv/cache`, { action: 'get', key: 'k' }, { 'X-EdgeBase-Service-Key': 'guess' })).status).toBe(403)
    } finally {
      await s.stop()
    }
  })
})

describe('logs, signals, shutdown', () => {
  it('one JSON log line per request', async () => {
    const dir = tempDir()
    const s = await spawnServer(['--port', '0', '--persist', dir], { EDGEBASE_CONFIG: KV_ONLY(), SERVICE_KEY })
    await post(`${s.url}/api/kv/cache`, { action: 'get', key: 'k' }, { 'X-EdgeBase-Service-Key': SERVICE_KEY })
    await fetch(`${s.url}/nowhere`)
    await new Promise((r) => setTimeout(r, 100))
    const requests = s.lines.filter((l) => l.method)
    expect(requests).toEqual([
      { time: expect.any(String), method: 'POST', path: '/api/kv/cache', status: 200, ms: expect.any(Number), ip: '127.0.0.1' },
      { time: expect.any(String), method: 'GET', path: '/nowhere', status: 404, ms: expect.any(Number), ip: '127.0.0.1' },
    ])
    expect(s.lines[0]).toMatchObject({ level: 'info', msg: 'listening', url: s.url, persist: dir })
    expect(await s.stop('SIGINT')).toBe(0)
    expect(s.lines.slice(-2).map((l) => l.msg)).toEqual(['shutting down', 'stopped'])
    expect(s.lines.at(-2)!.signal).toBe('SIGINT')
  })

  it('SIGTERM: in-flight requests finish, the data is there after a restart', async () => {
    const dir = tempDir()
    const env = { EDGEBASE_CONFIG: KV_ONLY(), SERVICE_KEY }
    const s = await spawnServer(['--port', '0', '--quiet', '--persist', dir], env)
    const h = { 'X-EdgeBase-Service-Key': SERVICE_KEY }
    const value = 'y'.repeat(20 * 1024 * 1024)
    const body = Buffer.from(JSON.stringify({ action: 'set', key: 'big', value }))
    const held = heldRequest(s.url, '/api/kv/cache', { 'content-type': 'application/json', ...h }, body, 1000)
    await new Promise((r) => setTimeout(r, 200)) // the route is now reading the body
    const exited = s.stop('SIGTERM')
    await new Promise((r) => setTimeout(r, 50))
    held.rest()
    const answer = await held.answered
    expect(answer.status).toBe(200)
    expect(answer.text).toContain('{"ok":true}')
    expect(await exited).toBe(0)
    expect(s.lines.at(-2)).toMatchObject({ msg: 'shutting down', signal: 'SIGTERM' })
    const again = await spawnServer(['--port', '0', '--quiet', '--persist', dir], env)
    expect((await post(`${again.url}/api/kv/cache`, { action: 'get', key: 'big' }, h)).body.value.length).toBe(value.length)
    await again.stop()
  })
})
