//! CORS exactly as EdgeBase's middleware: allowed origins from `cors.origin` (exact, `*`, or
//! patterns with `*` matched as `^https?://<pattern>$`), by default only `http://localhost[:port]`
//! and `http://127.0.0.1[:port]`.

use crate::config::Cors;
use axum::http::header::{self, HeaderMap, HeaderValue};

const ALLOW_HEADERS: &str = "Content-Type, Authorization, X-EdgeBase-Service-Key";

/// `*` matches any run of characters; everything else literally.
fn glob(pattern: &str, s: &str) -> bool {
  let mut parts = pattern.split('*');
  let first = parts.next().unwrap_or("");
  let Some(mut rest) = s.strip_prefix(first) else {
    return false;
  };
  let parts: Vec<&str> = parts.collect();
  for (i, p) in parts.iter().enumerate() {
    if i == parts.len() - 1 {
      return rest.len() >= p.len() && rest.ends_with(p);
    }
    match rest.find(p) {
      Some(at) => rest = &rest[at + p.len()..],
      None => return false,
    }
  }
  rest.is_empty()
}

fn local_default(origin: &str) -> bool {
  ["http://localhost", "http://127.0.0.1"].iter().any(|host| {
    origin.strip_prefix(host).is_some_and(|rest| {
      let rest = rest
        .strip_prefix(':')
        .map(|r| r.trim_start_matches(|c: char| c.is_ascii_digit()))
        .filter(|r| r.len() < rest.len() - 1)
        .unwrap_or(rest);
      rest.is_empty() || rest.starts_with('/')
    })
  })
}

fn allowed(cors: &Cors, origin: &str) -> bool {
  if cors.any_origin {
    return true;
  }
  match &cors.origin {
    None => local_default(origin),
    Some(list) => list.iter().any(|p| {
      p == origin
        || (p.contains('*')
          && ["http://", "https://"]
            .iter()
            .any(|scheme| origin.strip_prefix(scheme).is_some_and(|o| glob(p, o))))
    }),
  }
}

/// The headers to add for this request's `Origin`, or none when it is absent or not allowed.
pub fn headers_for(cors: &Cors, origin: Option<&HeaderValue>) -> Option<HeaderMap> {
  let origin = origin?.to_str().ok().filter(|o| !o.is_empty())?;
  if !allowed(cors, origin) {
    return None;
  }
  let credentials = cors.credentials && !cors.any_origin;
  let mut h = HeaderMap::new();
  let acao = if cors.any_origin && !credentials {
    "*"
  } else {
    origin
  };
  h.insert(
    header::ACCESS_CONTROL_ALLOW_ORIGIN,
    HeaderValue::from_str(acao).ok()?,
  );
  h.insert(
    header::ACCESS_CONTROL_ALLOW_METHODS,
    HeaderValue::from_str(&cors.methods).ok()?,
  );
  h.insert(
    header::ACCESS_CONTROL_ALLOW_HEADERS,
    HeaderValue::from_static(ALLOW_HEADERS),
  );
  h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from(cors.max_age));
  if credentials {
    h.insert(
      header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
      HeaderValue::from_static("true"),
    );
  }
  h.insert(header::VARY, HeaderValue::from_static("Origin"));
  Some(h)
}

#[cfg(test)]
mod tests {
  use super::*;

  fn cors(origin: Option<Vec<&str>>, any: bool) -> Cors {
    Cors {
      origin: origin.map(|o| o.into_iter().map(String::from).collect()),
      any_origin: any,
      ..Cors::default()
    }
  }

  fn acao(c: &Cors, origin: &str) -> Option<String> {
    headers_for(c, Some(&HeaderValue::from_str(origin).unwrap())).map(|h| {
      h[header::ACCESS_CONTROL_ALLOW_ORIGIN]
        .to_str()
        .unwrap()
        .to_string()
    })
  }

  #[test]
  fn default_allows_only_local_http() {
    let c = Cors::default();
    for ok in [
      "http://localhost",
      "http://localhost:5173",
      "http://127.0.0.1:8787",
      "http://localhost/x",
    ] {
      assert_eq!(acao(&c, ok).as_deref(), Some(ok), "{ok}");
    }
    for bad in [
      "https://localhost",
      "http://localhost.evil.com",
      "http://localhost:",
      "http://127.0.0.1:80x",
      "http://example.com",
    ] {
      assert_eq!(acao(&c, bad), None, "{bad}");
    }
    let h = headers_for(&c, Some(&HeaderValue::from_static("http://localhost:3000"))).unwrap();
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
    assert_eq!(h[header::VARY], "Origin");
    assert_eq!(h[header::ACCESS_CONTROL_MAX_AGE], "86400");
    assert_eq!(
      h[header::ACCESS_CONTROL_ALLOW_METHODS],
      "GET, POST, PATCH, DELETE, OPTIONS"
    );
    assert!(headers_for(&c, None).is_none());
  }

  #[test]
  fn star_and_patterns() {
    let star = cors(None, true);
    assert_eq!(acao(&star, "https://anything.example").as_deref(), Some("*"));
    assert!(
      !headers_for(&star, Some(&HeaderValue::from_static("https://a.b")))
        .unwrap()
        .contains_key(header::ACCESS_CONTROL_ALLOW_CREDENTIALS)
    );
    let pat = cors(Some(vec!["*.example.com", "https://exact.dev"]), false);
    assert_eq!(
      acao(&pat, "https://app.example.com").as_deref(),
      Some("https://app.example.com")
    );
    assert_eq!(
      acao(&pat, "http://a.b.example.com").as_deref(),
      Some("http://a.b.example.com")
    );
    assert_eq!(acao(&pat, "https://example.com"), None);
    assert_eq!(acao(&pat, "https://app.example.com.evil"), None);
    assert_eq!(
      acao(&pat, "https://exact.dev").as_deref(),
      Some("https://exact.dev")
    );
    assert_eq!(acao(&pat, "http://exact.dev"), None);
  }
}
