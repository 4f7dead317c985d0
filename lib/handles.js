'use strict'
// The engine handle behind each binding instance, kept out of reach of user code: a binding
// registers its native object here, and startServer({ env }) hands it to the server so that
// both serve the very same store.

const handles = new WeakMap()

/** Called by a binding's constructor. `kind` is `kv`, `d1`, `r2` or `vectorize`. */
function register(binding, kind, native) {
  handles.set(binding, { kind, native })
}

/** `{ kind, native }` for a binding instance of this package, else undefined. */
function handleOf(value) {
  return value !== null && typeof value === 'object' ? handles.get(value) : undefined
}

module.exports = { register, handleOf }
