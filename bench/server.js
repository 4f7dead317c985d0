'use strict'
// The REST server: KV get over HTTP (`POST /api/kv/cache {action:'get'}`, 100 B value) from ours
// (the standalone binary, and startServer in a Node process), a minimal node:http server answering
// the same JSON from a Map (the ceiling for a Node-hosted server) and Miniflare 4 serving a Worker
// that reads KV. Load from autocannon in its own process (its CPU use is reported: near 100% of a
// core it is the bottleneck), then from wrk when installed. Also: the binary's idle RSS and its
// start-up-to-first-served-request time.

const fs = require('node:fs')
const path = require('node:path')
const { spawn, execFileSync } = require('node:child_process')
const { report } = require('./harness.js')

const ROOT = path.join(__dirname, '..')
const BIN = path.join(ROOT, 'target', 'release', process.platform === 'win32' ? 'edgebase-native.exe' : 'edgebase-native')
const KEY = 'bench-service-key'
const KEYS = 10_000
const VALUE = 'v'.repeat(100)
const BODY = JSON.stringify({ action: 'get', key: 'key:004242' })
const CONNECTIONS = 64
const SECONDS = 5

/** Spawns a server process that prints its URL (as a plain line or in a JSON "listening" line). */
function serve(cmd, args, env = {}) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let buf = ''
    child.stdout.on('data', (d) => {
      buf += d
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(buf)
      if (m) resolve({ url: m[1], child })
    })
    child.on('exit', (code) => reject(new Error(`${cmd} exited with ${code}`)))
  })
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once('exit', resolve)
    child.kill('SIGTERM')
  })
}

function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

async function seed(url) {
  const put = (i) =>
    fetch(`${url}/api/kv/cache`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-edgebase-service-key': KEY },
      body: JSON.stringify({ action: 'set', key: `key:${String(i).padStart(6, '0')}`, value: VALUE }),
    }).then((r) => r.text())
  for (let i = 0; i < KEYS; i += 200) await Promise.all(Array.from({ length: 200 }, (_, j) => put(i + j)))
}

function autocannon(url) {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'fixtures', 'loadgen.js'), `${url}/api/kv/cache`, CONNECTIONS, SECONDS, BODY, KEY], { encoding: 'utf8' })
  const r = JSON.parse(out.trim().split('\n').pop())
  if (r.non2xx || r.errors) throw new Error(`autocannon saw ${r.non2xx} non-2xx and ${r.errors} errors`)
  return { opsPerSec: r.rps, p50: r.p50, p99: r.p99, cpu: r.cpu }
}

function hasWrk() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' })
    return true
  } catch (e) {
    return e.status !== undefined && e.code !== 'ENOENT' // wrk --version exits 1 but exists
  }
}

function wrk(url) {
  const out = execFileSync('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '-s', path.join(__dirname, 'fixtures', 'wrk-post.lua'), `${url}/api/kv/cache`], {
    encoding: 'utf8',
    env: { ...process.env, BENCH_BODY: BODY, BENCH_KEY: KEY },
  })
  const [, rps, p50, p99, non2xx] = /WRK (\S+) (\S+) (\S+) (\d+)/.exec(out)
  if (Number(non2xx)) throw new Error(`wrk saw ${non2xx} non-2xx answers`)
  return { opsPerSec: Number(rps), p50: Number(p50), p99: Number(p99) }
}

async function miniflare(dir) {
  const { Miniflare } = require('miniflare')
  const mf = new Miniflare({
    modules: true,
    script: `export default {
      async fetch(req, env) {
        if (req.headers.get('x-edgebase-service-key') !== ${JSON.stringify(KEY)}) return Response.json({ code: 403 }, { status: 403 })
        const body = await req.json()
        return Response.json({ value: await env.KV.get(body.key) })
      },
    }`,
    kvNamespaces: ['KV'],
    kvPersist: dir,
    host: '127.0.0.1',
    port: 0,
  })
  const url = (await mf.ready).toString().replace(/\/$/, '')
  const kv = await mf.getKVNamespace('KV')
  for (let i = 0; i < KEYS; i += 500) await Promise.all(Array.from({ length: 500 }, (_, j) => kv.put(`key:${String(i + j).padStart(6, '0')}`, VALUE)))
  return { url, close: () => mf.dispose() }
}

