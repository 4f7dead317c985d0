//! The vectors in memory: one contiguous float32 arena (slot `s` holds floats
//! `s*d .. (s+1)*d`), with per-slot columns (inverse norm, namespace, id, indexed metadata).
//!
//! Deleted slots become holes that the next insert reuses; when holes exceed a quarter of the
//! slots, `compact` moves the last live vectors into them and shrinks the arena, so deletes never
//! leave it fragmented for good. The arena grows by an eighth at a time (not by doubling), which
//! keeps memory within ~1.15× the live vector bytes.

use super::metaindex::Entry;
use super::metric::inverse_norm;
use std::sync::Arc;

/// Namespace column value of a free slot.
pub(crate) const FREE: u32 = u32::MAX;
/// Namespace column value of a vector without a namespace.
pub(crate) const NO_NAMESPACE: u32 = 0;

pub(crate) struct Arena {
  dims: usize,
  values: Vec<f32>,
  inv_norms: Vec<f32>,
  /// Interned namespace per slot: `NO_NAMESPACE`, a namespace id, or `FREE`.
  ns: Vec<u32>,
  ids: Vec<Option<Arc<str>>>,
  /// Indexed metadata values of each slot (what the metadata indexes hold for it).
  entries: Vec<Box<[Entry]>>,
  free: Vec<u32>,
  live: usize,
}

impl Arena {
  pub fn new(dims: usize) -> Self {
    Arena {
      dims,
      values: Vec::new(),
      inv_norms: Vec::new(),
      ns: Vec::new(),
      ids: Vec::new(),
      entries: Vec::new(),
      free: Vec::new(),
      live: 0,
    }
  }

  /// Reserves room for exactly `n` more slots (used when loading a file of known size).
  pub fn reserve_exact(&mut self, n: usize) {
    self.values.reserve_exact(n * self.dims);
    advise_huge_pages(&self.values);
    self.inv_norms.reserve_exact(n);
    self.ns.reserve_exact(n);
    self.ids.reserve_exact(n);
    self.entries.reserve_exact(n);
  }

  pub fn dims(&self) -> usize {
    self.dims
  }

  /// Slots in use or free (the scan range).
  pub fn slots(&self) -> usize {
    self.ns.len()
  }

  pub fn live(&self) -> usize {
    self.live
  }

  pub fn values(&self) -> &[f32] {
    &self.values
  }

  pub fn inv_norms(&self) -> &[f32] {
    &self.inv_norms
  }

  pub fn ns_column(&self) -> &[u32] {
    &self.ns
  }

  pub fn vector(&self, slot: u32) -> &[f32] {
    let s = slot as usize * self.dims;
    &self.values[s..s + self.dims]
  }

  pub fn id(&self, slot: u32) -> Option<&Arc<str>> {
    self.ids.get(slot as usize).and_then(|i| i.as_ref())
  }

  pub fn namespace(&self, slot: u32) -> u32 {
    self.ns[slot as usize]
  }

  pub fn entries(&self, slot: u32) -> &[Entry] {
    &self.entries[slot as usize]
  }

  /// Stores a vector in a free slot (or a new one) and returns the slot.
  pub fn add(&mut self, id: Arc<str>, ns: u32, values: &[f32], entries: Box<[Entry]>) -> u32 {
    debug_assert_eq!(values.len(), self.dims);
    let slot = match self.free.pop() {
      Some(slot) => slot,
      None => {
        if self.ns.len() == self.ns.capacity() {
          self.grow();
        }
        self.values.extend(std::iter::repeat_n(0.0, self.dims));
        self.inv_norms.push(0.0);
        self.ns.push(FREE);
        self.ids.push(None);
        self.entries.push(Box::default());
        (self.ns.len() - 1) as u32
      }
    };
    self.put(slot, id, ns, values, entries);
    self.live += 1;
    slot
  }

  /// Appends a vector given as little-endian float32 bytes (loading a file: no holes yet).
  pub fn push_le(&mut self, id: Arc<str>, ns: u32, bytes: &[u8], entries: Box<[Entry]>) -> u32 {
    debug_assert_eq!(bytes.len(), self.dims * 4);
    if self.ns.len() == self.ns.capacity() {
      self.grow();
    }
    let start = self.values.len();
    self.values.extend(
      bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
    );
    self.inv_norms.push(inverse_norm(&self.values[start..]));
    self.ns.push(ns);
    self.ids.push(Some(id));
    self.entries.push(entries);
    self.live += 1;
    (self.ns.len() - 1) as u32
  }

