'use strict'
// KVNamespace: Cloudflare's overloads and result shapes over the native binding. Every method is
// async so that validation failures reject (as in workerd) instead of throwing.

const native = require('../binding.js')
const { fromNative } = require('./errors.js')
const { register } = require('./handles.js')
const { storeOptions } = require('./options.js')
const { streamOf, isReadableStream, drain } = require('./streams.js')

const { kv: LIMITS } = native.limits()
const TEXT = 0
const BYTES = 1
const UNKNOWN = 2
const KINDS = { text: TEXT, json: TEXT, arrayBuffer: BYTES, stream: BYTES }
const asyncDispose = Symbol.asyncDispose || Symbol.for('nodejs.asyncDispose')
// workerd turns a bulk reply into a Map by enumerating the reply object's non-index property
// names, so keys that look like array indices never reach the Map. Reproduced on purpose.
const ARRAY_INDEX = /^(?:0|[1-9][0-9]{0,9})$/

/** An optional integer option as workerd converts it: `null` counts as 0, a BigInt is a TypeError. */
function num(v) {
  return v === undefined ? undefined : +v
}

/** workerd's argument check for an options dictionary: any object, `undefined` or `null`. */
function checkOptions(options, method, position, type) {
  if (options !== undefined && options !== null && typeof options !== 'object' && typeof options !== 'function') {
    throw new TypeError(`Failed to execute '${method}' on 'KvNamespace': parameter ${position} is not of type '${type}'.`)
  }
}

/**
 * Metadata as JSON text. JSON.stringify escapes a lone surrogate (`\ud800`); the binding carries
 * metadata as UTF-8, which turns one into U+FFFD. (Escaped backslashes are matched first, so a
 * literal "\\ud800" in a string stays as it is.)
 */
function metadataJson(metadata) {
  const json = JSON.stringify(metadata)
  if (json === undefined || !json.includes('\\ud')) return json
  return json.replace(/\\\\|\\ud[89a-f][0-9a-f]{2}/g, (m) => (m.length === 2 ? m : '\ufffd'))
}

/** `get(key, "json")`, `get(key, {type, cacheTtl})`, `get(key)` → `{type, cacheTtl}`. */
function getOptions(options) {
  if (options === undefined || options === null) return { type: 'text', cacheTtl: undefined }
  if (typeof options === 'object') {
    const type = options.type === undefined || options.type === null ? 'text' : String(options.type)
    return { type, cacheTtl: num(options.cacheTtl) }
  }
  return { type: String(options), cacheTtl: undefined }
}

function decode(type, found) {
  if (found === null) return null
  if (type === 'json') return JSON.parse(found)
  if (type === 'stream') return streamOf(found)
  return found
}

function parseMeta(json) {
  return json === null || json === undefined ? null : JSON.parse(json)
}

class KVNamespace {
  #native

  /**
   * @param {{ persist?: string, name?: string, clock?: import('./index').ManualClock }} [options]
   */
  constructor(options = {}) {
    const { persist, name } = storeOptions(options, 'KVNamespace')
    try {
      this.#native = new native.KVNamespaceNative({ persist, name }, options?.clock ?? undefined)
    } catch (e) {
      throw fromNative(e)
    }
    register(this, 'kv', this.#native)
  }

  async get(key, options) {
    if (Array.isArray(key)) return this.#bulk(key, options, false)
    const { type, cacheTtl } = getOptions(options)
    try {
      return decode(type, this.#native.get(String(key), KINDS[type] ?? UNKNOWN, cacheTtl))
    } catch (e) {
      throw fromNative(e)
    }
  }

  async getWithMetadata(key, options) {
    if (Array.isArray(key)) return this.#bulk(key, options, true)
    const { type, cacheTtl } = getOptions(options)
    let found
    try {
      found = this.#native.getWithMetadata(String(key), KINDS[type] ?? UNKNOWN, cacheTtl)
    } catch (e) {
      throw fromNative(e)
    }
    if (found === null) return { value: null, metadata: null, cacheStatus: null }
    return { value: decode(type, found[0]), metadata: parseMeta(found[1]), cacheStatus: null }
  }

  #bulk(keys, options, withMetadata) {
    const { type, cacheTtl } = getOptions(options)
    let found
    try {
      found = this.#native.getBulk(keys.map(String), type, cacheTtl)
    } catch (e) {
      throw fromNative(e)
    }
    const out = new Map()
    for (let i = 0; i < keys.length; i++) {
      const key = String(keys[i])
      if (ARRAY_INDEX.test(key) && Number(key) < 4294967295) continue
      const entry = found[i]
      if (entry === null || entry === undefined) {
        out.set(key, null)
        continue
      }
      const value = type === 'json' ? JSON.parse(entry[0]) : entry[0]
      out.set(key, withMetadata ? { value, metadata: parseMeta(entry[1]) } : value)
    }
    return out
  }

  async put(key, value, options) {
    checkOptions(options, 'put', 3, 'PutOptions')
    let bytes
    if (typeof value === 'string') bytes = value
    else if (value instanceof ArrayBuffer) bytes = new Uint8Array(value)
    else if (ArrayBuffer.isView(value)) bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
    else if (isReadableStream(value)) bytes = await drain(value, LIMITS.maxValueBytes)
    else if (value === null || (typeof value !== 'object' && typeof value !== 'function')) bytes = String(value)
    else bytes = null // not storable: the native layer reports Cloudflare's TypeError
    const o = options || {}
    let metadata
    if (o.metadata !== undefined && o.metadata !== null) metadata = metadataJson(o.metadata)
    try {
      return await this.#native.put(String(key), bytes, num(o.expiration), num(o.expirationTtl), metadata)
    } catch (e) {
      throw fromNative(e)
    }
  }

  async delete(key) {
    try {
      return await this.#native.delete(String(key))
    } catch (e) {
      throw fromNative(e)
    }
  }

  async list(options) {
    checkOptions(options, 'list', 1, 'ListOptions')
    const o = options || {}
    const prefix = o.prefix === undefined || o.prefix === null ? undefined : String(o.prefix)
    const cursor = o.cursor === undefined || o.cursor === null ? undefined : String(o.cursor)
    let page
    try {
      page = this.#native.list(prefix, num(o.limit), cursor)
    } catch (e) {
      throw fromNative(e)
    }
    const { names, expirations, metadata } = page
    const keys = new Array(names.length)
    for (let i = 0; i < names.length; i++) {
      const k = { name: names[i] }
      if (expirations[i] !== 0) k.expiration = expirations[i]
      if (metadata[i] !== null && metadata[i] !== undefined) k.metadata = JSON.parse(metadata[i])
      keys[i] = k
    }
    return page.cursor
      ? { keys, list_complete: false, cursor: page.cursor, cacheStatus: null }
      : { keys, list_complete: true, cacheStatus: null }
  }

  /** Releases the namespace's file (once no other handle in this process uses it). */
  async close() {
    await this.#native.close()
  }

  async [asyncDispose]() {
    await this.close()
  }
}

module.exports = { KVNamespace }
