//! EdgeBase's fixed-window rate limiter: one counter per (group, client IP), groups chosen by
//! path, limits from `rateLimiting` or the defaults (relaxed in dev). Requests carrying a valid
//! service key are not counted (the caller decides that).

use crate::config::{Config, RateLimit};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const GROUPS: [&str; 5] = ["global", "db", "storage", "functions", "events"];
const CLEANUP_EVERY: Duration = Duration::from_secs(120);

/// EdgeBase's defaults (requests per 60 s), release and dev.
fn default_limit(group: &str, release: bool) -> u64 {
  match (group, release) {
    ("db", true) => 100,
    ("storage" | "functions", true) => 50,
    ("events", true) => 100,
    ("db" | "events", false) => 5000,
    ("storage" | "functions", false) => 1000,
    _ => 10_000_000,
  }
}

/// The group of a path.
pub fn group_of(path: &str) -> &'static str {
  if let Some(rest) = path.strip_prefix("/api/db/") {
    return if ["subscribe", "connect-check", "broadcast"].contains(&rest) {
      "global"
    } else {
      "db"
    };
  }
  if path.starts_with("/api/storage/") {
    "storage"
  } else if path.starts_with("/api/functions/") {
    "functions"
  } else if path.starts_with("/api/analytics/track") {
    "events"
  } else {
    "global"
  }
}

struct Bucket {
  count: u64,
  reset_at: Instant,
}

pub struct RateLimiter {
  limits: [RateLimit; GROUPS.len()],
  state: Mutex<(HashMap<(usize, Option<IpAddr>), Bucket>, Instant)>,
}

/// A refusal: the group that refused and the seconds until its window resets.
#[derive(Debug, PartialEq)]
pub struct Limited {
  pub group: &'static str,
  pub retry_after: u64,
}

impl RateLimiter {
  pub fn new(config: &Config) -> RateLimiter {
    let limits = GROUPS.map(|g| {
      config.rate_limits.get(g).copied().unwrap_or(RateLimit {
        requests: default_limit(g, config.release),
        window_secs: 60,
      })
    });
    RateLimiter {
      limits,
      state: Mutex::new((HashMap::new(), Instant::now())),
    }
  }

  /// Counts a request to `path` from `ip`; `Err` when over the limit of its group (or, for a
  /// non-global group, of the global group).
  pub fn check(&self, path: &str, ip: Option<IpAddr>) -> Result<(), Limited> {
    let group = group_of(path);
    let g = GROUPS.iter().position(|x| *x == group).unwrap_or(0);
    let now = Instant::now();
    let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
    let (buckets, last_cleanup) = &mut *guard;
    if now.duration_since(*last_cleanup) >= CLEANUP_EVERY {
      *last_cleanup = now;
      buckets.retain(|_, b| now < b.reset_at);
    }
    let mut hit = |g: usize| -> Result<(), Limited> {
      let RateLimit {
        requests,
        window_secs,
      } = self.limits[g];
      let refuse = |b: &Bucket| Limited {
        group: GROUPS[g],
        retry_after: b
          .reset_at
          .saturating_duration_since(now)
          .as_secs_f64()
          .ceil()
          .max(1.0) as u64,
      };
      let b = buckets.entry((g, ip)).or_insert(Bucket {
        count: 0,
        reset_at: now,
      });
      if requests == 0 {
        return Err(refuse(b)); // a limit of 0 bans the group
      }
      if now >= b.reset_at {
        *b = Bucket {
          count: 1,
          reset_at: now + Duration::from_secs(window_secs),
        };
        return Ok(());
      }
      if b.count >= requests {
        return Err(refuse(b));
      }
      b.count += 1;
      Ok(())
    };
    hit(g)?;
    if g != 0 {
      hit(0)?;
    }
    Ok(())
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use serde_json::json;

  #[test]
  fn groups_by_path() {
    assert_eq!(group_of("/api/kv/cache"), "global");
    assert_eq!(group_of("/api/health"), "global");
    assert_eq!(group_of("/api/storage/avatars/upload"), "storage");
    assert_eq!(group_of("/api/db/shared/tables/x"), "db");
    assert_eq!(group_of("/api/db/subscribe"), "global");
    assert_eq!(group_of("/api/functions/x"), "functions");
    assert_eq!(group_of("/api/analytics/track"), "events");
  }

  #[test]
  fn fixed_window_per_ip_and_group() {
    let c = Config::from_value(&json!({ "rateLimiting": { "storage": { "requests": 2, "window": "60s" }, "global": { "requests": 3, "window": 60 } } })).unwrap();
    let rl = RateLimiter::new(&c);
    let a = Some("10.0.0.1".parse().unwrap());
    let b = Some("10.0.0.2".parse().unwrap());
    assert!(rl.check("/api/storage/x/y", a).is_ok());
    assert!(rl.check("/api/storage/x/y", a).is_ok());
    let refused = rl.check("/api/storage/x/y", a).unwrap_err();
    assert_eq!(refused.group, "storage");
    assert!((59..=60).contains(&refused.retry_after));
    assert!(rl.check("/api/storage/x/y", b).is_ok());
    // storage requests also counted in global: a has used 2 of 3.
    assert!(rl.check("/api/kv/c", a).is_ok());
    assert_eq!(rl.check("/api/kv/c", a).unwrap_err().group, "global");
  }

  #[test]
  fn zero_bans() {
    let c = Config::from_value(&json!({ "rateLimiting": { "global": { "requests": 0, "window": "1h" } } }))
      .unwrap();
    assert!(RateLimiter::new(&c).check("/", None).is_err());
  }
}
