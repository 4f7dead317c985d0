// KVNamespace behaviour, following spec §1.4 (numbered cases) plus persistence and safety.
import { describe, expect, it } from 'vitest'
import { native, rejects, tempDir, text } from './helpers'

const { KVNamespace, ManualClock, limits } = native
const L = limits().kv
const nowSec = () => Math.floor(Date.now() / 1000)

describe('keys', () => {
  it('1: empty key is a TypeError rejection', async () => {
    const kv = new KVNamespace()
    const e = await rejects(kv.put('', 'v'), TypeError, 'Key name cannot be empty.')
    expect(e.code).toBe('EB_KV_INVALID_KEY')
    await rejects(kv.get(''), TypeError, 'Key name cannot be empty.')
    await rejects(kv.getWithMetadata(''), TypeError, 'Key name cannot be empty.')
    await rejects(kv.delete(''), TypeError, 'Key name cannot be empty.')
  })

  it('2: "." and ".." are rejected', async () => {
    const kv = new KVNamespace()
    await rejects(kv.get('.'), TypeError, '"." is not allowed as a key name.')
    await rejects(kv.delete('..'), TypeError, '".." is not allowed as a key name.')
    await rejects(kv.put('..', 'v'), TypeError, '".." is not allowed as a key name.')
  })

  it('3, 4: 513 bytes is an Error naming PUT; 512 bytes works', async () => {
    const kv = new KVNamespace()
    await rejects(kv.put('x'.repeat(513), 'v'), Error, 'KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.')
    await kv.put('x'.repeat(512), 'v')
    expect(await kv.get('x'.repeat(512))).toBe('v')
  })

  it('5, 6, 7: the limit counts UTF-8 bytes, and each op names itself', async () => {
    const kv = new KVNamespace()
    const euro = '€'.repeat(171)
    expect(euro.length).toBe(171)
    await rejects(kv.get(euro), Error, 'KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.')
    await rejects(kv.getWithMetadata('x'.repeat(513)), Error, 'KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.')
    await rejects(kv.delete('x'.repeat(600)), Error, 'KV DELETE failed: 414 UTF-8 encoded length of 600 exceeds key length limit of 512.')
  })

  it('8: validation failures are rejections, never synchronous throws', () => {
    const kv = new KVNamespace()
    for (const call of [() => kv.get(''), () => kv.put('.', 'v'), () => kv.delete('x'.repeat(999)), () => kv.list({ limit: 5000 }), () => kv.get([])]) {
      let p: Promise<unknown> | undefined
      expect(() => {
        p = call() as Promise<unknown>
      }).not.toThrow()
      expect(p).toBeInstanceOf(Promise)
      p!.catch(() => {})
    }
  })

  it('any other string is a key: case-sensitive, slashes, unicode, %, backslash; non-strings are stringified', async () => {
    const kv = new KVNamespace()
    const keys = ['a/b/../c', ' spaced ', 'ünï€ode ✓', '100%', 'back\\slash', 'Key', 'key']
    for (const k of keys) await kv.put(k, `v:${k}`)
    for (const k of keys) expect(await kv.get(k)).toBe(`v:${k}`)
    await kv.put(42 as unknown as string, 'num')
    expect(await kv.get('42')).toBe('num')
  })
})

