// Miniflare 4 has no local Vectorize: its binding is workerd's real client wrapper over a remote
// proxy. That wrapper's client-side checks still run locally, so they are the oracle for ours
// (returnMetadata validation and in-place rewrite); everything else fails "needs to be run remotely".
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { native } from './helpers'

const SCRIPT = `
export default {
  async fetch(request, env) {
    const v = [1, 0, 0]
    const run = async (f) => { try { return { ok: await f() } } catch (e) { return { error: e.constructor.name, message: e.message } } }
    const rewrite = async (value) => { const o = { returnMetadata: value }; await run(() => env.VEC.query(v, o)); return o.returnMetadata }
    return Response.json({
      invalid: await run(() => env.VEC.query(v, { returnMetadata: 'some' })),
      invalidById: await run(() => env.VEC.queryById('a', { returnMetadata: 'ALL' })),
      invalidNumber: await run(() => env.VEC.query(v, { returnMetadata: 1 })),
      rewrites: [await rewrite(true), await rewrite(false), await rewrite('indexed'), await rewrite(0)],
      describe: await run(() => env.VEC.describe()),
      insert: await run(() => env.VEC.insert([{ id: 'a', values: v }])),
    })
  },
}`

describe('against Miniflare 4 (workerd\'s Vectorize client, no remote)', () => {
  let mf: Miniflare
  let theirs: Record<string, unknown>
  beforeAll(async () => {
    mf = new Miniflare({ modules: true, script: SCRIPT, vectorize: { VEC: { index_name: 'local' } } })
    theirs = (await (await mf.dispatchFetch('http://localhost/')).json()) as Record<string, unknown>
  })
  afterAll(async () => {
    await mf?.dispose()
  })

  async function ours() {
    const ix = new native.VectorizeIndex({ dimensions: 3 })
    const v = [1, 0, 0]
    const run = async (f: () => Promise<unknown>) => {
      try {
        return { ok: await f() }
      } catch (e) {
        return { error: (e as Error).constructor.name, message: (e as Error).message }
      }
    }
    const rewrite = async (value: unknown) => {
      const o = { returnMetadata: value }
      await run(() => ix.query(v, o as never))
      return o.returnMetadata
    }
    return {
      invalid: await run(() => ix.query(v, { returnMetadata: 'some' as never })),
      invalidById: await run(() => ix.queryById('a', { returnMetadata: 'ALL' as never })),
      invalidNumber: await run(() => ix.query(v, { returnMetadata: 1 as never })),
      rewrites: [await rewrite(true), await rewrite(false), await rewrite('indexed'), await rewrite(0)],
    }
  }

  it('1, 2, 3: returnMetadata validation texts and the in-place rewrite match workerd exactly', async () => {
    const mine = await ours()
    expect(mine.invalid).toEqual(theirs.invalid)
    expect(mine.invalidById).toEqual(theirs.invalidById)
    expect(mine.invalidNumber).toEqual(theirs.invalidNumber)
    expect(mine.rewrites).toEqual(theirs.rewrites)
    expect(theirs.rewrites).toEqual(['all', false, 'indexed', 0])
  })

  it('44: every other call fails locally with "needs to be run remotely" (what we improve on)', () => {
    for (const k of ['describe', 'insert']) {
      expect(theirs[k]).toMatchObject({ error: 'Error' })
      expect((theirs[k] as { message: string }).message).toMatch(/needs to be run remotely/)
    }
  })
})
