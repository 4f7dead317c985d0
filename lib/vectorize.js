'use strict'
// Vectorize (V2): Cloudflare's argument handling and result shapes over the native binding.
// Exported as `VectorizeIndex` and, the same class, as `Vectorize` (workers-types' V2 name).
// Every method is async so that failures reject, as through workerd's binding.

const native = require('../binding.js')
const { fromNative } = require('./errors.js')
const { storeOptions } = require('./options.js')
const { register } = require('./handles.js')

const asyncDispose = Symbol.asyncDispose || Symbol.for('nodejs.asyncDispose')
const LEVELS = ['all', 'indexed', 'none']

function isValues(v) {
  return Array.isArray(v) || v instanceof Float32Array || v instanceof Float64Array
}

/** Copies a vector into `out` at `at`; anything but a number becomes NaN (rejected natively). */
function copyValues(values, out, at) {
  if (values instanceof Float32Array || values instanceof Float64Array) {
    out.set(values, at)
    return
  }
  for (let i = 0; i < values.length; i++) {
    const x = values[i]
    out[at + i] = typeof x === 'number' ? x : NaN
  }
}

function toVector(vector) {
  if (vector instanceof Float32Array) return vector
  const values = isValues(vector) ? vector : []
  const out = new Float32Array(values.length)
  copyValues(values, out, 0)
  return out
}

/** workerd's client-side check: truthy non-boolean levels must be known; booleans are rewritten
 * in place on the caller's object (`true` → "all"). Falsy values are passed on untouched. */
function queryOptions(options) {
  const o = options === undefined || options === null ? {} : options
  let returnMetadata
  if (o.returnMetadata) {
    if (typeof o.returnMetadata === 'boolean') o.returnMetadata = 'all'
    returnMetadata = LEVELS.includes(o.returnMetadata) ? o.returnMetadata : `${o.returnMetadata}`
  }
  const topK = o.topK === undefined || o.topK === null ? undefined : typeof o.topK === 'number' ? o.topK : NaN
  return {
    topK,
    namespace: o.namespace === undefined || o.namespace === null ? undefined : String(o.namespace),
    returnValues: Boolean(o.returnValues),
    returnMetadata,
    filter: o.filter === undefined || o.filter === null ? undefined : JSON.stringify(o.filter),
  }
}

function ids(list) {
  if (!Array.isArray(list)) throw new TypeError('ids must be an array of strings')
  return list.map((id) => (typeof id === 'string' ? id : ''))
}

class VectorizeIndex {
  #native

  /**
   * @param {{ persist?: string, name?: string, dimensions?: number,
   *   metric?: 'cosine' | 'euclidean' | 'dot-product',
   *   metadataIndexes?: { propertyName: string, indexType: 'string' | 'number' | 'boolean' }[],
   *   clock?: import('../index').ManualClock }} [options]
   */
  constructor(options = {}) {
    const { persist, name } = storeOptions(options, 'VectorizeIndex')
    const { dimensions, metric, metadataIndexes, clock } = options || {}
    try {
      this.#native = new native.VectorizeIndexNative(
        {
          persist,
          name,
          dimensions: dimensions === undefined || dimensions === null ? undefined : Number(dimensions),
          metric: metric === undefined || metric === null ? undefined : String(metric),
          metadataIndexes: metadataIndexes === undefined || metadataIndexes === null ? undefined : [...metadataIndexes].map((d) => ({ propertyName: String(d?.propertyName), indexType: String(d?.indexType) })),
        },
        clock ?? undefined,
      )
    } catch (e) {
      throw fromNative(e)
    }
    register(this, 'vectorize', this.#native)
  }

  async describe() {
    try {
      const d = await this.#native.describe()
      return {
        vectorCount: d.vectorCount,
        dimensions: d.dimensions,
        processedUpToDatetime: d.processedUpToDatetime ?? null,
        processedUpToMutation: d.processedUpToMutation ?? null,
      }
    } catch (e) {
      throw fromNative(e)
    }
  }

  async query(vector, options) {
    const o = queryOptions(options)
    return this.#matches(() => this.#native.query(toVector(vector), o))
  }

