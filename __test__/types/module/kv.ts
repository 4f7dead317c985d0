// Module setup (a Node project importing workers-types next to @types/node): globals are Node's.
// Everything but the "stream" forms is assignable; those return Node's ReadableStream, which is
// not the Workers one (its BYOB reader lacks `readAtLeast`).
import type { KVNamespace } from '@cloudflare/workers-types/index.js'
import * as native from '../../../index.js'

// @ts-expect-error — only the "stream" overloads differ (Node vs Workers ReadableStream).
const kv: KVNamespace = new native.KVNamespace()
const withoutStreams: Omit<KVNamespace, 'get' | 'getWithMetadata'> = new native.KVNamespace()

export async function usage(ns: native.KVNamespace): Promise<void> {
  const text: string | null = await ns.get('k')
  const json: { a: number } | null = await ns.get<{ a: number }>('k', 'json')
  const bulk: Map<string, string | null> = await ns.get(['a', 'b'])
  const stream: ReadableStream | null = await ns.get('k', 'stream')
  const page = await ns.list<{ tag: string }>({ prefix: 'a' })
  const cursor: string | undefined = page.list_complete ? undefined : page.cursor
  void [text, json, bulk, stream, cursor, kv, withoutStreams]
}
