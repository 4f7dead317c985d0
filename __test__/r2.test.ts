// R2Bucket behaviour, following spec §1.7 (numbered edge cases) plus the §1.2 checklist,
// persistence layout and key safety.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { native, rejects, tempDir } from './helpers'

const { R2Bucket, ManualClock, limits } = native
const L = limits().r2
const MD5_VALUE = '2063c1608d6e0baf80249c42e2be5804'
const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e'
const hex = (ab: ArrayBuffer) => Buffer.from(ab).toString('hex')
const sha256 = (s: string) => require('node:crypto').createHash('sha256').update(s).digest('hex') as string
const MiB = 1024 * 1024

function bucket(o: Record<string, unknown> = {}) {
  return new R2Bucket(o)
}

describe('reads of missing keys and preconditions', () => {
  it('1: head and get of a missing key resolve null', async () => {
    const b = bucket()
    expect(await b.head('missing')).toBeNull()
    expect(await b.get('missing')).toBeNull()
  })

  it('2: a missing key beats a precondition', async () => {
    expect(await bucket().get('missing', { onlyIf: { etagMatches: 'x' } })).toBeNull()
  })

  it('3: a failed precondition on get resolves metadata without a body', async () => {
    const b = bucket()
    await b.put('k', 'value', { httpMetadata: { contentType: 'text/plain' }, customMetadata: { a: '1' } })
    const o = (await b.get('k', { onlyIf: { etagMatches: 'wrong' } }))!
    expect('body' in o).toBe(false)
    expect(o.etag).toBe(MD5_VALUE)
    expect(o.size).toBe(5)
    expect(o.httpMetadata).toEqual({ contentType: 'text/plain' })
    expect(o.customMetadata).toEqual({ a: '1' })
    expect(o.range).toEqual({ offset: 0, length: 5 })
  })

  it('4: a failed precondition on put resolves null and keeps the old value', async () => {
    const b = bucket()
    await b.put('k', 'old')
    expect(await b.put('k', 'new', { onlyIf: { etagMatches: 'wrong' } })).toBeNull()
    expect(await (await b.get('k'))!.text()).toBe('old')
  })

  it('5: etagDoesNotMatch "*" is create-if-absent', async () => {
    const b = bucket()
    expect(await b.put('k', 'first', { onlyIf: { etagDoesNotMatch: '*' } })).not.toBeNull()
    expect(await b.put('k', 'second', { onlyIf: { etagDoesNotMatch: '*' } })).toBeNull()
    expect(await (await b.get('k'))!.text()).toBe('first')
  })

  it('5b: concurrent create-if-absent puts: exactly one wins', async () => {
    const b = bucket({ persist: tempDir(), name: 'race' })
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => b.put('k', `v${i}`, { onlyIf: { etagDoesNotMatch: '*' } })))
    const winners = results.filter((r) => r !== null)
    expect(winners.length).toBe(1)
    expect((await b.head('k'))!.etag).toBe(winners[0]!.etag)
    await b.close()
  })

  it('6: put with etagMatches on a missing key creates nothing', async () => {
    const b = bucket()
    expect(await b.put('no-key', 'v', { onlyIf: { etagMatches: 'anything' } })).toBeNull()
    expect(await b.head('no-key')).toBeNull()
  })

  it('7: a quoted etag in the object form is a TypeError', async () => {
    const b = bucket()
    await rejects(b.get('k', { onlyIf: { etagMatches: '"abc"' } }), TypeError, 'Conditional ETag should not be wrapped in quotes ("abc").')
    await rejects(b.put('k', 'v', { onlyIf: { etagDoesNotMatch: '"abc"' } }), TypeError, 'Conditional ETag should not be wrapped in quotes ("abc").')
  })

  it('8: Headers form: If-Match needs quotes; If-None-Match compares weakly', async () => {
    const b = bucket()
    await b.put('k', 'value')
    const ok = await b.get('k', { onlyIf: new Headers({ 'If-Match': `"${MD5_VALUE}"` }) })
    expect('body' in ok!).toBe(true)
    const weak = await b.get('k', { onlyIf: new Headers({ 'If-None-Match': `W/"${MD5_VALUE}"` }) })
    expect('body' in weak!).toBe(false)
    const weakMatch = await b.get('k', { onlyIf: new Headers({ 'If-Match': `W/"${MD5_VALUE}"` }) })
    expect('body' in weakMatch!).toBe(false)
    await rejects(b.get('k', { onlyIf: new Headers({ 'If-Match': MD5_VALUE }) }), Error, 'Invalid ETag in if-match header')
    await rejects(b.get('k', { onlyIf: new Headers({ 'If-None-Match': 'nope' }) }), Error, 'Invalid ETag in if-none-match header')
    await rejects(b.get('k', { onlyIf: new Headers({ 'If-Match': '"abc' }) }), Error, 'Unclosed double quote for Etag')
    await rejects(b.get('k', { onlyIf: new Headers({ 'If-Match': 'W"abc"' }) }), Error, 'Weak etags must start with W/ and their value must be quoted')
    await rejects(b.get('k', { onlyIf: new Headers({ 'If-Match': '"a" *' }) }), Error, "Comma was expected to separate etags. Encountered a wildcard character '*' instead.")
    // A wildcard replaces the list.
    expect('body' in (await b.get('k', { onlyIf: new Headers({ 'If-Match': '"x", *' }) }))!).toBe(true)
  })

  it('9: uploadedAfter is strict, and secondsGranularity truncates', async () => {
    const clock = new ManualClock(1_700_000_000_500)
    const b = bucket({ clock })
    await b.put('k', 'v')
    const at = new Date(1_700_000_000_500)
    expect('body' in (await b.get('k', { onlyIf: { uploadedAfter: at } }))!).toBe(false)
    expect('body' in (await b.get('k', { onlyIf: { uploadedAfter: new Date(at.getTime() - 1) } }))!).toBe(true)
    const sameSecond = new Date(1_700_000_000_100)
    expect('body' in (await b.get('k', { onlyIf: { uploadedAfter: sameSecond } }))!).toBe(true)
    expect('body' in (await b.get('k', { onlyIf: { uploadedAfter: sameSecond, secondsGranularity: true } }))!).toBe(false)
    // Headers always compare at seconds granularity.
    const h = new Headers({ 'If-Modified-Since': new Date(1_700_000_000_000).toUTCString() })
    expect('body' in (await b.get('k', { onlyIf: h }))!).toBe(false)
    const before = new Headers({ 'If-Unmodified-Since': new Date(1_700_000_001_000).toUTCString() })
    expect('body' in (await b.get('k', { onlyIf: before }))!).toBe(true)
  })

  it('10: the etag checks override the dates', async () => {
    const b = bucket()
    const o = (await b.put('k', 'v'))!
    const future = new Date(Date.now() + 86_400_000)
    const past = new Date(0)
    expect('body' in (await b.get('k', { onlyIf: { etagDoesNotMatch: 'wrong', uploadedAfter: future } }))!).toBe(true)
    expect('body' in (await b.get('k', { onlyIf: { etagMatches: o.etag, uploadedBefore: past } }))!).toBe(true)
    expect('body' in (await b.get('k', { onlyIf: { uploadedBefore: past } }))!).toBe(false)
  })
})

