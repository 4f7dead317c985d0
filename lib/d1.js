'use strict'
// D1Database, D1PreparedStatement, D1DatabaseSession: Cloudflare's classes and result shapes over
// the native binding. `bind()` throws synchronously (as workerd's does); everything else is async
// so failures reject.

const native = require('../binding.js')
const { fromNative } = require('./errors.js')
const { register } = require('./handles.js')
const { storeOptions } = require('./options.js')

const asyncDispose = Symbol.asyncDispose || Symbol.for('nodejs.asyncDispose')
const FIRST_PRIMARY = 'first-primary'
const FIRST_UNCONSTRAINED = 'first-unconstrained'
/** What a local `meta.served_by` says (production: "v3-prod", Miniflare: "miniflare.db"). */
const SERVED_BY = 'edgebase-native'

// Internal capabilities, not reachable from user code.
const RUN = Symbol('run')
const NATIVE_PARAMS = Symbol('nativeParams')

/** Errors keep workerd's anatomy: `D1_…: <text>` with the text alone as `cause`. */
function d1Error(e) {
  const err = fromNative(e)
  if (err instanceof Error && typeof err.code === 'string' && err.code.startsWith('EB_')) {
    const at = err.message.indexOf(': ')
    if (at > 0 && /^D1_[A-Z_]+$/.test(err.message.slice(0, at))) err.cause = new Error(err.message.slice(at + 2))
  }
  return err
}

/** `bind()`'s value rules, exactly as workerd's binding applies them. */
function transform(r) {
  const rType = typeof r
  if (rType === 'number' || rType === 'string') return r
  if (rType === 'boolean') return r ? 1 : 0
  if (rType === 'object') {
    if (r == null) return r
    if (Array.isArray(r) && r.every((b) => typeof b == 'number' && b >= 0 && b < 256)) return r
    if (r instanceof ArrayBuffer) return Array.from(new Uint8Array(r))
    if (ArrayBuffer.isView(r)) return Array.from(r)
  }
  // A Symbol makes this template literal itself throw a TypeError, as it does in workerd.
  throw new Error(`D1_TYPE_ERROR: Type '${rType}' not supported for value '${r}'`, {
    cause: new Error(`Type '${rType}' not supported for value '${r}'`),
  })
}

/** Values as the native layer takes them: byte arrays become Uint8Array (mod 256, like D1's wire). */
function toNative(params) {
  const out = new Array(params.length)
  for (let i = 0; i < params.length; i++) {
    const p = params[i]
    out[i] = Array.isArray(p) ? Uint8Array.from(p) : p
  }
  return out
}

function cell(v) {
  return typeof v === 'object' && v !== null ? Array.from(v) : v
}

// A native outcome is one flat array: `[bookmark | null, meta, columns₀, values₀, columns₁,
// values₁, …]`, meta a Float64Array of 7 numbers per result: duration, changes, last_row_id,
// changed_db (0/1), size_after, rows_read, rows_written. Results without columns have nulls.
function meta(outcome, i) {
  const m = outcome[1]
  const at = i * 7
  return {
    served_by: SERVED_BY,
    duration: m[at],
    changes: m[at + 1],
    last_row_id: m[at + 2],
    changed_db: m[at + 3] !== 0,
    size_after: m[at + 4],
    rows_read: m[at + 5],
    rows_written: m[at + 6],
  }
}

const columnsOf = (outcome, i) => outcome[2 + 2 * i]
const valuesOf = (outcome, i) => outcome[3 + 2 * i]

function rowCount(outcome, i) {
  const columns = columnsOf(outcome, i)
  return columns === null || columns.length === 0 ? 0 : valuesOf(outcome, i).length / columns.length
}

/** Row `r` of result `i` as an object: later columns win over earlier ones of the same name (as in D1). */
function rowObject(outcome, i, r) {
  const columns = columnsOf(outcome, i)
  const values = valuesOf(outcome, i)
  const n = columns.length
  const base = r * n
  if (columns.includes('__proto__')) return Object.fromEntries(columns.map((c, j) => [c, cell(values[base + j])]))
  const o = {}
  for (let j = 0; j < n; j++) o[columns[j]] = cell(values[base + j])
  return o
}

