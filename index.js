'use strict'
// @edgebase/native — Cloudflare's storage bindings, in-process for Node.js.

const native = require('./binding.js')
const { KVNamespace } = require('./lib/kv.js')

module.exports.KVNamespace = KVNamespace
module.exports.ManualClock = native.ManualClock
module.exports.limits = native.limits
module.exports.startServer = require('./lib/server.js').startServer
