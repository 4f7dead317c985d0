'use strict'
// A Worker's wrangler config read the way wrangler reads it, for createEnv: which file, JSONC or
// TOML, which environment (`[env.<name>]`: bindings, vars and secrets are not inherited from the
// top level), the binding fields, and the local secrets (`.dev.vars`, else `.env` files).

const fs = require('node:fs')
const path = require('node:path')
const native = require('../binding.js')

/** Wrangler's search order, in the directory given and then in each parent. */
const FILES = ['wrangler.json', 'wrangler.jsonc', 'wrangler.toml']

/** The bindings createEnv builds: config field → the fields each entry may carry (string-valued). */
const SUPPORTED = {
  kv_namespaces: { required: [], optional: ['id', 'preview_id'] },
  d1_databases: {
    required: [],
    optional: ['database_name', 'database_id', 'preview_database_id', 'migrations_dir', 'migrations_table', 'migrations_pattern', 'database_internal_env'],
  },
  r2_buckets: { required: [], optional: ['bucket_name', 'preview_bucket_name', 'jurisdiction'] },
  vectorize: { required: ['index_name'], optional: [] },
}

/** Every other binding-declaring field of wrangler's config (all of them non-inheritable). */
const UNSUPPORTED = [
  'durable_objects', 'services', 'queues', 'ai', 'ai_search', 'ai_search_namespaces', 'agent_memory',
  'analytics_engine_datasets', 'artifacts', 'assets', 'browser', 'data_blobs', 'dispatch_namespaces',
  'flagship', 'hyperdrive', 'images', 'logfwdr', 'media', 'mtls_certificates', 'pipelines', 'ratelimits',
  'secrets_store_secrets', 'send_email', 'stream', 'text_blobs', 'unsafe', 'unsafe_hello_world',
  'version_metadata', 'vpc_networks', 'vpc_services', 'wasm_modules', 'websearch', 'worker_loaders', 'workflows',
]

/** The non-inheritable fields createEnv reads besides the bindings. */
const OWN_FIELDS = ['vars', 'secrets']

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)

function configError(Class, message) {
  const err = new Class(message)
  err.code = 'EB_ENV_CONFIG'
  return err
}

/** The config file: `config` (relative to `cwd`) if given, else wrangler's search from `cwd` up. */
function findConfig(cwd, config) {
  if (config !== undefined) {
    const file = path.resolve(cwd, config)
    if (!fs.existsSync(file)) throw configError(Error, `createEnv: the config file ${file} does not exist`)
    return file
  }
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    for (const name of FILES) {
      const file = path.join(dir, name)
      if (fs.existsSync(file)) return file
    }
    if (path.dirname(dir) === dir) break
  }
  throw configError(Error, `createEnv: no ${FILES.join(', ')} in ${cwd} or its parents; pass { cwd } or { config }`)
}

/** Line and column (1-based) of a UTF-16 offset. */
function lineColumn(text, offset) {
  const before = text.slice(0, offset).split('\n')
  return `${before.length}:${before[before.length - 1].length + 1}`
}

/**
 * JSON with comments and trailing commas, as wrangler accepts in wrangler.json(c). Comments and
 * trailing commas are blanked rather than removed, so JSON.parse's offsets still point into the file.
 */
function parseJsonc(text, file) {
  const c = text.split('')
  if (c[0] === '\uFEFF') c[0] = ' '
  const blank = (from, to) => {
    for (let k = from; k < to; k++) if (c[k] !== '\n') c[k] = ' '
  }
  // The last two significant characters: a comma before `}` or `]` is trailing when it follows a value.
  let last = -1
  let before = -1
  const significant = (k) => {
    before = last
    last = k
  }
  for (let i = 0; i < c.length; ) {
    const ch = c[i]
    if (ch === '"') {
      let j = i + 1
      while (j < c.length && c[j] !== '"' && c[j] !== '\n') j += c[j] === '\\' ? 2 : 1
      significant(j)
      i = j + 1
    } else if (ch === '/' && c[i + 1] === '/') {
      const end = text.indexOf('\n', i)
      const to = end < 0 ? c.length : end
      blank(i, to)
      i = to
    } else if (ch === '/' && c[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2)
      if (end < 0) throw configError(SyntaxError, `${file}:${lineColumn(text, i)}: unterminated /* comment`)
      blank(i, end + 2)
      i = end + 2
    } else {
      if ((ch === '}' || ch === ']') && c[last] === ',' && before >= 0 && !'{[,'.includes(c[before])) c[last] = ' '
      if (!/\s/.test(ch)) significant(i)
      i++
    }
  }
  const json = c.join('')
  try {
    return JSON.parse(json)
  } catch (e) {
    const at = /at position (\d+)/.exec(e.message)
    const where = at ? `:${lineColumn(json, Number(at[1]))}` : ''
    const what = e.message.replace(/ in JSON at position \d+(?: \(line \d+ column \d+\))?/, '').replace(/^JSON\.parse: /, '')
    throw configError(SyntaxError, `${file}${where}: ${what}`)
  }
}