describe('get', () => {
  it('9: missing keys resolve null whatever the type', async () => {
    const kv = new KVNamespace()
    expect(await kv.get('missing')).toBeNull()
    expect(await kv.get('missing', 'json')).toBeNull()
    expect(await kv.get('missing', 'banana' as 'text')).toBeNull()
    expect(await kv.get('missing', 'arrayBuffer')).toBeNull()
    expect(await kv.get('missing', 'stream')).toBeNull()
  })

  it('10: an unknown type is a TypeError once the key exists', async () => {
    const kv = new KVNamespace()
    await kv.put('k', 'v')
    const msg = 'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".'
    await rejects(kv.get('k', 'banana' as 'text'), TypeError, msg)
    await rejects(kv.get('k', 5 as unknown as 'text'), TypeError, msg)
    await rejects(kv.get('k', { type: 'nope' } as unknown as { type: 'text' }), TypeError, msg)
  })

  it('11: json of a non-JSON value is a SyntaxError', async () => {
    const kv = new KVNamespace()
    await kv.put('k', 'not json')
    await rejects(kv.get('k', 'json'), SyntaxError, /not valid JSON|Unexpected token/)
    await kv.put('j', '{"a":[1,2]}')
    expect(await kv.get('j', 'json')).toEqual({ a: [1, 2] })
    expect(await kv.get('j', { type: 'json' })).toEqual({ a: [1, 2] })
  })

  it('default type is text, with a string, an options object, {} or null', async () => {
    const kv = new KVNamespace()
    await kv.put('k', 'v')
    expect(await kv.get('k')).toBe('v')
    expect(await kv.get('k', 'text')).toBe('v')
    expect(await kv.get('k', {})).toBe('v')
    expect(await kv.get('k', null as unknown as undefined)).toBe('v')
    expect(await kv.get('k', { type: 'text', cacheTtl: 60 })).toBe('v')
  })

  it('12: arrayBuffer returns the exact bytes; text decodes them as UTF-8 with replacement', async () => {
    const kv = new KVNamespace()
    const bytes = new Uint8Array([0, 1, 2, 127, 128, 254, 255])
    await kv.put('k', bytes.buffer)
    const ab = await kv.get('k', 'arrayBuffer')
    expect(ab).toBeInstanceOf(ArrayBuffer)
    expect([...new Uint8Array(ab!)]).toEqual([...bytes])
    expect(await kv.get('k')).toBe('\u0000\u0001\u0002\u007f\ufffd\ufffd\ufffd')
  })

  it('13: an ArrayBufferView stores only its window; DataView and other typed arrays work', async () => {
    const kv = new KVNamespace()
    const buf = new Uint8Array([10, 11, 12, 13, 14, 15]).buffer
    await kv.put('k', new Uint8Array(buf, 2, 3))
    expect([...new Uint8Array((await kv.get('k', 'arrayBuffer'))!)]).toEqual([12, 13, 14])
    await kv.put('d', new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2))
    expect([...new Uint8Array((await kv.get('d', 'arrayBuffer'))!)]).toEqual([2, 3])
    await kv.put('i', new Int16Array([256, 1]))
    expect([...new Uint8Array((await kv.get('i', 'arrayBuffer'))!)]).toEqual([0, 1, 1, 0])
  })

  it('14: a ReadableStream value round-trips through a stream get', async () => {
    const kv = new KVNamespace()
    const chunks = ['hello ', 'stream ', 'world']
    const stream = new ReadableStream({
      start(c) {
        for (const s of chunks) c.enqueue(new TextEncoder().encode(s))
        c.close()
      },
    })
    await kv.put('k', stream)
    const out = await kv.get('k', 'stream')
    expect(out).toBeInstanceOf(ReadableStream)
    expect(await text(out)).toBe('hello stream world')
    const empty = await (async () => {
      await kv.put('e', '')
      return kv.get('e', 'stream')
    })()
    expect(await text(empty)).toBe('')
    const w = await kv.getWithMetadata('k', { type: 'stream' })
    expect(await text(w.value)).toBe('hello stream world')
  })

  it('cacheTtl (44): at least 30, coerced to an integer', async () => {
    const kv = new KVNamespace()
    await rejects(kv.get('k', { type: 'text', cacheTtl: 10 }), Error, 'KV GET failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30.')
    await rejects(kv.get('k', { cacheTtl: 'not a number' as unknown as number }), Error, 'KV GET failed: 400 Invalid cache_ttl of 0. Cache TTL must be at least 30.')
    expect(await kv.get('k', { type: 'text', cacheTtl: 30 })).toBeNull()
  })
})

