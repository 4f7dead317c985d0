//! Service keys (EdgeBase's scope engine): the keymap resolved from `serviceKeys.keys`, the
//! structured `jb_<kid>_…` and plain root-key formats, constraints and `:`-segment scopes with
//! `*`. Secrets are compared in constant time.

use crate::config::{KeyEntry, Secret};
use crate::time;
use crate::vars::Vars;
use std::net::IpAddr;
use subtle::ConstantTimeEq;

/// Outcome of checking a presented key: routes answer 403 for `Missing`, 401 for `Invalid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyCheck {
  Valid,
  Invalid,
  Missing,
}

/// What constraints are checked against.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ctx<'a> {
  /// `ENVIRONMENT`.
  pub env: Option<&'a str>,
  /// The client's address (see `app::client_ip`).
  pub ip: Option<IpAddr>,
  /// Native and storage routes have no tenant, so `tenant`-constrained keys never pass there.
  pub tenant: Option<&'a str>,
}

struct Resolved {
  entry: KeyEntry,
  secret: String,
  expires_at_ms: Option<i64>,
}

/// Enabled entries whose secret resolved, in config order.
pub struct Keymap(Vec<Resolved>);

fn same(a: &str, b: &str) -> bool {
  a.as_bytes().ct_eq(b.as_bytes()).into()
}

impl Keymap {
  /// `None` when no entry is enabled and resolvable (every key is then "missing").
  pub fn build(entries: &[KeyEntry], vars: &Vars) -> Option<Keymap> {
    let resolved: Vec<Resolved> = entries
      .iter()
      .filter(|e| e.enabled)
      .filter_map(|e| {
        let secret = match &e.secret {
          Secret::Inline(s) => Some(s.as_str()).filter(|s| !s.is_empty()),
          Secret::Ref(name) => vars.get(name),
        }?;
        Some(Resolved {
          entry: e.clone(),
          secret: secret.to_string(),
          expires_at_ms: e.expires_at.as_deref().and_then(time::parse_iso),
        })
      })
      .collect();
    (!resolved.is_empty()).then_some(Keymap(resolved))
  }

  /// EdgeBase's `validateScopedKey`.
  pub fn check(&self, provided: Option<&str>, scope: &str, ctx: &Ctx) -> KeyCheck {
    let Some(provided) = provided else {
      return KeyCheck::Missing;
    };
    if provided.is_empty() {
      return KeyCheck::Invalid;
    }
    if let Some(rest) = provided.strip_prefix("jb_") {
      if let Some(end) = rest.find('_').filter(|&i| i > 0) {
        let kid = &rest[..end];
        let Some(r) = self.0.iter().find(|r| r.entry.kid == kid) else {
          return KeyCheck::Invalid;
        };
        let ok = same(provided, &r.secret) && r.constraints_pass(ctx) && matches_scope(scope, &r.entry);
        return if ok { KeyCheck::Valid } else { KeyCheck::Invalid };
      }
    }
    // A plain key is compared with root keys only; scoped keys need their kid.
    let mut any_root = false;
    for r in self.0.iter().filter(|r| r.entry.root) {
      any_root = true;
      if same(provided, &r.secret) {
        return if r.constraints_pass(ctx) {
          KeyCheck::Valid
        } else {
          KeyCheck::Invalid
        };
      }
    }
    if any_root {
      KeyCheck::Invalid
    } else {
      KeyCheck::Missing
    }
  }

  /// EdgeBase's `validateConfiguredKey`: any configured key, constraints checked, scope
  /// ignored (the rate limiter's bypass).
  pub fn check_any(&self, provided: &str, ctx: &Ctx) -> KeyCheck {
    if provided.is_empty() {
      return KeyCheck::Invalid;
    }
    match self.0.iter().find(|r| same(provided, &r.secret)) {
      Some(r) if r.constraints_pass(ctx) => KeyCheck::Valid,
      _ => KeyCheck::Invalid,
    }
  }

  /// Whether `token` is exactly some key's secret (a service key sent as a bearer token).
  pub fn is_secret(&self, token: &str) -> bool {
    !token.is_empty() && self.0.iter().any(|r| same(token, &r.secret))
  }
}

impl Resolved {
  /// Expiry (`now >= expiresAt`; an unparseable date is ignored), then `env`, `ipCidr` and
  /// `tenant`, which fail closed when the request does not supply the value.
  fn constraints_pass(&self, ctx: &Ctx) -> bool {
    let e = &self.entry;
    if self.expires_at_ms.is_some_and(|at| time::now_ms() >= at) {
      return false;
    }
    if !e.env.is_empty() && !ctx.env.is_some_and(|env| e.env.iter().any(|x| x == env)) {
      return false;
    }
    if !e.ip_cidr.is_empty()
      && !ctx
        .ip
        .is_some_and(|ip| e.ip_cidr.iter().any(|c| ip_in_cidr(ip, c)))
    {
      return false;
    }
    if let Some(t) = &e.tenant {
      if ctx.tenant != Some(t.as_str()) {
        return false;
      }
    }
    true
  }
}

