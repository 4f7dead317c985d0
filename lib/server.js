'use strict'
// startServer: the EdgeBase REST server in this process. `{ env }` hands the server the stores of
// binding instances (in-memory ones included), so a test can seed with the classes and assert
// over HTTP, or the reverse.

const fs = require('node:fs')
const path = require('node:path')
const native = require('../binding.js')
const { fromNative } = require('./errors.js')
const { handleOf } = require('./handles.js')

const ADD = { kv: 'addKv', d1: 'addD1', r2: 'addR2', vectorize: 'addVectorize' }
const asyncDispose = Symbol.asyncDispose || Symbol.for('nodejs.asyncDispose')

/** The config as JSON text: an object, a `.json` / CommonJS file, or `EDGEBASE_CONFIG`. */
function configText(config) {
  if (config === undefined || config === null) return process.env.EDGEBASE_CONFIG || undefined
  if (typeof config === 'string') {
    const file = path.resolve(config)
    if (file.endsWith('.json')) {
      try {
        return fs.readFileSync(file, 'utf8')
      } catch (e) {
        throw new Error(`Cannot read the config file ${file}: ${e.message}`)
      }
    }
    const mod = require(file)
    config = mod && mod.default !== undefined ? mod.default : mod
  }
  if (typeof config !== 'object') throw new TypeError('config must be an EdgeBase config object or the path of a config file')
  // Rule functions cannot cross into Rust: they are marked, and the server denies with them.
  return JSON.stringify(config, (_, v) => (typeof v === 'function' ? { $function: v.name || 'anonymous' } : v))
}

class EdgeBaseServer {
  #native
  #closed

  constructor(server) {
    this.#native = server
    /** `http://<host>:<port>` */
    this.url = server.url
    this.port = server.port
    this.host = server.host
    /** The root key generated because none was configured (dev only), else null. */
    this.serviceKey = server.serviceKey ?? null
    this.serviceKeyFile = server.serviceKeyFile ?? null
    this.warnings = server.warnings
    // Pending until the server stops: keeps the event loop alive like a listening http.Server.
    this.#closed = server.waitForClose()
    Object.freeze(this)
  }

  /** Stops accepting, lets in-flight requests finish, releases the files the server opened. */
  close() {
    return this.#native.close()
  }

  /** Resolves once the server has stopped. */
  waitForClose() {
    return this.#closed
  }

  [asyncDispose]() {
    return this.close()
  }
}

async function startServer(options = {}) {
  const o = options || {}
  const vars = {}
  let bindings
  if (o.env !== undefined && o.env !== null) {
    bindings = new native.ServerEnvNative()
    for (const [name, value] of Object.entries(o.env)) {
      const handle = handleOf(value)
      if (handle) bindings[ADD[handle.kind]](name, handle.native)
      else if (typeof value === 'string') vars[name] = value
    }
  }
  Object.assign(vars, o.vars)
  const devVars = o.devVars === false ? undefined : path.resolve(o.devVars || '.dev.vars')
  let server
  try {
    server = await native.startServer(
      {
        host: o.host,
        port: o.port,
        persist: o.persist,
        config: configText(o.config),
        devVars,
        vars,
        log: o.log === true,
      },
      bindings,
    )
  } catch (e) {
    throw fromNative(e)
  }
  const handle = new EdgeBaseServer(server)
  for (const w of handle.warnings) console.warn(`[@edgebase/native] ${w}`)
  return handle
}

module.exports = { startServer, EdgeBaseServer }
