'use strict'
// @edgebase/native — Cloudflare's storage bindings, in-process for Node.js.

const native = require('./binding.js')
const { KVNamespace } = require('./lib/kv.js')
const { VectorizeIndex, Vectorize } = require('./lib/vectorize.js')

module.exports.KVNamespace = KVNamespace
module.exports.VectorizeIndex = VectorizeIndex
module.exports.Vectorize = Vectorize
module.exports.ManualClock = native.ManualClock
module.exports.limits = native.limits