function toResult(outcome, i) {
  const count = rowCount(outcome, i)
  const results = new Array(count)
  for (let r = 0; r < count; r++) results[r] = rowObject(outcome, i, r)
  return { success: true, meta: meta(outcome, i), results }
}

function toRaw(outcome, i, columnNames) {
  const columns = columnsOf(outcome, i) || []
  const values = valuesOf(outcome, i)
  const n = columns.length
  const count = rowCount(outcome, i)
  const out = columnNames ? [columns] : []
  for (let r = 0; r < count; r++) {
    const row = new Array(n)
    for (let j = 0; j < n; j++) row[j] = cell(values[r * n + j])
    out.push(row)
  }
  return out
}

function batchResults(outcome) {
  const count = (outcome.length - 2) / 2
  const results = new Array(count)
  for (let i = 0; i < count; i++) results[i] = toResult(outcome, i)
  return results
}

const noop = () => {}

/**
 * Calls on one database settle in the order they were made, like D1's. A call the native layer
 * finished at once settles at once when nothing earlier is still on its way; otherwise it waits
 * for the calls before it (queued results travel back through other threads, in any order).
 */
class Order {
  pending = 0
  tail = null
}

/** Runs calls on the native database for one session (the database itself is one too). */
class Runner {
  #native
  #session
  #order

  constructor(nativeDb, session, order) {
    this.#native = nativeDb
    this.#session = session
    this.#order = order
  }

  /** `outcome` is `[bookmark | null, ...payload]`. */
  #done(outcome) {
    if (this.#session) this.#session[RUN](outcome[0])
    return outcome
  }

  async #settle(call) {
    const order = this.#order
    let outcome
    let failed = false
    try {
      outcome = call()
    } catch (e) {
      failed = true
      outcome = e
    }
    const queued = outcome instanceof Promise
    if (!queued && order.pending === 0) {
      if (failed) throw d1Error(outcome)
      return this.#done(outcome)
    }
    if (queued) outcome.catch(noop) // handled below, after the calls before it
    const mine = () => (failed ? Promise.reject(outcome) : outcome)
    const ordered = order.tail ? order.tail.then(mine) : Promise.resolve().then(mine)
    order.tail = ordered.then(noop, noop)
    order.pending++
    try {
      return this.#done(await ordered)
    } catch (e) {
      throw d1Error(e)
    } finally {
      if (--order.pending === 0) order.tail = null
    }
  }

  // Each call returns #settle's promise itself, and each public method awaits it once: every
  // method then takes the same number of microtask turns, so their promises settle in call order.

  /** One statement's outcome (see `meta` above; its result is number 0). */
  query(statement, params) {
    return this.#settle(() => this.#native.query(String(statement), params, this.#session !== null))
  }

  /** The batch's outcome (see `batchResults`). */
  batch(statements) {
    // workerd maps over the argument: anything but an array fails as `statements.map` does there.
    if (!Array.isArray(statements)) statements = statements.map((s) => s)
    // Each distinct SQL text crosses to the native side once; statements refer to it by index.
    const sql = []
    const seen = new Map()
    const index = new Array(statements.length)
    const counts = new Array(statements.length)
    const params = []
    for (let i = 0; i < statements.length; i++) {
      const s = statements[i]
      const text = String(s.statement)
      let at = seen.get(text)
      if (at === undefined) {
        at = sql.push(text) - 1
        seen.set(text, at)
      }
      index[i] = at
      const values = s[NATIVE_PARAMS] ? s[NATIVE_PARAMS]() : toNative(s.params || [])
      counts[i] = values.length
      for (let j = 0; j < values.length; j++) params.push(values[j])
    }
    return this.#settle(() => this.#native.batch(sql, index, counts, params, this.#session !== null))
  }

  exec(query) {
    return this.#settle(() => this.#native.exec(query))
  }

  dump() {
    return this.#settle(() => this.#native.dump())
  }
}

