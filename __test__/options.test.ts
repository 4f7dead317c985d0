// Constructor options shared by the persisted bindings (lib/options.js): a string is not options,
// non-string persist/name are TypeErrors that say so, and null means "not given".
import { describe, expect, it } from 'vitest'
import { native, tempDir } from './helpers'

const extra: Record<string, object> = { VectorizeIndex: { dimensions: 3, metric: 'cosine' } }
const classes = { R2Bucket: native.R2Bucket, VectorizeIndex: native.VectorizeIndex } as Record<string, new (o?: unknown) => { close(): Promise<void> }>

describe.each(Object.keys(classes))('%s constructor options', (name) => {
  const C = classes[name]
  const more = extra[name] ?? {}

  it('a string is not options', () => {
    expect(() => new C('uploads')).toThrow(new TypeError(`${name} options must be an object such as { persist: '.edgebase', name: 'app' }; got the string "uploads"`))
  })

  it('non-string persist and name are TypeErrors naming the option', () => {
    expect(() => new C({ persist: true, ...more })).toThrow(new TypeError(`${name} option "persist" must be a string, not boolean`))
    expect(() => new C({ persist: tempDir(), name: 7, ...more })).toThrow(new TypeError(`${name} option "name" must be a string, not number`))
  })

  it('null persist, name and clock mean absent (in-memory, default name)', async () => {
    const b = new C({ persist: null, name: null, clock: null, ...more })
    await b.close()
  })
})
