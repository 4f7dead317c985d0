// Vectorize (V2). Mirrors @cloudflare/workers-types' `Vectorize` class and its option/result
// types, so an instance is assignable to it; `VectorizeIndex` here is the same V2 class (the
// workers-types `VectorizeIndex` is the deprecated V1 beta shape).
import type { BindingOptions } from './common'

export type VectorizeVectorMetadataValue = string | number | boolean | string[]
export type VectorizeVectorMetadata = VectorizeVectorMetadataValue | Record<string, VectorizeVectorMetadataValue>
export type VectorFloatArray = Float32Array | Float64Array
export type VectorizeVectorMetadataFilterOp = '$eq' | '$ne' | '$lt' | '$lte' | '$gt' | '$gte'
export type VectorizeVectorMetadataFilterCollectionOp = '$in' | '$nin'
export type VectorizeVectorMetadataFilter = {
  [field: string]:
    | Exclude<VectorizeVectorMetadataValue, string[]>
    | null
    | { [Op in VectorizeVectorMetadataFilterOp]?: Exclude<VectorizeVectorMetadataValue, string[]> | null }
    | { [Op in VectorizeVectorMetadataFilterCollectionOp]?: Exclude<VectorizeVectorMetadataValue, string[]>[] }
}
export type VectorizeDistanceMetric = 'euclidean' | 'cosine' | 'dot-product'
export type VectorizeMetadataRetrievalLevel = 'all' | 'indexed' | 'none'
export interface VectorizeQueryOptions {
  topK?: number
  namespace?: string
  returnValues?: boolean
  returnMetadata?: boolean | VectorizeMetadataRetrievalLevel
  filter?: VectorizeVectorMetadataFilter
}
export interface VectorizeIndexInfo {
  vectorCount: number
  dimensions: number
  /**
   * Declared `number` as in workers-types; at run time, as in production, the ISO 8601 time of
   * the last applied mutation (a string), or `null` before the first one.
   */
  processedUpToDatetime: number
  /** Declared `number` as in workers-types; at run time the last applied mutation's id (a UUID string), or `null`. */
  processedUpToMutation: number
}
export interface VectorizeVector {
  id: string
  values: VectorFloatArray | number[]
  namespace?: string
  metadata?: Record<string, VectorizeVectorMetadata>
}
export type VectorizeMatch = Pick<Partial<VectorizeVector>, 'values'> & Omit<VectorizeVector, 'values'> & { score: number }
export interface VectorizeMatches {
  matches: VectorizeMatch[]
  count: number
}
export interface VectorizeAsyncMutation {
  mutationId: string
}

/** Types of a metadata index (Cloudflare's `indexType`). */
export type VectorizeMetadataIndexType = 'string' | 'number' | 'boolean'
/** One metadata index, as Cloudflare's REST API lists it. */
export interface VectorizeMetadataIndex {
  propertyName: string
  indexType: VectorizeMetadataIndexType
}

export interface VectorizeIndexOptions extends BindingOptions {
  /** 1 to 1536; required for a new index, checked against an existing persisted one. */
  dimensions?: number
  /** Default `"cosine"` for a new index; checked against an existing persisted one. */
  metric?: VectorizeDistanceMetric
  /** Metadata indexes to create when missing (vectors written before one exists are not in it). */
  metadataIndexes?: VectorizeMetadataIndex[]
}

/**
 * Vectorize V2: exact search over float32 vectors, in memory or in `<persist>/vectorize/<name>.redb`.
 * Mutations resolve once durable and are visible to the next query.
 */
export declare class VectorizeIndex {
  constructor(options: VectorizeIndexOptions)
  describe(): Promise<VectorizeIndexInfo>
  query(vector: VectorFloatArray | number[], options?: VectorizeQueryOptions): Promise<VectorizeMatches>
  queryById(vectorId: string, options?: VectorizeQueryOptions): Promise<VectorizeMatches>
  /** Vectors whose id is already stored are skipped. */
  insert(vectors: VectorizeVector[]): Promise<VectorizeAsyncMutation>
  /** Stored vectors are replaced completely (values, namespace and metadata). */
  upsert(vectors: VectorizeVector[]): Promise<VectorizeAsyncMutation>
  deleteByIds(ids: string[]): Promise<VectorizeAsyncMutation>
  getByIds(ids: string[]): Promise<VectorizeVector[]>
  /** Non-standard admin API (Cloudflare's REST `metadata_index/create`); `propertyName` may be dotted. */
  createMetadataIndex(propertyName: string, options: { type: VectorizeMetadataIndexType }): Promise<VectorizeAsyncMutation>
  /** Non-standard admin API (Cloudflare's REST `metadata_index/delete`). */
  deleteMetadataIndex(propertyName: string): Promise<VectorizeAsyncMutation>
  /** Non-standard admin API (Cloudflare's REST `metadata_index/list`). */
  listMetadataIndexes(): Promise<{ metadataIndexes: VectorizeMetadataIndex[] }>
  /** Releases the file once no other instance in this process uses it; later calls reject. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/** The same class as `VectorizeIndex`, under workers-types' V2 name. */
export declare const Vectorize: typeof VectorizeIndex
export type Vectorize = VectorizeIndex

export interface VectorizeLimits {
  minDimensions: number
  maxDimensions: number
  maxIdBytes: number
  maxNamespaceBytes: number
  maxMetadataBytes: number
  maxBatchVectors: number
  defaultTopK: number
  maxTopK: number
  maxTopKWithData: number
  maxMetadataIndexes: number
  indexedStringBytes: number
  maxFilterBytes: number
}