  async queryById(vectorId, options) {
    const o = queryOptions(options)
    return this.#matches(() => this.#native.queryById(typeof vectorId === 'string' ? vectorId : '', o))
  }

  async #matches(run) {
    let r
    try {
      r = await run()
    } catch (e) {
      throw fromNative(e)
    }
    const { ids, scores, values, namespaces, metadata } = r
    const d = values && ids.length ? values.length / ids.length : 0
    const matches = new Array(ids.length)
    for (let i = 0; i < ids.length; i++) {
      const m = { id: ids[i], score: scores[i] }
      if (values) m.values = Array.from(values.subarray(i * d, (i + 1) * d))
      if (metadata[i] !== null && metadata[i] !== undefined) m.metadata = JSON.parse(metadata[i])
      if (namespaces[i] !== null && namespaces[i] !== undefined) m.namespace = namespaces[i]
      matches[i] = m
    }
    return { matches, count: matches.length }
  }

  async insert(vectors) {
    return this.#mutate('insert', vectors)
  }

  async upsert(vectors) {
    return this.#mutate('upsert', vectors)
  }

  async #mutate(op, vectors) {
    if (!Array.isArray(vectors)) throw new TypeError('vectors must be an array of { id, values, namespace?, metadata? }')
    const n = vectors.length
    const idList = new Array(n)
    const namespaces = new Array(n)
    const metadata = new Array(n)
    const lengths = new Uint32Array(n)
    let total = 0
    for (let i = 0; i < n; i++) {
      const v = vectors[i] || {}
      idList[i] = typeof v.id === 'string' ? v.id : ''
      namespaces[i] = v.namespace === undefined || v.namespace === null ? null : String(v.namespace)
      metadata[i] = v.metadata === undefined || v.metadata === null ? null : JSON.stringify(v.metadata)
      lengths[i] = isValues(v.values) ? v.values.length : 0
      total += lengths[i]
    }
    const values = new Float32Array(total)
    for (let i = 0, at = 0; i < n; at += lengths[i], i++) {
      const v = vectors[i] || {}
      if (lengths[i]) copyValues(v.values, values, at)
    }
    try {
      return { mutationId: await this.#native[op](idList, namespaces, metadata, values, lengths) }
    } catch (e) {
      throw fromNative(e)
    }
  }

  async getByIds(list) {
    let r
    try {
      r = await this.#native.getByIds(ids(list))
    } catch (e) {
      throw fromNative(e)
    }
    const d = r.ids.length ? r.values.length / r.ids.length : 0
    return r.ids.map((id, i) => {
      const v = { id, values: Array.from(r.values.subarray(i * d, (i + 1) * d)) }
      if (r.namespaces[i] !== null && r.namespaces[i] !== undefined) v.namespace = r.namespaces[i]
      v.metadata = JSON.parse(r.metadata[i])
      return v
    })
  }

  async deleteByIds(list) {
    try {
      return { mutationId: await this.#native.deleteByIds(ids(list)) }
    } catch (e) {
      throw fromNative(e)
    }
  }

  // Non-standard admin API, shaped like Cloudflare's REST API for metadata indexes (Workers code
  // cannot call these on a real binding; use them in scripts and tests to declare indexes).

  /** @param {string} propertyName @param {{ type?: string, indexType?: string }} options */
  async createMetadataIndex(propertyName, options) {
    const type = options?.type ?? options?.indexType
    try {
      return { mutationId: await this.#native.createMetadataIndex(String(propertyName), String(type)) }
    } catch (e) {
      throw fromNative(e)
    }
  }

  async deleteMetadataIndex(propertyName) {
    try {
      return { mutationId: await this.#native.deleteMetadataIndex(String(propertyName)) }
    } catch (e) {
      throw fromNative(e)
    }
  }

  async listMetadataIndexes() {
    try {
      return { metadataIndexes: (await this.#native.listMetadataIndexes()).map((d) => ({ propertyName: d.propertyName, indexType: d.indexType })) }
    } catch (e) {
      throw fromNative(e)
    }
  }

  /** Releases the index's file (once no other handle in this process uses it). */
  async close() {
    await this.#native.close()
  }

  async [asyncDispose]() {
    await this.close()
  }
}

module.exports = { VectorizeIndex, Vectorize: VectorizeIndex }
