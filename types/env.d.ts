// createEnv: a Worker's `env`, built in-process from its wrangler config (wrangler's
// getPlatformProxy, without workerd).

import type { ManualClock } from './common'
import type { VectorizeDistanceMetric, VectorizeMetadataIndex } from './vectorize'

/** What wrangler config cannot say about a Vectorize index: the settings it was created with. */
export interface CreateEnvVectorizeSettings {
  dimensions: number
  metric: VectorizeDistanceMetric
  metadataIndexes?: VectorizeMetadataIndex[]
}

export interface CreateEnvOptions {
  /** Where to look for the config (and its parents, as wrangler does); default `process.cwd()`. */
  cwd?: string
  /** A wrangler.json / .jsonc / .toml path (relative to `cwd`), or a config object; default the first
   * of wrangler.json, wrangler.jsonc, wrangler.toml found from `cwd` up. */
  config?: string | Record<string, unknown>
  /** The `[env.<name>]` section to use; default `CLOUDFLARE_ENV`, else the top level. */
  environment?: string
  /** Directory of the stores: default (or `true`) `.edgebase` next to the config; `false` keeps
   * everything in memory (tests); a path is resolved against `cwd`. */
  persist?: string | boolean
  /** `{ dimensions, metric }` for every Vectorize binding, by binding name (required when the
   * config declares Vectorize bindings). */
  vectorize?: Record<string, CreateEnvVectorizeSettings>
  /** A manual clock for the KV, R2 and Vectorize bindings. */
  clock?: ManualClock
  /** Apply each D1 binding's pending migrations (`migrations_dir`, default `migrations`). */
  applyMigrations?: boolean
}

/** A binding the config declares that createEnv does not provide (Durable Objects, services, queues, AI, …). */
export interface UnsupportedBinding {
  /** The binding name, when the entry has one. */
  binding: string | null
  /** The config field: `durable_objects`, `services`, `queues`, `ai`, … */
  type: string
  /** Where it is declared, e.g. `env.staging.services`. */
  field: string
}

export interface CreatedEnv<Env = Record<string, unknown>> {
  /** Bindings by binding name, `vars`, and the secrets of `.dev.vars` / `.env`. */
  env: Env
  /** The config file read (or `"the inline config"`). */
  configPath: string
  /** The environment whose section was used; undefined for the top level. */
  environment: string | undefined
  /** The absolute directory of the stores, or null when in memory. */
  persist: string | null
  /** The dotenv files the secrets came from. */
  secretsFiles: string[]
  unsupported: UnsupportedBinding[]
  /** Also printed with console.warn. */
  warnings: string[]
  /** Closes every binding (releasing the files); later calls on them reject. */
  dispose(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/** Reads the wrangler config and opens its KV, D1, R2 and Vectorize bindings in-process. Rejects
 * with a message naming the file and field for a bad config (`code: 'EB_ENV_CONFIG'`) and with a
 * TypeError for bad options (`code: 'EB_ENV_OPTIONS'`). */
export declare function createEnv<Env = Record<string, unknown>>(options?: CreateEnvOptions): Promise<CreatedEnv<Env>>
