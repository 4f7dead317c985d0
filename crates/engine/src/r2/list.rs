//! `list()`: byte-ordered pages with prefix, (multi-character) delimiter folding, cursor and
//! startAfter. A cursor encodes where the next page starts (inclusive), so a folded group is
//! skipped whole and keys written between pages show up if they sort after it. Metadata not
//! `include`d is `{}` (as Miniflare hands it back).

use super::error::R2Error;
use super::object::ObjectMeta;
use super::R2Bucket;
use crate::limits::r2::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

#[derive(Clone, Debug, Default)]
pub struct ListOptions {
  /// As given (a number); must be an integer-ish 1..=1000.
  pub limit: Option<f64>,
  pub prefix: Option<String>,
  pub cursor: Option<String>,
  pub delimiter: Option<String>,
  pub start_after: Option<String>,
  /// `include` entries as given.
  pub include: Vec<String>,
}

#[derive(Debug, Default, PartialEq)]
pub struct ListPage {
  pub objects: Vec<ObjectMeta>,
  pub delimited_prefixes: Vec<String>,
  pub truncated: bool,
  /// Present only when truncated.
  pub cursor: Option<String>,
}

/// The smallest byte string greater than every string starting with `p`, if any.
fn successor(p: &[u8]) -> Option<Vec<u8>> {
  let mut v = p.to_vec();
  while let Some(last) = v.pop() {
    if last < 0xff {
      v.push(last + 1);
      return Some(v);
    }
  }
  None
}

/// Cursors are opaque; an undecodable one reads as bytes anyway (Miniflare decodes leniently
/// and lists whatever sorts after the garbage).
fn decode_cursor(c: &str) -> Vec<u8> {
  let clean: String = c
    .chars()
    .filter(|ch| ch.is_ascii_alphanumeric() || *ch == '-' || *ch == '_')
    .collect();
  URL_SAFE_NO_PAD
    .decode(clean.as_bytes())
    .or_else(|_| URL_SAFE_NO_PAD.decode(&clean.as_bytes()[..clean.len() - clean.len() % 4]))
    .unwrap_or_else(|_| c.as_bytes().to_vec())
}

impl R2Bucket {
  pub fn list(&self, o: &ListOptions) -> Result<ListPage, R2Error> {
    let mut with_http = false;
    let mut with_custom = false;
    for i in &o.include {
      match i.as_str() {
        "httpMetadata" => with_http = true,
        "customMetadata" => with_custom = true,
        other => return Err(R2Error::UnsupportedInclude(other.to_string())),
      }
    }
    let mut limit = match o.limit {
      None => MAX_LIST_KEYS,
      Some(l) if l.is_nan() || l < 1.0 || l >= MAX_LIST_KEYS as f64 + 1.0 => {
        return Err(R2Error::InvalidMaxKeys)
      }
      Some(l) => l as usize,
    };
    if with_http || with_custom {
      limit = limit.min(MAX_LIST_KEYS_WITH_INCLUDE);
    }
    let prefix = o.prefix.as_deref().unwrap_or("").as_bytes();
    let delimiter = o.delimiter.as_deref().unwrap_or("").as_bytes();
    let end = successor(prefix);
    let mut start = prefix.to_vec();
    if let Some(s) = &o.start_after {
      let mut after = s.as_bytes().to_vec();
      after.push(0);
      start = start.max(after);
    }
    if let Some(c) = o.cursor.as_deref().filter(|c| !c.is_empty()) {
      start = start.max(decode_cursor(c));
    }

    let store = self.store()?;
    let index = store.index();
    let mut page = ListPage::default();
    let mut count = 0usize;
    // Where the page after the last returned entry starts.
    let mut next = start.clone();
    loop {
      // Each scan reads at most one row past the page: seeing it means "truncated".
      let mut refold: Option<Vec<u8>> = None;
      index.scan(
        &start,
        end.as_deref(),
        limit - count + 1,
        (with_http, with_custom),
        |meta| {
          let key = meta.key.as_bytes();
          if count == limit {
            page.truncated = true;
            return false;
          }
          let rest = &key[prefix.len().min(key.len())..];
          if let Some(at) = find(rest, delimiter) {
            let folded = &key[..prefix.len() + at + delimiter.len()];
            page
              .delimited_prefixes
              .push(String::from_utf8_lossy(folded).into_owned());
            count += 1;
            // UTF-8 never contains 0xff, so a folded prefix always has a successor.
            next = successor(folded).unwrap_or_else(|| key.to_vec());
            refold = Some(next.clone());
            return false;
          }
          count += 1;
          next = key.to_vec();
          next.push(0);
          page.objects.push(meta);
          true
        },
      )?;
      match refold {
        Some(s) if !page.truncated => start = s,
        _ => break,
      }
    }
    if page.truncated {
      page.cursor = Some(URL_SAFE_NO_PAD.encode(&next));
    }
    Ok(page)
  }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
  if needle.is_empty() {
    return None;
  }
  hay.windows(needle.len()).position(|w| w == needle)
}
