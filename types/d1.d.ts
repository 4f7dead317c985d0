// Cloudflare D1. Mirrors @cloudflare/workers-types' D1Database, D1DatabaseSession and
// D1PreparedStatement (generics, overloads, snake_case meta), plus readD1Migrations /
// applyD1Migrations in the shape of @cloudflare/vitest-pool-workers'.

export interface D1Meta {
  duration: number
  size_after: number
  rows_read: number
  rows_written: number
  last_row_id: number
  changed_db: boolean
  changes: number
  /** Who answered: "edgebase-native" here ("v3-prod" in production, "miniflare.db" in Miniflare). */
  served_by?: string
  served_by_region?: string
  served_by_colo?: string
  served_by_primary?: boolean
  timings?: { sql_duration_ms: number }
  total_attempts?: number
}
export interface D1Response {
  success: true
  meta: D1Meta & Record<string, unknown>
  error?: never
}
export type D1Result<T = unknown> = D1Response & { results: T[] }
export interface D1ExecResult {
  count: number
  duration: number
}
export type D1SessionConstraint = 'first-primary' | 'first-unconstrained'
export type D1SessionBookmark = string

export interface D1DatabaseOptions {
  /** Directory for durable files (`<persist>/d1/<name>.sqlite`); omitted = in-memory, private to the instance. */
  persist?: string
  /** The database's name, also its file name under `persist`; default `"default"`. */
  name?: string
}

/** Cloudflare D1 on an in-process SQLite (WAL file under `persist`, or memory). */
export declare class D1Database {
  constructor(options?: D1DatabaseOptions)
  prepare(query: string): D1PreparedStatement
  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]>
  exec(query: string): Promise<D1ExecResult>
  withSession(constraintOrBookmark?: D1SessionBookmark | D1SessionConstraint): D1DatabaseSession
  /** The database file's bytes: a consistent snapshot (production: alpha databases only). */
  dump(): Promise<ArrayBuffer>
  /** Releases the file once no other handle in this process uses it; later calls reject. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

export declare class D1DatabaseSession {
  prepare(query: string): D1PreparedStatement
  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]>
  /** The latest bookmark seen by the session; `null` before its first query (or for a constraint). */
  getBookmark(): D1SessionBookmark | null
}

export declare class D1PreparedStatement {
  /** The SQL given to `prepare`. */
  readonly statement: string
  /** The values given to `bind`, after D1's conversions. */
  readonly params: unknown[]
  bind(...values: unknown[]): D1PreparedStatement
  first<T = unknown>(colName: string): Promise<T | null>
  first<T = Record<string, unknown>>(): Promise<T | null>
  run<T = Record<string, unknown>>(): Promise<D1Result<T>>
  all<T = Record<string, unknown>>(): Promise<D1Result<T>>
  raw<T = unknown[]>(options: { columnNames: true }): Promise<[string[], ...T[]]>
  raw<T = unknown[]>(options?: { columnNames?: false }): Promise<T[]>
}

/** One migration file: its name and its statements. */
export interface D1Migration {
  name: string
  queries: string[]
}

/** What `applyD1Migrations` needs of a database: ours, or a Workers / Miniflare D1 binding. */
export interface D1MigrationTarget {
  prepare(query: string): { bind(...values: unknown[]): unknown; run(): Promise<unknown>; raw(): Promise<unknown[]> }
  batch(statements: any[]): Promise<unknown>
}

/** Reads a wrangler migrations folder: every `*.sql` file, in wrangler's order, split into statements. */
export declare function readD1Migrations(migrationsPath: string): Promise<D1Migration[]>
/**
 * Applies the migrations not yet recorded in `migrationsTableName` (default `"d1_migrations"`,
 * wrangler's table), each atomically with its record. Re-running is a no-op.
 */
export declare function applyD1Migrations(db: D1MigrationTarget, migrations: D1Migration[], migrationsTableName?: string): Promise<void>

export interface D1Limits {
  maxBoundParameters: number
  maxSqlBytes: number
  maxColumns: number
  maxValueBytes: number
  maxLikePatternBytes: number
  maxCompoundSelect: number
  maxExprDepth: number
  maxFunctionArgs: number
  maxTriggerDepth: number
  busyTimeoutMs: number
}
