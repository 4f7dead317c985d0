//! EdgeBase user access tokens: HS256 JWTs signed with `JWT_USER_SECRET`, issuer
//! `edgebase:user`. Any other algorithm (including `none`), a bad signature, an expired or
//! not-yet-valid token, a foreign issuer or a refresh token is rejected.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

pub const USER_ISSUER: &str = "edgebase:user";

/// The user a valid token names (EdgeBase's `AuthContext`).
#[derive(Clone, Debug, PartialEq)]
pub struct AuthContext {
  pub id: String,
  pub email: Option<String>,
  pub role: String,
  pub is_anonymous: bool,
  pub custom: Option<Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwtError {
  Expired,
  Invalid,
}

fn part(s: &str) -> Result<Map<String, Value>, JwtError> {
  let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| JwtError::Invalid)?;
  match serde_json::from_slice(&bytes) {
    Ok(Value::Object(o)) => Ok(o),
    _ => Err(JwtError::Invalid),
  }
}

fn number(o: &Map<String, Value>, claim: &str) -> Result<Option<f64>, JwtError> {
  match o.get(claim) {
    None => Ok(None),
    Some(v) => v.as_f64().map(Some).ok_or(JwtError::Invalid),
  }
}

/// Verifies `token` at `now_secs` (seconds since the epoch).
pub fn verify(token: &str, secret: &str, now_secs: f64) -> Result<AuthContext, JwtError> {
  let mut it = token.split('.');
  let (Some(h), Some(p), Some(sig), None) = (it.next(), it.next(), it.next(), it.next()) else {
    return Err(JwtError::Invalid);
  };
  let header = part(h)?;
  if header.get("alg").and_then(Value::as_str) != Some("HS256") || header.contains_key("crit") {
    return Err(JwtError::Invalid);
  }
  let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| JwtError::Invalid)?;
  let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| JwtError::Invalid)?;
  mac.update(&token.as_bytes()[..h.len() + 1 + p.len()]);
  mac.verify_slice(&sig).map_err(|_| JwtError::Invalid)?; // constant time
  let claims = part(p)?;
  if number(&claims, "exp")?.is_some_and(|exp| exp <= now_secs) {
    return Err(JwtError::Expired);
  }
  if number(&claims, "nbf")?.is_some_and(|nbf| nbf > now_secs) {
    return Err(JwtError::Invalid);
  }
  number(&claims, "iat")?;
  if claims.get("iss").and_then(Value::as_str) != Some(USER_ISSUER) {
    return Err(JwtError::Invalid);
  }
  if claims.get("type").and_then(Value::as_str) == Some("refresh") {
    return Err(JwtError::Invalid);
  }
  let Some(id) = claims.get("sub").and_then(Value::as_str) else {
    return Err(JwtError::Invalid);
  };
  Ok(AuthContext {
    id: id.to_string(),
    email: claims.get("email").and_then(Value::as_str).map(String::from),
    role: claims
      .get("role")
      .and_then(Value::as_str)
      .unwrap_or("user")
      .to_string(),
    is_anonymous: claims
      .get("isAnonymous")
      .and_then(Value::as_bool)
      .unwrap_or(false),
    custom: claims.get("custom").filter(|c| c.is_object()).cloned(),
  })
}

/// Signs claims with HS256 (tests and tools; the server itself never issues tokens).
pub fn sign(claims: &Value, secret: &str) -> String {
  let head = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
  let body = URL_SAFE_NO_PAD.encode(claims.to_string());
  let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
  mac.update(format!("{head}.{body}").as_bytes());
  let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
  format!("{head}.{body}.{sig}")
}

#[cfg(test)]
mod tests {
  use super::*;
  use serde_json::json;

  const S: &str = "test-jwt-user-secret-32-chars!!";
  const NOW: f64 = 1_800_000_000.0;

  fn claims(extra: Value) -> Value {
    let mut c =
      json!({ "sub": "user-1", "iss": USER_ISSUER, "iat": NOW - 10.0, "exp": NOW + 900.0, "email": "a@b.c" });
    c.as_object_mut()
      .unwrap()
      .extend(extra.as_object().unwrap().clone());
    c
  }

  #[test]
  fn valid_token_gives_the_user() {
    let auth = verify(
      &sign(
        &claims(json!({ "role": "admin", "custom": { "plan": "pro" } })),
        S,
      ),
      S,
      NOW,
    )
    .unwrap();
    assert_eq!(auth.id, "user-1");
    assert_eq!(auth.email.as_deref(), Some("a@b.c"));
    assert_eq!(auth.role, "admin");
    assert_eq!(auth.custom, Some(json!({ "plan": "pro" })));
    assert_eq!(verify(&sign(&claims(json!({})), S), S, NOW).unwrap().role, "user");
  }

  #[test]
  fn rejections() {
    let good = sign(&claims(json!({})), S);
    assert_eq!(verify(&good, "other-secret", NOW), Err(JwtError::Invalid));
    assert_eq!(
      verify(&sign(&claims(json!({ "exp": NOW })), S), S, NOW),
      Err(JwtError::Expired)
    );
    assert_eq!(
      verify(&sign(&claims(json!({ "nbf": NOW + 5.0 })), S), S, NOW),
      Err(JwtError::Invalid)
    );
    assert_eq!(
      verify(&sign(&claims(json!({ "iss": "edgebase:admin" })), S), S, NOW),
      Err(JwtError::Invalid)
    );
    assert_eq!(
      verify(&sign(&claims(json!({ "type": "refresh" })), S), S, NOW),
      Err(JwtError::Invalid)
    );
    assert_eq!(
      verify(&sign(&claims(json!({ "exp": "later" })), S), S, NOW),
      Err(JwtError::Invalid)
    );
    // alg: none with an empty signature, and an HS256 header swapped onto a tampered payload.
    let none = format!(
      "{}.{}.",
      URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
      URL_SAFE_NO_PAD.encode(claims(json!({})).to_string())
    );
    assert_eq!(verify(&none, S, NOW), Err(JwtError::Invalid));
    let mut parts: Vec<&str> = good.split('.').collect();
    let forged = URL_SAFE_NO_PAD.encode(claims(json!({ "sub": "admin" })).to_string());
    parts[1] = &forged;
    assert_eq!(verify(&parts.join("."), S, NOW), Err(JwtError::Invalid));
    for junk in ["", "a.b", "a.b.c.d", "!!.!!.!!", &format!("{good}x")] {
      assert_eq!(verify(junk, S, NOW), Err(JwtError::Invalid), "{junk}");
    }
  }
}
