'use strict'
// Native errors arrive as plain `Error`s whose message is `\x01<code>\x01<class>\x01<text>`
// (see src/error.rs). Rebuild them as the class Cloudflare throws, with a stable `code`.

const CLASSES = { Error, TypeError, RangeError, SyntaxError }
const MARK = '\u0001'

function fromNative(e) {
  const raw = e && e.message
  if (typeof raw !== 'string' || raw[0] !== MARK) return e
  const second = raw.indexOf(MARK, 1)
  const third = raw.indexOf(MARK, second + 1)
  const code = raw.slice(1, second)
  const Class = CLASSES[raw.slice(second + 1, third)] || Error
  const err = new Class(raw.slice(third + 1))
  err.code = code
  return err
}

module.exports = { fromNative }