describe('put results', () => {
  it('11: etag is the hex MD5 and httpEtag quotes it', async () => {
    const o = (await bucket().put('k', 'value'))!
    expect(o.etag).toBe(MD5_VALUE)
    expect(o.httpEtag).toBe(`"${MD5_VALUE}"`)
  })

  it('12: put has no range; head and get report the whole object', async () => {
    const b = bucket()
    const o = (await b.put('k', 'value'))!
    expect(o.range).toBeUndefined()
    expect((await b.head('k'))!.range).toEqual({ offset: 0, length: 5 })
    expect((await b.get('k'))!.range).toEqual({ offset: 0, length: 5 })
  })

  it('13: every put gets a new version; the etag follows the bytes', async () => {
    const b = bucket()
    const a = (await b.put('k', 'same'))!
    const c = (await b.put('k', 'same'))!
    expect(a.version).toMatch(/^[0-9a-f]{32}$/)
    expect(c.version).not.toBe(a.version)
    expect(c.etag).toBe(a.etag)
  })

  it('14: null, undefined and "" store empty objects', async () => {
    const b = bucket()
    for (const [k, v] of [['n', null], ['u', undefined], ['e', '']] as const) {
      const o = (await b.put(k, v as string))!
      expect(o.size).toBe(0)
      expect(o.etag).toBe(EMPTY_MD5)
      expect(await (await b.get(k))!.text()).toBe('')
    }
  })

  it('result objects are shaped like workerd: own fields, Date, checksums with toJSON', async () => {
    const b = bucket()
    const o = (await b.put('k', 'value', { httpMetadata: { cacheExpiry: new Date(1000) } }))!
    for (const f of ['key', 'version', 'size', 'etag', 'httpEtag', 'checksums', 'uploaded', 'httpMetadata', 'customMetadata', 'range', 'storageClass', 'ssecKeyMd5']) {
      expect(Object.prototype.hasOwnProperty.call(o, f), f).toBe(true)
    }
    expect(o.uploaded).toBeInstanceOf(Date)
    expect(o.httpMetadata!.cacheExpiry).toEqual(new Date(1000))
    expect(o.customMetadata).toEqual({})
    expect(o.storageClass).toBe('Standard')
    expect(JSON.parse(JSON.stringify(o.checksums))).toEqual({ md5: MD5_VALUE })
    const g = (await b.get('k'))!
    expect(Object.prototype.hasOwnProperty.call(g, 'body')).toBe(false)
    expect('body' in g && 'bodyUsed' in g).toBe(true)
    expect(() => new (o.constructor as new () => unknown)()).toThrow(TypeError)
  })

  it('storageClass is stored, defaulting to Standard', async () => {
    const b = bucket()
    expect((await b.put('a', 'v', { storageClass: 'InfrequentAccess' }))!.storageClass).toBe('InfrequentAccess')
    expect((await b.head('a'))!.storageClass).toBe('InfrequentAccess')
    await b.put('a', 'v')
    expect((await b.head('a'))!.storageClass).toBe('Standard')
  })

  it('an overwrite replaces the metadata entirely', async () => {
    const b = bucket()
    await b.put('k', '1', { customMetadata: { a: '1' }, httpMetadata: { contentType: 'x/y' } })
    await b.put('k', '2')
    const h = (await b.head('k'))!
    expect(h.customMetadata).toEqual({})
    expect(h.httpMetadata).toEqual({})
  })

  it('value types: ArrayBuffer, views (their window), Blob, ReadableStream of unknown length', async () => {
    const b = bucket()
    await b.put('ab', new Uint8Array([1, 2, 3]).buffer)
    expect([...(await (await b.get('ab'))!.bytes())]).toEqual([1, 2, 3])
    await b.put('view', new Uint8Array(new Uint8Array([1, 2, 3, 4, 5]).buffer, 1, 3))
    expect([...(await (await b.get('view'))!.bytes())]).toEqual([2, 3, 4])
    await b.put('dv', new DataView(new Uint8Array([9, 8, 7]).buffer, 1))
    expect([...(await (await b.get('dv'))!.bytes())]).toEqual([8, 7])
    await b.put('blob', new Blob(['ab', 'c']))
    expect(await (await b.get('blob'))!.text()).toBe('abc')
    await b.put('stream', new Blob(['x'.repeat(3 * MiB), 'y']).stream())
    expect((await b.head('stream'))!.size).toBe(3 * MiB + 1)
    for (const bad of [123, true, {}, [1]]) {
      await rejects(b.put('k', bad as unknown as string), TypeError, "Failed to execute 'put' on 'R2Bucket': parameter 2 is not of type 'ReadableStream or ArrayBuffer or ArrayBufferView or string or Blob'.")
    }
  })

  it('a put that fails leaves its stream to the caller: released, not cancelled (nodejs/node#64529)', async () => {
    // workerd cancels the stream; in Node that crashes servers that pass `Readable.toWeb(req)`.
    let cancelled = false
    const s = new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(1)) }, cancel() { cancelled = true } })
    await rejects(bucket().put('x'.repeat(1025), s), Error, 'put: The specified object name is not valid. (10020)')
    expect(s.locked).toBe(false)
    const big = new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(1)) }, cancel() { cancelled = true } })
    await rejects(bucket().put('k', big, { customMetadata: { k: 'x'.repeat(3000) } }), Error, 'put: Your metadata headers exceed the maximum allowed metadata size. (10012)')
    expect(big.locked).toBe(false)
    const u = await bucket().createMultipartUpload('k')
    await u.abort()
    const mid = new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(1)) }, cancel() { cancelled = true } })
    await rejects(u.uploadPart(1, mid), Error, 'uploadPart: The specified multipart upload does not exist. (10024)')
    expect(mid.locked).toBe(false)
    expect(cancelled).toBe(false)
    await mid.cancel()
    expect(cancelled).toBe(true)
  })

  it('a stream that is not bytes, or that errors, stores nothing and leaves no file', async () => {
    const dir = tempDir()
    const b = bucket({ persist: dir, name: 'streams' })
    const words = new ReadableStream({ start(c) { c.enqueue('text'); c.close() } })
    await rejects(b.put('k', words), TypeError, 'This ReadableStream did not return bytes.')
    const failing = new ReadableStream({
      pull(c) {
        c.enqueue(new Uint8Array(2 * MiB))
        throw new Error('source broke')
      },
    })
    await rejects(b.put('k', failing), Error, 'source broke')
    expect(await b.head('k')).toBeNull()
    expect(readdirSync(join(dir, 'r2', 'streams', 'tmp'))).toEqual([])
    await b.close()
  })
})