function parseToml(text, file) {
  try {
    return JSON.parse(native.parseToml(text))
  } catch (e) {
    throw configError(SyntaxError, `${file}: ${e.message}`)
  }
}

function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (e) {
    throw configError(Error, `createEnv: cannot read ${file}: ${e.message}`)
  }
}

function readConfigFile(file) {
  const text = readText(file)
  const raw = file.endsWith('.toml') ? parseToml(text, file) : parseJsonc(text, file)
  if (!isObject(raw)) throw configError(TypeError, `${file}: the configuration must be an object (got ${JSON.stringify(raw)})`)
  return raw
}

/**
 * The section that applies: the top level, or `env.<environment>`. As in wrangler, bindings, vars
 * and secrets come from that section alone; an unknown environment is an error when the file
 * defines environments, and a warning (the top level applies) when it defines none.
 */
function selectSection(raw, environment, file, warnings) {
  if (!environment) return { section: raw, prefix: '' }
  if (raw.env !== undefined && !isObject(raw.env)) {
    throw configError(TypeError, `${file}: "env" should be an object but got ${JSON.stringify(raw.env)}`)
  }
  if (raw.env && Object.hasOwn(raw.env, environment)) {
    const section = raw.env[environment]
    if (!isObject(section)) throw configError(TypeError, `${file}: "env.${environment}" should be an object but got ${JSON.stringify(section)}`)
    for (const field of [...Object.keys(SUPPORTED), ...UNSUPPORTED, ...OWN_FIELDS]) {
      if (raw[field] !== undefined && section[field] === undefined) {
        warnings.push(`${file}: "${field}" exists at the top level, but not on "env.${environment}"; it is not inherited by environments, so env.${environment} has none`)
      }
    }
    if (isObject(raw.vars) && isObject(section.vars)) {
      const missing = Object.keys(raw.vars).filter((name) => !Object.hasOwn(section.vars, name))
      if (missing.length) warnings.push(`${file}: the vars ${missing.join(', ')} exist at the top level, but not on "env.${environment}.vars"; vars are not inherited by environments`)
    }
    return { section, prefix: `env.${environment}.` }
  }
  const names = raw.env ? Object.keys(raw.env) : []
  const message = `${file}: No environment found in configuration with name "${environment}".`
  if (raw.env !== undefined) throw configError(Error, `${message} The available configured environment names are: ${JSON.stringify(names)}`)
  warnings.push(`${message} The top level applies (as in wrangler, when a file defines no environments)`)
  return { section: raw, prefix: '' }
}

/** The entries of one supported binding field, validated; problems go to `errors`. */
function bindingEntries(section, field, prefix, errors) {
  const value = section[field]
  if (value === undefined) return []
  const where = prefix + field
  if (!Array.isArray(value)) {
    errors.push(`"${where}" should be an array but got ${JSON.stringify(value)}`)
    return []
  }
  const { required, optional } = SUPPORTED[field]
  const out = []
  value.forEach((entry, i) => {
    const at = `${where}[${i}]`
    if (!isObject(entry)) {
      errors.push(`"${at}" should be an object but got ${JSON.stringify(entry)}`)
      return
    }
    let ok = true
    for (const key of ['binding', ...required]) {
      if (typeof entry[key] !== 'string' || entry[key] === '') {
        errors.push(`"${at}.${key}" should be a non-empty string but got ${JSON.stringify(entry[key])}`)
        ok = false
      }
    }
    for (const key of optional) {
      if (entry[key] !== undefined && typeof entry[key] !== 'string') {
        errors.push(`"${at}.${key}" should be a string but got ${JSON.stringify(entry[key])}`)
        ok = false
      }
    }
    if (ok) out.push({ ...entry, field: at })
  })
  return out
}

/** The names an unsupported field declares (arrays of `{ binding | name }`, `{ bindings: [...] }`,
 * queue producers, a single `{ binding }`, or name → file maps such as `wasm_modules`). */
function declaredNames(field, value) {
  const nameOf = (b) => (isObject(b) ? b.binding ?? b.name : undefined)
  if (Array.isArray(value)) return value.map(nameOf)
  if (!isObject(value)) return []
  if (field === 'wasm_modules' || field === 'text_blobs' || field === 'data_blobs') return Object.keys(value)
  if (Array.isArray(value.bindings)) return value.bindings.map(nameOf)
  if (field === 'queues') return Array.isArray(value.producers) ? value.producers.map(nameOf) : []
  return nameOf(value) === undefined ? [] : [nameOf(value)]
}

