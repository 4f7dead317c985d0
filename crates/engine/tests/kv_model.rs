//! Random operation sequences against a `BTreeMap` model: gets, puts with and without
//! expirations, deletes, paged lists, clock jumps and reopen of the file. Deterministic seeds, so a
//! failure reproduces.

use edgebase_engine::kv::{KvNamespace, PutOptions};
use edgebase_engine::Clock;
use std::collections::BTreeMap;

struct Rng(u64);
impl Rng {
  fn next(&mut self) -> u64 {
    self.0 ^= self.0 << 13;
    self.0 ^= self.0 >> 7;
    self.0 ^= self.0 << 17;
    self.0
  }
  fn below(&mut self, n: u64) -> u64 {
    self.next() % n
  }
}

#[derive(Clone, Debug, PartialEq)]
struct Entry {
  value: Vec<u8>,
  expiration: Option<u64>,
  metadata: Option<String>,
}

const KEYS: &[&str] = &[
  "a",
  "ab",
  "abc",
  "b",
  "ba",
  "é",
  "z/1",
  "z/2",
  "Z",
  "key with space",
];

fn live(model: &BTreeMap<String, Entry>, now: u64) -> Vec<(&String, &Entry)> {
  model
    .iter()
    .filter(|(_, e)| e.expiration.is_none_or(|x| now < x))
    .collect()
}

fn run(seed: u64, dir: &std::path::Path) {
  let mut rng = Rng(seed);
  let clock = Clock::manual(1_700_000_000_000);
  let mut ns = KvNamespace::persistent(dir, &format!("model{seed}"), clock.clone()).unwrap();
  let mut model: BTreeMap<String, Entry> = BTreeMap::new();
  for step in 0..400 {
    let now = clock.now_secs();
    let key = KEYS[rng.below(KEYS.len() as u64) as usize];
    match rng.below(10) {
      0..=2 => {
        let value = format!("v{step}").into_bytes();
        let ttl = (rng.below(3) == 0).then(|| 60 + rng.below(120));
        let metadata = (rng.below(2) == 0).then(|| format!("{{\"s\":{step}}}"));
        let o = PutOptions {
          expiration_ttl: ttl.map(|t| t as f64),
          metadata: metadata.clone(),
          ..Default::default()
        };
        ns.put(key, &value, &o).unwrap().blocking_recv().unwrap().unwrap();
        model.insert(
          key.into(),
          Entry {
            value,
            expiration: ttl.map(|t| now + t),
            metadata,
          },
        );
      }
      3 => {
        ns.delete(key).unwrap().blocking_recv().unwrap().unwrap();
        model.remove(key);
      }
      4..=5 => {
        let got = ns
          .get(key, None, |r| Entry {
            value: r.value.to_vec(),
            expiration: r.expiration,
            metadata: r.metadata.map(|m| String::from_utf8(m.to_vec()).unwrap()),
          })
          .unwrap();
        let want = model
          .get(key)
          .filter(|e| e.expiration.is_none_or(|x| now < x))
          .cloned();
        assert_eq!(got, want, "seed {seed} step {step}: get {key}");
      }
      6..=7 => {
        let prefix = if rng.below(2) == 0 {
          ""
        } else {
          &key[..key.chars().next().unwrap().len_utf8()]
        };
        let limit = 1 + rng.below(4) as usize;
        let mut names = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
          let page = ns
            .list(Some(prefix), Some(limit as f64), cursor.as_deref())
            .unwrap();
          assert!(page.keys.len() <= limit);
          names.extend(page.keys.into_iter().map(|k| k.name));
          match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
          }
        }
        let want: Vec<String> = live(&model, now)
          .into_iter()
          .map(|(k, _)| k.clone())
          .filter(|k| k.starts_with(prefix))
          .collect();
        assert_eq!(
          names, want,
          "seed {seed} step {step}: list {prefix:?} limit {limit}"
        );
      }
      8 => {
        clock.advance_ms(rng.below(90_000));
      }
      _ => {
        // Close and reopen the file: everything acknowledged is still there.
        ns.close();
        ns = KvNamespace::persistent(dir, &format!("model{seed}"), clock.clone()).unwrap();
      }
    }
  }
}

#[test]
fn random_sequences_match_the_model() {
  let dir = tempfile::tempdir().unwrap();
  for seed in 1..=12u64 {
    run(seed * 0x9E37_79B9_7F4A_7C15, dir.path());
  }
}
