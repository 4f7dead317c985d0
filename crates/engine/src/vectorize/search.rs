//! Exact search: bounded top-K heaps over simsimd kernels, one pass over the arena for a whole
//! batch of queries (each block of vectors is read from memory once and scored against every
//! query while it is in cache), split across all cores once the scan is large enough.

use super::arena::{Arena, FREE};
use super::metric::Metric;
use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Below this many floats scanned, one thread is faster than waking the pool.
const PARALLEL_FLOATS: usize = 1 << 17;
/// Bytes of vectors per block: small enough to stay in L2 while every query of a batch reads it.
const BLOCK_BYTES: usize = 128 * 1024;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Cand {
  pub key: f64,
  pub slot: u32,
}

impl PartialEq for Cand {
  fn eq(&self, o: &Self) -> bool {
    self.cmp(o) == Ordering::Equal
  }
}
impl Eq for Cand {}
impl PartialOrd for Cand {
  fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
    Some(self.cmp(o))
  }
}
impl Ord for Cand {
  fn cmp(&self, o: &Self) -> Ordering {
    self.key.total_cmp(&o.key).then(self.slot.cmp(&o.slot))
  }
}

/// The `k` smallest keys seen so far (a max-heap whose top is the one to beat).
#[derive(Clone)]
pub(crate) struct TopK {
  k: usize,
  heap: BinaryHeap<Cand>,
}

impl TopK {
  pub fn new(k: usize) -> Self {
    TopK {
      k,
      heap: BinaryHeap::with_capacity(k + 1),
    }
  }

  #[inline(always)]
  pub fn push(&mut self, key: f64, slot: u32) {
    if self.heap.len() < self.k {
      self.heap.push(Cand { key, slot });
    } else if let Some(top) = self.heap.peek() {
      let c = Cand { key, slot };
      if c < *top {
        self.heap.pop();
        self.heap.push(c);
      }
    }
  }

  fn merge(mut self, other: TopK) -> TopK {
    for c in other.heap {
      self.push(c.key, c.slot);
    }
    self
  }

  /// Best first.
  pub fn into_sorted(self) -> Vec<Cand> {
    self.heap.into_sorted_vec()
  }
}

/// One query of a scan: its vector and `k`.
pub(crate) struct Probe<'a> {
  pub vector: &'a [f32],
  pub k: usize,
}

/// Which slots a scan visits.
pub(crate) enum Scope<'a> {
  /// Every live slot.
  All,
  /// Every live slot of one namespace id.
  Namespace(u32),
  /// These slots (ascending), already filtered.
  Slots(&'a [u32]),
}

/// Scores every probe against the slots in scope; one top-K per probe.
pub(crate) fn scan(arena: &Arena, metric: Metric, scope: &Scope<'_>, probes: &[Probe<'_>]) -> Vec<TopK> {
  let d = arena.dims();
  let block = (BLOCK_BYTES / (4 * d)).max(8);
  let fresh = || probes.iter().map(|p| TopK::new(p.k)).collect::<Vec<_>>();
  let merge = |a: Vec<TopK>, b: Vec<TopK>| a.into_iter().zip(b).map(|(x, y)| x.merge(y)).collect::<Vec<_>>();
  let len = match scope {
    Scope::Slots(s) => s.len(),
    _ => arena.slots(),
  };
  let parallel = len * d * probes.len() >= PARALLEL_FLOATS;
  let ranges = (0..len.div_ceil(block)).map(move |b| b * block..((b + 1) * block).min(len));
  let visit = |mut acc: Vec<TopK>, r: std::ops::Range<usize>| {
    match scope {
      Scope::All => score_range(arena, metric, r, None, probes, &mut acc),
      Scope::Namespace(ns) => score_range(arena, metric, r, Some(*ns), probes, &mut acc),
      Scope::Slots(slots) => score_slots(arena, metric, &slots[r], probes, &mut acc),
    }
    acc
  };
  if parallel {
    let ranges: Vec<_> = ranges.collect();
    ranges.into_par_iter().fold(fresh, visit).reduce(fresh, merge)
  } else {
    ranges.fold(fresh(), visit)
  }
}

#[inline(always)]
fn score_range(
  arena: &Arena,
  metric: Metric,
  r: std::ops::Range<usize>,
  ns: Option<u32>,
  probes: &[Probe<'_>],
  acc: &mut [TopK],
) {
  let d = arena.dims();
  let values = arena.values();
  let norms = arena.inv_norms();
  let col = arena.ns_column();
  for (p, top) in probes.iter().zip(acc.iter_mut()) {
    for s in r.clone() {
      let n = col[s];
      if n == FREE || ns.is_some_and(|want| want != n) {
        continue;
      }
      let v = &values[s * d..(s + 1) * d];
      top.push(metric.key(p.vector, v, norms[s]), s as u32);
    }
  }
}

/// Candidates of a filter are scattered: fetch a few vectors ahead, since the hardware prefetcher
/// does not follow strides that cross pages.
const PREFETCH_AHEAD: usize = 4;

#[inline(always)]
fn score_slots(arena: &Arena, metric: Metric, slots: &[u32], probes: &[Probe<'_>], acc: &mut [TopK]) {
  let norms = arena.inv_norms();
  for (p, top) in probes.iter().zip(acc.iter_mut()) {
    for (i, &s) in slots.iter().enumerate() {
      if let Some(&next) = slots.get(i + PREFETCH_AHEAD) {
        prefetch(arena.vector(next));
      }
      top.push(metric.key(p.vector, arena.vector(s), norms[s as usize]), s);
    }
  }
}

#[inline(always)]
fn prefetch(v: &[f32]) {
  #[cfg(target_arch = "x86_64")]
  {
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    let p = v.as_ptr() as *const i8;
    for offset in (0..std::mem::size_of_val(v)).step_by(64) {
      // SAFETY: prefetching is a hint; the address lies inside `v`.
      unsafe { _mm_prefetch(p.add(offset), _MM_HINT_T0) };
    }
  }
  #[cfg(not(target_arch = "x86_64"))]
  let _ = v;
}