/** Spawn → first 200 from /api/health, polled as fast as possible. */
async function startup(dir) {
  const times = []
  for (let i = 0; i < 7; i++) {
    const t0 = process.hrtime.bigint()
    const child = spawn(BIN, ['serve', '--quiet', '--port', '18799', '--persist', dir], { env: { ...process.env, SERVICE_KEY: KEY }, stdio: 'ignore' })
    for (;;) {
      try {
        const r = await fetch('http://127.0.0.1:18799/api/health')
        if (r.status === 200) break
      } catch {}
    }
    times.push(Number(process.hrtime.bigint() - t0) / 1e6)
    await stop(child)
  }
  times.sort((a, b) => a - b)
  return { median: times[Math.floor(times.length / 2)], min: times[0] }
}

module.exports = async function serverBench() {
  const dir = path.join(__dirname, '.data', 'server')
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const env = { EDGEBASE_CONFIG: JSON.stringify({ kv: { cache: { binding: 'BENCH' } } }), SERVICE_KEY: KEY }

  const bin = await serve(BIN, ['serve', '--quiet', '--port', '0', '--persist', path.join(dir, 'bin')], env)
  const idleRss = rssMiB(bin.child.pid)
  await seed(bin.url)
  const node = await serve(process.execPath, [path.join(__dirname, 'fixtures', 'node-kv-server.js'), KEYS, VALUE.length, KEY])
  const hosted = await serve(process.execPath, [path.join(__dirname, 'fixtures', 'start-server.js'), path.join(dir, 'hosted'), KEY])
  await seed(hosted.url)
  const mf = await miniflare(path.join(dir, 'miniflare'))
  const contenders = [
    { name: 'edgebase-native binary', ours: true, url: bin.url },
    { name: 'startServer (Node-hosted)', url: hosted.url },
    { name: 'node:http + Map (no storage)', url: node.url },
    { name: 'Miniflare 4 Worker + KV', url: mf.url },
  ]
  const cases = []
  const cpu = []
  let loadedRss = NaN
  try {
    const results = []
    for (const c of contenders) {
      const r = autocannon(c.url)
      cpu.push(`${c.name} ${Math.round(r.cpu * 100)}%`)
      results.push({ name: c.name, ours: c.ours, ...r })
    }
    cases.push({ name: `KV get over HTTP, autocannon, ${CONNECTIONS} connections`, results })
    if (hasWrk()) {
      const results = []
      for (const c of contenders) results.push({ name: c.name, ours: c.ours, ...wrk(c.url) })
      cases.push({ name: `KV get over HTTP, wrk -t2, ${CONNECTIONS} connections`, results })
    }
    loadedRss = rssMiB(bin.child.pid)
  } finally {
    await Promise.all([stop(bin.child), stop(node.child), stop(hosted.child), mf.close()])
  }
  report('REST server (ratios: ours ÷ contender, requests/s)', cases)
  console.log(`\nautocannon's own CPU use per run (≈100% = one full core: the load generator is the bottleneck): ${cpu.join(', ')}`)
  if (!hasWrk()) console.log('wrk is not installed (apt-get install wrk): only autocannon was used.')
  const st = await startup(path.join(dir, 'startup'))
  console.log('\n| binary | value | target |\n|---|---:|---:|')
  console.log(`| idle RSS after start | ${idleRss.toFixed(1)} MiB | ≤ 30 MiB |`)
  console.log(`| RSS after the load runs | ${loadedRss.toFixed(1)} MiB | |`)
  console.log(`| start-up to first served request (median of 7, min) | ${st.median.toFixed(1)} ms (${st.min.toFixed(1)} ms) | ≤ 50 ms |`)
}
