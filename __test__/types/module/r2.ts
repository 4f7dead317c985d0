// Module setup (a Node project importing workers-types next to @types/node): globals are Node's.
// Only get() differs: our R2ObjectBody's `body` is Node's ReadableStream and `blob()` Node's Blob,
// not the Workers ones. NodeR2Bucket<R2Bucket> swaps exactly that member.
import type { R2Bucket, R2Object } from '@cloudflare/workers-types/index.js'
import * as native from '../../../index.js'

// @ts-expect-error — get() returns Node's ReadableStream / Blob, not the Workers ones.
const direct: R2Bucket = new native.R2Bucket()
const helper: native.NodeR2Bucket<R2Bucket> = new native.R2Bucket()
const withoutGet: Omit<R2Bucket, 'get'> = new native.R2Bucket()

export async function usage(b: native.NodeR2Bucket<R2Bucket>): Promise<void> {
  const o = await b.get('k', { range: { suffix: 4 } })
  const stream: ReadableStream | undefined = o?.body
  const blob: Blob | undefined = await o?.blob()
  const put: R2Object | null = await b.put('k', new Uint8Array([1]))
  const page = await b.list({ prefix: 'a/', delimiter: '/' })
  const cursor: string | undefined = page.truncated ? page.cursor : undefined
  void [stream, blob, put, cursor, direct, helper, withoutGet]
}
