//! Multipart uploads. Parts are blobs like any other; completing an upload writes one index row
//! whose segments are the parts in number order, so no bytes move. Uploads in progress live in
//! their own tables and are invisible to head/get/list.

use super::blobs::random_id;
use super::checksum::{decode_hex, encode_hex, md5};
use super::error::{Action, R2Error};
use super::index::{ABORTED, COMPLETED, IN_PROGRESS};
use super::object::*;
use super::{validate_key, validate_ssec, DigestInput, R2Bucket, Sink, DEFAULT_STORAGE_CLASS};
use crate::limits::r2::*;
use rusqlite::{params, OptionalExtension};

#[derive(Clone, Debug, Default)]
pub struct MultipartOptions {
  pub http_metadata: HttpMetadata,
  pub custom_metadata: CustomMetadata,
  pub storage_class: Option<String>,
  pub ssec_key: Option<DigestInput>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct UploadedPart {
  pub part_number: u32,
  pub etag: String,
}

/// A validated part upload, not started.
pub struct PreparedPart {
  key: String,
  upload_id: String,
  part_number: u32,
}

/// A part taking its body in chunks.
pub struct PartWriter {
  p: PreparedPart,
  sink: Sink,
}

/// Part numbers are integers 1..=10000 (checked client-side by workerd).
pub fn validate_part_number(n: f64) -> Result<u32, R2Error> {
  if !(n >= 1.0 && n <= MAX_PART_NUMBER as f64) || n.fract() != 0.0 {
    return Err(R2Error::PartNumber(n));
  }
  Ok(n as u32)
}

/// The upload's state, if (key, upload id) names one.
fn upload_state(ix: &super::index::Index, key: &str, upload_id: &str) -> rusqlite::Result<Option<i64>> {
  ix.conn
    .prepare_cached("SELECT state FROM uploads WHERE upload_id = ?1 AND key = ?2")?
    .query_row(params![upload_id, key.as_bytes()], |r| r.get(0))
    .optional()
}

impl R2Bucket {
  pub fn create_multipart_upload(&self, key: &str, o: MultipartOptions) -> Result<String, R2Error> {
    o.http_metadata.validate()?;
    if let Some(k) = &o.ssec_key {
      validate_ssec(k)?;
    }
    validate_key(key, Action::CreateMultipartUpload)?;
    let store = self.store()?;
    let upload_id = format!("{}{}", random_id(), random_id());
    store.index().conn.execute(
      "INSERT INTO uploads (upload_id, key, state, http_metadata, custom_metadata, storage_class) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
      params![
        upload_id,
        key.as_bytes(),
        IN_PROGRESS,
        o.http_metadata.to_json(),
        custom_to_json(&o.custom_metadata),
        o.storage_class.unwrap_or_else(|| DEFAULT_STORAGE_CLASS.into()),
      ],
    )?;
    Ok(upload_id)
  }

  /// Client-side part number check, then the key and the upload's existence.
  pub fn prepare_part(
    &self,
    key: &str,
    upload_id: &str,
    part_number: f64,
    ssec_key: Option<&DigestInput>,
    size: Option<u64>,
  ) -> Result<PreparedPart, R2Error> {
    let part_number = validate_part_number(part_number)?;
    if let Some(k) = ssec_key {
      validate_ssec(k)?;
    }
    validate_key(key, Action::UploadPart)?;
    let store = self.store()?;
    if upload_state(&store.index(), key, upload_id)? != Some(IN_PROGRESS) {
      return Err(R2Error::NoSuchUpload(Action::UploadPart));
    }
    if size.is_some_and(|s| s > MAX_OBJECT_BYTES) {
      return Err(R2Error::EntityTooLarge(Action::UploadPart));
    }
    Ok(PreparedPart {
      key: key.into(),
      upload_id: upload_id.into(),
      part_number,
    })
  }

