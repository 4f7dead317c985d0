//! The in-memory index: arena, id map, namespaces, metadata indexes, and the mutation log
//! position. Mutations are applied here by the writer thread (under the write lock); queries
//! read it under the read lock.

use super::arena::{Arena, NO_NAMESPACE};
use super::filter::Filter;
use super::metaindex::{Entry, IndexType, MetaIndex};
use super::metric::Metric;
use super::search::{self, scan, Scope, TopK};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// How much metadata a query returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataLevel {
  None,
  Indexed,
  All,
}

impl MetadataLevel {
  pub fn parse(s: &str) -> Option<Self> {
    match s {
      "none" => Some(MetadataLevel::None),
      "indexed" => Some(MetadataLevel::Indexed),
      "all" => Some(MetadataLevel::All),
      _ => None,
    }
  }
}

/// A validated query.
#[derive(Clone, Debug)]
pub struct QueryPlan {
  /// The query vector: given (`query`) or the stored vector of an id (`queryById`, looked up
  /// when the query runs; an unknown id has no matches).
  pub vector: Probe,
  pub top_k: usize,
  pub namespace: Option<String>,
  pub filter: Option<Filter>,
  pub return_values: bool,
  pub return_metadata: MetadataLevel,
}

#[derive(Clone, Debug)]
pub enum Probe {
  Vector(Vec<f32>),
  Id(String),
}

/// A ranked match before its metadata is read.
pub(crate) struct Hit {
  pub slot: u32,
  pub score: f64,
}

pub(crate) struct State {
  pub dims: usize,
  pub metric: Metric,
  pub arena: Arena,
  pub by_id: HashMap<Arc<str>, u32>,
  /// Namespace names by id; id 0 is "no namespace".
  ns_names: Vec<Arc<str>>,
  ns_ids: HashMap<Arc<str>, u32>,
  pub indexes: Vec<MetaIndex>,
  /// Sequence number of the last applied mutation.
  pub seq: u64,
  pub last_mutation: Option<String>,
  pub last_ms: Option<u64>,
}

impl State {
  pub fn new(dims: usize, metric: Metric) -> Self {
    State {
      dims,
      metric,
      arena: Arena::new(dims),
      by_id: HashMap::new(),
      ns_names: vec![Arc::from("")],
      ns_ids: HashMap::new(),
      indexes: Vec::new(),
      seq: 0,
      last_mutation: None,
      last_ms: None,
    }
  }

  pub fn namespace_id(&self, name: &str) -> Option<u32> {
    self.ns_ids.get(name).copied()
  }

  pub fn namespace_name(&self, id: u32) -> Option<&Arc<str>> {
    (id != NO_NAMESPACE).then(|| &self.ns_names[id as usize])
  }

  fn intern(&mut self, name: Option<&str>) -> u32 {
    let Some(name) = name else { return NO_NAMESPACE };
    if let Some(&id) = self.ns_ids.get(name) {
      return id;
    }
    let id = self.ns_names.len() as u32;
    let name: Arc<str> = name.into();
    self.ns_names.push(name.clone());
    self.ns_ids.insert(name, id);
    id
  }

  /// What the current metadata indexes hold for a vector with this metadata.
  pub fn entries_for(&self, metadata: Option<&Value>) -> Vec<Entry> {
    let Some(m) = metadata else { return Vec::new() };
    self
      .indexes
      .iter()
      .filter_map(|i| i.key_of(m).map(|k| (i.uid, k)))
      .collect()
  }

  /// Inserts or replaces a vector.
  pub fn put(&mut self, id: &str, namespace: Option<&str>, values: &[f32], entries: Vec<Entry>) {
    let ns = self.intern(namespace);
    let entries = entries.into_boxed_slice();
    match self.by_id.get(id).copied() {
      Some(slot) => {
        self.unindex(slot);
        self.arena.replace(slot, ns, values, entries);
        self.index(slot);
      }
      None => {
        let id: Arc<str> = id.into();
        let slot = self.arena.add(id.clone(), ns, values, entries);
        self.by_id.insert(id, slot);
        self.index(slot);
      }
    }
  }

  /// Appends a vector read from the file (`values` as little-endian float32 bytes).
  pub fn load(&mut self, id: &str, namespace: Option<&str>, values: &[u8], entries: Vec<Entry>) {
    let ns = self.intern(namespace);
    let id: Arc<str> = id.into();
    let slot = self
      .arena
      .push_le(id.clone(), ns, values, entries.into_boxed_slice());
    self.by_id.insert(id, slot);
    self.index(slot);
  }

  /// Deletes a vector; false when the id is unknown.
  pub fn delete(&mut self, id: &str) -> bool {
    let Some(slot) = self.by_id.remove(id) else {
      return false;
    };
    self.unindex(slot);
    self.arena.remove(slot);
    true
  }

  fn index(&mut self, slot: u32) {
    for (uid, key) in self.arena.entries(slot) {
      if let Some(i) = self.indexes.iter_mut().find(|i| i.uid == *uid) {
        i.insert(key.clone(), slot);
      }
    }
  }

  fn unindex(&mut self, slot: u32) {
    for (uid, key) in self.arena.entries(slot) {
      if let Some(i) = self.indexes.iter_mut().find(|i| i.uid == *uid) {
        i.remove(key, slot);
      }
    }
  }