/// Root keys pass every scope; a scoped key passes when one of its scopes is `*` or has as many
/// `:` segments as `required`, each equal or `*`.
pub fn matches_scope(required: &str, entry: &KeyEntry) -> bool {
  if entry.root {
    return true;
  }
  let need = required.split(':').count();
  entry.scopes.iter().any(|scope| {
    scope == "*"
      || (scope.split(':').count() == need
        && scope
          .split(':')
          .zip(required.split(':'))
          .all(|(s, r)| s == "*" || s == r))
  })
}

/// `ip` is inside `cidr` (`10.0.0.0/8`, `2001:db8::/32`); malformed ranges match nothing.
pub fn ip_in_cidr(ip: IpAddr, cidr: &str) -> bool {
  let Some((net, bits)) = cidr.split_once('/') else {
    return false;
  };
  let Ok(bits) = bits.parse::<u32>() else {
    return false;
  };
  let Ok(net) = net.parse::<IpAddr>() else {
    return false;
  };
  let prefix = |a: &[u8], b: &[u8], bits: u32| {
    let (full, rest) = ((bits / 8) as usize, bits % 8);
    a[..full] == b[..full] && (rest == 0 || (a[full] ^ b[full]) & (0xffu8 << (8 - rest)) == 0)
  };
  match (ip.to_canonical(), net) {
    (IpAddr::V4(a), IpAddr::V4(b)) if bits <= 32 => prefix(&a.octets(), &b.octets(), bits),
    (IpAddr::V6(a), IpAddr::V6(b)) if bits <= 128 => prefix(&a.octets(), &b.octets(), bits),
    _ => false,
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::config::Config;
  use serde_json::json;
  use std::collections::HashMap;

  fn keymap(keys: serde_json::Value, vars: &[(&str, &str)]) -> Option<Keymap> {
    let c = Config::from_value(&json!({ "serviceKeys": { "keys": keys } })).unwrap();
    let vars = Vars::from_map(
      vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<HashMap<_, _>>(),
    );
    Keymap::build(&c.service_keys.unwrap(), &vars)
  }

  const NONE: Ctx = Ctx {
    env: None,
    ip: None,
    tenant: None,
  };

  #[test]
  fn keymap_skips_disabled_and_unresolvable() {
    assert!(keymap(json!([]), &[]).is_none());
    assert!(keymap(
      json!([{ "kid": "a", "secretSource": "dashboard", "secretRef": "NOPE", "tier": "root" }]),
      &[]
    )
    .is_none());
    assert!(keymap(
      json!([{ "kid": "a", "secret": "x", "enabled": false, "tier": "root" }]),
      &[]
    )
    .is_none());
    let k = keymap(
      json!([{ "kid": "a", "secretSource": "dashboard", "secretRef": "SK", "tier": "root" }]),
      &[("SK", "v")],
    )
    .unwrap();
    assert_eq!(k.check(Some("v"), "kv:namespace:x:read", &NONE), KeyCheck::Valid);
  }

  #[test]
  fn formats_and_outcomes() {
    let k = keymap(
      json!([
        { "kid": "root", "tier": "root", "scopes": ["*"], "secret": "root-secret" },
        { "kid": "ro", "tier": "scoped", "scopes": ["kv:namespace:cache:read"], "secret": "jb_ro_abc" },
      ]),
      &[],
    )
    .unwrap();
    let s = "kv:namespace:cache:read";
    assert_eq!(k.check(None, s, &NONE), KeyCheck::Missing);
    assert_eq!(k.check(Some(""), s, &NONE), KeyCheck::Invalid);
    assert_eq!(k.check(Some("root-secret"), s, &NONE), KeyCheck::Valid);
    assert_eq!(k.check(Some("root-secreT"), s, &NONE), KeyCheck::Invalid);
    assert_eq!(k.check(Some("jb_ro_abc"), s, &NONE), KeyCheck::Valid);
    assert_eq!(
      k.check(Some("jb_ro_abc"), "kv:namespace:cache:write", &NONE),
      KeyCheck::Invalid
    );
    assert_eq!(k.check(Some("jb_ro_abd"), s, &NONE), KeyCheck::Invalid);
    assert_eq!(k.check(Some("jb_zz_abc"), s, &NONE), KeyCheck::Invalid);
    // No second underscore → plain path → compared with root keys only.
    assert_eq!(k.check(Some("jb_ro"), s, &NONE), KeyCheck::Invalid);
    // A scoped-only keymap answers "missing" to plain keys.
    let scoped = keymap(
      json!([{ "kid": "ro", "tier": "scoped", "scopes": ["*"], "secret": "jb_ro_x" }]),
      &[],
    )
    .unwrap();
    assert_eq!(scoped.check(Some("plain"), s, &NONE), KeyCheck::Missing);
    assert_eq!(scoped.check(Some("jb_ro_x"), s, &NONE), KeyCheck::Valid);
    assert!(k.is_secret("jb_ro_abc") && !k.is_secret("") && !k.is_secret("x"));
    assert_eq!(k.check_any("jb_ro_abc", &NONE), KeyCheck::Valid);
    assert_eq!(k.check_any("nope", &NONE), KeyCheck::Invalid);
  }

  #[test]
  fn scope_segments() {
    let entry = |scopes: &[&str]| KeyEntry {
      kid: "k".into(),
      root: false,
      scopes: scopes.iter().map(|s| s.to_string()).collect(),
      secret: Secret::Inline("x".into()),
      enabled: true,
      expires_at: None,
      env: vec![],
      ip_cidr: vec![],
      tenant: None,
    };
    let need = "storage:bucket:avatars:write";
    for ok in [
      &["*"][..],
      &["storage:*:*:*"],
      &["storage:bucket:avatars:write"],
      &["storage:bucket:avatars:*"],
      &["x", "storage:bucket:*:write"],
    ] {
      assert!(matches_scope(need, &entry(ok)), "{ok:?}");
    }
    for bad in [
      &["storage:bucket:photos:write"][..],
      &["db:table:posts:read"],
      &["storage:*"],
      &["storage:bucket:avat*:write"],
      &[],
    ] {
      assert!(!matches_scope(need, &entry(bad)), "{bad:?}");
    }
  }

  #[test]
  fn constraints_fail_closed() {
    let k = keymap(
      json!([
        { "kid": "old", "tier": "root", "secret": "s-old", "constraints": { "expiresAt": "2000-01-01T00:00:00Z" } },
        { "kid": "bad-date", "tier": "root", "secret": "s-bad", "constraints": { "expiresAt": "someday" } },
        { "kid": "env", "tier": "root", "secret": "s-env", "constraints": { "env": ["staging"] } },
        { "kid": "ip", "tier": "root", "secret": "s-ip", "constraints": { "ipCidr": ["10.0.0.0/8", "2001:db8::/32"] } },
        { "kid": "tenant", "tier": "root", "secret": "s-t", "constraints": { "tenant": "t1" } },
      ]),
      &[],
    )
    .unwrap();
    let s = "kv:namespace:c:read";
    assert_eq!(k.check(Some("s-old"), s, &NONE), KeyCheck::Invalid);
    assert_eq!(k.check(Some("s-bad"), s, &NONE), KeyCheck::Valid);
    assert_eq!(k.check(Some("s-env"), s, &NONE), KeyCheck::Invalid);
    assert_eq!(
      k.check(
        Some("s-env"),
        s,
        &Ctx {
          env: Some("staging"),
          ..NONE
        }
      ),
      KeyCheck::Valid
    );
    assert_eq!(k.check(Some("s-ip"), s, &NONE), KeyCheck::Invalid);
    let ip = |a: &str| Ctx {
      ip: Some(a.parse().unwrap()),
      ..NONE
    };
    assert_eq!(k.check(Some("s-ip"), s, &ip("10.1.2.3")), KeyCheck::Valid);
    assert_eq!(k.check(Some("s-ip"), s, &ip("::ffff:10.1.2.3")), KeyCheck::Valid);
    assert_eq!(k.check(Some("s-ip"), s, &ip("2001:db8::1")), KeyCheck::Valid);
    assert_eq!(k.check(Some("s-ip"), s, &ip("11.0.0.1")), KeyCheck::Invalid);
    assert_eq!(k.check(Some("s-t"), s, &NONE), KeyCheck::Invalid);
  }

  #[test]
  fn cidr_edges() {
    let ip = |a: &str| a.parse::<IpAddr>().unwrap();
    assert!(ip_in_cidr(ip("192.168.1.7"), "192.168.1.0/24"));
    assert!(ip_in_cidr(ip("192.168.1.7"), "0.0.0.0/0"));
    assert!(ip_in_cidr(ip("192.168.1.7"), "192.168.1.7/32"));
    assert!(!ip_in_cidr(ip("192.168.1.7"), "192.168.1.6/32"));
    assert!(ip_in_cidr(ip("192.168.1.7"), "192.168.1.0/29"));
    assert!(!ip_in_cidr(ip("192.168.1.9"), "192.168.1.0/29"));
    for bad in ["192.168.1.0", "192.168.1.0/33", "x/8", "10.0.0.0/-1", "::/8"] {
      assert!(!ip_in_cidr(ip("10.0.0.1"), bad), "{bad}");
    }
  }
}