function readSection(section, prefix, errors) {
  const bindings = {}
  for (const field of Object.keys(SUPPORTED)) bindings[field] = bindingEntries(section, field, prefix, errors)
  const unsupported = []
  for (const field of UNSUPPORTED) {
    if (section[field] === undefined) continue
    for (const name of declaredNames(field, section[field])) {
      unsupported.push({ binding: typeof name === 'string' ? name : null, type: field, field: prefix + field })
    }
  }
  let vars = {}
  if (section.vars !== undefined) {
    if (isObject(section.vars)) vars = section.vars
    else errors.push(`"${prefix}vars" should be an object but got ${JSON.stringify(section.vars)}`)
  }
  let secretsRequired
  if (section.secrets !== undefined) {
    const req = isObject(section.secrets) ? section.secrets.required : undefined
    if (isObject(section.secrets) && (req === undefined || (Array.isArray(req) && req.every((s) => typeof s === 'string')))) secretsRequired = req
    else errors.push(`"${prefix}secrets" should be an object with a "required" array of strings but got ${JSON.stringify(section.secrets)}`)
  }
  return { bindings, unsupported, vars, secretsRequired }
}

/** Every name bound twice (across binding kinds and vars) is an error naming both places. */
function checkUniqueNames(read, prefix, errors) {
  const seen = new Map()
  const claim = (name, where) => {
    if (typeof name !== 'string') return
    if (seen.has(name)) errors.push(`the binding name "${name}" is used by both ${seen.get(name)} and ${where}`)
    else seen.set(name, where)
  }
  for (const entries of Object.values(read.bindings)) for (const e of entries) claim(e.binding, e.field)
  for (const u of read.unsupported) claim(u.binding, u.field)
  for (const name of Object.keys(read.vars)) claim(name, `${prefix}vars.${name}`)
}

/**
 * Reads and validates the wrangler config for `environment` (falsy: the top level).
 * @returns {{ file: string, dir: string, environment: string | undefined,
 *   kv: object[], d1: object[], r2: object[], vectorize: object[], vars: Record<string, unknown>,
 *   secretsRequired: string[] | undefined, unsupported: object[], warnings: string[] }}
 */
function readWranglerConfig({ cwd, config, environment }) {
  let raw
  let file
  if (isObject(config)) {
    raw = config
    file = 'the inline config'
  } else {
    file = findConfig(cwd, config)
    raw = readConfigFile(file)
  }
  const warnings = []
  const { section, prefix } = selectSection(raw, environment, file, warnings)
  const errors = []
  const read = readSection(section, prefix, errors)
  if (errors.length === 0) checkUniqueNames(read, prefix, errors)
  if (errors.length > 0) throw configError(TypeError, `${file}: ${errors.join('; ')}`)
  for (const entries of Object.values(read.bindings)) {
    for (const e of entries) {
      if (e.remote === true) warnings.push(`${file}: ${e.field} (binding "${e.binding}") has remote: true; createEnv serves a local store`)
    }
  }
  return {
    file,
    dir: isObject(config) ? cwd : path.dirname(file),
    environment: environment || undefined,
    kv: read.bindings.kv_namespaces,
    d1: read.bindings.d1_databases,
    r2: read.bindings.r2_buckets,
    vectorize: read.bindings.vectorize,
    vars: read.vars,
    secretsRequired: read.secretsRequired,
    unsupported: read.unsupported,
    warnings,
  }
}


/**
 * Local secrets the way `wrangler dev` finds them next to the config: `.dev.vars.<environment>`
 * if it exists, else `.dev.vars`; with neither, the `.env` files (`.env`, `.env.<environment>`,
 * `.env.local`, `.env.<environment>.local`, later ones winning) unless
 * CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV is "false". With `secrets.required`, only those keys.
 */
function readSecrets({ dir, environment, secretsRequired }, warnings) {
  const at = (name) => path.join(dir, name)
  const exists = (name) => fs.existsSync(at(name))
  let files
  if (environment && exists(`.dev.vars.${environment}`)) files = [`.dev.vars.${environment}`]
  else if (exists('.dev.vars')) files = ['.dev.vars']
  else if (process.env.CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV !== 'false') {
    const names = environment ? ['.env', `.env.${environment}`, '.env.local', `.env.${environment}.local`] : ['.env', '.env.local']
    files = names.filter(exists)
  } else files = []
  let values = {}
  for (const name of files) values = { ...values, ...Object.fromEntries(native.parseDotenv(readText(at(name)))) }
  if (secretsRequired !== undefined) {
    const kept = {}
    for (const key of secretsRequired) {
      if (Object.hasOwn(values, key)) kept[key] = values[key]
      else warnings.push(`the secret "${key}" listed in secrets.required is not in ${files.length ? files.join(', ') : 'any .dev.vars or .env file'}`)
    }
    values = kept
  }
  return { values, files: files.map(at) }
}

module.exports = { readWranglerConfig, readSecrets, parseJsonc }
