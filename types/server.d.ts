// startServer: the EdgeBase REST server (KV, D1, Vectorize, storage routes) in this process.

/** A storage access rule: a boolean, an expression EdgeBase understands in JSON configs
 * (`'auth != null'`, `'auth == null'`, `'auth.id == resource.<field>'`), or a function — which this
 * server cannot run, so it denies. */
export type StorageRule = boolean | string | ((auth: unknown, file: unknown) => boolean)

export interface ServiceKeyEntry {
  kid: string
  tier: 'root' | 'scoped'
  scopes?: string[]
  constraints?: { expiresAt?: string; env?: string[]; ipCidr?: string[]; tenant?: string }
  secretSource?: 'dashboard' | 'inline'
  secretRef?: string
  inlineSecret?: string
  /** Shorthand for `secretSource: 'inline', inlineSecret`. */
  secret?: string
  enabled?: boolean
}

/** The parts of an EdgeBase config this server reads (others are ignored). Resources may also be
 * given in array form: `d1: ['analytics']`, `vectorize: [{ name, dimensions, metric }]`. */
export interface EdgeBaseServerConfig {
  release?: boolean
  kv?: Record<string, { binding: string; rules?: unknown }> | Array<string | { name: string; binding?: string }>
  d1?: Record<string, { binding: string }> | Array<string | { name: string; binding?: string }>
  vectorize?:
    | Record<string, { binding?: string; dimensions: number; metric: 'cosine' | 'euclidean' | 'dot-product' }>
    | Array<{ name: string; binding?: string; dimensions: number; metric: 'cosine' | 'euclidean' | 'dot-product' }>
  storage?: { buckets?: Record<string, { binding?: string; access?: { read?: StorageRule; write?: StorageRule; delete?: StorageRule } }> }
  serviceKeys?: { policyVersion?: number; keys: ServiceKeyEntry[] }
  cors?: { origin?: string | string[]; methods?: string[]; credentials?: boolean; maxAge?: number }
  rateLimiting?: Record<string, { requests: number; window: string | number }>
  trustSelfHostedProxy?: boolean
  [field: string]: unknown
}

export interface StartServerOptions {
  /** Address to bind; default `127.0.0.1`. */
  host?: string
  /** Port; default 8787, 0 picks a free one (see `server.port`). */
  port?: number
  /** Directory of the stores the server opens; omitted = in memory. */
  persist?: string
  /** A config object, or the path of a `.json` / CommonJS config file; default
   * `EDGEBASE_CONFIG`, else the built-in config (or, with `env`, one resource per binding). */
  config?: EdgeBaseServerConfig | string
  /** Serve these binding instances (by binding name) instead of opening stores; string values
   * are variables (`SERVICE_KEY`, `JWT_USER_SECRET`, …). */
  env?: Record<string, unknown>
  /** A dotenv file of secrets, read when it exists; default `.dev.vars`; `false` to skip. */
  devVars?: string | false
  /** Variables overriding `.dev.vars`, the process environment and `env` strings. */
  vars?: Record<string, string>
  /** Structured request logs (JSON lines) on stdout; default false. */
  log?: boolean
}

export interface EdgeBaseServer {
  /** `http://<host>:<port>` */
  readonly url: string
  readonly port: number
  readonly host: string
  /** The root service key generated because none was configured (dev only), else null. */
  readonly serviceKey: string | null
  /** Where that key is kept (`<persist>/dev-service-key`), null in memory. */
  readonly serviceKeyFile: string | null
  readonly warnings: readonly string[]
  /** Stops accepting, lets in-flight requests finish, releases the files the server opened. */
  close(): Promise<void>
  /** Resolves once the server has stopped. */
  waitForClose(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/** Validates the config, opens the stores, then listens. Rejects (before binding) with a
 * `TypeError` whose `code` is `EB_SERVER_CONFIG` and whose message names the bad field. */
export declare function startServer(options?: StartServerOptions): Promise<EdgeBaseServer>
