'use strict'
// createEnv: the `env` a Worker would get, built in-process from the project's wrangler config —
// for seed scripts, migrations and tests (wrangler's getPlatformProxy, without workerd). Stores are
// named after their binding, as startServer names them, so both see the same data on one `persist`.

const path = require('node:path')
const { ManualClock } = require('../binding.js')
const { KVNamespace } = require('./kv.js')
const { D1Database } = require('./d1.js')
const { R2Bucket } = require('./r2.js')
const { VectorizeIndex } = require('./vectorize.js')
const { readD1Migrations, applyD1Migrations } = require('./d1-migrations.js')
const { readWranglerConfig, readSecrets } = require('./wrangler-config.js')

const asyncDispose = Symbol.asyncDispose || Symbol.for('nodejs.asyncDispose')
const OPTIONS = ['cwd', 'config', 'environment', 'persist', 'vectorize', 'clock', 'applyMigrations']
/** Where createEnv keeps data by default, next to the config (as `edgebase-native serve` does). */
const DEFAULT_PERSIST = '.edgebase'

function optionError(message) {
  const err = new TypeError(`createEnv: ${message}`)
  err.code = 'EB_ENV_OPTIONS'
  return err
}

function checkOptions(o) {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw optionError('options must be an object')
  for (const key of Object.keys(o)) {
    if (!OPTIONS.includes(key)) throw optionError(`unknown option "${key}" (known: ${OPTIONS.join(', ')})`)
  }
  const is = (key, ok, what) => {
    if (o[key] !== undefined && !ok(o[key])) throw optionError(`${key} must be ${what} (got ${typeof o[key] === 'string' ? JSON.stringify(o[key]) : typeof o[key]})`)
  }
  is('cwd', (v) => typeof v === 'string', 'a directory path')
  is('config', (v) => typeof v === 'string' || (v !== null && typeof v === 'object' && !Array.isArray(v)), 'the path of a wrangler config file or a config object')
  is('environment', (v) => typeof v === 'string', 'a string')
  is('persist', (v) => typeof v === 'string' || typeof v === 'boolean', 'a directory path, true or false')
  is('vectorize', (v) => v !== null && typeof v === 'object' && !Array.isArray(v), 'an object of { dimensions, metric } by binding name')
  is('applyMigrations', (v) => typeof v === 'boolean', 'a boolean')
  is('clock', (v) => v instanceof ManualClock, 'a ManualClock')
}

/** `persist`: omitted or true → `.edgebase` next to the config; false → in memory; a path → there. */
function persistDir(persist, config, cwd) {
  if (persist === false) return undefined
  if (persist === undefined || persist === true) return path.join(config.dir, DEFAULT_PERSIST)
  return path.resolve(cwd, persist)
}

/** Each Vectorize binding's `{ dimensions, metric, metadataIndexes }`, which wrangler config lacks. */
function vectorizeSettings(given, config) {
  const byBinding = given || {}
  const known = new Set(config.vectorize.map((v) => v.binding))
  for (const name of Object.keys(byBinding)) {
    if (!known.has(name)) {
      const list = known.size ? [...known].join(', ') : 'none'
      throw optionError(`vectorize.${name}: ${config.file} declares no Vectorize binding "${name}" (its Vectorize bindings: ${list})`)
    }
  }
  const out = new Map()
  for (const v of config.vectorize) {
    const s = byBinding[v.binding]
    if (s === null || typeof s !== 'object' || s.dimensions === undefined || s.metric === undefined) {
      throw optionError(
        `the Vectorize binding "${v.binding}" (index_name "${v.index_name}", ${v.field} in ${config.file}) needs its dimensions and metric, which wrangler config does not hold: ` +
          `pass createEnv({ vectorize: { ${v.binding}: { dimensions: 768, metric: 'cosine' } } }) with the values the index was created with`,
      )
    }
    out.set(v.binding, s)
  }
  return out
}

/** An error opening or migrating a binding, with the binding and config field in front. */
function bindingError(e, what, entry, file) {
  if (!(e instanceof Error)) return e
  const err = new e.constructor(`createEnv: ${what} "${entry.binding}" (${entry.field} in ${file}): ${e.message}`, { cause: e })
  if (e.code !== undefined) err.code = e.code
  return err
}

