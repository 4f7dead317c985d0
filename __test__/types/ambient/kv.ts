// Ambient Workers setup: globals (ReadableStream, …) are the Workers ones, so every overload of
// KVNamespace — the "stream" ones included — must be matched by ours.
import * as native from '../../../index.js'

const kv: KVNamespace = new native.KVNamespace()
const typed: KVNamespace<'a' | 'b'> = new native.KVNamespace<'a' | 'b'>({ persist: '.edgebase', name: 'CACHE' })
void kv
void typed
