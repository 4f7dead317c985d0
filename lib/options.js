'use strict'
// Constructor options every persisted binding takes. Checked here so that a mistake such as
// `new KVNamespace('CACHE')` (silently in-memory) or `{ persist: null }` (a conversion error
// from the native layer) gets a plain answer.

/**
 * `{ persist, name }` as the native constructors take them: strings or absent (`null` is absent).
 * @param {unknown} options
 * @param {string} className
 */
function storeOptions(options, className) {
  if (options === undefined || options === null) return {}
  if (typeof options !== 'object') {
    const got = typeof options === 'string' ? `the string ${JSON.stringify(options)}` : `a ${typeof options}`
    throw new TypeError(`${className} options must be an object such as { persist: '.edgebase', name: 'app' }; got ${got}`)
  }
  const out = {}
  for (const key of ['persist', 'name']) {
    const v = options[key]
    if (v === undefined || v === null) continue
    if (typeof v !== 'string') throw new TypeError(`${className} option "${key}" must be a string, not ${typeof v}`)
    out[key] = v
  }
  return out
}

module.exports = { storeOptions }