/** Applies `migrations_dir` (default `migrations`, next to the config) to one D1 binding, one
 * migration at a time so that a failure names its file. */
async function migrate(db, entry, config, warnings) {
  if (entry.migrations_pattern !== undefined) {
    throw new TypeError(`migrations_pattern is not supported by createEnv's applyMigrations; use migrations_dir`)
  }
  const dir = path.resolve(config.dir, entry.migrations_dir ?? 'migrations')
  let migrations
  try {
    migrations = await readD1Migrations(dir)
  } catch (e) {
    if (e.code === 'ENOENT' && entry.migrations_dir === undefined) {
      warnings.push(`no migrations folder ${dir} for the D1 binding "${entry.binding}": nothing applied`)
      return
    }
    throw new Error(`cannot read the migrations folder ${dir}: ${e.message}`)
  }
  for (const m of migrations) {
    try {
      await applyD1Migrations(db, [m], entry.migrations_table ?? 'd1_migrations')
    } catch (e) {
      throw new e.constructor(`migration ${path.join(dir, m.name)} failed: ${e.message}`, { cause: e })
    }
  }
}

/**
 * @param {import('../index').CreateEnvOptions} [options]
 * @returns {Promise<import('../index').CreatedEnv>}
 */
async function createEnv(options = {}) {
  const o = options === undefined ? {} : options
  checkOptions(o)
  const cwd = path.resolve(o.cwd ?? process.cwd())
  const environment = o.environment ?? (process.env.CLOUDFLARE_ENV || undefined)
  const config = readWranglerConfig({ cwd, config: o.config, environment })
  const warnings = [...config.warnings]
  const secrets = readSecrets(config, warnings)
  const vectorize = vectorizeSettings(o.vectorize, config)
  const persist = persistDir(o.persist, config, cwd)
  const clock = o.clock

  const env = { ...structuredClone(config.vars), ...secrets.values }
  const opened = []
  const open = (entry, what, make) => {
    if (Object.hasOwn(secrets.values, entry.binding)) {
      warnings.push(`"${entry.binding}" is both a secret in ${secrets.files.join(', ')} and a binding (${entry.field}); the binding wins`)
    }
    let binding
    try {
      binding = make({ persist, name: entry.binding })
    } catch (e) {
      throw bindingError(e, what, entry, config.file)
    }
    opened.push(binding)
    env[entry.binding] = binding
    return binding
  }
  const dispose = async () => {
    await Promise.all(opened.splice(0).map((b) => b.close()))
  }

  try {
    for (const e of config.kv) open(e, 'KV binding', (s) => new KVNamespace({ ...s, clock }))
    const d1 = config.d1.map((e) => [e, open(e, 'D1 binding', (s) => new D1Database(s))])
    for (const e of config.r2) open(e, 'R2 binding', (s) => new R2Bucket({ ...s, clock }))
    for (const e of config.vectorize) {
      const { dimensions, metric, metadataIndexes } = vectorize.get(e.binding)
      open(e, 'Vectorize binding', (s) => new VectorizeIndex({ ...s, dimensions, metric, metadataIndexes, clock }))
    }
    if (o.applyMigrations) {
      for (const [entry, db] of d1) {
        try {
          await migrate(db, entry, config, warnings)
        } catch (e) {
          throw bindingError(e, 'D1 binding', entry, config.file)
        }
      }
    }
  } catch (e) {
    await dispose()
    throw e
  }

  for (const u of config.unsupported) {
    warnings.push(`${u.field}${u.binding ? ` (binding "${u.binding}")` : ''} in ${config.file} is not supported in-process: env has no such binding`)
  }
  for (const w of warnings) console.warn(`[@edgebase/native] createEnv: ${w}`)
  return {
    env,
    configPath: config.file,
    environment: config.environment,
    persist: persist ?? null,
    secretsFiles: secrets.files,
    unsupported: config.unsupported,
    warnings,
    dispose,
    [asyncDispose]: dispose,
  }
}

module.exports = { createEnv }
