//! Checksums on put: the caller's expected digest (binary or hex, checked like workerd does)
//! and the streaming hasher that computes MD5 (always: it is the etag) plus that one digest.

use super::error::{Algorithm, R2Error};
use super::md5::Md5;
use super::object::Checksums;
use sha1::Digest;

/// A digest given by the caller, before validation.
#[derive(Clone, Debug)]
pub enum DigestInput {
  Bytes(Vec<u8>),
  Hex(String),
}

/// The validated expectation: one algorithm and its digest.
#[derive(Clone, Debug, PartialEq)]
pub struct Expected {
  pub algorithm: Algorithm,
  pub digest: Vec<u8>,
}

/// workerd's checks, in its order: each given field in md5…sha512 order is checked for shape,
/// and a second one is "multiple hashing algorithms".
pub fn expected(given: &[(Algorithm, DigestInput)]) -> Result<Option<Expected>, R2Error> {
  let mut found: Option<Expected> = None;
  let mut sorted: Vec<&(Algorithm, DigestInput)> = given.iter().collect();
  sorted.sort_by_key(|(a, _)| Algorithm::ALL.iter().position(|x| x == a));
  for (algorithm, input) in sorted {
    if found.is_some() {
      return Err(R2Error::MultipleHashes);
    }
    let algorithm = *algorithm;
    let digest = match input {
      DigestInput::Bytes(b) => {
        if b.len() != algorithm.digest_len() {
          return Err(R2Error::DigestBytes {
            algorithm,
            len: b.len(),
          });
        }
        b.clone()
      }
      DigestInput::Hex(h) => {
        // workerd counts the string's length in bytes of UTF-8.
        if h.len() != algorithm.digest_len() * 2 {
          return Err(R2Error::DigestHexLength {
            algorithm,
            len: h.len(),
          });
        }
        decode_hex(h).ok_or(R2Error::DigestHexInvalid(algorithm))?
      }
    };
    found = Some(Expected { algorithm, digest });
  }
  Ok(found)
}

pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
  if !s.len().is_multiple_of(2) {
    return None;
  }
  let nibble = |c: u8| match c {
    b'0'..=b'9' => Some(c - b'0'),
    b'a'..=b'f' => Some(c - b'a' + 10),
    b'A'..=b'F' => Some(c - b'A' + 10),
    _ => None,
  };
  s.as_bytes()
    .chunks(2)
    .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
    .collect()
}

pub fn encode_hex(bytes: &[u8]) -> String {
  const HEX: &[u8; 16] = b"0123456789abcdef";
  let mut s = String::with_capacity(bytes.len() * 2);
  for b in bytes {
    s.push(HEX[(b >> 4) as usize] as char);
    s.push(HEX[(b & 15) as usize] as char);
  }
  s
}

enum Other {
  None,
  Sha1(sha1::Sha1),
  Sha256(sha2::Sha256),
  Sha384(sha2::Sha384),
  Sha512(sha2::Sha512),
}

/// Hashes a body as it streams in.
pub struct Hasher {
  md5: Md5,
  other: Other,
  expected: Option<Expected>,
}

impl Hasher {
  pub fn new(expected: Option<Expected>) -> Self {
    let other = match expected.as_ref().map(|e| e.algorithm) {
      Some(Algorithm::Sha1) => Other::Sha1(Default::default()),
      Some(Algorithm::Sha256) => Other::Sha256(Default::default()),
      Some(Algorithm::Sha384) => Other::Sha384(Default::default()),
      Some(Algorithm::Sha512) => Other::Sha512(Default::default()),
      _ => Other::None,
    };
    Hasher {
      md5: Md5::default(),
      other,
      expected,
    }
  }

  pub fn update(&mut self, bytes: &[u8]) {
    self.md5.update(bytes);
    match &mut self.other {
      Other::None => {}
      Other::Sha1(h) => h.update(bytes),
      Other::Sha256(h) => h.update(bytes),
      Other::Sha384(h) => h.update(bytes),
      Other::Sha512(h) => h.update(bytes),
    }
  }

  /// The stored checksums (md5 plus the expected algorithm), or the BadDigest error.
  pub fn finish(self) -> Result<(Vec<u8>, Checksums), R2Error> {
    let md5 = self.md5.finish().to_vec();
    let other = match self.other {
      Other::None => None,
      Other::Sha1(h) => Some(h.finalize().to_vec()),
      Other::Sha256(h) => Some(h.finalize().to_vec()),
      Other::Sha384(h) => Some(h.finalize().to_vec()),
      Other::Sha512(h) => Some(h.finalize().to_vec()),
    };
    let mut checksums = Checksums {
      md5: Some(encode_hex(&md5)),
      ..Default::default()
    };
    if let Some(e) = self.expected {
      let actual = if e.algorithm == Algorithm::Md5 {
        md5.clone()
      } else {
        other.unwrap_or_default()
      };
      if actual != e.digest {
        return Err(R2Error::BadDigest {
          algorithm: e.algorithm,
          provided: encode_hex(&e.digest),
          actual: encode_hex(&actual),
        });
      }
      checksums.set(e.algorithm, encode_hex(&actual));
    }
    Ok((md5, checksums))
  }
}

/// MD5 of `bytes` (multipart etags hash the parts' binary MD5s).
pub fn md5(bytes: &[u8]) -> Vec<u8> {
  super::md5::digest(bytes).to_vec()
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn expectations_follow_workerd_order_and_texts() {
    let hex = |a, s: &str| (a, DigestInput::Hex(s.into()));
    let e = expected(&[
      hex(Algorithm::Sha1, &"0".repeat(40)),
      hex(Algorithm::Md5, &"0".repeat(32)),
    ]);
    assert_eq!(
      e.unwrap_err().to_string(),
      "You cannot specify multiple hashing algorithms."
    );
    let e = expected(&[hex(Algorithm::Sha256, &"z".repeat(64))]);
    assert_eq!(
      e.unwrap_err().to_string(),
      "Provided SHA-256 wasn't a valid hex string"
    );
    let e = expected(&[hex(Algorithm::Sha256, &"0".repeat(63))]);
    assert_eq!(e.unwrap_err().to_string(), "SHA-256 is 64 hex characters, not 63");
    let e = expected(&[(Algorithm::Md5, DigestInput::Bytes(vec![0; 3]))]);
    assert_eq!(e.unwrap_err().to_string(), "MD5 is 16 bytes, not 3");
    let ok = expected(&[hex(Algorithm::Sha1, &"AB".repeat(20))])
      .unwrap()
      .unwrap();
    assert_eq!(ok.digest, vec![0xab; 20]);
  }

  #[test]
  fn hasher_checks_and_reports() {
    let mut h = Hasher::new(None);
    h.update(b"val");
    h.update(b"ue");
    let (_, c) = h.finish().unwrap();
    assert_eq!(c.md5.as_deref(), Some("2063c1608d6e0baf80249c42e2be5804"));
    let mut h = Hasher::new(Some(Expected {
      algorithm: Algorithm::Sha1,
      digest: vec![0; 20],
    }));
    h.update(b"value");
    let err = h.finish().unwrap_err().to_string();
    assert!(err.starts_with("put: The SHA-1 checksum you specified did not match what we received.\nYou provided a SHA-1 checksum with value: 0000"));
    assert!(err.ends_with("(10037)"));
  }
}
