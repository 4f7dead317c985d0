'use strict'
// R2Bucket: Cloudflare's overloads, Web types and result shapes over the native binding. The
// engine decides every semantic question; this file converts JS values (Headers, Dates,
// ReadableStreams, Blobs) and builds workerd-shaped result objects. Methods are async so that
// argument errors reject, as in workerd.

const native = require('../binding.js')
const { fromNative } = require('./errors.js')
const { storeOptions } = require('./options.js')
const { register } = require('./handles.js')
const { isReadableStream, concat } = require('./streams.js')

const BODY_USED = 'Body has already been used. It can only be used once. Use tee() first if you need to read it twice.'
const VALUE_TYPES = 'ReadableStream or ArrayBuffer or ArrayBufferView or string or Blob'
const HASHES = ['md5', 'sha1', 'sha256', 'sha384', 'sha512']
// Native reads and writes move at most this many bytes per call.
const CHUNK = 1024 * 1024
// Blobs up to this size are read whole; larger ones stream.
const BLOB_WHOLE = 16 * 1024 * 1024
const asyncDispose = Symbol.asyncDispose || Symbol.for('nodejs.asyncDispose')
// Result classes cannot be constructed by users (workerd: "Illegal constructor").
const TOKEN = Symbol('r2')

function paramError(method, owner, index, type) {
  return new TypeError(`Failed to execute '${method}' on '${owner}': parameter ${index} is not of type '${type}'.`)
}

function fieldError(field, owner, type) {
  return new TypeError(`Incorrect type for the '${field}' field on '${owner}': the provided value is not of type '${type}'.`)
}

const isObjectLike = (v) => v !== null && (typeof v === 'object' || typeof v === 'function')
const isHeaders = (v) =>
  isObjectLike(v) && ((typeof Headers !== 'undefined' && v instanceof Headers) ||
    (typeof v.get === 'function' && typeof v.has === 'function' && typeof v.forEach === 'function'))
const header = (h, name) => h.get(name) ?? undefined
const given = (v) => v !== undefined && v !== null

/** A dictionary argument: absent, or an object. */
function dict(v, method, owner, index, type) {
  if (!given(v)) return {}
  if (!isObjectLike(v)) throw paramError(method, owner, index, type)
  return v
}

/** jsg's integer conversion: truncates, NaN is 0. */
function int(v) {
  const n = Number(v)
  return Number.isFinite(n) ? Math.trunc(n) : 0
}

function dateMs(v, field, owner) {
  if (v instanceof Date) return v.getTime()
  if (typeof v === 'number') return v
  throw fieldError(field, owner, 'date')
}

function bytesOf(v) {
  if (v instanceof Uint8Array) return v
  if (v instanceof ArrayBuffer) return new Uint8Array(v)
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
  return null
}

function conditional(v, owner) {
  if (!given(v)) return undefined
  if (isHeaders(v)) {
    return {
      headers: true,
      ifMatch: header(v, 'if-match'),
      ifNoneMatch: header(v, 'if-none-match'),
      ifModifiedSince: header(v, 'if-modified-since'),
      ifUnmodifiedSince: header(v, 'if-unmodified-since'),
    }
  }
  if (!isObjectLike(v)) throw fieldError('onlyIf', owner, 'Conditional or Headers')
  const c = {}
  for (const f of ['etagMatches', 'etagDoesNotMatch']) {
    if (!given(v[f])) continue
    if (typeof v[f] !== 'string') throw fieldError(f, 'Conditional', 'string')
    c[f] = v[f]
  }
  if (given(v.uploadedBefore)) c.uploadedBefore = dateMs(v.uploadedBefore, 'uploadedBefore', 'Conditional')
  if (given(v.uploadedAfter)) c.uploadedAfter = dateMs(v.uploadedAfter, 'uploadedAfter', 'Conditional')
  if (given(v.secondsGranularity)) c.secondsGranularity = Boolean(v.secondsGranularity)
  return c
}

