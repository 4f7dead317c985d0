//! R2 semantics: keys, objects, conditional and ranged reads, checksums, listing and multipart
//! uploads, over a metadata index (`index`) and immutable blob files (`blobs`).
//!
//! The API streams: `prepare_put` validates, `PutWriter::write` takes the body chunk by chunk,
//! `finish` commits; `get` hands back a `Body` read chunk by chunk. Nothing holds a whole object
//! in memory unless the caller asks for it.

mod blobs;
mod checksum;
mod conditional;
mod error;
mod index;
mod list;
mod md5;
mod multipart;
mod object;
mod range;

pub use checksum::{decode_hex, encode_hex, DigestInput};
pub use conditional::{Conditional, ConditionalHeaders, ConditionalObject, Etag};
pub use error::{Action, Algorithm, DateProblem, R2Error};
pub use list::{ListOptions, ListPage};
pub use md5::digest as md5_digest;
pub use multipart::{validate_part_number, MultipartOptions, PartWriter, PreparedPart, UploadedPart};
pub use object::{
  custom_metadata_size, format_http_date, parse_http_date, Checksums, CustomMetadata, HttpMetadata,
  ObjectMeta, HTTP_TEXT_FIELDS,
};
pub use range::{parse_range_header, ByteRange, RangeObject, RangeRequest};

use crate::clock::Clock;
use crate::error::StorageError;
use crate::limits::r2::*;
use crate::persist::{self, Registry, Shared};
use blobs::{BlobSource, BlobWriter, Blobs};
use checksum::Hasher;
use index::Index;
use object::Segment;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, RwLock};

static OPEN: Registry<R2Store> = Registry::new();

/// Chunks at least this large are hashed and written in parallel.
const PARALLEL_CHUNK: usize = 256 * 1024;

const KIND: &str = "R2 bucket";
const DEFAULT_STORAGE_CLASS: &str = "Standard";

/// The files (or memory) behind a bucket, shared by every handle on it in this process.
pub struct R2Store {
  index: Mutex<Index>,
  blobs: Blobs,
  path: Option<PathBuf>,
}

impl R2Store {
  fn memory() -> Result<Self, StorageError> {
    Ok(R2Store {
      index: Mutex::new(Index::memory()?),
      blobs: Blobs::memory(),
      path: None,
    })
  }

  /// `dir` is the bucket directory. After an unclean shutdown, temp files and blobs the index
  /// does not reference (a write or delete cut short) are removed.
  fn open_dir(dir: &Path, fsync: bool) -> Result<Self, StorageError> {
    std::fs::create_dir_all(dir).map_err(|e| StorageError::from(e).at(dir))?;
    let (index, clean) = Index::file(&dir.join("index.sqlite"), fsync)?;
    let blobs = Blobs::disk(dir, fsync).map_err(|e| StorageError::from(e).at(dir))?;
    if !clean {
      let referenced = index.referenced_blobs().map_err(StorageError::engine)?;
      blobs
        .sweep(&referenced)
        .map_err(|e| StorageError::from(e).at(dir))?;
    }
    Ok(R2Store {
      index: Mutex::new(index),
      blobs,
      path: Some(dir.into()),
    })
  }

  fn index(&self) -> MutexGuard<'_, Index> {
    self.index.lock().unwrap_or_else(|p| p.into_inner())
  }

  /// The bucket directory (persisted buckets).
  pub fn path(&self) -> Option<&Path> {
    self.path.as_deref()
  }
}

impl Drop for R2Store {
  fn drop(&mut self) {
    if self.path.is_some() {
      let _ = self.index().set_clean(true);
    }
  }
}

/// Options of a bucket handle.
#[derive(Clone, Debug)]
pub struct BucketOptions {
  /// fsync blobs and the index on every write (survives power loss, not only a killed process).
  pub fsync: bool,
  /// The minimum size of a multipart part other than the last (R2: 5 MiB; lower it in tests).
  pub min_part_bytes: u64,
}

impl Default for BucketOptions {
  fn default() -> Self {
    BucketOptions {
      fsync: false,
      min_part_bytes: MIN_PART_BYTES,
    }
  }
}

