//! `R2Bucket` (raw): converts arguments to the engine's option types and results to JSON text
//! (one string crosses the boundary, the shim in `lib/r2.js` builds `R2Object`s from it).
//! Metadata reads run on the JS thread (an index lookup is cheaper than a thread hop); writes,
//! body reads of large objects and deletes run on the libuv pool and resolve a Promise.

use crate::clock::ManualClock;
use crate::error::OrJs;
use crate::r2_stream::{R2Body, R2Writer, Sink};
use crate::task::{blocking, Done, MaybeText, Text};
use edgebase_engine::r2::{
  self, Algorithm, BucketOptions, ConditionalHeaders, ConditionalObject, DigestInput, GetOptions, GetResult,
  HttpMetadata, ListOptions, MultipartOptions, ObjectMeta, OnlyIf, PutOptions, RangeInput, RangeObject,
  UploadedPart,
};
use edgebase_engine::Clock;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::path::Path;
use std::sync::Arc;

/// Bodies up to this size are read with the metadata, on the JS thread.
const INLINE_BODY_BYTES: u64 = 64 * 1024;

#[napi(object)]
pub struct R2Options {
  /// Directory of persisted stores; omitted = in-memory, private to this object.
  pub persist: Option<String>,
  /// The bucket's name (directory `<persist>/r2/<name>/`); default `"default"`.
  pub name: Option<String>,
  /// fsync every write (survives power loss, not only a killed process).
  pub fsync: Option<bool>,
  /// Minimum size of a multipart part other than the last; default 5 MiB.
  pub min_part_size: Option<f64>,
}

/// `onlyIf`, flattened: `headers` says which half is meant.
#[napi(object)]
pub struct ConditionalJs {
  pub headers: Option<bool>,
  pub etag_matches: Option<String>,
  pub etag_does_not_match: Option<String>,
  pub uploaded_before: Option<f64>,
  pub uploaded_after: Option<f64>,
  pub seconds_granularity: Option<bool>,
  pub if_match: Option<String>,
  pub if_none_match: Option<String>,
  pub if_modified_since: Option<String>,
  pub if_unmodified_since: Option<String>,
}

/// `range`, flattened: with `headers`, `header` is the Range header (if any).
#[napi(object)]
pub struct RangeJs {
  pub headers: Option<bool>,
  pub offset: Option<f64>,
  pub length: Option<f64>,
  pub suffix: Option<f64>,
  pub header: Option<String>,
}

/// `httpMetadata`, flattened: with `headers`, `expires` is the Expires header.
#[napi(object)]
pub struct HttpMetadataJs {
  pub headers: Option<bool>,
  pub content_type: Option<String>,
  pub content_language: Option<String>,
  pub content_disposition: Option<String>,
  pub content_encoding: Option<String>,
  pub cache_control: Option<String>,
  pub cache_expiry: Option<f64>,
  pub expires: Option<String>,
}

#[napi(object)]
pub struct GetOptionsJs {
  pub only_if: Option<ConditionalJs>,
  pub range: Option<RangeJs>,
  pub ssec_key: Option<Either<String, Uint8Array>>,
}

#[napi(object)]
pub struct PutOptionsJs {
  pub only_if: Option<ConditionalJs>,
  pub http_metadata: Option<HttpMetadataJs>,
  pub custom_keys: Option<Vec<String>>,
  pub custom_values: Option<Vec<String>>,
  pub md5: Option<Either<String, Uint8Array>>,
  pub sha1: Option<Either<String, Uint8Array>>,
  pub sha256: Option<Either<String, Uint8Array>>,
  pub sha384: Option<Either<String, Uint8Array>>,
  pub sha512: Option<Either<String, Uint8Array>>,
  pub storage_class: Option<String>,
  pub ssec_key: Option<Either<String, Uint8Array>>,
}

#[napi(object)]
pub struct ListOptionsJs {
  pub limit: Option<f64>,
  pub prefix: Option<String>,
  pub cursor: Option<String>,
  pub delimiter: Option<String>,
  pub start_after: Option<String>,
  pub include: Option<Vec<String>>,
}