describe('checksums', () => {
  it('15: more than one algorithm is a TypeError before any write', async () => {
    const b = bucket()
    await rejects(b.put('k', 'v', { md5: EMPTY_MD5, sha1: 'a'.repeat(40) }), TypeError, 'You cannot specify multiple hashing algorithms.')
    expect(await b.head('k')).toBeNull()
  })

  it('16: hex shape errors', async () => {
    const b = bucket()
    await rejects(b.put('k', 'v', { sha256: 'zz'.repeat(32) }), TypeError, "Provided SHA-256 wasn't a valid hex string")
    await rejects(b.put('k', 'v', { sha256: 'a'.repeat(63) }), TypeError, 'SHA-256 is 64 hex characters, not 63')
    await rejects(b.put('k', 'v', { md5: new ArrayBuffer(3) }), TypeError, 'MD5 is 16 bytes, not 3')
    await rejects(b.put('k', 'v', { sha512: new Uint8Array(10) }), TypeError, 'SHA-512 is 64 bytes, not 10')
    await rejects(b.put('k', 'v', { sha1: 5 as unknown as string }), TypeError, "Incorrect type for the 'sha1' field on 'PutOptions': the provided value is not of type 'JsBufferSource or string'.")
  })

  it('17: a mismatch rejects with the three-line text and writes nothing; a match is stored lowercase', async () => {
    const b = bucket()
    const wrong = '0'.repeat(64)
    await rejects(
      b.put('k', 'value', { sha256: wrong }),
      Error,
      `put: The SHA-256 checksum you specified did not match what we received.\nYou provided a SHA-256 checksum with value: ${wrong}\nActual SHA-256 was: ${sha256('value')} (10037)`,
    )
    expect(await b.head('k')).toBeNull()
    const o = (await b.put('k', 'value', { sha256: sha256('value').toUpperCase() }))!
    expect(o.checksums.toJSON()).toEqual({ md5: MD5_VALUE, sha256: sha256('value') })
    expect((await b.head('k'))!.checksums.toJSON()).toEqual({ md5: MD5_VALUE, sha256: sha256('value') })
    // Binary checksums, every algorithm.
    const crypto = require('node:crypto')
    for (const alg of ['md5', 'sha1', 'sha256', 'sha384', 'sha512']) {
      const digest = crypto.createHash(alg).update('value').digest()
      const r = (await b.put('k', 'value', { [alg]: new Uint8Array(digest) }))!
      expect(r.checksums.toJSON()[alg as 'md5']).toBe(digest.toString('hex'))
    }
  })

  it('18: md5 is a 16-byte ArrayBuffer, fresh per access; others only when supplied', async () => {
    const o = (await bucket().put('k', 'value'))!
    const md5 = o.checksums.md5!
    expect(md5).toBeInstanceOf(ArrayBuffer)
    expect(md5.byteLength).toBe(16)
    expect(hex(md5)).toBe(MD5_VALUE)
    expect(o.checksums.md5).not.toBe(md5)
    expect(o.checksums.sha1).toBeUndefined()
  })
})

