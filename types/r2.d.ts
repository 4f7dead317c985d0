// R2. Mirrors @cloudflare/workers-types' R2Bucket and its result types (overloads, optional
// fields); Web types are named by their globals.
import type { BindingOptions, ReadableStreamLike } from './common'

/** A Blob of any realm (a Workers-typed one included). */
export interface BlobLike {
  readonly size: number
  readonly type: string
  arrayBuffer(): Promise<ArrayBuffer>
}

export interface R2ListOptions {
  limit?: number
  prefix?: string
  cursor?: string
  delimiter?: string
  startAfter?: string
  include?: ('httpMetadata' | 'customMetadata')[]
}
export type R2Range = { offset: number; length?: number } | { offset?: number; length: number } | { suffix: number }
export interface R2Conditional {
  etagMatches?: string
  etagDoesNotMatch?: string
  uploadedBefore?: Date
  uploadedAfter?: Date
  secondsGranularity?: boolean
}
export interface R2GetOptions {
  onlyIf?: R2Conditional | Headers
  range?: R2Range | Headers
  ssecKey?: ArrayBuffer | string
}
export interface R2HTTPMetadata {
  contentType?: string
  contentLanguage?: string
  contentDisposition?: string
  contentEncoding?: string
  cacheControl?: string
  cacheExpiry?: Date
}
export interface R2PutOptions {
  onlyIf?: R2Conditional | Headers
  httpMetadata?: R2HTTPMetadata | Headers
  customMetadata?: Record<string, string>
  md5?: ArrayBuffer | ArrayBufferView | string
  sha1?: ArrayBuffer | ArrayBufferView | string
  sha256?: ArrayBuffer | ArrayBufferView | string
  sha384?: ArrayBuffer | ArrayBufferView | string
  sha512?: ArrayBuffer | ArrayBufferView | string
  storageClass?: string
  ssecKey?: ArrayBuffer | string
}
export interface R2MultipartOptions {
  httpMetadata?: R2HTTPMetadata | Headers
  customMetadata?: Record<string, string>
  storageClass?: string
  ssecKey?: ArrayBuffer | string
}
export interface R2UploadPartOptions {
  ssecKey?: ArrayBuffer | string
}
export interface R2StringChecksums {
  md5?: string
  sha1?: string
  sha256?: string
  sha384?: string
  sha512?: string
}
/** Digests as fresh `ArrayBuffer`s per access; `toJSON()` gives lowercase hex. */
export declare abstract class R2Checksums {
  readonly md5?: ArrayBuffer
  readonly sha1?: ArrayBuffer
  readonly sha256?: ArrayBuffer
  readonly sha384?: ArrayBuffer
  readonly sha512?: ArrayBuffer
  toJSON(): R2StringChecksums
}
/** Object metadata: `head`, `put`, `list`, `complete`, and a `get` whose `onlyIf` failed. */
export declare abstract class R2Object {
  readonly key: string
  readonly version: string
  readonly size: number
  readonly etag: string
  readonly httpEtag: string
  readonly checksums: R2Checksums
  readonly uploaded: Date
  readonly httpMetadata?: R2HTTPMetadata
  readonly customMetadata?: Record<string, string>
  readonly range?: R2Range
  readonly storageClass: string
  readonly ssecKeyMd5?: string
  writeHttpMetadata(headers: Headers): void
}
/** An object with its bytes: `body` is a byte `ReadableStream`; each reader consumes it once. */
export declare abstract class R2ObjectBody extends R2Object {
  get body(): ReadableStream
  get bodyUsed(): boolean
  arrayBuffer(): Promise<ArrayBuffer>
  bytes(): Promise<Uint8Array>
  text(): Promise<string>
  json<T>(): Promise<T>
  blob(): Promise<Blob>
}
export type R2Objects = {
  objects: R2Object[]
  delimitedPrefixes: string[]
} & ({ truncated: true; cursor: string } | { truncated: false })
export interface R2UploadedPart {
  partNumber: number
  etag: string
}
type R2Value = ReadableStream | ReadableStreamLike | ArrayBuffer | ArrayBufferView | string | null | Blob | BlobLike

export declare abstract class R2MultipartUpload {
  readonly key: string
  readonly uploadId: string
  uploadPart(partNumber: number, value: Exclude<R2Value, null>, options?: R2UploadPartOptions): Promise<R2UploadedPart>
  abort(): Promise<void>
  complete(uploadedParts: R2UploadedPart[]): Promise<R2Object>
}

export interface R2BucketOptions extends BindingOptions {
  /** fsync every write: survives power loss, not only a killed process (slower). Default false. */
  fsync?: boolean
  /** Minimum size of a multipart part other than the last; default 5 MiB (lower it in tests). */
  minPartSize?: number
}

/**
 * R2, on local files (`<persist>/r2/<name>/`: `index.sqlite` + one file per object or part) or
 * in memory.
 */
export declare class R2Bucket {
  constructor(options?: R2BucketOptions)
  head(key: string): Promise<R2Object | null>
  get(key: string, options: R2GetOptions & { onlyIf: R2Conditional | Headers }): Promise<R2ObjectBody | R2Object | null>
  get(key: string, options?: R2GetOptions): Promise<R2ObjectBody | null>
  put(key: string, value: R2Value, options?: R2PutOptions & { onlyIf: R2Conditional | Headers }): Promise<R2Object | null>
  put(key: string, value: R2Value, options?: R2PutOptions): Promise<R2Object>
  createMultipartUpload(key: string, options?: R2MultipartOptions): Promise<R2MultipartUpload>
  resumeMultipartUpload(key: string, uploadId: string): R2MultipartUpload
  delete(keys: string | string[]): Promise<void>
  list(options?: R2ListOptions): Promise<R2Objects>
  /** Releases the directory once no other instance in this process uses it; later calls reject. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * For Node projects that import `R2Bucket` from `@cloudflare/workers-types` as a module: there,
 * `get()` promises Workers' `ReadableStream` and `Blob`, while ours (rightly) returns Node's, so
 * `const r2: R2Bucket = new native.R2Bucket()` does not type-check. `NodeR2Bucket<R2Bucket>` is
 * the Workers type with `get` taken from this package; everything else is checked against the
 * Workers declarations:
 *
 *     import type { R2Bucket } from '@cloudflare/workers-types'
 *     const r2: NodeR2Bucket<R2Bucket> = new native.R2Bucket()
 */
export type NodeR2Bucket<Workers> = Omit<Workers, 'get'> & Pick<R2Bucket, 'get'>

export interface R2Limits {
  maxKeyBytes: number
  maxObjectBytes: number
  maxCustomMetadataBytes: number
  maxListKeys: number
  maxPartNumber: number
  minPartBytes: number
}