/// `onlyIf`, as an object or as conditional headers.
#[derive(Clone, Debug)]
pub enum OnlyIf {
  Object(ConditionalObject),
  Headers(ConditionalHeaders),
}

impl OnlyIf {
  fn parse(&self) -> Result<Conditional, R2Error> {
    match self {
      OnlyIf::Object(o) => Conditional::from_object(o),
      OnlyIf::Headers(h) => Conditional::from_headers(h),
    }
  }
}

/// `range`, as an object or as a `Range` header (`None` when the Headers lack one).
#[derive(Clone, Debug)]
pub enum RangeInput {
  Object(RangeObject),
  Header(Option<String>),
}

#[derive(Clone, Debug, Default)]
pub struct GetOptions {
  pub only_if: Option<OnlyIf>,
  pub range: Option<RangeInput>,
  pub ssec_key: Option<DigestInput>,
}

#[derive(Clone, Debug, Default)]
pub struct PutOptions {
  pub only_if: Option<OnlyIf>,
  pub http_metadata: HttpMetadata,
  pub custom_metadata: CustomMetadata,
  /// Expected digests as given; at most one is allowed.
  pub checksums: Vec<(Algorithm, DigestInput)>,
  pub storage_class: Option<String>,
  pub ssec_key: Option<DigestInput>,
}

/// What `get` found.
pub enum GetResult {
  Missing,
  /// The object exists but `onlyIf` does not hold: metadata only.
  PreconditionFailed(ObjectMeta),
  Found {
    meta: ObjectMeta,
    range: ByteRange,
    body: Body,
  },
}

/// One `R2Bucket` binding.
pub struct R2Bucket {
  name: String,
  clock: Clock,
  options: BucketOptions,
  store: RwLock<Option<Shared<R2Store>>>,
}

impl R2Bucket {
  /// An in-memory bucket private to this handle.
  pub fn in_memory(name: &str, clock: Clock, options: BucketOptions) -> Result<Self, R2Error> {
    let store = Shared::private(R2Store::memory()?);
    Ok(Self::with_store(name, clock, options, store))
  }

  /// `<dir>/r2/<name>/`, shared with every other handle on it in this process.
  pub fn persistent(dir: &Path, name: &str, clock: Clock, options: BucketOptions) -> Result<Self, R2Error> {
    let path = persist::store_path(dir, "r2", KIND, name, "")?;
    let fsync = options.fsync;
    let store = OPEN.get_or_open(&path, |p| R2Store::open_dir(p, fsync))?;
    Ok(Self::with_store(name, clock, options, store))
  }

  fn with_store(name: &str, clock: Clock, options: BucketOptions, store: Shared<R2Store>) -> Self {
    R2Bucket {
      name: name.into(),
      clock,
      options,
      store: RwLock::new(Some(store)),
    }
  }

  pub fn name(&self) -> &str {
    &self.name
  }

  pub fn is_open(&self) -> bool {
    self.store.read().map(|s| s.is_some()).unwrap_or(false)
  }

  /// Releases this handle's share of the store. Idempotent. Bodies still being read keep the
  /// files open until they finish.
  pub fn close(&self) {
    let store = self.store.write().unwrap_or_else(|p| p.into_inner()).take();
    drop(store);
  }

  fn store(&self) -> Result<Shared<R2Store>, R2Error> {
    let guard = self.store.read().unwrap_or_else(|p| p.into_inner());
    guard.clone().ok_or_else(|| {
      R2Error::Storage(StorageError::Closed {
        kind: KIND,
        name: self.name.clone(),
      })
    })
  }

  pub fn head(&self, key: &str) -> Result<Option<ObjectMeta>, R2Error> {
    validate_key(key, Action::Head)?;
    let store = self.store()?;
    let found = store.index().object(key)?;
    Ok(found)
  }