  pub fn start_part(&self, p: PreparedPart) -> Result<PartWriter, R2Error> {
    let sink = Sink::new(self.store()?, Action::UploadPart, None);
    Ok(PartWriter { p, sink })
  }

  /// A whole part in one call.
  pub fn upload_part(
    &self,
    key: &str,
    upload_id: &str,
    part_number: f64,
    body: &[u8],
  ) -> Result<UploadedPart, R2Error> {
    let p = self.prepare_part(key, upload_id, part_number, None, Some(body.len() as u64))?;
    let mut w = self.start_part(p)?;
    w.write(body)?;
    w.finish()
  }

  /// Miniflare's completion algorithm (spec §1.6).
  pub fn complete_multipart_upload(
    &self,
    key: &str,
    upload_id: &str,
    parts: &[UploadedPart],
  ) -> Result<ObjectMeta, R2Error> {
    const A: Action = Action::CompleteMultipartUpload;
    validate_key(key, A)?;
    let min = self.options.min_part_bytes;
    let store = self.store()?;
    let version = random_id();
    let uploaded = self.clock.now_ms();
    let (meta, released) = store.index().transaction(|ix| {
      let row = ix
        .conn
        .prepare_cached(
          "SELECT state, http_metadata, custom_metadata, storage_class FROM uploads WHERE upload_id = ?1 AND key = ?2",
        )?
        .query_row(params![upload_id, key.as_bytes()], |r| {
          Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
          ))
        })
        .optional()?;
      let Some((state, http, custom, storage_class)) = row else {
        return Err(R2Error::Internal(A));
      };
      if state != IN_PROGRESS {
        return Err(R2Error::NoSuchUpload(A));
      }
      let mut seen = std::collections::HashSet::new();
      if !parts.iter().all(|p| seen.insert(p.part_number)) {
        return Err(R2Error::Internal(A));
      }
      // (part number, md5, size, blob) of every stored part.
      let mut stored = std::collections::HashMap::new();
      {
        let mut st = ix
          .conn
          .prepare_cached("SELECT part_number, etag, md5, size, blob FROM parts WHERE upload_id = ?1")?;
        let mut rows = st.query([upload_id])?;
        while let Some(r) = rows.next()? {
          let n: i64 = r.get(0)?;
          let etag: String = r.get(1)?;
          let md5: String = r.get(2)?;
          let size: i64 = r.get(3)?;
          let blob: String = r.get(4)?;
          stored.insert(n as u32, (etag, md5, size as u64, blob));
        }
      }
      let mut chosen = Vec::with_capacity(parts.len());
      for p in parts {
        match stored.get(&p.part_number) {
          Some((etag, md5, size, blob)) if *etag == p.etag => chosen.push((p.part_number, md5.clone(), *size, blob.clone())),
          _ => return Err(R2Error::InvalidPart),
        }
      }
      if let Some((_, rest)) = chosen.split_last() {
        if rest.iter().any(|(_, _, size, _)| *size < min) {
          return Err(R2Error::EntityTooSmall);
        }
      }
      chosen.sort_by_key(|(n, ..)| *n);
      if let Some((last, rest)) = chosen.split_last() {
        if let Some((_, _, first_size, _)) = rest.first() {
          if rest.iter().any(|(_, _, s, _)| s != first_size) || last.2 > *first_size {
            return Err(R2Error::BadUpload);
          }
        }
      }
      let mut digests = Vec::with_capacity(chosen.len() * 16);
      for (_, m, _, _) in &chosen {
        digests.extend(decode_hex(m).unwrap_or_default());
      }
      let segments: Vec<Segment> = chosen
        .iter()
        .filter(|(_, _, size, _)| *size > 0)
        .map(|(_, _, size, blob)| Segment {
          blob: blob.clone(),
          size: *size,
        })
        .collect();
      let used: std::collections::HashSet<&str> = chosen.iter().map(|c| c.3.as_str()).collect();
      let mut released: Vec<String> = stored
        .values()
        .filter(|(.., blob)| !used.contains(blob.as_str()))
        .map(|(.., blob)| blob.clone())
        .collect();
      let meta = ObjectMeta {
        key: key.to_string(),
        version: version.clone(),
        size: chosen.iter().map(|c| c.2).sum(),
        etag: format!("{}-{}", encode_hex(&md5(&digests)), chosen.len()),
        uploaded,
        checksums: Checksums::default(),
        http_metadata: HttpMetadata::from_json(&http),
        custom_metadata: custom_from_json(&custom),
        storage_class,
        segments,
      };
      released.extend(ix.put_object(&meta)?);
      ix.conn
        .prepare_cached("DELETE FROM parts WHERE upload_id = ?1")?
        .execute([upload_id])?;
      ix.conn
        .prepare_cached("UPDATE uploads SET state = ?2 WHERE upload_id = ?1")?
        .execute(params![upload_id, COMPLETED])?;
      Ok((meta, released))
    })?;
    store.blobs.release(released);
    Ok(meta)
  }

  /// Idempotent; a completed upload is left alone.
  pub fn abort_multipart_upload(&self, key: &str, upload_id: &str) -> Result<(), R2Error> {
    const A: Action = Action::AbortMultipartUpload;
    validate_key(key, A)?;
    let store = self.store()?;
    let released = store.index().transaction(|ix| {
      match upload_state(ix, key, upload_id)? {
        None => return Err(R2Error::Internal(A)),
        Some(IN_PROGRESS) => {}
        Some(_) => return Ok(Vec::new()),
      }
      let mut blobs = Vec::new();
      {
        let mut st = ix
          .conn
          .prepare_cached("SELECT blob FROM parts WHERE upload_id = ?1")?;
        let mut rows = st.query([upload_id])?;
        while let Some(r) = rows.next()? {
          blobs.push(r.get::<_, String>(0)?);
        }
      }
      ix.conn
        .prepare_cached("DELETE FROM parts WHERE upload_id = ?1")?
        .execute([upload_id])?;
      ix.conn
        .prepare_cached("UPDATE uploads SET state = ?2 WHERE upload_id = ?1")?
        .execute(params![upload_id, ABORTED])?;
      Ok(blobs)
    })?;
    store.blobs.release(released);
    Ok(())
  }
}

