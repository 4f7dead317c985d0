'use strict'
// Web streams in and out of the bindings: values are buffered in native memory, so streams are
// built from (and drained into) whole byte arrays.

/** A byte `ReadableStream` over `bytes` (an ArrayBuffer or a view). */
function streamOf(bytes) {
  const chunk = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  return new ReadableStream({
    type: 'bytes',
    start(controller) {
      if (chunk.byteLength > 0) controller.enqueue(chunk)
      controller.close()
    },
  })
}

function isReadableStream(v) {
  return typeof ReadableStream !== 'undefined' && v instanceof ReadableStream
}

/**
 * Reads a stream of byte chunks into one Uint8Array. Stops (and cancels the stream) once more
 * than `limit` bytes arrived, returning what it read so the caller reports the size error.
 */
async function drain(stream, limit) {
  const reader = stream.getReader()
  const chunks = []
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (!ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer)) {
        throw new TypeError('This TransformStream is being used as a byte stream, but received an object of non-ArrayBuffer/ArrayBufferView type on its writable side.')
      }
      const bytes = value instanceof Uint8Array ? value : ArrayBuffer.isView(value)
        ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
        : new Uint8Array(value)
      chunks.push(bytes)
      total += bytes.byteLength
      if (total > limit) {
        await reader.cancel().catch(() => {})
        break
      }
    }
  } finally {
    reader.releaseLock()
  }
  return concat(chunks, total)
}

/** `chunks` (totalling `total` bytes) as one Uint8Array; a single chunk is returned as is. */
function concat(chunks, total) {
  if (chunks.length === 1) return chunks[0]
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}

module.exports = { streamOf, isReadableStream, drain, concat }
