// @edgebase/native — public types. Hand-written so that instances are assignable to
// @cloudflare/workers-types' interfaces (pinned in devDependencies); imports nothing from it.
// One file per binding under types/.

export * from './types/common'
export * from './types/kv'
export * from './types/d1'
export * from './types/r2'
export * from './types/vectorize'
export * from './types/server'
export * from './types/env'
import type { KvLimits } from './types/kv'
import type { D1Limits } from './types/d1'
import type { R2Limits } from './types/r2'
import type { VectorizeLimits } from './types/vectorize'

/** The Cloudflare limits the bindings enforce, by binding. */
export interface Limits {
  kv: KvLimits
  d1: D1Limits
  r2: R2Limits
  vectorize: VectorizeLimits
}
/** The Cloudflare limits the bindings enforce. */
export declare function limits(): Limits