  /// Looks the object up and pins its bytes; reading the body never blocks writers.
  pub fn get(&self, key: &str, o: &GetOptions) -> Result<GetResult, R2Error> {
    // Client-side checks first, in workerd's order.
    let cond = o.only_if.as_ref().map(OnlyIf::parse).transpose()?;
    let range = match &o.range {
      Some(RangeInput::Object(r)) => Some(r.validate()?),
      Some(RangeInput::Header(Some(h))) => Some(RangeRequest::Header(h.clone())),
      Some(RangeInput::Header(None)) | None => None,
    };
    if let Some(k) = &o.ssec_key {
      validate_ssec(k)?;
    }
    validate_key(key, Action::Get)?;
    let store = self.store()?;
    let meta = {
      let index = store.index();
      let Some(meta) = index.object(key)? else {
        return Ok(GetResult::Missing);
      };
      if let Some(c) = &cond {
        if !c.holds(Some((&meta.etag, meta.uploaded))) {
          return Ok(GetResult::PreconditionFailed(meta));
        }
      }
      // Pinned under the index lock: a concurrent overwrite cannot remove them first.
      store.blobs.pin(&blob_ids(&meta.segments));
      meta
    };
    let pinned = blob_ids(&meta.segments);
    let resolved = match &range {
      Some(r) => r.resolve(meta.size),
      None => Ok(ByteRange {
        offset: 0,
        length: meta.size,
      }),
    };
    let range = match resolved {
      Ok(r) => r,
      Err(e) => {
        store.blobs.unpin(&pinned);
        return Err(e);
      }
    };
    let body = Body {
      segments: meta.segments.clone(),
      pos: range.offset,
      end: range.offset + range.length,
      current: None,
      pinned,
      store,
    };
    Ok(GetResult::Found { meta, range, body })
  }

  /// Validates a put (client-side checks, then the key, metadata and — when known — size
  /// limits) without touching storage.
  pub fn prepare_put(&self, key: &str, o: PutOptions, size: Option<u64>) -> Result<PreparedPut, R2Error> {
    // Argument conversion (a `Date`) fails before workerd's own checks.
    o.http_metadata.validate()?;
    let cond = o.only_if.as_ref().map(OnlyIf::parse).transpose()?;
    let expected = checksum::expected(&o.checksums)?;
    if let Some(k) = &o.ssec_key {
      validate_ssec(k)?;
    }
    validate_key(key, Action::Put)?;
    if custom_metadata_size(&o.custom_metadata) > MAX_CUSTOM_METADATA_BYTES {
      return Err(R2Error::MetadataTooLarge);
    }
    if size.is_some_and(|s| s > MAX_OBJECT_BYTES) {
      return Err(R2Error::EntityTooLarge(Action::Put));
    }
    Ok(PreparedPut {
      key: key.to_string(),
      cond,
      expected,
      http_metadata: o.http_metadata,
      custom_metadata: o.custom_metadata,
      storage_class: o
        .storage_class
        .unwrap_or_else(|| DEFAULT_STORAGE_CLASS.to_string()),
      clock: self.clock.clone(),
    })
  }

  /// Starts writing a prepared put.
  pub fn start_put(&self, p: PreparedPut) -> Result<PutWriter, R2Error> {
    let store = self.store()?;
    let sink = Sink::new(store, Action::Put, p.expected.clone());
    Ok(PutWriter { p, sink })
  }

  /// A whole put in one call (the body already in memory).
  pub fn put(&self, key: &str, body: &[u8], o: PutOptions) -> Result<Option<ObjectMeta>, R2Error> {
    let p = self.prepare_put(key, o, Some(body.len() as u64))?;
    let mut w = self.start_put(p)?;
    w.write(body)?;
    w.finish()
  }

  /// Deletes every key in one transaction; one invalid key deletes nothing.
  pub fn delete(&self, keys: &[String]) -> Result<(), R2Error> {
    for k in keys {
      validate_key(k, Action::Delete)?;
    }
    let store = self.store()?;
    let released = store.index().transaction(|ix| {
      let mut gone = Vec::new();
      for k in keys {
        gone.extend(ix.delete_object(k)?);
      }
      Ok(gone)
    })?;
    store.blobs.release(released);
    Ok(())
  }
}

/// A validated put, not started.
pub struct PreparedPut {
  key: String,
  cond: Option<Conditional>,
  expected: Option<checksum::Expected>,
  http_metadata: HttpMetadata,
  custom_metadata: CustomMetadata,
  storage_class: String,
  clock: Clock,
}