  /// Closes arena holes once they are a quarter of it; ids and indexes follow the moves.
  pub fn maybe_compact(&mut self) {
    if !self.arena.needs_compaction() {
      return;
    }
    for (from, to) in self.arena.compact() {
      if let Some(id) = self.arena.id(to).cloned() {
        self.by_id.insert(id, to);
      }
      for (uid, key) in self.arena.entries(to) {
        if let Some(i) = self.indexes.iter_mut().find(|i| i.uid == *uid) {
          i.relocate(key, from, to);
        }
      }
    }
  }

  pub fn create_index(&mut self, property: &str, ty: IndexType, uid: u64) {
    self.indexes.push(MetaIndex::new(property, ty, uid));
  }

  /// Drops an index; the vectors' entries for it become inert (no index has its uid any more).
  pub fn delete_index(&mut self, property: &str) -> bool {
    let before = self.indexes.len();
    self.indexes.retain(|i| i.property != property);
    self.indexes.len() != before
  }

  /// How many floats a query would scan: every slot's, or (when that is more than `small`) only
  /// those of its filter's candidates — cheap to count from the metadata indexes.
  pub fn scan_floats(&self, plan: &QueryPlan, small: usize) -> usize {
    let all = self.arena.slots() * self.dims;
    match &plan.filter {
      Some(f) if all > small => f.candidates(&self.indexes).len() as usize * self.dims,
      _ => all,
    }
  }

  /// The vector a plan queries with, if it has one.
  fn query_vector<'a>(&'a self, plan: &'a QueryPlan) -> Option<&'a [f32]> {
    match &plan.vector {
      Probe::Vector(v) => Some(v),
      Probe::Id(id) => self.by_id.get(id.as_str()).map(|&slot| self.arena.vector(slot)),
    }
  }

  /// Runs a batch of queries: unfiltered ones share one pass over the arena.
  pub(crate) fn search(&self, plans: &[&QueryPlan]) -> Vec<Vec<Hit>> {
    let mut out: Vec<Option<Vec<Hit>>> = (0..plans.len()).map(|_| None).collect();
    let mut shared: Vec<usize> = Vec::new();
    for (i, plan) in plans.iter().enumerate() {
      let Some(vector) = self.query_vector(plan) else {
        out[i] = Some(Vec::new());
        continue;
      };
      let ns = match plan.namespace.as_deref() {
        Some(name) => match self.namespace_id(name) {
          Some(id) => Some(id),
          None => {
            out[i] = Some(Vec::new());
            continue;
          }
        },
        None => None,
      };
      let probe = [search::Probe {
        vector,
        k: plan.top_k,
      }];
      let tops = match (&plan.filter, ns) {
        (None, None) => {
          shared.push(i);
          continue;
        }
        (None, Some(ns)) => scan(&self.arena, self.metric, &Scope::Namespace(ns), &probe),
        (Some(f), ns) => {
          let col = self.arena.ns_column();
          let slots: Vec<u32> = match ns {
            Some(ns) => f
              .candidates(&self.indexes)
              .iter()
              .filter(|&s| col[s as usize] == ns)
              .collect(),
            None => f.candidates(&self.indexes).iter().collect(),
          };
          scan(&self.arena, self.metric, &Scope::Slots(&slots), &probe)
        }
      };
      out[i] = Some(self.hits(vector, tops.into_iter().next()));
    }
    if !shared.is_empty() {
      let probes: Vec<search::Probe<'_>> = shared
        .iter()
        .map(|&i| search::Probe {
          vector: self.query_vector(plans[i]).unwrap_or_default(),
          k: plans[i].top_k,
        })
        .collect();
      let tops = scan(&self.arena, self.metric, &Scope::All, &probes);
      for ((&i, top), p) in shared.iter().zip(tops).zip(&probes) {
        out[i] = Some(self.hits(p.vector, Some(top)));
      }
    }
    out.into_iter().map(Option::unwrap_or_default).collect()
  }

  fn hits(&self, query: &[f32], top: Option<TopK>) -> Vec<Hit> {
    let mut best = top.map(TopK::into_sorted).unwrap_or_default();
    // Equal scores come out in id order, whatever slots the vectors occupy.
    best.sort_by(|a, b| {
      a.key
        .total_cmp(&b.key)
        .then_with(|| self.arena.id(a.slot).cmp(&self.arena.id(b.slot)))
    });
    best
      .into_iter()
      .map(|c| Hit {
        slot: c.slot,
        score: self.metric.score(c.key, query, self.arena.vector(c.slot)),
      })
      .collect()
  }

  /// The indexed metadata of a slot as a JSON object (dotted properties nested back), strings
  /// as indexed (first 64 bytes); `{}` when it has none.
  pub fn indexed_metadata(&self, slot: u32) -> String {
    let mut root = Map::new();
    for (uid, key) in self.arena.entries(slot) {
      let Some(index) = self.indexes.iter().find(|i| i.uid == *uid) else {
        continue;
      };
      let mut parts: Vec<&str> = index.property.split('.').collect();
      let last = parts.pop().unwrap_or_default();
      let mut obj = &mut root;
      for p in parts {
        let v = obj.entry(p).or_insert_with(|| Value::Object(Map::new()));
        if !v.is_object() {
          *v = Value::Object(Map::new());
        }
        obj = v.as_object_mut().expect("just made an object");
      }
      obj.insert(last.into(), key.to_json());
    }
    Value::Object(root).to_string()
  }
}