describe('metadata and keys', () => {
  it('19: customMetadata up to 2048 counted characters', async () => {
    const b = bucket()
    await b.put('k', 'v', { customMetadata: { key: 'x'.repeat(2045) } })
    await rejects(b.put('k', 'v', { customMetadata: { key: 'x'.repeat(2046) } }), Error, 'put: Your metadata headers exceed the maximum allowed metadata size. (10012)')
  })

  it('20: strings with a code unit >= 256 count double', async () => {
    const b = bucket()
    await b.put('k', 'v', { customMetadata: { key1: '🙂'.repeat(511) } })
    await rejects(b.put('k', 'v', { customMetadata: { key12: '🙂'.repeat(511) } }), Error, 'put: Your metadata headers exceed the maximum allowed metadata size. (10012)')
  })

  it('21: 1024-byte keys work; 1025 bytes is 10020 for every action', async () => {
    const b = bucket()
    const k1024 = 'x'.repeat(L.maxKeyBytes)
    await b.put(k1024, 'v')
    expect(await (await b.get(k1024))!.text()).toBe('v')
    expect((await b.list()).objects.map((o) => o.key)).toEqual([k1024])
    const long = 'é'.repeat(512) + 'x' // 1025 UTF-8 bytes, 513 UTF-16 units
    const text = (a: string) => `${a}: The specified object name is not valid. (10020)`
    await rejects(b.head(long), Error, text('head'))
    await rejects(b.get(long), Error, text('get'))
    await rejects(b.put(long, 'v'), Error, text('put'))
    await rejects(b.delete(long), Error, text('delete'))
    await rejects(b.createMultipartUpload(long), Error, text('createMultipartUpload'))
    const u = b.resumeMultipartUpload(long, 'id')
    await rejects(u.uploadPart(1, 'v'), Error, text('uploadPart'))
    await rejects(u.complete([]), Error, text('completeMultipartUpload'))
    await rejects(u.abort(), Error, text('abortMultipartUpload'))
  })

  it('22: one bad key in a delete array deletes nothing', async () => {
    const b = bucket()
    await b.put('ok', 'v')
    await rejects(b.delete(['ok', 'x'.repeat(1025)]), Error, 'delete: The specified object name is not valid. (10020)')
    expect(await b.head('ok')).not.toBeNull()
  })

  it('23: delete of an array ignores missing keys', async () => {
    const b = bucket()
    for (const k of ['a', 'b', 'c']) await b.put(k, 'v')
    expect(await b.delete(['a', 'missing', 'c'])).toBeUndefined()
    expect((await b.list()).objects.map((o) => o.key)).toEqual(['b'])
    expect(await b.delete('b')).toBeUndefined()
    expect(await b.delete([])).toBeUndefined()
  })

  it('the empty key and non-string keys work (keys are stringified)', async () => {
    const b = bucket()
    await b.put('', 'empty')
    expect(await (await b.get(''))!.text()).toBe('empty')
    await b.put(42 as unknown as string, 'n')
    expect((await b.head('42'))!.key).toBe('42')
  })

  it('httpMetadata from Headers and writeHttpMetadata', async () => {
    const b = bucket()
    const expires = 'Wed, 21 Oct 2015 07:28:00 GMT'
    await b.put('k', 'v', {
      httpMetadata: new Headers({
        'Content-Type': 'text/html', 'Content-Language': 'en', 'Content-Disposition': 'inline',
        'Content-Encoding': 'identity', 'Cache-Control': 'no-cache', Expires: expires, 'X-Other': 'ignored',
      }),
    })
    const o = (await b.head('k'))!
    expect(o.httpMetadata).toEqual({
      contentType: 'text/html', contentLanguage: 'en', contentDisposition: 'inline',
      contentEncoding: 'identity', cacheControl: 'no-cache', cacheExpiry: new Date(expires),
    })
    const h = new Headers({ 'content-type': 'old', 'x-keep': '1' })
    expect(o.writeHttpMetadata(h)).toBeUndefined()
    expect(Object.fromEntries(h)).toEqual({
      'content-type': 'text/html', 'content-language': 'en', 'content-disposition': 'inline',
      'content-encoding': 'identity', 'cache-control': 'no-cache', expires, 'x-keep': '1',
    })
    // Unknown fields are ignored; other values are stringified.
    await b.put('k', 'v', { httpMetadata: { contentType: 5, bogus: 1 } as never })
    expect((await b.head('k'))!.httpMetadata).toEqual({ contentType: '5' })
  })

  it('SSE-C keys are validated', async () => {
    const b = bucket()
    await rejects(b.put('k', 'v', { ssecKey: 'zz' }), Error, 'SSE-C Key has invalid format')
    await rejects(b.put('k', 'v', { ssecKey: 'A'.repeat(64) }), Error, 'SSE-C Key has invalid format')
    await rejects(b.put('k', 'v', { ssecKey: 'a'.repeat(62) }), Error, 'SSE-C Key must be 32 bytes in length')
    await rejects(b.get('k', { ssecKey: new Uint8Array(5) }), Error, 'SSE-C Key must be 32 bytes in length')
    await rejects(b.createMultipartUpload('k', { ssecKey: 'q' }), Error, 'SSE-C Key has invalid format')
    expect(await b.put('k', 'v', { ssecKey: 'a'.repeat(64) })).not.toBeNull()
    expect(await b.get('k', { ssecKey: new Uint8Array(32) })).not.toBeNull()
  })
})