class D1PreparedStatement {
  #runner
  #native

  constructor(runner, statement, values) {
    this.#runner = runner
    this.statement = statement
    this.params = values || []
  }

  [NATIVE_PARAMS]() {
    if (this.#native === undefined) this.#native = toNative(this.params)
    return this.#native
  }

  bind(...values) {
    return new D1PreparedStatement(this.#runner, this.statement, values.map(transform))
  }

  async first(colName) {
    const outcome = await this.#runner.query(this.statement, this[NATIVE_PARAMS]())
    if (rowCount(outcome, 0) === 0) return null
    const first = rowObject(outcome, 0, 0)
    if (colName !== undefined) {
      if (first?.[colName] === undefined) {
        throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${colName})`, { cause: new Error('Column not found') })
      }
      return first[colName]
    }
    return first
  }

  async run() {
    return toResult(await this.#runner.query(this.statement, this[NATIVE_PARAMS]()), 0)
  }

  async all() {
    return toResult(await this.#runner.query(this.statement, this[NATIVE_PARAMS]()), 0)
  }

  async raw(options) {
    return toRaw(await this.#runner.query(this.statement, this[NATIVE_PARAMS]()), 0, options?.columnNames)
  }
}

class D1DatabaseSession {
  #runner
  #bookmarkOrConstraint

  constructor(nativeDb, bookmarkOrConstraint, order) {
    this.#runner = new Runner(nativeDb, this, order)
    this.#bookmarkOrConstraint = bookmarkOrConstraint.trim()
    if (!this.#bookmarkOrConstraint) throw new Error('D1_SESSION_ERROR: invalid bookmark or constraint')
  }

  /** Keeps the greatest bookmark seen (sessions never go back in time). */
  [RUN](newBookmark) {
    newBookmark = newBookmark.trim()
    if (!newBookmark) return
    const current = this.getBookmark()
    if (current === null || current.localeCompare(newBookmark) < 0) this.#bookmarkOrConstraint = newBookmark
  }

  prepare(query) {
    return new D1PreparedStatement(this.#runner, query)
  }

  async batch(statements) {
    return batchResults(await this.#runner.batch(statements))
  }

  getBookmark() {
    switch (this.#bookmarkOrConstraint) {
      case FIRST_UNCONSTRAINED:
      case FIRST_PRIMARY:
        return null
      default:
        return this.#bookmarkOrConstraint
    }
  }
}

class D1Database {
  #native
  #runner
  #order = new Order()

  /**
   * @param {{ persist?: string, name?: string }} [options]
   */
  constructor(options = {}) {
    const { persist, name } = storeOptions(options, 'D1Database')
    try {
      this.#native = new native.D1DatabaseNative({ persist, name })
    } catch (e) {
      throw fromNative(e)
    }
    register(this, 'd1', this.#native)
    this.#runner = new Runner(this.#native, null, this.#order)
  }

  prepare(query) {
    return new D1PreparedStatement(this.#runner, query)
  }

  async batch(statements) {
    return batchResults(await this.#runner.batch(statements))
  }

  async exec(query) {
    query.trim() // a non-string rejects with workerd's TypeError
    const outcome = await this.#runner.exec(query)
    return { count: outcome[1], duration: outcome[2] }
  }

  withSession(constraintOrBookmark) {
    constraintOrBookmark = constraintOrBookmark?.trim()
    if (constraintOrBookmark == null || constraintOrBookmark === '') constraintOrBookmark = FIRST_UNCONSTRAINED
    return new D1DatabaseSession(this.#native, constraintOrBookmark, this.#order)
  }

  /** The database file's bytes: a consistent snapshot (production only has this for alpha databases). */
  async dump() {
    const bytes = (await this.#runner.dump())[1]
    return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer
  }

  /** Releases the database file (once no other handle in this process uses it). */
  async close() {
    await this.#native.close()
  }

  async [asyncDispose]() {
    await this.close()
  }
}

module.exports = { D1Database, D1PreparedStatement, D1DatabaseSession }