#[napi(object)]
pub struct PartJs {
  pub part_number: f64,
  pub etag: String,
}

/// A `get` result: `status` 0 = missing, 1 = precondition failed, 2 = found. A found body is
/// either `bytes` (small objects) or `reader`.
#[napi(object, object_from_js = false)]
pub struct GetJs {
  pub status: u32,
  pub meta: Option<String>,
  pub offset: f64,
  pub length: f64,
  pub bytes: Option<Buffer>,
  pub reader: Option<R2Body>,
}

fn digest(v: Either<String, Uint8Array>) -> DigestInput {
  match v {
    Either::A(s) => DigestInput::Hex(s),
    Either::B(b) => DigestInput::Bytes(b.to_vec()),
  }
}

fn only_if(c: ConditionalJs) -> OnlyIf {
  if c.headers.unwrap_or(false) {
    OnlyIf::Headers(ConditionalHeaders {
      if_match: c.if_match,
      if_none_match: c.if_none_match,
      if_modified_since: c.if_modified_since,
      if_unmodified_since: c.if_unmodified_since,
    })
  } else {
    OnlyIf::Object(ConditionalObject {
      etag_matches: c.etag_matches,
      etag_does_not_match: c.etag_does_not_match,
      uploaded_before: c.uploaded_before,
      uploaded_after: c.uploaded_after,
      seconds_granularity: c.seconds_granularity.unwrap_or(false),
    })
  }
}

fn http_metadata(h: HttpMetadataJs) -> HttpMetadata {
  if h.headers.unwrap_or(false) {
    HttpMetadata::from_headers(
      h.content_type,
      h.content_language,
      h.content_disposition,
      h.content_encoding,
      h.cache_control,
      h.expires.as_deref(),
    )
  } else {
    HttpMetadata {
      content_type: h.content_type,
      content_language: h.content_language,
      content_disposition: h.content_disposition,
      content_encoding: h.content_encoding,
      cache_control: h.cache_control,
      cache_expiry: h.cache_expiry,
    }
  }
}

fn custom(keys: Option<Vec<String>>, values: Option<Vec<String>>) -> Vec<(String, String)> {
  keys
    .unwrap_or_default()
    .into_iter()
    .zip(values.unwrap_or_default())
    .collect()
}

fn put_options(o: Option<PutOptionsJs>) -> PutOptions {
  let Some(o) = o else { return PutOptions::default() };
  let mut checksums = Vec::new();
  for (a, v) in [
    (Algorithm::Md5, o.md5),
    (Algorithm::Sha1, o.sha1),
    (Algorithm::Sha256, o.sha256),
    (Algorithm::Sha384, o.sha384),
    (Algorithm::Sha512, o.sha512),
  ] {
    if let Some(v) = v {
      checksums.push((a, digest(v)));
    }
  }
  PutOptions {
    only_if: o.only_if.map(only_if),
    http_metadata: o.http_metadata.map(http_metadata).unwrap_or_default(),
    custom_metadata: custom(o.custom_keys, o.custom_values),
    checksums,
    storage_class: o.storage_class,
    ssec_key: o.ssec_key.map(digest),
  }
}

/// Appends `v` as a JSON string.
fn push_json(out: &mut String, v: &str) {
  // Most keys and values need no escaping: copy them straight in.
  if v.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
    out.push('"');
    out.push_str(v);
    out.push('"');
  } else {
    out.push_str(&serde_json::to_string(v).unwrap_or_else(|_| "\"\"".into()));
  }
}