/// A finished body: its MD5, checksums, blob and the store it lives in.
type Finished = (Vec<u8>, Checksums, Vec<Segment>, Shared<R2Store>);

/// The streaming half shared by puts and parts: hashes and writes a body to a new blob, created
/// on the first non-empty chunk (empty objects have no file).
pub(crate) struct Sink {
  store: Shared<R2Store>,
  action: Action,
  blob: Option<BlobWriter>,
  hasher: Hasher,
  written: u64,
}

impl Sink {
  fn new(store: Shared<R2Store>, action: Action, expected: Option<checksum::Expected>) -> Self {
    Sink {
      store,
      action,
      blob: None,
      hasher: Hasher::new(expected),
      written: 0,
    }
  }

  fn write(&mut self, chunk: &[u8]) -> Result<(), R2Error> {
    if chunk.is_empty() {
      return Ok(());
    }
    self.written += chunk.len() as u64;
    if self.written > MAX_OBJECT_BYTES {
      // Drop the partial blob now; the writer is useless from here on.
      self.blob = None;
      return Err(R2Error::EntityTooLarge(self.action));
    }
    if self.blob.is_none() {
      self.blob = Some(self.store.blobs.create().map_err(io_err)?);
    }
    let (hasher, blob) = (&mut self.hasher, self.blob.as_mut().expect("just created"));
    if chunk.len() < PARALLEL_CHUNK {
      hasher.update(chunk);
      return blob.write(chunk).map_err(io_err);
    }
    // Large chunks: hash here while another thread writes (MD5 is the slower of the two).
    std::thread::scope(|s| {
      let writer = std::thread::Builder::new().spawn_scoped(s, || blob.write(chunk));
      hasher.update(chunk);
      // A thread that cannot start (resource exhaustion) fails the write with its cause.
      writer?
        .join()
        .unwrap_or_else(|_| Err(std::io::Error::other("blob writer panicked")))
    })
    .map_err(io_err)
  }

  /// Digests and the committed (not yet referenced) blob.
  fn finish(self) -> Result<Finished, R2Error> {
    let (md5, checksums) = self.hasher.finish()?;
    let segments = match self.blob {
      Some(b) => {
        let (blob, size) = self.store.blobs.commit(b).map_err(io_err)?;
        vec![Segment { blob, size }]
      }
      None => Vec::new(),
    };
    Ok((md5, checksums, segments, self.store))
  }
}

fn io_err(e: std::io::Error) -> R2Error {
  R2Error::Storage(e.into())
}

/// A put taking its body in chunks.
pub struct PutWriter {
  p: PreparedPut,
  sink: Sink,
}

impl PutWriter {
  pub fn write(&mut self, chunk: &[u8]) -> Result<(), R2Error> {
    self.sink.write(chunk)
  }

  pub fn written(&self) -> u64 {
    self.sink.written
  }

  /// Checks the digest, then atomically (re)places the object if `onlyIf` holds: `None` when it
  /// does not (nothing is stored).
  pub fn finish(self) -> Result<Option<ObjectMeta>, R2Error> {
    let p = self.p;
    let size = self.sink.written;
    let (md5, checksums, segments, store) = self.sink.finish()?;
    let mine = blob_ids(&segments);
    let meta = ObjectMeta {
      key: p.key,
      version: blobs::random_id(),
      size,
      etag: encode_hex(&md5),
      uploaded: p.clock.now_ms(),
      checksums,
      http_metadata: p.http_metadata,
      custom_metadata: p.custom_metadata,
      storage_class: p.storage_class,
      segments,
    };
    let committed = store.index().transaction(|ix| {
      if let Some(c) = &p.cond {
        let current = ix.object(&meta.key)?;
        if !c.holds(current.as_ref().map(|m| (m.etag.as_str(), m.uploaded))) {
          return Ok(None);
        }
      }
      Ok(Some(ix.put_object(&meta)?))
    });
    match committed {
      Ok(Some(old)) => {
        store.blobs.release(old);
        Ok(Some(meta))
      }
      Ok(None) => {
        store.blobs.release(mine);
        Ok(None)
      }
      Err(e) => {
        store.blobs.release(mine);
        Err(e)
      }
    }
  }
}