impl PartWriter {
  pub fn write(&mut self, chunk: &[u8]) -> Result<(), R2Error> {
    self.sink.write(chunk)
  }

  /// Stores the part (replacing an earlier upload of the same number) unless the upload ended
  /// meanwhile.
  pub fn finish(self) -> Result<UploadedPart, R2Error> {
    let p = self.p;
    let size = self.sink.written;
    let (md5, _, segments, store) = self.sink.finish()?;
    // Empty parts still need an identity; they have no file.
    let blob = segments.first().map(|s| s.blob.clone()).unwrap_or_default();
    let etag = random_id();
    let outcome = store.index().transaction(|ix| {
      if upload_state(ix, &p.key, &p.upload_id)? != Some(IN_PROGRESS) {
        return Err(R2Error::NoSuchUpload(Action::UploadPart));
      }
      let old: Option<String> = ix
        .conn
        .prepare_cached("SELECT blob FROM parts WHERE upload_id = ?1 AND part_number = ?2")?
        .query_row(params![p.upload_id, p.part_number], |r| r.get(0))
        .optional()?;
      ix.conn
        .prepare_cached(
          "INSERT OR REPLACE INTO parts (upload_id, part_number, etag, md5, size, blob) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![p.upload_id, p.part_number, etag, encode_hex(&md5), size as i64, blob])?;
      Ok(old)
    });
    match outcome {
      Ok(old) => {
        store.blobs.release(old.filter(|b| !b.is_empty()));
        Ok(UploadedPart {
          part_number: p.part_number,
          etag,
        })
      }
      Err(e) => {
        store.blobs.release(segments.into_iter().map(|s| s.blob));
        Err(e)
      }
    }
  }
}