function httpMetadata(v, owner) {
  if (!given(v)) return undefined
  if (isHeaders(v)) {
    return {
      headers: true,
      contentType: header(v, 'content-type'),
      contentLanguage: header(v, 'content-language'),
      contentDisposition: header(v, 'content-disposition'),
      contentEncoding: header(v, 'content-encoding'),
      cacheControl: header(v, 'cache-control'),
      expires: header(v, 'expires'),
    }
  }
  if (!isObjectLike(v)) throw fieldError('httpMetadata', owner, 'HttpMetadata or Headers')
  const h = {}
  for (const f of ['contentType', 'contentLanguage', 'contentDisposition', 'contentEncoding', 'cacheControl']) {
    if (given(v[f])) h[f] = String(v[f])
  }
  if (given(v.cacheExpiry)) h.cacheExpiry = dateMs(v.cacheExpiry, 'cacheExpiry', 'HttpMetadata')
  return h
}

/** `[keys, values]` of customMetadata, values coerced to strings. */
function customMetadata(v, owner) {
  if (!given(v)) return [undefined, undefined]
  if (!isObjectLike(v)) throw fieldError('customMetadata', owner, 'object')
  const keys = Object.keys(v)
  return [keys, keys.map((k) => String(v[k]))]
}

function digestOrKey(v, field, owner, type) {
  if (!given(v)) return undefined
  if (typeof v === 'string') return v
  const b = bytesOf(v)
  if (b === null) throw fieldError(field, owner, type)
  return b
}

/** A put/uploadPart value: `{bytes}` (string, bytes or null) or `{stream}`. */
async function bodyOf(value, method, owner) {
  if (value === null || value === undefined) return { bytes: null }
  if (typeof value === 'string') return { bytes: value }
  const b = bytesOf(value)
  if (b !== null) return { bytes: b }
  if (isReadableStream(value)) return { stream: value }
  if (typeof Blob !== 'undefined' && value instanceof Blob) {
    if (value.size <= BLOB_WHOLE) return { bytes: new Uint8Array(await value.arrayBuffer()) }
    return { stream: value.stream() }
  }
  throw paramError(method, owner, 2, VALUE_TYPES)
}

/**
 * Feeds a stream to a native writer in chunks of about 1 MiB, keeping one native write in
 * flight while the next chunk is read. On any failure the writer is aborted (its partial file
 * removed) and the stream is released, not cancelled: workerd cancels it, but in Node cancelling
 * a `Readable.toWeb(request)` body — what Node adapters hand a Workers-style app as
 * `request.body` — can throw an uncaught ERR_INVALID_STATE from Node's adapter
 * (nodejs/node#64529) and take the process down. The caller keeps its stream.
 */
async function pump(stream, writer) {
  const reader = stream.getReader()
  let pending = []
  let size = 0
  let inflight = null
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      const bytes = typeof value === 'string' ? null : bytesOf(value)
      if (bytes === null) throw new TypeError('This ReadableStream did not return bytes.')
      if (bytes.byteLength === 0) continue
      pending.push(bytes)
      size += bytes.byteLength
      if (size >= CHUNK) {
        const chunk = concat(pending, size)
        pending = []
        size = 0
        if (inflight) await inflight
        inflight = writer.write(chunk)
        // An early failure must not go unhandled while the next chunk is read.
        inflight.catch(() => {})
      }
    }
    if (inflight) await inflight
    if (size > 0) await writer.write(concat(pending, size))
  } catch (e) {
    writer.abort()
    throw fromNative(e)
  } finally {
    reader.releaseLock()
  }
}

function arrayBufferOf(b) {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)
}

function hexToArrayBuffer(hex) {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16)
  return out.buffer
}

