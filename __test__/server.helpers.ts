// Helpers for the server suites: the same scenarios run against the standalone binary (spawned)
// and startServer (in-process); HTTP calls, JWTs, EdgeBase's test config.
import { spawn, type ChildProcess } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect as netConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { native, ROOT } from './helpers'

export const BIN = join(ROOT, 'target', 'release', process.platform === 'win32' ? 'edgebase-native.exe' : 'edgebase-native')

/** EdgeBase's own test setup (packages/server/edgebase.test.config.ts + wrangler.test.toml). */
export const SERVICE_KEY = 'test-service-key-for-admin'
export const JWT_SECRET = 'test-jwt-user-secret-32-chars!!'
export const TEST_VARS = { SERVICE_KEY, JWT_USER_SECRET: JWT_SECRET }
export const ROOT_KEY = { kid: 'root', tier: 'root', scopes: ['*'], secretSource: 'dashboard', secretRef: 'SERVICE_KEY' }
export const TEST_CONFIG = {
  release: true,
  kv: { cache: { binding: 'TEST_KV' }, test: { binding: 'TEST_KV' }, default: { binding: 'TEST_KV' } },
  serviceKeys: { keys: [ROOT_KEY] },
}

/** A directory removed by the returned cleanup (for servers shared by a describe block). */
export function scratchDir(): [string, () => void] {
  const dir = mkdtempSync(join(tmpdir(), 'edgebase-server-'))
  return [dir, () => rmSync(dir, { recursive: true, force: true })]
}

/** The process environment without anything that would configure the server by accident. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const k of ['SERVICE_KEY', 'JWT_USER_SECRET', 'EDGEBASE_CONFIG', 'PORT', 'HOST', 'PERSIST_DIR', 'ENVIRONMENT']) delete env[k]
  return { ...env, ...extra }
}

export interface Spawned {
  url: string
  child: ChildProcess
  /** Every stdout line, parsed. */
  lines: Array<Record<string, unknown>>
  stderr: () => string
  serviceKey: string | null
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** Spawns `edgebase-native serve <args>` and waits for its "listening" line. */
export function spawnServer(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<Spawned> {
  const child = spawn(BIN, ['serve', ...args], { env: cleanEnv(env), cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: Array<Record<string, unknown>> = []
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    let buf = ''
    let serviceKey: string | null = null
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString()
      const parts = buf.split('\n')
      buf = parts.pop()!
      for (const p of parts) {
        const line = JSON.parse(p) as Record<string, unknown>
        lines.push(line)
        if (typeof line.serviceKey === 'string') serviceKey = line.serviceKey
        if (line.msg === 'listening') {
          // The dev-key line follows the listening line in the same write.
          setImmediate(() =>
            resolve({
              url: line.url as string,
              child,
              lines,
              stderr: () => stderr,
              get serviceKey() {
                return serviceKey
              },
              async stop(signal: NodeJS.Signals = 'SIGTERM') {
                if (child.exitCode === null && child.signalCode === null) child.kill(signal)
                return exited
              },
            }),
          )
        }
      }
    })
    exited.then((code) => reject(new Error(`edgebase-native exited with ${code} before listening: ${stderr}`)))
  })
}

export interface Running {
  url: string
  serviceKey: string | null
  close(): Promise<void>
}

export interface StartOptions {
  config?: object
  vars?: Record<string, string>
  persist?: string
}

/** How each target starts a server with a config, variables and (optionally) a persist dir. */
export const TARGETS: Array<{ name: string; start(o: StartOptions): Promise<Running> }> = [
  {
    name: 'startServer',
    async start({ config, vars, persist }) {
      const s = await native.startServer({ port: 0, config, vars, persist, devVars: false })
      return { url: s.url, serviceKey: s.serviceKey, close: () => s.close() }
    },
  },
  {
    name: 'binary',
    async start({ config, vars, persist }) {
      const [dir, cleanup] = scratchDir()
      const args = ['--port', '0', '--quiet', '--persist', persist ?? join(dir, 'data'), '--dev-vars', join(dir, 'none')]
      if (config) {
        writeFileSync(join(dir, 'config.json'), JSON.stringify(config))
        args.push('--config', join(dir, 'config.json'))
      }
      const s = await spawnServer(args, vars)
      return {
        url: s.url,
        serviceKey: s.serviceKey,
        async close() {
          await s.stop()
          cleanup()
        },
      }
    },
  },
]

export interface Reply {
  status: number
  headers: Headers
  body: any
  text: string
}

export async function call(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, init)
  const text = await res.text()
  let body: unknown = undefined
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {}
  return { status: res.status, headers: res.headers, body, text }
}

/** POST a JSON body (an object is serialized; a string is sent as is). */
export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

/** A raw HTTP/1.1 request with full control of path, headers and body (chunked when no length).
 * A server may answer before reading the whole body and close: write errors after the answer are
 * ignored. */
export function raw(url: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string; chunks?: Array<Buffer | string> }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let answered = false
    // Not through the URL parser, which would normalize dot segments and escapes.
    const [, host, port, path] = /^http:\/\/([^:/]+):(\d+)(\/.*)?$/.exec(url)!
    const req = request({ host, port, path: path ?? '/', method: opts.method ?? 'POST', headers: opts.headers, agent: false }, (res) => {
      answered = true
      let text = ''
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode!, text }))
    })
    req.on('error', (e) => {
      if (!answered) reject(e)
    })
    for (const c of opts.chunks ?? []) req.write(c)
    req.end(opts.body)
  })
}

/** A POST whose body is held back after `first` bytes until `rest()` is called: the server is
 * surely handling it meanwhile. Resolves with the status and body text. */
export function heldRequest(url: string, path: string, headers: Record<string, string>, body: Buffer, first: number) {
  const [, host, port] = /^http:\/\/([^:/]+):(\d+)/.exec(url)!
  const head = [`POST ${path} HTTP/1.1`, `Host: ${host}`, `Content-Length: ${body.length}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]
  const sock = netConnect(Number(port), host)
  let reply = ''
  const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
    sock.on('data', (d) => (reply += d))
    sock.on('end', () => {
      const [statusLine] = reply.split('\r\n')
      resolve({ status: Number(statusLine.split(' ')[1]), text: reply.slice(reply.indexOf('\r\n\r\n') + 4) })
    })
    sock.on('error', reject)
  })
  sock.write(`${head.join('\r\n')}\r\n\r\n`)
  sock.write(body.subarray(0, first))
  return { answered, rest: () => sock.write(body.subarray(first)) }
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url')

/** An HS256 JWT (or any header, for forgeries). */
export function jwt(claims: Record<string, unknown>, secret = JWT_SECRET, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
  const head = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`
  const sig = header.alg === 'none' ? '' : b64(createHmac('sha256', secret).update(head).digest())
  return `${head}.${sig}`
}

/** Claims of a valid EdgeBase user access token. */
export function userClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return { sub: 'user-1', iss: 'edgebase:user', iat: now, exp: now + 900, ...extra }
}
