// Module setup (a Node project importing workers-types next to @types/node): Vectorize has no Web
// types in its surface, so the V2 class is assignable as is.
import type { Vectorize, VectorizeIndex, VectorizeMatches } from '@cloudflare/workers-types/index.js'
import * as native from '../../../index.js'

const v2: Vectorize = new native.VectorizeIndex({ dimensions: 768, metric: 'cosine' })
const alias: Vectorize = new native.Vectorize({ dimensions: 3, metadataIndexes: [{ propertyName: 'genre', indexType: 'string' }] })
// @ts-expect-error — workers-types' VectorizeIndex is the V1 beta shape ({ ids, count } mutations).
const v1: VectorizeIndex = new native.VectorizeIndex({ dimensions: 3 })
const v1Shared: Pick<VectorizeIndex, 'query' | 'getByIds'> = new native.VectorizeIndex({ dimensions: 3 })

export async function usage(ix: native.VectorizeIndex): Promise<void> {
  const r: VectorizeMatches = await ix.query(new Float32Array(3), { topK: 3, returnMetadata: 'indexed', filter: { genre: { $in: ['a'] }, year: { $gte: 2000, $lt: 2010 } } })
  const m: string = (await ix.upsert([{ id: 'a', values: [1, 2, 3], metadata: { genre: 'a', nested: { x: 1 } } }])).mutationId
  const list = await ix.listMetadataIndexes()
  const t: 'string' | 'number' | 'boolean' | undefined = list.metadataIndexes[0]?.indexType
  await ix.createMetadataIndex('year', { type: 'number' })
  void [r, m, t, v2, alias, v1, v1Shared]
}
