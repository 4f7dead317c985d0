// @edgebase/native — public types. Hand-written so that instances are assignable to
// @cloudflare/workers-types' interfaces (pinned in devDependencies); imports nothing from it.
// Web types (ReadableStream, …) are named by their globals: in a Workers-types (ambient) project
// they are the Workers ones, in a Node project Node's (see README, "TypeScript").

/** A clock that only moves when told to; give it to a binding as `clock`. */
export declare class ManualClock {
  /** Starts at `startMs` (milliseconds since the UNIX epoch), default the current time. */
  constructor(startMs?: number)
  /** Milliseconds since the UNIX epoch. */
  now(): number
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void
  /** Sets the clock to `ms` milliseconds since the UNIX epoch. */
  set(ms: number): void
}

/**
 * What a binding accepts as a stream argument: any Web `ReadableStream` of bytes, typed loosely so
 * that a Workers-typed stream (another type than Node's) is accepted too.
 */
export interface ReadableStreamLike {
  getReader(): any
}

/** Options every binding accepts. */
export interface BindingOptions {
  /** Directory for durable files; omitted = in-memory, private to the instance. */
  persist?: string
  /** The binding's name, also its file name under `persist`; default `"default"`. */
  name?: string
  /** A manual clock for expirations (default: the system clock). */
  clock?: ManualClock
}

// ---------------------------------------------------------------------------------------------
// KV

export interface KVNamespaceListKey<Metadata, Key extends string = string> {
  name: Key
  expiration?: number
  metadata?: Metadata
}
export type KVNamespaceListResult<Metadata, Key extends string = string> =
  | { list_complete: false; keys: KVNamespaceListKey<Metadata, Key>[]; cursor: string; cacheStatus: string | null }
  | { list_complete: true; keys: KVNamespaceListKey<Metadata, Key>[]; cacheStatus: string | null }
export interface KVNamespaceListOptions {
  limit?: number
  prefix?: string | null
  cursor?: string | null
}
export interface KVNamespaceGetOptions<Type> {
  type: Type
  cacheTtl?: number
}
export interface KVNamespacePutOptions {
  expiration?: number
  expirationTtl?: number
  metadata?: any | null
}
export interface KVNamespaceGetWithMetadataResult<Value, Metadata> {
  value: Value | null
  metadata: Metadata | null
  cacheStatus: string | null
}