/// The result object as JSON: `R2Object`'s fields, checksums as hex, metadata as objects (in
/// the caller's order), `uploaded` and `cacheExpiry` as epoch milliseconds.
fn meta_json(m: &ObjectMeta, out: &mut String) {
  use std::fmt::Write;
  out.push_str("{\"key\":");
  push_json(out, &m.key);
  let _ = write!(
    out,
    ",\"version\":\"{}\",\"size\":{},\"etag\":",
    m.version, m.size
  );
  push_json(out, &m.etag);
  let _ = write!(out, ",\"uploaded\":{},\"storageClass\":", m.uploaded);
  push_json(out, &m.storage_class);
  out.push_str(",\"checksums\":{");
  let mut sep = "";
  for a in Algorithm::ALL {
    if let Some(h) = m.checksums.get(a) {
      let _ = write!(out, "{sep}\"{}\":\"{h}\"", a.field());
      sep = ",";
    }
  }
  out.push_str("},\"httpMetadata\":{");
  let h = &m.http_metadata;
  let mut sep = "";
  for ((name, _), v) in r2::HTTP_TEXT_FIELDS.iter().zip(h.texts()) {
    if let Some(v) = v {
      let _ = write!(out, "{sep}\"{name}\":");
      push_json(out, v);
      sep = ",";
    }
  }
  if let Some(ms) = h.cache_expiry {
    // An invalid Date arrives as NaN; JSON has no NaN, so it travels as null.
    if ms.is_finite() {
      let _ = write!(out, "{sep}\"cacheExpiry\":{ms}");
    } else {
      let _ = write!(out, "{sep}\"cacheExpiry\":null");
    }
  }
  out.push_str("},\"customMetadata\":{");
  for (i, (k, v)) in m.custom_metadata.iter().enumerate() {
    if i > 0 {
      out.push(',');
    }
    push_json(out, k);
    out.push(':');
    push_json(out, v);
  }
  out.push_str("}}");
}

pub(crate) fn to_json(m: &ObjectMeta) -> String {
  let mut out = String::with_capacity(320);
  meta_json(m, &mut out);
  out
}

#[napi(js_name = "R2BucketNative")]
pub struct R2Bucket {
  pub(crate) inner: Arc<r2::R2Bucket>,
}

#[napi]
impl R2Bucket {
  #[napi(constructor, catch_unwind)]
  pub fn new(options: Option<R2Options>, clock: Option<&ManualClock>) -> Result<Self> {
    let options = options.unwrap_or(R2Options {
      persist: None,
      name: None,
      fsync: None,
      min_part_size: None,
    });
    let name = options.name.as_deref().unwrap_or("default");
    let clock = clock.map(|c| c.clock.clone()).unwrap_or(Clock::System);
    let mut bucket_options = BucketOptions {
      fsync: options.fsync.unwrap_or(false),
      ..Default::default()
    };
    if let Some(m) = options.min_part_size.filter(|m| m.is_finite() && *m >= 0.0) {
      bucket_options.min_part_bytes = m as u64;
    }
    let inner = match options.persist.as_deref() {
      Some(dir) => r2::R2Bucket::persistent(Path::new(dir), name, clock, bucket_options),
      None => r2::R2Bucket::in_memory(name, clock, bucket_options),
    }
    .or_js()?;
    Ok(R2Bucket {
      inner: Arc::new(inner),
    })
  }

  #[napi(catch_unwind)]
  pub fn head(&self, key: String) -> Result<Option<String>> {
    Ok(self.inner.head(&key).or_js()?.as_ref().map(to_json))
  }

  #[napi(catch_unwind)]
  pub fn get(&self, env: Env, key: String, options: Option<GetOptionsJs>) -> Result<GetJs> {
    let o = match options {
      Some(o) => GetOptions {
        only_if: o.only_if.map(only_if),
        range: o.range.map(|r| {
          if r.headers.unwrap_or(false) {
            RangeInput::Header(r.header)
          } else {
            RangeInput::Object(RangeObject {
              offset: r.offset,
              length: r.length,
              suffix: r.suffix,
            })
          }
        }),
        ssec_key: o.ssec_key.map(digest),
      },
      None => GetOptions::default(),
    };
    let mut out = GetJs {
      status: 0,
      meta: None,
      offset: 0.0,
      length: 0.0,
      bytes: None,
      reader: None,
    };
    match self.inner.get(&key, &o).or_js()? {
      GetResult::Missing => {}
      GetResult::PreconditionFailed(meta) => {
        out.status = 1;
        out.meta = Some(to_json(&meta));
        out.length = meta.size as f64;
      }
      GetResult::Found {
        meta,
        range,
        mut body,
      } => {
        out.status = 2;
        out.meta = Some(to_json(&meta));
        out.offset = range.offset as f64;
        out.length = range.length as f64;
        if range.length <= INLINE_BODY_BYTES {
          out.bytes = Some(body.read(range.length as usize).or_js()?.into());
        } else {
          out.reader = Some(R2Body::new(&env, body));
        }
      }
    }
    Ok(out)
  }