/// The bytes of one `get`, read in chunks. Holds its blobs pinned until dropped.
pub struct Body {
  store: Shared<R2Store>,
  segments: Vec<Segment>,
  /// Absolute offsets in the object.
  pos: u64,
  end: u64,
  current: Option<(usize, BlobSource)>,
  pinned: Vec<String>,
}

impl Body {
  /// Bytes left to read.
  pub fn remaining(&self) -> u64 {
    self.end - self.pos
  }

  /// The memory this body keeps alive until dropped: the whole object when the bucket is in
  /// memory (its bytes cannot be freed while pinned, even if overwritten), else nothing.
  pub fn memory_held(&self) -> u64 {
    match self.store.path() {
      Some(_) => 0,
      None => self.segments.iter().map(|s| s.size).sum(),
    }
  }

  /// Up to `max` bytes; empty once the body is exhausted.
  pub fn read(&mut self, max: usize) -> Result<Vec<u8>, R2Error> {
    let mut out = vec![0u8; (self.remaining().min(max as u64)) as usize];
    let n = self.read_into(&mut out)?;
    out.truncate(n);
    Ok(out)
  }

  /// Fills `buf` (or as much as is left); returns the bytes written.
  pub fn read_into(&mut self, buf: &mut [u8]) -> Result<usize, R2Error> {
    let want = (self.remaining().min(buf.len() as u64)) as usize;
    let mut filled = 0;
    while filled < want {
      // Find the segment holding `pos`.
      let mut seg_start = 0u64;
      let mut idx = 0;
      while idx < self.segments.len() && seg_start + self.segments[idx].size <= self.pos {
        seg_start += self.segments[idx].size;
        idx += 1;
      }
      let Some(seg) = self.segments.get(idx) else {
        return Err(self.corrupt());
      };
      if self.current.as_ref().map(|(i, _)| *i) != Some(idx) {
        let src = self.store.blobs.open(&seg.blob).map_err(|e| self.missing(e))?;
        self.current = Some((idx, src));
      }
      let (_, src) = self.current.as_mut().expect("just opened");
      let in_seg = self.pos - seg_start;
      let n = ((seg.size - in_seg) as usize).min(want - filled);
      let got = src
        .read_at(in_seg, &mut buf[filled..filled + n])
        .map_err(io_err)?;
      if got < n {
        return Err(self.corrupt());
      }
      filled += n;
      self.pos += n as u64;
    }
    Ok(filled)
  }

  fn corrupt(&self) -> R2Error {
    R2Error::Storage(StorageError::engine(
      "an object's file is shorter than its index entry says (was the bucket directory modified by another program?)",
    ))
  }

  fn missing(&self, e: std::io::Error) -> R2Error {
    R2Error::Storage(match self.store.path() {
      Some(p) => StorageError::from(e).at(p),
      None => e.into(),
    })
  }
}

impl Drop for Body {
  fn drop(&mut self) {
    self.current = None;
    self.store.blobs.unpin(&self.pinned);
  }
}

fn blob_ids(segments: &[Segment]) -> Vec<String> {
  segments.iter().map(|s| s.blob.clone()).collect()
}

/// R2 keys: any string up to 1024 UTF-8 bytes, the empty string included.
pub fn validate_key(key: &str, action: Action) -> Result<(), R2Error> {
  if key.len() > MAX_KEY_BYTES {
    return Err(R2Error::InvalidObjectName(action));
  }
  Ok(())
}

/// workerd's SSE-C key checks: 64 lowercase hex characters, or 32 bytes.
pub fn validate_ssec(k: &DigestInput) -> Result<(), R2Error> {
  match k {
    DigestInput::Hex(s) => {
      if s.is_empty()
        || !s
          .bytes()
          .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
      {
        return Err(R2Error::SsecFormat);
      }
      if s.len() != SSEC_KEY_BYTES * 2 {
        return Err(R2Error::SsecLength);
      }
    }
    DigestInput::Bytes(b) => {
      if b.len() != SSEC_KEY_BYTES {
        return Err(R2Error::SsecLength);
      }
    }
  }
  Ok(())
}

#[cfg(test)]
mod tests;