/** Workers KV, backed by redb (`<persist>/kv/<name>.redb`) or memory. */
export declare class KVNamespace<Key extends string = string> {
  constructor(options?: BindingOptions)
  get(key: Key, options?: Partial<KVNamespaceGetOptions<undefined>>): Promise<string | null>
  get(key: Key, type: 'text'): Promise<string | null>
  get<ExpectedValue = unknown>(key: Key, type: 'json'): Promise<ExpectedValue | null>
  get(key: Key, type: 'arrayBuffer'): Promise<ArrayBuffer | null>
  get(key: Key, type: 'stream'): Promise<ReadableStream | null>
  get(key: Key, options?: KVNamespaceGetOptions<'text'>): Promise<string | null>
  get<ExpectedValue = unknown>(key: Key, options?: KVNamespaceGetOptions<'json'>): Promise<ExpectedValue | null>
  get(key: Key, options?: KVNamespaceGetOptions<'arrayBuffer'>): Promise<ArrayBuffer | null>
  get(key: Key, options?: KVNamespaceGetOptions<'stream'>): Promise<ReadableStream | null>
  get(key: Array<Key>, type: 'text'): Promise<Map<string, string | null>>
  get<ExpectedValue = unknown>(key: Array<Key>, type: 'json'): Promise<Map<string, ExpectedValue | null>>
  get(key: Array<Key>, options?: Partial<KVNamespaceGetOptions<undefined>>): Promise<Map<string, string | null>>
  get(key: Array<Key>, options?: KVNamespaceGetOptions<'text'>): Promise<Map<string, string | null>>
  get<ExpectedValue = unknown>(key: Array<Key>, options?: KVNamespaceGetOptions<'json'>): Promise<Map<string, ExpectedValue | null>>
  list<Metadata = unknown>(options?: KVNamespaceListOptions): Promise<KVNamespaceListResult<Metadata, Key>>
  put(key: Key, value: string | ArrayBuffer | ArrayBufferView | ReadableStream | ReadableStreamLike, options?: KVNamespacePutOptions): Promise<void>
  getWithMetadata<Metadata = unknown>(key: Key, options?: Partial<KVNamespaceGetOptions<undefined>>): Promise<KVNamespaceGetWithMetadataResult<string, Metadata>>
  getWithMetadata<Metadata = unknown>(key: Key, type: 'text'): Promise<KVNamespaceGetWithMetadataResult<string, Metadata>>
  getWithMetadata<ExpectedValue = unknown, Metadata = unknown>(key: Key, type: 'json'): Promise<KVNamespaceGetWithMetadataResult<ExpectedValue, Metadata>>
  getWithMetadata<Metadata = unknown>(key: Key, type: 'arrayBuffer'): Promise<KVNamespaceGetWithMetadataResult<ArrayBuffer, Metadata>>
  getWithMetadata<Metadata = unknown>(key: Key, type: 'stream'): Promise<KVNamespaceGetWithMetadataResult<ReadableStream, Metadata>>
  getWithMetadata<Metadata = unknown>(key: Key, options: KVNamespaceGetOptions<'text'>): Promise<KVNamespaceGetWithMetadataResult<string, Metadata>>
  getWithMetadata<ExpectedValue = unknown, Metadata = unknown>(key: Key, options: KVNamespaceGetOptions<'json'>): Promise<KVNamespaceGetWithMetadataResult<ExpectedValue, Metadata>>
  getWithMetadata<Metadata = unknown>(key: Key, options: KVNamespaceGetOptions<'arrayBuffer'>): Promise<KVNamespaceGetWithMetadataResult<ArrayBuffer, Metadata>>
  getWithMetadata<Metadata = unknown>(key: Key, options: KVNamespaceGetOptions<'stream'>): Promise<KVNamespaceGetWithMetadataResult<ReadableStream, Metadata>>
  getWithMetadata<Metadata = unknown>(key: Array<Key>, type: 'text'): Promise<Map<string, KVNamespaceGetWithMetadataResult<string, Metadata>>>
  getWithMetadata<ExpectedValue = unknown, Metadata = unknown>(key: Array<Key>, type: 'json'): Promise<Map<string, KVNamespaceGetWithMetadataResult<ExpectedValue, Metadata>>>
  getWithMetadata<Metadata = unknown>(key: Array<Key>, options?: Partial<KVNamespaceGetOptions<undefined>>): Promise<Map<string, KVNamespaceGetWithMetadataResult<string, Metadata>>>
  getWithMetadata<Metadata = unknown>(key: Array<Key>, options?: KVNamespaceGetOptions<'text'>): Promise<Map<string, KVNamespaceGetWithMetadataResult<string, Metadata>>>
  getWithMetadata<ExpectedValue = unknown, Metadata = unknown>(key: Array<Key>, options?: KVNamespaceGetOptions<'json'>): Promise<Map<string, KVNamespaceGetWithMetadataResult<ExpectedValue, Metadata>>>
  delete(key: Key): Promise<void>
  /** Releases the file once no other instance in this process uses it; later calls reject. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// Limits

export interface Limits {
  kv: {
    maxKeyBytes: number
    maxValueBytes: number
    maxMetadataBytes: number
    minExpirationTtlSecs: number
    minCacheTtlSecs: number
    maxListKeys: number
    maxBulkKeys: number
  }
}
/** The Cloudflare limits the bindings enforce. */
export declare function limits(): Limits
