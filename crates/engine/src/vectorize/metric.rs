//! Distance metrics: the simsimd kernel each one runs, and Cloudflare's score conventions.
//!
//! Every scan ranks by a *key* where smaller is closer, so one top-K heap serves all metrics:
//! cosine ranks by −(q·v)/|v| (the query's norm is a constant factor, applied once at the end),
//! euclidean by |q−v|², dot-product by −(q·v). Scores follow Cloudflare's documentation: cosine
//! similarity (descending), euclidean L2 distance (ascending), and the negated dot product
//! (ascending: more negative is more similar).

use simsimd::SpatialSimilarity;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
  Cosine,
  Euclidean,
  DotProduct,
}

impl Metric {
  pub fn parse(s: &str) -> Option<Self> {
    match s {
      "cosine" => Some(Metric::Cosine),
      "euclidean" => Some(Metric::Euclidean),
      "dot-product" => Some(Metric::DotProduct),
      _ => None,
    }
  }

  pub fn as_str(self) -> &'static str {
    match self {
      Metric::Cosine => "cosine",
      Metric::Euclidean => "euclidean",
      Metric::DotProduct => "dot-product",
    }
  }

  pub(crate) fn tag(self) -> u8 {
    match self {
      Metric::Cosine => 0,
      Metric::Euclidean => 1,
      Metric::DotProduct => 2,
    }
  }

  pub(crate) fn from_tag(t: u8) -> Option<Self> {
    [Metric::Cosine, Metric::Euclidean, Metric::DotProduct]
      .get(t as usize)
      .copied()
  }

  /// The ranking key of stored vector `v` (with inverse norm `inv_norm`) for query `q`.
  #[inline(always)]
  pub(crate) fn key(self, q: &[f32], v: &[f32], inv_norm: f32) -> f64 {
    match self {
      Metric::Cosine => -dot(q, v) * inv_norm as f64,
      Metric::Euclidean => l2sq(q, v),
      Metric::DotProduct => -dot(q, v),
    }
  }

  /// The score Cloudflare reports for a match of query `q` with stored `v` ranked by `key`.
  /// Cosine is recomputed with float64 norms (the scan used a float32 inverse norm).
  pub(crate) fn score(self, key: f64, q: &[f32], v: &[f32]) -> f64 {
    match self {
      Metric::Cosine => {
        let n = (dot(q, q) * dot(v, v)).sqrt();
        if n > 0.0 && n.is_finite() {
          (dot(q, v) / n).clamp(-1.0, 1.0)
        } else {
          0.0
        }
      }
      Metric::Euclidean => key.max(0.0).sqrt(),
      Metric::DotProduct => key,
    }
  }
}

#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f64 {
  f32::dot(a, b).unwrap_or(f64::NAN)
}

#[inline(always)]
fn l2sq(a: &[f32], b: &[f32]) -> f64 {
  f32::l2sq(a, b).unwrap_or(f64::NAN)
}

/// 1/|v|, or 0 for the zero vector: its cosine similarity with anything is then 0.
pub(crate) fn inverse_norm(v: &[f32]) -> f32 {
  let n = dot(v, v).sqrt();
  if n > 0.0 && n.is_finite() {
    (1.0 / n) as f32
  } else {
    0.0
  }
}
