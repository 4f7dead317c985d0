'use strict'
// @edgebase/native — Cloudflare's storage bindings, in-process for Node.js.

const native = require('./binding.js')
const { KVNamespace } = require('./lib/kv.js')
const { R2Bucket } = require('./lib/r2.js')

module.exports.KVNamespace = KVNamespace
module.exports.R2Bucket = R2Bucket
module.exports.ManualClock = native.ManualClock
module.exports.limits = native.limits