describe('put', () => {
  it('15: objects that are not bytes are a TypeError; primitives are stringified', async () => {
    const kv = new KVNamespace()
    const msg = 'KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.'
    await rejects(kv.put('k', { a: 1 } as unknown as string), TypeError, msg)
    await rejects(kv.put('k', new Blob(['x']) as unknown as string), TypeError, msg)
    await rejects(kv.put('k', (() => 1) as unknown as string), TypeError, msg)
    for (const [v, s] of [[123, '123'], [true, 'true'], [undefined, 'undefined'], [null, 'null'], [10n, '10']] as const) {
      await kv.put('p', v as unknown as string)
      expect(await kv.get('p')).toBe(s)
    }
  })

  it('16: empty values are stored, not null', async () => {
    const kv = new KVNamespace()
    await kv.put('k', '')
    expect(await kv.get('k')).toBe('')
    await kv.put('b', new ArrayBuffer(0))
    expect((await kv.get('b', 'arrayBuffer'))!.byteLength).toBe(0)
  })

  it('17: 25 MiB values are the limit, also for streams', async () => {
    const kv = new KVNamespace()
    await rejects(kv.put('k', new Uint8Array(L.maxValueBytes + 1)), Error, 'KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400.')
    await kv.put('k', new Uint8Array(L.maxValueBytes))
    expect((await kv.get('k', 'arrayBuffer'))!.byteLength).toBe(26214400)
    let pulled = 0
    const endless = new ReadableStream({
      pull(c) {
        pulled++
        c.enqueue(new Uint8Array(1 << 20))
      },
    })
    await rejects(kv.put('s', endless), Error, /^KV PUT failed: 413 Value length of \d+ exceeds limit of 26214400\.$/)
    expect(pulled).toBeLessThan(40) // reading stopped soon after the limit
    expect(await kv.get('s')).toBeNull()
  })

  it('18: metadata is limited to 1024 bytes of JSON', async () => {
    const kv = new KVNamespace()
    await rejects(kv.put('k', 'v', { metadata: 'x'.repeat(1023) }), Error, 'KV PUT failed: 413 Metadata length of 1025 exceeds limit of 1024.')
    await kv.put('k', 'v', { metadata: 'x'.repeat(1022) })
    expect((await kv.getWithMetadata('k')).metadata).toBe('x'.repeat(1022))
    await rejects(kv.put('k', 'v', { metadata: { s: '€'.repeat(400) } }), Error, /Metadata length of 1208 exceeds/)
  })

  it('19, 20: metadata of any JSON type; null stores none', async () => {
    const kv = new KVNamespace()
    for (const m of [123, 's', true, [1, { a: 2 }], { nested: { deep: [null] } }]) {
      await kv.put('k', 'v', { metadata: m })
      expect((await kv.getWithMetadata('k')).metadata).toEqual(m)
    }
    await kv.put('k', 'v', { metadata: null })
    expect(await kv.getWithMetadata('k')).toEqual({ value: 'v', metadata: null, cacheStatus: null })
    const page = await kv.list()
    expect(page.keys[0]).toEqual({ name: 'k' })
    expect('metadata' in page.keys[0]).toBe(false)
  })

  it('metadata that JSON cannot serialize rejects with the JSON error', async () => {
    const kv = new KVNamespace()
    await rejects(kv.put('k', 'v', { metadata: 1n }), TypeError, /BigInt/)
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    await rejects(kv.put('k', 'v', { metadata: cyclic }), TypeError, /circular/)
    expect(await kv.get('k')).toBeNull()
  })

  it('21: getWithMetadata of a missing key', async () => {
    const kv = new KVNamespace()
    expect(await kv.getWithMetadata('missing')).toEqual({ value: null, metadata: null, cacheStatus: null })
  })

  it('22, 23: expirationTtl must be an integer ≥ 60', async () => {
    const kv = new KVNamespace()
    await rejects(kv.put('k', 'v', { expirationTtl: 30 }), Error, 'KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least 60.')
    await rejects(kv.put('k', 'v', { expirationTtl: 0 }), Error, 'KV PUT failed: 400 Invalid expiration_ttl of 0. Please specify integer greater than 0.')
    await rejects(kv.put('k', 'v', { expirationTtl: 'nan' as unknown as number }), Error, 'KV PUT failed: 400 Invalid expiration_ttl of 0. Please specify integer greater than 0.')
    await rejects(kv.put('k', 'v', { expirationTtl: -1 }), Error, 'KV PUT failed: 400 Invalid expiration_ttl of -1. Please specify integer greater than 0.')
    await kv.put('k', 'v', { expirationTtl: 60.9 })
  })

  it('24, 25: expiration must be at least 60 s in the future; int32 range', async () => {
    const clock = new ManualClock()
    const kv = new KVNamespace({ clock })
    const now = Math.floor(clock.now() / 1000)
    await rejects(kv.put('k', 'v', { expiration: now }), Error, `KV PUT failed: 400 Invalid expiration of ${now}. Please specify integer greater than the current number of seconds since the UNIX epoch.`)
    await rejects(kv.put('k', 'v', { expiration: now + 30 }), Error, `KV PUT failed: 400 Invalid expiration of ${now + 30}. Expiration times must be at least 60 seconds in the future.`)
    await rejects(kv.put('k', 'v', { expiration: 2 ** 40 }), TypeError, 'Value out of range. Must be between -2147483648 and 2147483647 (inclusive).')
    await kv.put('k', 'v', { expiration: now + 60 })
    expect((await kv.list()).keys[0].expiration).toBe(now + 60)
  })

  it('26: expirationTtl wins over expiration', async () => {
    const clock = new ManualClock()
    const kv = new KVNamespace({ clock })
    await kv.put('k', 'v', { expirationTtl: 60, expiration: 1 })
    expect((await kv.list()).keys[0].expiration).toBe(Math.floor(clock.now() / 1000) + 60)
  })

  it('27, 28: a key expires at its expiration second (manual clock, no sleeping)', async () => {
    const clock = new ManualClock(1_800_000_000_000)
    const kv = new KVNamespace({ clock })
    await kv.put('k', 'v', { expirationTtl: 60, metadata: { m: 1 } })
    const { keys } = await kv.list()
    expect(keys).toEqual([{ name: 'k', expiration: 1_800_000_060, metadata: { m: 1 } }])
    clock.advance(59_999)
    expect(await kv.get('k')).toBe('v')
    clock.advance(1)
    expect(await kv.get('k')).toBeNull()
    expect(await kv.getWithMetadata('k')).toEqual({ value: null, metadata: null, cacheStatus: null })
    expect((await kv.list()).keys).toEqual([])
    expect(await kv.get(['k'])).toEqual(new Map([['k', null]]))
  })

  it('29: a put without options clears an earlier expiration and metadata', async () => {
    const kv = new KVNamespace()
    await kv.put('k', 'one', { expirationTtl: 600, metadata: { a: 1 } })
    await kv.put('k', 'two')
    expect(await kv.getWithMetadata('k')).toEqual({ value: 'two', metadata: null, cacheStatus: null })
    expect((await kv.list()).keys).toEqual([{ name: 'k' }])
  })

  it('30: delete resolves undefined whether or not the key existed', async () => {
    const kv = new KVNamespace()
    expect(await kv.delete('never-existed')).toBeUndefined()
    await kv.put('k', 'v')
    expect(await kv.delete('k')).toBeUndefined()
    expect(await kv.get('k')).toBeNull()
  })
})

