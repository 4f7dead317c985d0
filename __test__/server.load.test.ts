// Bounded load on loopback: several hundred keep-alive connections for a few seconds, mixed
// reads and writes against the binary, then kill -9 under load and a restart. No 5xx, every read
// sees its own acknowledged write, and every acknowledged write is there after the restart.
import { Agent, request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { tempDir } from './helpers'
import { SERVICE_KEY, spawnServer } from './server.helpers'

const CONNECTIONS = 300
const SECONDS = 3

function send(agent: Agent, url: URL, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, path: '/api/kv/cache', method: 'POST', headers: { 'content-type': 'application/json', 'x-edgebase-service-key': SERVICE_KEY } },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (d) => (text += d))
        res.on('end', () => resolve({ status: res.statusCode!, text }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

describe('load', () => {
  it(`${CONNECTIONS} connections × ${SECONDS} s of mixed reads and writes, then kill -9 and restart`, async () => {
    const dir = tempDir()
    const env = { EDGEBASE_CONFIG: JSON.stringify({ kv: { cache: { binding: 'LOAD' } } }), SERVICE_KEY }
    const server = await spawnServer(['--port', '0', '--quiet', '--persist', dir], env)
    const url = new URL(server.url)
    const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS })
    const acked = new Map<string, string>()
    const statuses = new Map<number, number>()
    let wrongReads = 0
    let networkErrors = 0
    const count = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1)
    let stop = false
    const worker = async (w: number) => {
      const mine: string[] = []
      for (let n = 0; !stop; n++) {
        try {
          if (n % 2 === 0 || mine.length === 0) {
            const key = `w${w}:${n}`
            const value = `value-${w}-${n}-${'x'.repeat(n % 200)}`
            const r = await send(agent, url, JSON.stringify({ action: 'set', key, value }))
            count(r.status)
            if (r.status === 200) {
              acked.set(key, value)
              mine.push(key)
            }
          } else {
            const key = mine[(n * 7919) % mine.length]
            const r = await send(agent, url, JSON.stringify({ action: 'get', key }))
            count(r.status)
            if (r.status === 200 && JSON.parse(r.text).value !== acked.get(key)) wrongReads++
          }
        } catch {
          networkErrors++ // only expected once the server is killed
          if (!stop) await new Promise((r) => setTimeout(r, 5))
        }
      }
    }
    const workers = Array.from({ length: CONNECTIONS }, (_, w) => worker(w))
    await new Promise((r) => setTimeout(r, SECONDS * 1000))
    // Kill while requests are in flight: what was acknowledged must be durable.
    server.child.kill('SIGKILL')
    await new Promise((r) => server.child.once('exit', r))
    stop = true
    await Promise.all(workers)
    agent.destroy()

    const total = [...statuses.values()].reduce((a, b) => a + b, 0)
    console.log(`load: ${total} requests answered in ${SECONDS} s (${Math.round(total / SECONDS)}/s), ${acked.size} acknowledged writes, statuses ${JSON.stringify(Object.fromEntries(statuses))}`)
    expect(total).toBeGreaterThan(CONNECTIONS * 10)
    expect([...statuses.keys()]).toEqual([200])
    expect(wrongReads).toBe(0)

    const again = await spawnServer(['--port', '0', '--quiet', '--persist', dir], env)
    const agent2 = new Agent({ keepAlive: true, maxSockets: 64 })
    const keys = [...acked.keys()]
    let lost = 0
    const check = async (from: number) => {
      for (let i = from; i < keys.length; i += 64) {
        const r = await send(agent2, new URL(again.url), JSON.stringify({ action: 'get', key: keys[i] }))
        if (r.status !== 200 || JSON.parse(r.text).value !== acked.get(keys[i])) lost++
      }
    }
    await Promise.all(Array.from({ length: 64 }, (_, i) => check(i)))
    agent2.destroy()
    await again.stop()
    expect(lost).toBe(0)
  }, 120_000)
})
