//! Where persisted stores live, which names are allowed, and the process-wide registry that makes
//! every handle on one file (in any thread or worker) share one open store.

use crate::error::StorageError;
use std::collections::BTreeMap;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

/// Characters that cannot appear in a store name: they would escape the directory or are not
/// portable file-name characters.
const FORBIDDEN: &[char] = &['/', '\\', ':', '*', '?', '"', '<', '>', '|'];
const MAX_NAME_BYTES: usize = 200;

/// Checks that `name` can be used as a file name under the persist directory.
pub fn validate_name(kind: &'static str, name: &str) -> Result<(), StorageError> {
  let reason = if name.is_empty() {
    Some("names cannot be empty")
  } else if name == "." || name == ".." {
    Some("names cannot be \".\" or \"..\"")
  } else if name.len() > MAX_NAME_BYTES {
    Some("names are limited to 200 bytes")
  } else if name.chars().any(|c| c.is_control() || FORBIDDEN.contains(&c)) {
    Some("names cannot contain path separators, control characters or any of : * ? \" < > |")
  } else if name.ends_with('.') || name.ends_with(' ') || name.starts_with(' ') {
    Some("names cannot start with a space or end with a dot or a space")
  } else {
    None
  };
  match reason {
    Some(reason) => Err(StorageError::InvalidName {
      kind,
      name: name.into(),
      reason,
    }),
    None => Ok(()),
  }
}

/// `<dir>/<family>/<name><ext>`, creating `<dir>/<family>` and returning an absolute path, so that
/// two spellings of one directory map to the same registry entry.
pub fn store_path(
  dir: &Path,
  family: &str,
  kind: &'static str,
  name: &str,
  ext: &str,
) -> Result<PathBuf, StorageError> {
  validate_name(kind, name)?;
  let parent = dir.join(family);
  std::fs::create_dir_all(&parent).map_err(|e| StorageError::from(e).at(&parent))?;
  let parent = parent
    .canonicalize()
    .map_err(|e| StorageError::from(e).at(&parent))?;
  Ok(parent.join(format!("{name}{ext}")))
}

/// Opens (or creates) a redb file with a page cache of `cache_bytes`; a file held by another
/// process is `AlreadyOpen`, naming it.
pub fn open_redb(path: &Path, cache_bytes: usize) -> Result<redb::Database, StorageError> {
  redb::Builder::new()
    .set_cache_size(cache_bytes)
    .create(path)
    .map_err(|e| match e {
      redb::DatabaseError::DatabaseAlreadyOpen => StorageError::AlreadyOpen { path: path.into() },
      other => StorageError::from(other).at(path),
    })
}

/// Starts the thread a store works on. A process out of threads (every open store holds one, and
/// unclosed in-memory stores only let theirs go when garbage-collected) gets an error saying so.
pub fn spawn_store_thread(
  name: &str,
  work: impl FnOnce() + Send + 'static,
) -> Result<std::thread::JoinHandle<()>, StorageError> {
  std::thread::Builder::new()
    .name(name.into())
    .spawn(work)
    .map_err(|e| {
      StorageError::engine(format!(
        "could not start a thread for the store ({e}); every open store holds one until close(): close the stores you no longer use"
      ))
    })
}

/// Open stores by file, shared by every handle in the process. A store is dropped (and its file
/// released) when its last handle goes, under the registry lock, so a concurrent re-open of the
/// same file waits for the release instead of failing on the file lock.
pub struct Registry<T> {
  open: Mutex<BTreeMap<PathBuf, Weak<T>>>,
}

impl<T> Registry<T> {
  pub const fn new() -> Self {
    Registry {
      open: Mutex::new(BTreeMap::new()),
    }
  }

  fn lock(&'static self) -> std::sync::MutexGuard<'static, BTreeMap<PathBuf, Weak<T>>> {
    // A panic while holding the lock cannot leave the map inconsistent; keep going.
    self.open.lock().unwrap_or_else(|p| p.into_inner())
  }

  /// The store already open at `path`, or a new one made by `open`.
  pub fn get_or_open<E>(
    &'static self,
    path: &Path,
    open: impl FnOnce(&Path) -> Result<T, E>,
  ) -> Result<Shared<T>, E> {
    let mut map = self.lock();
    if let Some(existing) = map.get(path).and_then(Weak::upgrade) {
      return Ok(Shared {
        inner: Some(existing),
        registry: Some((self, path.to_path_buf())),
      });
    }
    let store = Arc::new(open(path)?);
    map.insert(path.to_path_buf(), Arc::downgrade(&store));
    Ok(Shared {
      inner: Some(store),
      registry: Some((self, path.to_path_buf())),
    })
  }
}

impl<T> Default for Registry<T> {
  fn default() -> Self {
    Self::new()
  }
}

/// A handle on a store: registered (persisted) or private (in-memory).
pub struct Shared<T: 'static> {
  inner: Option<Arc<T>>,
  registry: Option<(&'static Registry<T>, PathBuf)>,
}

impl<T> Shared<T> {
  /// A store nobody else can reach (in-memory mode).
  pub fn private(store: T) -> Self {
    Shared {
      inner: Some(Arc::new(store)),
      registry: None,
    }
  }
}

impl<T> Clone for Shared<T> {
  fn clone(&self) -> Self {
    Shared {
      inner: self.inner.clone(),
      registry: self.registry.clone(),
    }
  }
}

impl<T> Deref for Shared<T> {
  type Target = T;
  fn deref(&self) -> &T {
    self.inner.as_ref().expect("store handle used after drop")
  }
}

impl<T> Drop for Shared<T> {
  fn drop(&mut self) {
    let Some(store) = self.inner.take() else { return };
    match &self.registry {
      Some((registry, path)) => {
        let mut map = registry.lock();
        drop(store); // the last handle closes the store here, while other openers wait
        if map.get(path).is_some_and(|w| w.strong_count() == 0) {
          map.remove(path);
        }
      }
      None => drop(store),
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn names_that_escape_or_are_not_portable_are_rejected() {
    for bad in [
      "", ".", "..", "a/b", "a\\b", "../x", "x:y", "a\0b", "tab\t", "end.", " lead",
    ] {
      assert!(
        validate_name("KV namespace", bad).is_err(),
        "{bad:?} should be rejected"
      );
    }
    for good in ["CACHE", "my-ns_1", "ünïcödé", "a.b", "with space"] {
      assert!(
        validate_name("KV namespace", good).is_ok(),
        "{good:?} should be accepted"
      );
    }
  }

  #[test]
  fn registry_shares_and_releases() {
    static REG: Registry<u32> = Registry::new();
    let p = Path::new("/tmp/x");
    let a = REG.get_or_open(p, |_| Ok::<_, ()>(1)).unwrap();
    let b = REG.get_or_open(p, |_| Ok::<_, ()>(2)).unwrap();
    assert_eq!((*a, *b), (1, 1));
    drop(a);
    drop(b);
    let c = REG.get_or_open(p, |_| Ok::<_, ()>(3)).unwrap();
    assert_eq!(*c, 3);
  }
}