describe('list', () => {
  it('31: UTF-8 byte order', async () => {
    const kv = new KVNamespace()
    for (const k of ['key3', 'key1', 'key2', ', ', '!', 'KEY1', 'é', 'z']) await kv.put(k, 'v')
    expect((await kv.list()).keys.map((k) => k.name)).toEqual(['!', ', ', 'KEY1', 'key1', 'key2', 'key3', 'z', 'é'])
  })

  it('32: prefixes are literal and case-sensitive', async () => {
    const kv = new KVNamespace()
    for (const k of ['key1', 'KEY2', 'key\\_%x', 'keyA_']) await kv.put(k, 'v')
    expect((await kv.list({ prefix: 'KEY' })).keys.map((k) => k.name)).toEqual(['KEY2'])
    expect((await kv.list({ prefix: 'key\\_%' })).keys.map((k) => k.name)).toEqual(['key\\_%x'])
    expect((await kv.list({ prefix: 'key_' })).keys).toEqual([])
    expect((await kv.list({ prefix: null })).keys.length).toBe(4)
  })

  it('33, 34: limit above 1000 is rejected; 0, negatives and NaN mean 1000', async () => {
    const kv = new KVNamespace()
    await rejects(kv.list({ limit: 1001 }), Error, 'KV GET failed: 400 Invalid key_count_limit of 1001. Please specify an integer less than 1000.')
    for (let i = 0; i < 1005; i++) await kv.put(`k${String(i).padStart(4, '0')}`, 'v')
    for (const limit of [0, -5, NaN, undefined, 1000]) {
      const page = await kv.list({ limit })
      expect(page.keys.length).toBe(1000)
      expect(page.list_complete).toBe(false)
    }
  })

  it('35, 36: cursors page through; the last page has no cursor property', async () => {
    const kv = new KVNamespace()
    for (const k of ['a', 'b', 'c']) await kv.put(k, 'v')
    const p1 = await kv.list({ limit: 2 })
    expect(p1.keys.map((k) => k.name)).toEqual(['a', 'b'])
    expect(p1.list_complete).toBe(false)
    if (p1.list_complete) throw new Error('unreachable')
    expect(typeof p1.cursor).toBe('string')
    const p2 = await kv.list({ limit: 2, cursor: p1.cursor })
    expect(p2).toEqual({ keys: [{ name: 'c' }], list_complete: true, cacheStatus: null })
    expect('cursor' in p2).toBe(false)
    const one = await kv.list({ limit: 1 })
    if (one.list_complete) throw new Error('unreachable')
    expect((await kv.list({ limit: 2, cursor: one.cursor })).keys.map((k) => k.name)).toEqual(['b', 'c'])
  })

  it('37: keys inserted after the cursor position appear, before it do not', async () => {
    const kv = new KVNamespace()
    for (const k of ['b', 'd', 'f']) await kv.put(k, 'v')
    const p1 = await kv.list({ limit: 2 })
    if (p1.list_complete) throw new Error('unreachable')
    await kv.put('a', 'v')
    await kv.put('e', 'v')
    expect((await kv.list({ cursor: p1.cursor })).keys.map((k) => k.name)).toEqual(['e', 'f'])
  })

  it('38: an overlong prefix is rejected', async () => {
    const kv = new KVNamespace()
    await rejects(kv.list({ prefix: 'x'.repeat(513) }), Error, 'KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.')
  })

  it('39: cacheStatus is always present (null) and keys carry no value', async () => {
    const kv = new KVNamespace()
    await kv.put('k', 'v')
    const page = await kv.list()
    expect(page).toHaveProperty('cacheStatus', null)
    expect(Object.keys(page.keys[0])).toEqual(['name'])
  })

  it('a cursor that is not ours is rejected', async () => {
    const kv = new KVNamespace()
    await rejects(kv.list({ cursor: 'garbage!!' }), Error, 'KV GET failed: 400 Invalid cursor.')
    await rejects(kv.list({ cursor: Buffer.from('key').toString('base64') }), Error, 'KV GET failed: 400 Invalid cursor.')
  })
})