describe('list', () => {
  const keys = (l: { objects: { key: string }[] }) => l.objects.map((o) => o.key)

  it('24: an empty bucket lists nothing, without a cursor property', async () => {
    const l = await bucket().list()
    expect(l).toEqual({ objects: [], delimitedPrefixes: [], truncated: false })
    expect('cursor' in l).toBe(false)
  })

  it('25: byte order, case-sensitive', async () => {
    const b = bucket()
    for (const k of ['key3', 'key1', 'key2', ', ', '!', 'a', 'B', 'é']) await b.put(k, 'v')
    expect(keys(await b.list())).toEqual(['!', ', ', 'B', 'a', 'key1', 'key2', 'key3', 'é'])
  })

  it('26: limit outside 1..1000 is 10022', async () => {
    const b = bucket()
    for (const limit of [0, 1001]) {
      await rejects(b.list({ limit }), Error, 'list: MaxKeys params must be positive integer <= 1000. (10022)')
    }
    expect(keys(await b.list({ limit: 1000 }))).toEqual([])
  })

  it('27: pages with a cursor', async () => {
    const b = bucket()
    for (const k of ['a', 'b', 'c']) await b.put(k, 'v')
    const p1 = await b.list({ limit: 2 })
    expect(keys(p1)).toEqual(['a', 'b'])
    expect(p1.truncated).toBe(true)
    if (!p1.truncated) throw new Error('expected a cursor')
    expect(typeof p1.cursor).toBe('string')
    const p2 = await b.list({ limit: 2, cursor: p1.cursor })
    expect(keys(p2)).toEqual(['c'])
    expect(p2.truncated).toBe(false)
  })

  it('28: keys written between pages appear if they sort after the cursor', async () => {
    const b = bucket()
    for (const k of ['b', 'd', 'f']) await b.put(k, 'v')
    const p1 = await b.list({ limit: 2 })
    await b.put('a', 'v')
    await b.put('e', 'v')
    const p2 = await b.list({ limit: 2, cursor: (p1 as { cursor: string }).cursor })
    expect(keys(p2)).toEqual(['e', 'f'])
  })

  it('29: startAfter is exclusive and need not exist', async () => {
    const b = bucket()
    for (const k of ['key1', 'key2', 'key3', 'key4']) await b.put(k, 'v')
    const p1 = await b.list({ startAfter: 'key1', limit: 2 })
    expect(keys(p1)).toEqual(['key2', 'key3'])
    expect(keys(await b.list({ startAfter: 'key1', limit: 2, cursor: (p1 as { cursor: string }).cursor }))).toEqual(['key4'])
    expect(keys(await b.list({ startAfter: 'key', limit: 2 }))).toEqual(['key1', 'key2'])
  })

  it('30: unknown include values are a RangeError', async () => {
    await rejects(bucket().list({ include: ['bogus' as 'httpMetadata'] }), RangeError, 'Unsupported include value bogus')
    await rejects(bucket().list({ include: 'httpMetadata' as never }), TypeError, "Incorrect type for the 'include' field on 'ListOptions': the provided value is not of type 'Array'.")
  })

  it('31: metadata only with include (else {})', async () => {
    const b = bucket()
    await b.put('k', 'v', { customMetadata: { a: '1' }, httpMetadata: { contentType: 't/t' } })
    const plain = (await b.list()).objects[0]
    expect(plain.customMetadata).toEqual({})
    expect(plain.httpMetadata).toEqual({})
    expect(plain.range).toBeUndefined()
    expect(plain.checksums.toJSON()).toEqual({ md5: '9e3669d19b675bd57058fd4664205d2a' })
    const custom = (await b.list({ include: ['customMetadata'] })).objects[0]
    expect(custom.customMetadata).toEqual({ a: '1' })
    expect(custom.httpMetadata).toEqual({})
    const both = (await b.list({ include: ['customMetadata', 'httpMetadata'] })).objects[0]
    expect(both.httpMetadata).toEqual({ contentType: 't/t' })
  })

  it('32: delimiter folds into delimitedPrefixes', async () => {
    const b = bucket()
    for (const k of ['dir0/file0', 'dir0/sub0/file2', 'file8']) await b.put(k, 'v')
    const root = await b.list({ delimiter: '/' })
    expect(keys(root)).toEqual(['file8'])
    expect(root.delimitedPrefixes).toEqual(['dir0/'])
    const dir = await b.list({ prefix: 'dir0/', delimiter: '/' })
    expect(keys(dir)).toEqual(['dir0/file0'])
    expect(dir.delimitedPrefixes).toEqual(['dir0/sub0/'])
    const noSlash = await b.list({ prefix: 'dir0', delimiter: '/' })
    expect(keys(noSlash)).toEqual([])
    expect(noSlash.delimitedPrefixes).toEqual(['dir0/'])
  })

  it('32b: multi-character delimiters', async () => {
    const b = bucket()
    for (const k of ['a--b--c', 'a--d', 'ax', 'b::x::y', 'b::z']) await b.put(k, 'v')
    const l = await b.list({ delimiter: '--' })
    expect(keys(l)).toEqual(['ax', 'b::x::y', 'b::z'])
    expect(l.delimitedPrefixes).toEqual(['a--'])
    const m = await b.list({ delimiter: '::', prefix: 'b::' })
    expect(keys(m)).toEqual(['b::z'])
    expect(m.delimitedPrefixes).toEqual(['b::x::'])
  })

  it('33: limit counts objects plus prefixes; a folded group is skipped whole', async () => {
    const b = bucket()
    for (const k of ['dir0/f1', 'dir0/f2', 'dir0/s1/x', 'dir0/s1/y', 'dir0/s2/z']) await b.put(k, 'v')
    const p1 = await b.list({ prefix: 'dir0/', delimiter: '/', limit: 2 })
    expect(keys(p1)).toEqual(['dir0/f1', 'dir0/f2'])
    expect(p1.truncated).toBe(true)
    const p2 = await b.list({ prefix: 'dir0/', delimiter: '/', limit: 1, cursor: (p1 as { cursor: string }).cursor })
    expect(p2.delimitedPrefixes).toEqual(['dir0/s1/'])
    const p3 = await b.list({ prefix: 'dir0/', delimiter: '/', limit: 2, cursor: (p2 as { cursor: string }).cursor })
    expect(p3.delimitedPrefixes).toEqual(['dir0/s2/'])
    expect(p3.truncated).toBe(false)
  })

  it('include caps a page at 100 entries (Miniflare)', async () => {
    const b = bucket()
    await Promise.all(Array.from({ length: 120 }, (_, i) => b.put(`k${String(i).padStart(3, '0')}`, 'v')))
    expect((await b.list({ include: ['httpMetadata'] })).objects.length).toBe(100)
    expect((await b.list()).objects.length).toBe(120)
  })

  it('option types: non-string prefix is a TypeError, limits are truncated, negative means none', async () => {
    const b = bucket()
    for (const k of ['a', 'b']) await b.put(k, 'v')
    await rejects(b.list({ prefix: 4 as unknown as string }), TypeError, "Incorrect type for the 'prefix' field on 'ListOptions': the provided value is not of type 'string'.")
    await rejects(b.list(5 as never), TypeError, "Failed to execute 'list' on 'R2Bucket': parameter 1 is not of type 'ListOptions'.")
    expect(keys(await b.list({ limit: 1.5 }))).toEqual(['a'])
    expect(keys(await b.list({ limit: -1 }))).toEqual(['a', 'b'])
    expect(keys(await b.list({ cursor: 'garbage!!' }))).toBeInstanceOf(Array)
  })
})