/** `R2Checksums`: each digest a fresh ArrayBuffer per access; `toJSON()` gives lowercase hex. */
class R2Checksums {
  #hex
  constructor(token, hex) {
    if (token !== TOKEN) throw new TypeError('Illegal constructor')
    this.#hex = hex
  }
  get md5() { return this.#get('md5') }
  get sha1() { return this.#get('sha1') }
  get sha256() { return this.#get('sha256') }
  get sha384() { return this.#get('sha384') }
  get sha512() { return this.#get('sha512') }
  #get(name) {
    const h = this.#hex[name]
    return h === undefined ? undefined : hexToArrayBuffer(h)
  }
  toJSON() {
    const out = {}
    for (const name of HASHES) if (this.#hex[name] !== undefined) out[name] = this.#hex[name]
    return out
  }
}

/** Object metadata (`head`, `put`, `list`, failed-precondition `get`). */
class R2Object {
  constructor(token, m, range) {
    if (token !== TOKEN) throw new TypeError('Illegal constructor')
    this.key = m.key
    this.version = m.version
    this.size = m.size
    this.etag = m.etag
    this.httpEtag = `"${m.etag}"`
    this.checksums = new R2Checksums(TOKEN, m.checksums)
    this.uploaded = new Date(m.uploaded)
    const h = m.httpMetadata
    if (h.cacheExpiry !== undefined) h.cacheExpiry = new Date(h.cacheExpiry ?? NaN)
    this.httpMetadata = h
    this.customMetadata = m.customMetadata
    this.range = range
    this.storageClass = m.storageClass
    this.ssecKeyMd5 = undefined
  }

  /** Sets Content-Type, Content-Language, Content-Disposition, Content-Encoding, Cache-Control and Expires. */
  writeHttpMetadata(headers) {
    const h = this.httpMetadata
    if (h === undefined) {
      throw new TypeError(`HTTP metadata unknown for key \`${this.key}\`. Did you forget to add 'httpMetadata' to \`include\` when listing?`)
    }
    if (h.contentType !== undefined) headers.set('content-type', h.contentType)
    if (h.contentLanguage !== undefined) headers.set('content-language', h.contentLanguage)
    if (h.contentDisposition !== undefined) headers.set('content-disposition', h.contentDisposition)
    if (h.contentEncoding !== undefined) headers.set('content-encoding', h.contentEncoding)
    if (h.cacheControl !== undefined) headers.set('cache-control', h.cacheControl)
    if (h.cacheExpiry !== undefined) headers.set('expires', h.cacheExpiry.toUTCString())
  }
}

/** An object with its body: small bodies arrive with the metadata, large ones stream. */
class R2ObjectBody extends R2Object {
  #bytes
  #reader
  #stream
  #used = false

  constructor(token, m, range, bytes, reader) {
    super(token, m, range)
    this.#bytes = bytes ?? null
    this.#reader = reader ?? null
  }

  /** A byte `ReadableStream` of the object's bytes (in `range`). */
  get body() {
    if (this.#stream === undefined) this.#stream = this.#makeStream()
    return this.#stream
  }

  get bodyUsed() {
    return this.#used
  }

  #makeStream() {
    return new ReadableStream({
      type: 'bytes',
      pull: async (controller) => {
        this.#used = true
        const chunk = await this.#next()
        if (chunk === null) {
          controller.close()
          // A BYOB read pending at the end must be answered with zero bytes.
          try {
            controller.byobRequest?.respond(0)
          } catch {}
        } else {
          controller.enqueue(chunk)
        }
      },
      cancel: () => {
        this.#used = true
        this.#release()
      },
    })
  }

  /** The next chunk, or null at the end. */
  async #next() {
    if (this.#bytes !== null) {
      const b = this.#bytes
      this.#bytes = null
      if (b.byteLength > 0) return b
    }
    if (this.#reader !== null) {
      const chunk = await this.#reader.read(CHUNK).catch((e) => {
        throw fromNative(e)
      })
      if (chunk.byteLength > 0) return chunk
      this.#reader.close()
      this.#reader = null
    }
    return null
  }

  #release() {
    this.#bytes = null
    this.#reader?.close()
    this.#reader = null
  }

  async #readAll() {
    if (this.#used) throw new TypeError(BODY_USED)
    this.#used = true
    if (this.#stream !== undefined) {
      const chunks = []
      let total = 0
      for await (const c of this.#stream) {
        chunks.push(c)
        total += c.byteLength
      }
      return concat(chunks, total)
    }
    if (this.#reader !== null) {
      const reader = this.#reader
      this.#reader = null
      // One native read of everything left, straight into JS memory: the caller asked for it all.
      const buf = Buffer.allocUnsafeSlow(reader.remaining)
      const n = await reader.readInto(buf).catch((e) => {
        throw fromNative(e)
      })
      return n === buf.byteLength ? buf : buf.subarray(0, n)
    }
    const b = this.#bytes ?? new Uint8Array(0)
    this.#bytes = null
    return b
  }

  async arrayBuffer() {
    return arrayBufferOf(await this.#readAll())
  }

  async bytes() {
    const b = await this.#readAll()
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
  }

  async text() {
    return new TextDecoder().decode(await this.#readAll())
  }

  async json() {
    return JSON.parse(await this.text())
  }

  async blob() {
    const b = await this.#readAll()
    return new Blob([b], { type: this.httpMetadata.contentType ?? '' })
  }
}

const wholeRange = (m) => ({ offset: 0, length: m.size })

function objectOf(json, range) {
  if (json === null) return null
  const m = JSON.parse(json)
  return new R2Object(TOKEN, m, range === true ? wholeRange(m) : undefined)
}

/** Put options → the native shape (workerd's client-side checks happen in the engine). */
function putOptions(o) {
  const [customKeys, customValues] = customMetadata(o.customMetadata, 'PutOptions')
  const out = {
    onlyIf: conditional(o.onlyIf, 'PutOptions'),
    httpMetadata: httpMetadata(o.httpMetadata, 'PutOptions'),
    customKeys,
    customValues,
    storageClass: given(o.storageClass) ? String(o.storageClass) : undefined,
    ssecKey: digestOrKey(o.ssecKey, 'ssecKey', 'PutOptions', 'ArrayBuffer or string'),
  }
  for (const h of HASHES) out[h] = digestOrKey(o[h], h, 'PutOptions', 'JsBufferSource or string')
  return out
}

class R2MultipartUpload {
  #native

  constructor(token, nativeBucket, key, uploadId) {
    if (token !== TOKEN) throw new TypeError('Illegal constructor')
    this.#native = nativeBucket
    Object.defineProperty(this, 'key', { value: key, enumerable: true })
    Object.defineProperty(this, 'uploadId', { value: uploadId, enumerable: true })
  }

  async uploadPart(partNumber, value, options) {
    try {
      const n = int(partNumber)
      const o = dict(options, 'uploadPart', 'R2MultipartUpload', 3, 'UploadPartOptions')
      const ssecKey = digestOrKey(o.ssecKey, 'ssecKey', 'UploadPartOptions', 'ArrayBuffer or string')
      const body = await bodyOf(value, 'uploadPart', 'R2MultipartUpload')
      let etag
      if (body.stream) {
        const writer = this.#native.uploadPartStream(this.key, this.uploadId, n, ssecKey)
        await pump(body.stream, writer)
        etag = await writer.finishPart()
      } else {
        etag = await this.#native.uploadPart(this.key, this.uploadId, n, body.bytes, ssecKey)
      }
      return { partNumber: n, etag }
    } catch (e) {
      throw fromNative(e)
    }
  }

  async abort() {
    try {
      await this.#native.abortMultipartUpload(this.key, this.uploadId)
    } catch (e) {
      throw fromNative(e)
    }
  }

  async complete(uploadedParts) {
    if (!Array.isArray(uploadedParts)) throw paramError('complete', 'R2MultipartUpload', 1, 'Array')
    const parts = uploadedParts.map((p) => ({
      partNumber: int(isObjectLike(p) ? p.partNumber : undefined),
      etag: String(isObjectLike(p) ? p.etag : undefined),
    }))
    try {
      return objectOf(await this.#native.completeMultipartUpload(this.key, this.uploadId, parts))
    } catch (e) {
      throw fromNative(e)
    }
  }
}

class R2Bucket {
  #native

  /**
   * @param {{ persist?: string, name?: string, clock?: import('../index').ManualClock,
   *   fsync?: boolean, minPartSize?: number }} [options]
   */
  constructor(options = {}) {
    const { persist, name } = storeOptions(options, 'R2Bucket')
    const { clock, fsync, minPartSize } = options || {}
    try {
      this.#native = new native.R2BucketNative({ persist, name, fsync, minPartSize }, clock ?? undefined)
    } catch (e) {
      throw fromNative(e)
    }
    register(this, 'r2', this.#native)
  }

  async head(key) {
    try {
      return objectOf(this.#native.head(`${key}`), true)
    } catch (e) {
      throw fromNative(e)
    }
  }

  async get(key, options) {
    const o = dict(options, 'get', 'R2Bucket', 2, 'GetOptions')
    const onlyIf = conditional(o.onlyIf, 'GetOptions')
    let range
    if (given(o.range)) {
      const r = o.range
      if (isHeaders(r)) range = { headers: true, header: header(r, 'range') }
      else if (!isObjectLike(r)) throw fieldError('range', 'GetOptions', 'Range or Headers')
      else {
        const num = (v) => (v === undefined ? undefined : Number(v))
        range = { offset: num(r.offset), length: num(r.length), suffix: num(r.suffix) }
      }
    }
    const ssecKey = digestOrKey(o.ssecKey, 'ssecKey', 'GetOptions', 'ArrayBuffer or string')
    let r
    try {
      r = this.#native.get(`${key}`, { onlyIf, range, ssecKey })
    } catch (e) {
      throw fromNative(e)
    }
    if (r.status === 0) return null
    const m = JSON.parse(r.meta)
    if (r.status === 1) return new R2Object(TOKEN, m, wholeRange(m))
    return new R2ObjectBody(TOKEN, m, { offset: r.offset, length: r.length }, r.bytes, r.reader)
  }

  async put(key, value, options) {
    try {
      const k = `${key}`
      const o = dict(options, 'put', 'R2Bucket', 3, 'PutOptions')
      const body = await bodyOf(value, 'put', 'R2Bucket')
      const opts = putOptions(o)
      if (body.stream) {
        const writer = this.#native.putStream(k, opts)
        await pump(body.stream, writer)
        return objectOf(await writer.finish())
      }
      return objectOf(await this.#native.put(k, body.bytes, opts))
    } catch (e) {
      throw fromNative(e)
    }
  }

  async delete(keys) {
    const list = Array.isArray(keys) ? keys.map((k) => `${k}`) : [`${keys}`]
    try {
      await this.#native.delete(list)
    } catch (e) {
      throw fromNative(e)
    }
  }

  async list(options) {
    const o = dict(options, 'list', 'R2Bucket', 1, 'ListOptions')
    const str = (f) => {
      if (!given(o[f])) return undefined
      if (typeof o[f] !== 'string') throw fieldError(f, 'ListOptions', 'string')
      return o[f]
    }
    let include
    if (given(o.include)) {
      if (!Array.isArray(o.include)) throw fieldError('include', 'ListOptions', 'Array')
      include = o.include.map(String)
    }
    let limit
    if (given(o.limit)) {
      limit = int(o.limit)
      // workerd forwards no limit for negative values.
      if (limit < 0) limit = undefined
    }
    let page
    try {
      page = JSON.parse(this.#native.list({
        limit,
        prefix: str('prefix'),
        cursor: str('cursor'),
        delimiter: str('delimiter'),
        startAfter: str('startAfter'),
        include,
      }))
    } catch (e) {
      throw fromNative(e)
    }
    const objects = page.objects.map((m) => new R2Object(TOKEN, m, undefined))
    return page.truncated
      ? { objects, truncated: true, cursor: page.cursor, delimitedPrefixes: page.delimitedPrefixes }
      : { objects, truncated: false, delimitedPrefixes: page.delimitedPrefixes }
  }

  async createMultipartUpload(key, options) {
    const k = `${key}`
    const o = dict(options, 'createMultipartUpload', 'R2Bucket', 2, 'MultipartOptions')
    const [customKeys, customValues] = customMetadata(o.customMetadata, 'MultipartOptions')
    try {
      const uploadId = await this.#native.createMultipartUpload(
        k,
        httpMetadata(o.httpMetadata, 'MultipartOptions'),
        customKeys,
        customValues,
        given(o.storageClass) ? String(o.storageClass) : undefined,
        digestOrKey(o.ssecKey, 'ssecKey', 'MultipartOptions', 'ArrayBuffer or string'),
      )
      return new R2MultipartUpload(TOKEN, this.#native, k, uploadId)
    } catch (e) {
      throw fromNative(e)
    }
  }

  /** Synchronous and unchecked, as in workerd: a bad id fails on use. */
  resumeMultipartUpload(key, uploadId) {
    return new R2MultipartUpload(TOKEN, this.#native, `${key}`, `${uploadId}`)
  }

  /** Releases the bucket's directory (once no other instance in this process uses it). */
  async close() {
    await this.#native.close()
  }

  async [asyncDispose]() {
    await this.close()
  }
}

module.exports = { R2Bucket, R2Object, R2ObjectBody, R2MultipartUpload, R2Checksums }