describe('bulk get', () => {
  it('40: 1..100 keys', async () => {
    const kv = new KVNamespace()
    const keys101 = Array.from({ length: 101 }, (_, i) => `k${i}`)
    await rejects(kv.get(keys101), Error, 'KV GET_BULK failed: 400 You can request a maximum of 100 keys')
    await rejects(kv.get([]), Error, 'KV GET_BULK failed: 400 You must request a minimum of 1 key')
    expect((await kv.get(keys101.slice(0, 100))).size).toBe(100)
  })

  it('41: a Map keyed by requested key, null for missing', async () => {
    const kv = new KVNamespace()
    await kv.put('a', 'va', { metadata: { m: 1 } })
    expect(await kv.get(['a', 'missing'])).toEqual(new Map([['a', 'va'], ['missing', null]]))
    expect(await kv.getWithMetadata(['missing'])).toEqual(new Map([['missing', null]]))
    expect(await kv.getWithMetadata(['a', 'missing'], 'text')).toEqual(new Map<string, unknown>([['a', { value: 'va', metadata: { m: 1 } }], ['missing', null]]))
  })

  it('42: json bulk of a non-JSON value', async () => {
    const kv = new KVNamespace()
    await kv.put('k1', '{"a":1}')
    await kv.put('k2', 'not json')
    await rejects(kv.get(['k1', 'k2'], 'json'), Error, 'KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-json value')
    expect(await kv.get(['k1'], { type: 'json' })).toEqual(new Map([['k1', { a: 1 }]]))
  })

  it('43: only text and json', async () => {
    const kv = new KVNamespace()
    await rejects(kv.get(['k'], { type: 'arrayBuffer' } as unknown as { type: 'text' }), Error, 'KV GET_BULK failed: 400 "arrayBuffer" is not a valid type. Use "json" or "text"')
    await rejects(kv.get(['k'], 'stream' as 'text'), Error, 'KV GET_BULK failed: 400 "stream" is not a valid type. Use "json" or "text"')
  })

  it('server-side key rules and the Map quirks of the runtime', async () => {
    const kv = new KVNamespace()
    await rejects(kv.get(['']), Error, 'KV GET_BULK failed: 400 Key names must not be empty')
    await rejects(kv.get(['.']), Error, 'KV GET_BULK failed: 400 Illegal key name ".". Please use a different name.')
    await rejects(kv.get(['x'.repeat(513)]), Error, 'KV GET_BULK failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.')
    await rejects(kv.get(['k'], { cacheTtl: 10 }), Error, 'KV GET_BULK failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30.')
    await kv.put('k', 'v')
    await kv.put('0', 'zero')
    // Duplicates collapse; keys that look like array indices are dropped (as workerd does).
    expect(await kv.get(['k', 'k', '0', '01'])).toEqual(new Map([['k', 'v'], ['01', null]]))
  })
})