  /// Replaces the vector in a live slot.
  pub fn replace(&mut self, slot: u32, ns: u32, values: &[f32], entries: Box<[Entry]>) {
    let id = self.ids[slot as usize].clone().expect("replace of a live slot");
    self.put(slot, id, ns, values, entries);
  }

  fn put(&mut self, slot: u32, id: Arc<str>, ns: u32, values: &[f32], entries: Box<[Entry]>) {
    let s = slot as usize;
    self.values[s * self.dims..(s + 1) * self.dims].copy_from_slice(values);
    self.inv_norms[s] = inverse_norm(values);
    self.ns[s] = ns;
    self.ids[s] = Some(id);
    self.entries[s] = entries;
  }

  /// Frees a slot, returning its indexed entries (for the metadata indexes to drop).
  pub fn remove(&mut self, slot: u32) -> Box<[Entry]> {
    let s = slot as usize;
    self.ns[s] = FREE;
    self.ids[s] = None;
    self.values[s * self.dims..(s + 1) * self.dims].fill(0.0);
    self.inv_norms[s] = 0.0;
    self.free.push(slot);
    self.live -= 1;
    std::mem::take(&mut self.entries[s])
  }

  /// Grows capacity by an eighth (at least 1024 slots) rather than doubling.
  fn grow(&mut self) {
    let more = (self.ns.len() / 8).max(1024);
    self.reserve_exact(more);
  }

  /// Whether holes are worth closing: more than a quarter of the slots, and at least 1024.
  pub fn needs_compaction(&self) -> bool {
    let holes = self.free.len();
    holes >= 1024 && holes * 4 > self.slots()
  }

  /// Moves live vectors from the end into holes and truncates. Returns the moves
  /// `(from, to)` so that id and metadata indexes can follow.
  pub fn compact(&mut self) -> Vec<(u32, u32)> {
    let mut holes: Vec<u32> = std::mem::take(&mut self.free);
    holes.sort_unstable();
    let mut moves = Vec::new();
    let mut lo = 0; // next hole to fill
    let mut end = self.slots();
    loop {
      // Drop trailing free slots.
      while end > 0 && self.ns[end - 1] == FREE {
        end -= 1;
      }
      // Holes at or beyond the new end are gone with the truncation.
      while lo < holes.len() && holes[lo] as usize >= end {
        lo = holes.len();
      }
      if lo >= holes.len() || end == 0 {
        break;
      }
      let to = holes[lo] as usize;
      lo += 1;
      if to >= end {
        break;
      }
      let from = end - 1;
      let d = self.dims;
      self.values.copy_within(from * d..(from + 1) * d, to * d);
      self.inv_norms[to] = self.inv_norms[from];
      self.ns[to] = self.ns[from];
      self.ids[to] = self.ids[from].take();
      self.entries[to] = std::mem::take(&mut self.entries[from]);
      self.ns[from] = FREE;
      moves.push((from as u32, to as u32));
      end -= 1;
    }
    self.values.truncate(end * self.dims);
    self.inv_norms.truncate(end);
    self.ns.truncate(end);
    self.ids.truncate(end);
    self.entries.truncate(end);
    self.values.shrink_to_fit();
    advise_huge_pages(&self.values);
    self.inv_norms.shrink_to_fit();
    self.ns.shrink_to_fit();
    self.ids.shrink_to_fit();
    self.entries.shrink_to_fit();
    debug_assert_eq!(self.live, end);
    moves
  }

  /// Bytes held by the arena and its columns (for tests of the memory bound).
  pub fn heap_bytes(&self) -> usize {
    self.values.capacity() * 4
      + self.inv_norms.capacity() * 4
      + self.ns.capacity() * 4
      + self.ids.capacity() * std::mem::size_of::<Option<Arc<str>>>()
      + self.entries.capacity() * std::mem::size_of::<Box<[Entry]>>()
  }
}

/// Asks Linux for transparent huge pages on the arena (when THP is in `madvise` mode): scans and
/// the scattered reads of filtered queries then miss the TLB far less. A hint only; advising the
/// whole capacity before the pages are touched lets the first faults map huge pages directly.
fn advise_huge_pages(v: &Vec<f32>) {
  #[cfg(target_os = "linux")]
  {
    const PAGE: usize = 4096;
    let start = v.as_ptr() as usize;
    let end = start + v.capacity() * std::mem::size_of::<f32>();
    let from = (start + PAGE - 1) & !(PAGE - 1);
    let to = end & !(PAGE - 1);
    if to > from + (2 << 20) {
      // SAFETY: the range lies inside the Vec's allocation; MADV_HUGEPAGE changes no contents.
      unsafe { libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE) };
    }
  }
  #[cfg(not(target_os = "linux"))]
  let _ = v;
}
