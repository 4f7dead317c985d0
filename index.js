'use strict'
// @edgebase/native — Cloudflare's storage bindings, in-process for Node.js.

const native = require('./binding.js')
const { KVNamespace } = require('./lib/kv.js')
const { D1Database, D1PreparedStatement, D1DatabaseSession } = require('./lib/d1.js')
const { readD1Migrations, applyD1Migrations } = require('./lib/d1-migrations.js')
const { R2Bucket, R2Object, R2ObjectBody, R2MultipartUpload, R2Checksums } = require('./lib/r2.js')
const { VectorizeIndex, Vectorize } = require('./lib/vectorize.js')

module.exports.KVNamespace = KVNamespace
module.exports.D1Database = D1Database
module.exports.D1PreparedStatement = D1PreparedStatement
module.exports.D1DatabaseSession = D1DatabaseSession
module.exports.readD1Migrations = readD1Migrations
module.exports.applyD1Migrations = applyD1Migrations
module.exports.R2Bucket = R2Bucket
module.exports.R2Object = R2Object
module.exports.R2ObjectBody = R2ObjectBody
module.exports.R2MultipartUpload = R2MultipartUpload
module.exports.R2Checksums = R2Checksums
module.exports.VectorizeIndex = VectorizeIndex
module.exports.Vectorize = Vectorize
module.exports.ManualClock = native.ManualClock
module.exports.limits = native.limits
module.exports.startServer = require('./lib/server.js').startServer
module.exports.createEnv = require('./lib/env.js').createEnv
