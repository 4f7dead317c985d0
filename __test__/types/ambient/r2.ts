// Ambient Workers setup: globals (ReadableStream, Blob, Headers) are the Workers ones, so our
// R2Bucket — get() with its body stream and blob() included — is assignable as it is.
import * as native from '../../../index.js'

const r2: R2Bucket = new native.R2Bucket()
const persisted: R2Bucket = new native.R2Bucket({ persist: '.edgebase', name: 'uploads', fsync: true, minPartSize: 5 })

export async function usage(b: native.R2Bucket): Promise<void> {
  const body: R2ObjectBody | null = await b.get('k')
  const stream: ReadableStream | undefined = body?.body
  const maybe: R2ObjectBody | R2Object | null = await b.get('k', { onlyIf: new Headers({ 'if-match': '"x"' }) })
  const put: R2Object = await b.put('k', 'v', { httpMetadata: new Headers(), sha256: new Uint8Array(32) })
  const page: R2Objects = await b.list({ include: ['customMetadata'] })
  const upload: R2MultipartUpload = await b.createMultipartUpload('m')
  const part: R2UploadedPart = await upload.uploadPart(1, new Blob(['x']))
  void [r2, persisted, stream, maybe, put, page, part]
}