describe('ranges', () => {
  it('34: offset/length and suffix ranges', async () => {
    const b = bucket()
    await b.put('k', 'value')
    const a = (await b.get('k', { range: { offset: 1, length: 3 } }))!
    expect(await a.text()).toBe('alu')
    expect(a.range).toEqual({ offset: 1, length: 3 })
    expect(a.size).toBe(5)
    const s = (await b.get('k', { range: { suffix: 42 } }))!
    expect(await s.text()).toBe('value')
    expect(s.range).toEqual({ offset: 0, length: 5 })
    const s3 = (await b.get('k', { range: { suffix: 3 } }))!
    expect([await s3.text(), s3.range]).toEqual(['lue', { offset: 2, length: 3 }])
    const l = (await b.get('k', { range: { length: 42 } }))!
    expect(l.range).toEqual({ offset: 0, length: 5 })
  })

  it('35: unsatisfiable and invalid ranges', async () => {
    const b = bucket()
    await b.put('k', 'value')
    await b.put('empty', '')
    for (const range of [{ offset: 42 }, { offset: 5 }, { length: 0 }, { suffix: 0 }, { offset: Infinity }]) {
      await rejects(b.get('k', { range }), Error, 'get: The requested range is not satisfiable (10039)')
    }
    await rejects(b.get('empty', { range: { offset: 0 } }), Error, 'get: The requested range is not satisfiable (10039)')
    await rejects(b.get('k', { range: { offset: -1 } }), RangeError, 'Invalid range. Starting offset (-1) must be greater than or equal to 0.')
    await rejects(b.get('k', { range: { offset: 1.5 } }), RangeError, 'Invalid range. Starting offset (1.5) must be an integer, not floating point.')
    await rejects(b.get('k', { range: { offset: NaN } }), RangeError, 'Invalid range. Starting offset (nan) must be greater than or equal to 0.')
    await rejects(b.get('k', { range: { length: -2 } }), RangeError, 'Invalid range. Length (-2) must be greater than or equal to 0.')
    await rejects(b.get('k', { range: { offset: 1, suffix: 1 } }), TypeError, 'Suffix is incompatible with offset.')
    await rejects(b.get('k', { range: { length: 1, suffix: 1 } }), TypeError, 'Suffix is incompatible with length.')
    await rejects(b.get('k', { range: { suffix: -1 } }), RangeError, 'Invalid suffix. Suffix (-1) must be greater than or equal to 0.')
    await rejects(b.get('k', { range: { suffix: 0.5 } }), RangeError, 'Invalid range. Suffix (0.5) must be an integer, not floating point.')
    await rejects(b.get('k', { range: 5 as never }), TypeError, "Incorrect type for the 'range' field on 'GetOptions': the provided value is not of type 'Range or Headers'.")
    // A missing key is null before any range check of the backend.
    expect(await b.get('missing', { range: { offset: 99 } })).toBeNull()
  })

  it('36: the Range header: one satisfiable range, else the whole object', async () => {
    const b = bucket()
    await b.put('k', '0123456789ab')
    const get = async (r: string) => {
      const o = (await b.get('k', { range: new Headers({ Range: r }) }))!
      return [await o.text(), o.range]
    }
    expect(await get('bytes=5-6,10-11')).toEqual(['0123456789ab', { offset: 0, length: 12 }])
    expect(await get('bytes=-5')).toEqual(['789ab', { offset: 7, length: 5 }])
    expect(await get('bytes=2-4')).toEqual(['234', { offset: 2, length: 3 }])
    expect(await get('bytes=10-')).toEqual(['ab', { offset: 10, length: 2 }])
    expect(await get('bytes=10-99')).toEqual(['ab', { offset: 10, length: 2 }])
    for (const whole of ['bytes=20-30', 'bytes=4-2', 'nonsense']) {
      expect(await get(whole)).toEqual(['0123456789ab', { offset: 0, length: 12 }])
    }
    const none = (await b.get('k', { range: new Headers() }))!
    expect(none.range).toEqual({ offset: 0, length: 12 })
  })

  it('ranges on a large (streamed) object read the right bytes', async () => {
    const b = bucket()
    const bytes = new Uint8Array(3 * MiB)
    for (let i = 0; i < bytes.length; i++) bytes[i] = i % 251
    await b.put('big', bytes)
    const r = (await b.get('big', { range: { offset: MiB - 3, length: MiB + 7 } }))!
    expect(Buffer.from(await r.arrayBuffer()).equals(Buffer.from(bytes.subarray(MiB - 3, 2 * MiB + 4)))).toBe(true)
    const s = (await b.get('big', { range: { suffix: 10 } }))!
    let got = Buffer.alloc(0)
    for await (const c of s.body as unknown as AsyncIterable<Uint8Array>) got = Buffer.concat([got, c])
    expect(got.equals(Buffer.from(bytes.subarray(bytes.length - 10)))).toBe(true)
  })
})

