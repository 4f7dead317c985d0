//! Who may do what in a bucket: a valid service key bypasses the rules; a wrong one is 401; with
//! none, the bucket's rule decides (absent: allowed in dev, 403 in release).

use super::{error, Bucket};
use crate::app::{service_key_header, App, Caller};
use crate::auth::{AuthContext, KeyCheck};
use crate::config::Rule;
use crate::error::ApiError;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Action {
  Read,
  Write,
  Delete,
}

impl Action {
  fn as_str(self) -> &'static str {
    match self {
      Action::Read => "read",
      Action::Write => "write",
      Action::Delete => "delete",
    }
  }
}

/// The caller's standing for one request.
pub struct Access<'a> {
  pub app: &'a App,
  pub caller: Caller,
  pub headers: &'a HeaderMap,
}

impl<'a> Access<'a> {
  pub fn of_parts(app: &'a App, parts: &'a Parts) -> Self {
    Access {
      app,
      caller: crate::routes::caller(parts),
      headers: &parts.headers,
    }
  }

  pub fn of_request(app: &'a App, req: &'a Request) -> Self {
    let caller = req.extensions().get::<Caller>().cloned().unwrap_or_default();
    Access {
      app,
      caller,
      headers: req.headers(),
    }
  }
}

impl Access<'_> {
  pub fn auth(&self) -> Option<&AuthContext> {
    self.caller.auth.as_deref()
  }

  /// EdgeBase's `checkServiceKey`: `Ok(true)` for a valid key, `Ok(false)` when none was sent
  /// (rules apply), 401 for a wrong one.
  pub fn service_key(&self, bucket: &str, action: Action) -> Result<bool, ApiError> {
    let scope = format!("storage:bucket:{bucket}:{}", action.as_str());
    match self
      .app
      .check_key(service_key_header(self.headers).as_deref(), &scope, &self.caller)
    {
      KeyCheck::Valid => Ok(true),
      KeyCheck::Missing => Ok(false),
      KeyCheck::Invalid => Err(error(
        StatusCode::UNAUTHORIZED,
        format!("Invalid X-EdgeBase-Service-Key for storage scope '{scope}'."),
        "unauthenticated",
      )),
    }
  }

  /// The bucket's rule for `action` against `resource` (the file's fields, or none).
  pub fn rule(
    &self,
    bucket: &Bucket,
    action: Action,
    resource: Option<&[(&'static str, String)]>,
  ) -> Result<(), ApiError> {
    let rule = match action {
      Action::Read => &bucket.config.read,
      Action::Write => &bucket.config.write,
      Action::Delete => &bucket.config.delete,
    };
    let allowed = match rule {
      None if !self.app.config.release => return Ok(()),
      None => {
        return Err(error(
          StatusCode::FORBIDDEN,
          format!(
            "Access denied. No '{}' rule defined for bucket '{}'.",
            action.as_str(),
            bucket.name
          ),
          "access-denied",
        ))
      }
      Some(Rule::Always(b)) => *b,
      Some(Rule::Expr(e)) => evaluate(e, self.auth(), resource),
      Some(Rule::Function) => false,
    };
    if allowed {
      Ok(())
    } else {
      Err(error(
        StatusCode::FORBIDDEN,
        "Access denied by storage access rules.",
        "access-denied",
      ))
    }
  }

  /// Service key, else rule: the whole check of a route.
  pub fn check(
    &self,
    bucket: &Bucket,
    action: Action,
    resource: Option<&[(&'static str, String)]>,
  ) -> Result<(), ApiError> {
    if self.service_key(&bucket.name, action)? {
      return Ok(());
    }
    self.rule(bucket, action, resource)
  }
}

/// EdgeBase's string rules: `true`, `false`, `auth != null`, `auth == null` (also `!==`/`===`),
/// `auth.id == resource.<field>`; anything else denies.
pub fn evaluate(expr: &str, auth: Option<&AuthContext>, resource: Option<&[(&'static str, String)]>) -> bool {
  let e = expr.split_whitespace().collect::<Vec<_>>().join(" ");
  match e.as_str() {
    "true" => return true,
    "false" => return false,
    "auth != null" | "auth !== null" => return auth.is_some(),
    "auth == null" | "auth === null" => return auth.is_none(),
    _ => {}
  }
  let field = e
    .strip_prefix("auth.id === resource.")
    .or_else(|| e.strip_prefix("auth.id == resource."))
    .filter(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
  match (field, auth, resource) {
    (Some(f), Some(a), Some(r)) => r.iter().any(|(k, v)| *k == f && *v == a.id),
    (Some(_), _, _) => false,
    (None, _, _) => {
      eprintln!("@edgebase/native: unrecognized storage rule expression {expr:?} — denied.");
      false
    }
  }
}

#[cfg(test)]
mod tests {
  use super::evaluate;
  use crate::auth::AuthContext;

  #[test]
  fn string_rules() {
    let user = AuthContext {
      id: "u1".into(),
      email: None,
      role: "user".into(),
      is_anonymous: false,
      custom: None,
    };
    let mine = [("uploadedBy", "u1".to_string()), ("key", "a.txt".to_string())];
    let theirs = [("uploadedBy", "u2".to_string())];
    assert!(evaluate("true", None, None));
    assert!(!evaluate(" false ", Some(&user), None));
    assert!(evaluate("auth  !=   null", Some(&user), None));
    assert!(!evaluate("auth != null", None, None));
    assert!(evaluate("auth === null", None, None));
    assert!(evaluate(
      "auth.id == resource.uploadedBy",
      Some(&user),
      Some(&mine)
    ));
    assert!(!evaluate(
      "auth.id === resource.uploadedBy",
      Some(&user),
      Some(&theirs)
    ));
    assert!(!evaluate("auth.id == resource.uploadedBy", None, Some(&mine)));
    assert!(!evaluate("auth.id == resource.uploadedBy", Some(&user), None));
    assert!(!evaluate("auth.role == 'admin'", Some(&user), None));
    assert!(!evaluate("auth.id == resource.key.x", Some(&user), Some(&mine)));
  }
}
