// Ambient Workers setup: our V2 class is assignable to workers-types' `Vectorize`. The global
// `VectorizeIndex` is the deprecated V1 beta shape (describe() details, { ids, count } mutations):
// only its query/getByIds members are shared with V2.
import * as native from '../../../index.js'

const v2: Vectorize = new native.VectorizeIndex({ dimensions: 768, metric: 'cosine' })
const alias: Vectorize = new native.Vectorize({ persist: '.edgebase', name: 'emb' })
// @ts-expect-error — V1 (beta) mutations return { ids, count } and describe() returns details.
const v1: VectorizeIndex = new native.VectorizeIndex({ dimensions: 3 })
const v1Shared: Pick<VectorizeIndex, 'query' | 'getByIds'> = new native.VectorizeIndex({ dimensions: 3 })
void [v2, alias, v1, v1Shared]