describe('bodies', () => {
  it('37: a body reads once; bodyUsed flips', async () => {
    const b = bucket()
    await b.put('k', 'value')
    const o = (await b.get('k'))!
    expect(o.bodyUsed).toBe(false)
    expect(await o.text()).toBe('value')
    expect(o.bodyUsed).toBe(true)
    const used = 'Body has already been used. It can only be used once. Use tee() first if you need to read it twice.'
    for (const read of [() => o.text(), () => o.arrayBuffer(), () => o.bytes(), () => o.json(), () => o.blob()]) {
      await rejects(read(), TypeError, used)
    }
    // Reading through the stream counts too.
    const s = (await b.get('k'))!
    expect(await new Response(s.body as ReadableStream).text()).toBe('value')
    expect(s.bodyUsed).toBe(true)
    await rejects(s.text(), TypeError, used)
  })

  it('every reader: arrayBuffer, bytes, text, json, blob (typed by contentType)', async () => {
    const b = bucket()
    await b.put('j', '{"a":[1,"é"]}', { httpMetadata: { contentType: 'application/json' } })
    const ab = await (await b.get('j'))!.arrayBuffer()
    expect(ab).toBeInstanceOf(ArrayBuffer)
    const bytes = await (await b.get('j'))!.bytes()
    expect(bytes.constructor).toBe(Uint8Array)
    expect(await (await b.get('j'))!.json()).toEqual({ a: [1, 'é'] })
    const blob = await (await b.get('j'))!.blob()
    expect(blob.type).toBe('application/json')
    expect(await blob.text()).toBe('{"a":[1,"é"]}')
    await b.put('n', 'x')
    expect((await (await b.get('n'))!.blob()).type).toBe('')
  })

  it('a large body is a real byte stream: BYOB reads, cancel, reading after an overwrite', async () => {
    const b = bucket()
    await b.put('big', new Uint8Array(2 * MiB).fill(7))
    const o = (await b.get('big'))!
    const reader = (o.body as ReadableStream<Uint8Array>).getReader({ mode: 'byob' })
    const first = await reader.read(new Uint8Array(1000))
    expect(first.value!.byteLength).toBe(1000)
    await b.put('big', 'replaced')
    let total = 1000
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(65536))
      if (done) break
      expect(value!.every((x) => x === 7)).toBe(true)
      total += value!.byteLength
    }
    expect(total).toBe(2 * MiB)
    const c = (await b.get('big'))!
    await (c.body as ReadableStream).cancel()
    expect(c.bodyUsed).toBe(true)
  })
})

describe('multipart', () => {
  const small = { minPartSize: 5 }

  it('38: part numbers outside 1..10000 are TypeErrors', async () => {
    const u = await bucket().createMultipartUpload('k')
    for (const n of [0, 10001, -1]) {
      await rejects(u.uploadPart(n, 'v'), TypeError, `Part number must be between 1 and 10000 (inclusive). Actual value was: ${n}`)
    }
    await rejects(u.uploadPart(NaN, 'v'), TypeError, 'Part number must be between 1 and 10000 (inclusive). Actual value was: 0')
    expect((await u.uploadPart(1.5, 'v')).partNumber).toBe(1)
  })

  it('39: a resumed upload with a bad id', async () => {
    const u = bucket().resumeMultipartUpload('key', 'bad')
    expect([u.key, u.uploadId]).toEqual(['key', 'bad'])
    await rejects(u.uploadPart(1, 'v'), Error, 'uploadPart: The specified multipart upload does not exist. (10024)')
    await rejects(u.abort(), Error, 'abortMultipartUpload: We encountered an internal error. Please try again. (10001)')
    await rejects(u.complete([]), Error, 'completeMultipartUpload: We encountered an internal error. Please try again. (10001)')
  })

  it('40: completion rules (5 MiB minimum, uniform sizes), etag, idempotent abort', async () => {
    const b = bucket()
    const upload = async (sizes: number[]) => {
      const u = await b.createMultipartUpload('big')
      const parts = []
      for (let i = 0; i < sizes.length; i++) parts.push(await u.uploadPart(i + 1, new Uint8Array(sizes[i]).fill(i + 1)))
      return { u, parts }
    }
    const ok = await upload([5 * MiB, 5 * MiB, 1])
    const o = (await ok.u.complete(ok.parts))!
    expect(o.etag).toMatch(/^[0-9a-f]{32}-3$/)
    expect(o.checksums.toJSON()).toEqual({})
    expect(o.size).toBe(10 * MiB + 1)
    const tiny = await upload([1, 1, 1])
    await rejects(tiny.u.complete(tiny.parts), Error, 'completeMultipartUpload: Your proposed upload is smaller than the minimum allowed object size. (10011)')
    for (const sizes of [[5 * MiB, 5 * MiB + 1, 5 * MiB], [5 * MiB, 5 * MiB, 5 * MiB + 1]]) {
      const x = await upload(sizes)
      await rejects(x.u.complete(x.parts), Error, 'completeMultipartUpload: There was a problem with the multipart upload. (10048)')
    }
    await rejects(ok.u.complete(ok.parts), Error, 'completeMultipartUpload: The specified multipart upload does not exist. (10024)')
    await ok.u.abort()
    const got = (await b.get('big'))!
    const bytes = new Uint8Array(await got.arrayBuffer())
    expect([bytes[0], bytes[5 * MiB], bytes[10 * MiB], bytes.length]).toEqual([1, 2, 3, 10 * MiB + 1])
  })

  it('etag is the MD5 of the part MD5s; part order, gaps, replaced and foreign parts', async () => {
    const b = bucket(small)
    const crypto = require('node:crypto')
    const md5 = (x: Buffer) => crypto.createHash('md5').update(x).digest()
    const u = await b.createMultipartUpload('k', { httpMetadata: { contentType: 'a/b' }, customMetadata: { c: '1' } })
    const p9 = await u.uploadPart(9, 'ccccc')
    const p2 = await u.uploadPart(2, 'aaaaa')
    const stale = await u.uploadPart(5, 'xxxxx')
    const p5 = await u.uploadPart(5, 'bbbbb')
    expect(p5.etag).not.toBe(stale.etag)
    await rejects(u.complete([p2, stale, p9]), Error, 'completeMultipartUpload: One or more of the specified parts could not be found. (10025)')
    await rejects(u.complete([p2, { partNumber: 7, etag: 'made-up' }]), Error, 'completeMultipartUpload: One or more of the specified parts could not be found. (10025)')
    await rejects(u.complete([p2, p2]), Error, 'completeMultipartUpload: We encountered an internal error. Please try again. (10001)')
    const other = await b.createMultipartUpload('k')
    const foreign = await other.uploadPart(1, 'zzzzz')
    await rejects(u.complete([p2, foreign]), Error, 'completeMultipartUpload: One or more of the specified parts could not be found. (10025)')
    expect(await b.head('k')).toBeNull()
    expect((await b.list()).objects).toEqual([])
    const o = (await u.complete([p9, p2, p5]))!
    const expected = md5(Buffer.concat(['aaaaa', 'bbbbb', 'ccccc'].map((s) => md5(Buffer.from(s))))).toString('hex')
    expect(o.etag).toBe(`${expected}-3`)
    expect(o.httpMetadata).toEqual({ contentType: 'a/b' })
    expect(o.customMetadata).toEqual({ c: '1' })
    expect(o.range).toBeUndefined()
    expect(await (await b.get('k'))!.text()).toBe('aaaaabbbbbccccc')
    const r = (await b.get('k', { range: { offset: 3, length: 9 } }))!
    expect(await r.text()).toBe('aabbbbbcc')
    // Another upload of the same key was unaffected and can still complete.
    expect((await other.complete([foreign]))!.size).toBe(5)
    const empty = await b.createMultipartUpload('e')
    expect((await empty.complete([]))!.etag).toBe('d41d8cd98f00b204e9800998ecf8427e-0')
    await rejects(u.complete(5 as never), TypeError, "Failed to execute 'complete' on 'R2MultipartUpload': parameter 1 is not of type 'Array'.")
  })

  it('parts from streams and Blobs; a put or delete of the key leaves uploads alone', async () => {
    const b = bucket(small)
    const u = await b.createMultipartUpload('k')
    const p1 = await u.uploadPart(1, new Blob(['x'.repeat(5)]).stream())
    await b.put('k', 'plain')
    await b.delete('k')
    const p2 = await u.uploadPart(2, new Blob(['y']))
    expect((await u.complete([p1, p2]))!.size).toBe(6)
    await rejects(u.uploadPart(3, 'z'), Error, 'uploadPart: The specified multipart upload does not exist. (10024)')
    const aborted = await b.createMultipartUpload('a')
    await aborted.uploadPart(1, 'x')
    await aborted.abort()
    await aborted.abort()
    await rejects(aborted.uploadPart(2, 'x'), Error, 'uploadPart: The specified multipart upload does not exist. (10024)')
    await rejects(aborted.complete([]), Error, 'completeMultipartUpload: The specified multipart upload does not exist. (10024)')
  })
})