  /// A whole body already in memory (a string or bytes; `null` is empty).
  #[napi(catch_unwind, ts_return_type = "Promise<string | null>")]
  pub fn put(
    &self,
    key: String,
    body: Option<Either<String, Uint8Array>>,
    options: Option<PutOptionsJs>,
  ) -> Result<AsyncTask<MaybeText>> {
    let bytes: Vec<u8> = match body {
      Some(Either::A(s)) => s.into_bytes(),
      Some(Either::B(b)) => b.to_vec(),
      None => Vec::new(),
    };
    let prepared = self
      .inner
      .prepare_put(&key, put_options(options), Some(bytes.len() as u64))
      .or_js()?;
    let inner = self.inner.clone();
    Ok(blocking(move || {
      let mut w = inner.start_put(prepared).or_js()?;
      w.write(&bytes).or_js()?;
      Ok(w.finish().or_js()?.as_ref().map(to_json))
    }))
  }

  /// A put whose body arrives in chunks (`R2Writer.write`, then `finish`).
  #[napi(catch_unwind)]
  pub fn put_stream(&self, key: String, options: Option<PutOptionsJs>) -> Result<R2Writer> {
    let prepared = self.inner.prepare_put(&key, put_options(options), None).or_js()?;
    let w = self.inner.start_put(prepared).or_js()?;
    Ok(R2Writer::new(Sink::Put(Box::new(w))))
  }

  #[napi(catch_unwind, ts_return_type = "Promise<void>")]
  pub fn delete(&self, keys: Vec<String>) -> Result<AsyncTask<Done>> {
    let inner = self.inner.clone();
    // Key checks first, so that a bad key rejects before any work is queued.
    for k in &keys {
      r2::validate_key(k, r2::Action::Delete).or_js()?;
    }
    Ok(blocking(move || inner.delete(&keys).or_js()))
  }

  /// `{objects: [json...], delimitedPrefixes, truncated, cursor?}` as one JSON text.
  #[napi(catch_unwind)]
  pub fn list(&self, options: Option<ListOptionsJs>) -> Result<String> {
    let o = match options {
      Some(o) => ListOptions {
        limit: o.limit,
        prefix: o.prefix,
        cursor: o.cursor,
        delimiter: o.delimiter,
        start_after: o.start_after,
        include: o.include.unwrap_or_default(),
      },
      None => ListOptions::default(),
    };
    let page = self.inner.list(&o).or_js()?;
    let mut out = String::with_capacity(64 + page.objects.len() * 320);
    out.push_str("{\"objects\":[");
    for (i, m) in page.objects.iter().enumerate() {
      if i > 0 {
        out.push(',');
      }
      meta_json(m, &mut out);
    }
    out.push_str("],\"delimitedPrefixes\":");
    out.push_str(&serde_json::to_string(&page.delimited_prefixes).unwrap_or_else(|_| "[]".into()));
    out.push_str(if page.truncated {
      ",\"truncated\":true"
    } else {
      ",\"truncated\":false"
    });
    if let Some(c) = &page.cursor {
      out.push_str(",\"cursor\":");
      out.push_str(&serde_json::to_string(c).unwrap_or_default());
    }
    out.push('}');
    Ok(out)
  }