describe('lifecycle and persistence', () => {
  it('persists to <dir>/kv/<name>.redb and reads back after reopening', async () => {
    const dir = tempDir()
    const kv = new KVNamespace({ persist: dir, name: 'CACHE' })
    await kv.put('k', 'v', { metadata: { m: 1 } })
    await kv.close()
    const { existsSync } = await import('node:fs')
    expect(existsSync(`${dir}/kv/CACHE.redb`)).toBe(true)
    const again = new KVNamespace({ persist: dir, name: 'CACHE' })
    expect(await again.getWithMetadata('k')).toEqual({ value: 'v', metadata: { m: 1 }, cacheStatus: null })
    await again.close()
  })

  it('in-memory namespaces are private to their object', async () => {
    const a = new KVNamespace()
    const b = new KVNamespace()
    await a.put('k', 'v')
    expect(await b.get('k')).toBeNull()
  })

  it('two instances on one file share one store', async () => {
    const dir = tempDir()
    const a = new KVNamespace({ persist: dir, name: 'S' })
    const b = new KVNamespace({ persist: dir, name: 'S' })
    await a.put('k', 'v')
    expect(await b.get('k')).toBe('v')
    await a.close()
    expect(await b.get('k')).toBe('v')
    await b.close()
  })

  it('names that would escape the directory are rejected', () => {
    const dir = tempDir()
    for (const name of ['../x', 'a/b', '..', '', 'a\\b', 'nul\0']) {
      expect(() => new KVNamespace({ persist: dir, name })).toThrow(TypeError)
    }
  })

  it('calls after close reject clearly; close is idempotent; asyncDispose closes', async () => {
    const kv = new KVNamespace({ name: 'gone' })
    await kv.put('k', 'v')
    await kv.close()
    await kv.close()
    await rejects(kv.get('k'), Error, 'KV namespace "gone" is closed.')
    await rejects(kv.put('k', 'v'), Error, 'KV namespace "gone" is closed.')
    await rejects(kv.list(), Error, 'KV namespace "gone" is closed.')
    const other = new KVNamespace({ name: 'disposed' })
    await other[Symbol.asyncDispose]()
    await rejects(other.delete('k'), Error, 'KV namespace "disposed" is closed.')
  })

  it('expired entries are purged from disk as the namespace churns', async () => {
    const dir = tempDir()
    const clock = new ManualClock()
    const kv = new KVNamespace({ persist: dir, name: 'churn', clock })
    const { statSync } = await import('node:fs')
    const value = 'x'.repeat(4096)
    const round = async (r: number) => {
      await Promise.all(Array.from({ length: 200 }, (_, i) => kv.put(`r${r}:${i}`, value, { expirationTtl: 60 })))
      clock.advance(61_000)
    }
    for (let r = 0; r < 5; r++) await round(r)
    const early = statSync(`${dir}/kv/churn.redb`).size
    for (let r = 5; r < 40; r++) await round(r)
    const late = statSync(`${dir}/kv/churn.redb`).size
    expect(late).toBeLessThan(early * 2)
    expect((await kv.list()).keys.length).toBe(0)
    await kv.close()
  })
})