describe('persistence layout and key safety', () => {
  function files(root: string): string[] {
    const out: string[] = []
    const walk = (d: string) => {
      for (const e of readdirSync(d)) {
        const p = join(d, e)
        if (statSync(p).isDirectory()) walk(p)
        else out.push(relative(root, p))
      }
    }
    walk(root)
    return out.sort()
  }

  it('<persist>/r2/<name>/: index.sqlite plus blob files named by id, never by key', async () => {
    const dir = tempDir()
    const b = bucket({ persist: dir, name: 'uploads' })
    const tricky = ['a/b', '../escape', '..\\..\\win', '/abs/path', 'ünï/cödé', 'x'.repeat(1024), '.', '..', 'CON', 'a\u0000b', 'nul/', 'blobs/../index.sqlite']
    for (const k of tricky) await b.put(k, `v:${k}`)
    for (const k of tricky) expect(await (await b.get(k))!.text()).toBe(`v:${k}`)
    expect((await b.list()).objects.length).toBe(tricky.length)
    const root = join(dir, 'r2', 'uploads')
    const all = files(root)
    const blobs = all.filter((f) => f.startsWith('blobs'))
    expect(blobs.length).toBe(tricky.length)
    for (const f of blobs) expect(f).toMatch(/^blobs[/\\][0-9a-f]{2}[/\\][0-9a-f]{32}$/)
    expect(all.filter((f) => !f.startsWith('blobs')).every((f) => f.startsWith('index.sqlite'))).toBe(true)
    expect(readdirSync(dir)).toEqual(['r2'])
    expect(readdirSync(join(dir, 'r2'))).toEqual(['uploads'])
    await b.close()
    // Reopen: everything is still there; overwrite and delete remove the old files.
    const again = bucket({ persist: dir, name: 'uploads' })
    expect(await (await again.get('../escape'))!.text()).toBe('v:../escape')
    await again.put('a/b', 'new')
    await again.delete('/abs/path')
    expect(files(root).filter((f) => f.startsWith('blobs')).length).toBe(tricky.length - 1)
    await again.close()
  })

  it('bad bucket names are TypeErrors; closed buckets reject', async () => {
    for (const name of ['../x', 'a/b', '', '..']) expect(() => bucket({ persist: tempDir(), name })).toThrow(TypeError)
    const b = bucket({ persist: tempDir(), name: 'c' })
    await b.close()
    await rejects(b.head('k'), Error, /R2 bucket "c" is closed/)
  })

  it('two instances on one directory share the store; in-memory buckets are private', async () => {
    const dir = tempDir()
    const a = bucket({ persist: dir, name: 's' })
    const b = bucket({ persist: dir, name: 's' })
    await a.put('k', 'shared')
    expect(await (await b.get('k'))!.text()).toBe('shared')
    expect(await bucket().head('k')).toBeNull()
    await a.close()
    expect(await (await b.get('k'))!.text()).toBe('shared')
    await b.close()
    expect(existsSync(join(dir, 'r2', 's', 'index.sqlite'))).toBe(true)
  })

  it('fsync buckets behave the same', async () => {
    const b = bucket({ persist: tempDir(), name: 'f', fsync: true })
    await b.put('k', 'v')
    expect(await (await b.get('k'))!.text()).toBe('v')
    await b.close()
  })

  it('limits are exposed', () => {
    expect(L).toEqual({ maxKeyBytes: 1024, maxObjectBytes: 5 * 1024 ** 3 - 5 * MiB, maxCustomMetadataBytes: 2048, maxListKeys: 1000, maxPartNumber: 10000, minPartBytes: 5 * MiB })
  })
})
