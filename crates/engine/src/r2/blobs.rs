//! Object bytes. On disk each blob is an immutable file named by a random id (never by the key,
//! so no key can escape the bucket directory or collide with another): it is written under
//! `tmp/`, optionally fsynced, then renamed to `blobs/<first two hex>/<id>` before the index
//! commits a reference to it. In memory a blob is a shared byte slice.
//!
//! A blob being read is pinned; releasing a pinned blob (overwrite, delete) only marks it, and
//! the last reader removes it. So a reader always sees the version it looked up, whole.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// A fresh 128-bit random id, as 32 lowercase hex characters.
pub fn random_id() -> String {
  format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

enum Kind {
  Disk { root: PathBuf, fsync: bool },
  Memory(Mutex<HashMap<String, Arc<[u8]>>>),
}

#[derive(Default)]
struct Pins {
  readers: HashMap<String, usize>,
  doomed: HashSet<String>,
}

pub struct Blobs {
  kind: Kind,
  pins: Mutex<Pins>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
  m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Blobs {
  pub fn memory() -> Self {
    Blobs {
      kind: Kind::Memory(Mutex::new(HashMap::new())),
      pins: Mutex::default(),
    }
  }

  /// Blobs under `root` (the bucket directory).
  pub fn disk(root: &Path, fsync: bool) -> io::Result<Self> {
    fs::create_dir_all(root.join("blobs"))?;
    fs::create_dir_all(root.join("tmp"))?;
    Ok(Blobs {
      kind: Kind::Disk {
        root: root.into(),
        fsync,
      },
      pins: Mutex::default(),
    })
  }

  fn path(root: &Path, id: &str) -> PathBuf {
    root.join("blobs").join(&id[..2.min(id.len())]).join(id)
  }

  /// Starts a new blob.
  pub fn create(&self) -> io::Result<BlobWriter> {
    let id = random_id();
    let sink = match &self.kind {
      Kind::Disk { root, .. } => {
        let tmp = root.join("tmp").join(&id);
        let file = File::options().write(true).create_new(true).open(&tmp)?;
        Sink::File { file, tmp }
      }
      Kind::Memory(_) => Sink::Memory(Vec::new()),
    };
    Ok(BlobWriter {
      id,
      sink: Some(sink),
      written: 0,
    })
  }

  /// Makes a finished blob permanent under its id (it is not referenced yet).
  pub fn commit(&self, mut w: BlobWriter) -> io::Result<(String, u64)> {
    let sink = w.sink.take().expect("a blob is committed once");
    match (sink, &self.kind) {
      (Sink::File { file, tmp }, Kind::Disk { root, fsync }) => {
        let done = (|| {
          if *fsync {
            file.sync_data()?;
          }
          drop(file);
          let dest = Self::path(root, &w.id);
          let dir = dest.parent().expect("blob paths have a parent");
          if let Err(e) = fs::rename(&tmp, &dest) {
            if e.kind() != io::ErrorKind::NotFound {
              return Err(e);
            }
            fs::create_dir_all(dir)?;
            fs::rename(&tmp, &dest)?;
          }
          if *fsync {
            sync_dir(dir)?;
          }
          Ok(())
        })();
        if done.is_err() {
          let _ = fs::remove_file(&tmp);
        }
        done?;
      }
      (Sink::Memory(bytes), Kind::Memory(map)) => {
        lock(map).insert(w.id.clone(), bytes.into());
      }
      _ => unreachable!("writers are made by their own store"),
    }
    Ok((std::mem::take(&mut w.id), w.written))
  }

  /// Pins blobs for a reader; they stay readable until `unpin`, even if released meanwhile.
  pub fn pin(&self, ids: &[String]) {
    let mut p = lock(&self.pins);
    for id in ids {
      *p.readers.entry(id.clone()).or_insert(0) += 1;
    }
  }

  pub fn unpin(&self, ids: &[String]) {
    let mut gone = Vec::new();
    {
      let mut p = lock(&self.pins);
      for id in ids {
        if let Some(n) = p.readers.get_mut(id) {
          *n -= 1;
          if *n == 0 {
            p.readers.remove(id);
            if p.doomed.remove(id) {
              gone.push(id.clone());
            }
          }
        }
      }
    }
    for id in gone {
      self.remove(&id);
    }
  }

  /// Drops blobs nobody references any more (now, or when their last reader finishes).
  pub fn release(&self, ids: impl IntoIterator<Item = String>) {
    let mut now = Vec::new();
    {
      let mut p = lock(&self.pins);
      for id in ids.into_iter().filter(|id| !id.is_empty()) {
        if p.readers.contains_key(&id) {
          p.doomed.insert(id);
        } else {
          now.push(id);
        }
      }
    }
    for id in now {
      self.remove(&id);
    }
  }

  fn remove(&self, id: &str) {
    match &self.kind {
      // A failed removal leaves an orphan that the next unclean open sweeps away.
      Kind::Disk { root, .. } => {
        let _ = fs::remove_file(Self::path(root, id));
      }
      Kind::Memory(map) => {
        lock(map).remove(id);
      }
    }
  }

  pub fn open(&self, id: &str) -> io::Result<BlobSource> {
    match &self.kind {
      Kind::Disk { root, .. } => Ok(BlobSource::File(File::open(Self::path(root, id))?)),
      Kind::Memory(map) => lock(map)
        .get(id)
        .cloned()
        .map(BlobSource::Memory)
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("blob {id} is missing"))),
    }
  }

  /// After a crash: removes temp files, and blob files `referenced` does not know.
  pub fn sweep(&self, referenced: &HashSet<String>) -> io::Result<usize> {
    let Kind::Disk { root, .. } = &self.kind else {
      return Ok(0);
    };
    let mut removed = 0;
    for entry in fs::read_dir(root.join("tmp"))? {
      let entry = entry?;
      if fs::remove_file(entry.path()).is_ok() {
        removed += 1;
      }
    }
    for shard in fs::read_dir(root.join("blobs"))? {
      let shard = shard?;
      if !shard.file_type()?.is_dir() {
        continue;
      }
      for entry in fs::read_dir(shard.path())? {
        let entry = entry?;
        let name = entry.file_name();
        let known = name.to_str().is_some_and(|n| referenced.contains(n));
        if !known && fs::remove_file(entry.path()).is_ok() {
          removed += 1;
        }
      }
    }
    Ok(removed)
  }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
  File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
  Ok(())
}