  #[napi(catch_unwind, ts_return_type = "Promise<string>")]
  pub fn create_multipart_upload(
    &self,
    key: String,
    http: Option<HttpMetadataJs>,
    custom_keys: Option<Vec<String>>,
    custom_values: Option<Vec<String>>,
    storage_class: Option<String>,
    ssec_key: Option<Either<String, Uint8Array>>,
  ) -> Result<AsyncTask<Text>> {
    let o = MultipartOptions {
      http_metadata: http.map(http_metadata).unwrap_or_default(),
      custom_metadata: custom(custom_keys, custom_values),
      storage_class,
      ssec_key: ssec_key.map(digest),
    };
    if let Some(k) = &o.ssec_key {
      r2::validate_ssec(k).or_js()?;
    }
    let inner = self.inner.clone();
    Ok(blocking(move || inner.create_multipart_upload(&key, o).or_js()))
  }

  /// A part in chunks: `R2Writer.write`, then `finishPart`.
  #[napi(catch_unwind)]
  pub fn upload_part_stream(
    &self,
    key: String,
    upload_id: String,
    part_number: f64,
    ssec_key: Option<Either<String, Uint8Array>>,
  ) -> Result<R2Writer> {
    let ssec = ssec_key.map(digest);
    let p = self
      .inner
      .prepare_part(&key, &upload_id, part_number, ssec.as_ref(), None)
      .or_js()?;
    Ok(R2Writer::new(Sink::Part(Box::new(
      self.inner.start_part(p).or_js()?,
    ))))
  }

  /// A whole part already in memory; resolves its etag.
  #[napi(catch_unwind, ts_return_type = "Promise<string>")]
  pub fn upload_part(
    &self,
    key: String,
    upload_id: String,
    part_number: f64,
    body: Option<Either<String, Uint8Array>>,
    ssec_key: Option<Either<String, Uint8Array>>,
  ) -> Result<AsyncTask<Text>> {
    let bytes: Vec<u8> = match body {
      Some(Either::A(s)) => s.into_bytes(),
      Some(Either::B(b)) => b.to_vec(),
      None => Vec::new(),
    };
    let ssec = ssec_key.map(digest);
    let p = self
      .inner
      .prepare_part(
        &key,
        &upload_id,
        part_number,
        ssec.as_ref(),
        Some(bytes.len() as u64),
      )
      .or_js()?;
    let inner = self.inner.clone();
    Ok(blocking(move || {
      let mut w = inner.start_part(p).or_js()?;
      w.write(&bytes).or_js()?;
      Ok(w.finish().or_js()?.etag)
    }))
  }

  #[napi(catch_unwind, ts_return_type = "Promise<string>")]
  pub fn complete_multipart_upload(
    &self,
    key: String,
    upload_id: String,
    parts: Vec<PartJs>,
  ) -> Result<AsyncTask<Text>> {
    let parts = parts
      .into_iter()
      .map(|p| {
        Ok(UploadedPart {
          part_number: r2::validate_part_number(p.part_number).or_js()?,
          etag: p.etag,
        })
      })
      .collect::<Result<Vec<_>>>()?;
    let inner = self.inner.clone();
    Ok(blocking(move || {
      Ok(to_json(
        &inner
          .complete_multipart_upload(&key, &upload_id, &parts)
          .or_js()?,
      ))
    }))
  }

  #[napi(catch_unwind, ts_return_type = "Promise<void>")]
  pub fn abort_multipart_upload(&self, key: String, upload_id: String) -> Result<AsyncTask<Done>> {
    let inner = self.inner.clone();
    Ok(blocking(move || {
      inner.abort_multipart_upload(&key, &upload_id).or_js()
    }))
  }

  /// Releases the directory once no other handle in the process uses it.
  #[napi(ts_return_type = "Promise<void>")]
  pub fn close(&self) -> AsyncTask<Done> {
    let inner = self.inner.clone();
    blocking(move || {
      inner.close();
      Ok(())
    })
  }

  #[napi(getter)]
  pub fn is_open(&self) -> bool {
    self.inner.is_open()
  }

  #[napi(getter)]
  pub fn name(&self) -> String {
    self.inner.name().to_string()
  }
}