enum Sink {
  File { file: File, tmp: PathBuf },
  Memory(Vec<u8>),
}

/// A blob being written; dropped unfinished, it leaves nothing behind.
pub struct BlobWriter {
  id: String,
  sink: Option<Sink>,
  written: u64,
}

impl BlobWriter {
  pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
    match self.sink.as_mut().expect("writes precede the commit") {
      Sink::File { file, .. } => file.write_all(bytes)?,
      Sink::Memory(v) => v.extend_from_slice(bytes),
    }
    self.written += bytes.len() as u64;
    Ok(())
  }
}

impl Drop for BlobWriter {
  fn drop(&mut self) {
    if let Some(Sink::File { file, tmp }) = self.sink.take() {
      drop(file);
      let _ = fs::remove_file(tmp);
    }
  }
}

/// An open blob.
pub enum BlobSource {
  File(File),
  Memory(Arc<[u8]>),
}

impl BlobSource {
  /// Reads up to `buf.len()` bytes at `offset`; fewer only at the end of the blob.
  pub fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    match self {
      BlobSource::File(f) => {
        f.seek(SeekFrom::Start(offset))?;
        let mut n = 0;
        while n < buf.len() {
          match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
          }
        }
        Ok(n)
      }
      BlobSource::Memory(b) => {
        let start = (offset as usize).min(b.len());
        let n = buf.len().min(b.len() - start);
        buf[..n].copy_from_slice(&b[start..start + n]);
        Ok(n)
      }
    }
  }
}
