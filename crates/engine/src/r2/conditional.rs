//! `onlyIf`: the object form and the conditional headers, parsed as workerd parses them, and
//! evaluated as R2 evaluates them (RFC 7232 §6 order, as in Miniflare's `_testR2Conditional`).

use super::error::{EtagHeader, R2Error};

#[derive(Clone, Debug, PartialEq)]
pub enum Etag {
  Strong(String),
  Weak(String),
  Wildcard,
}

/// A parsed condition.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Conditional {
  pub etag_matches: Option<Vec<Etag>>,
  pub etag_does_not_match: Option<Vec<Etag>>,
  /// Milliseconds since the UNIX epoch.
  pub uploaded_before: Option<f64>,
  pub uploaded_after: Option<f64>,
  pub seconds_granularity: bool,
}

/// `R2Conditional` as given (object form).
#[derive(Clone, Debug, Default)]
pub struct ConditionalObject {
  pub etag_matches: Option<String>,
  pub etag_does_not_match: Option<String>,
  pub uploaded_before: Option<f64>,
  pub uploaded_after: Option<f64>,
  pub seconds_granularity: bool,
}

/// The conditional request headers (Headers form).
#[derive(Clone, Debug, Default)]
pub struct ConditionalHeaders {
  pub if_match: Option<String>,
  pub if_none_match: Option<String>,
  pub if_modified_since: Option<String>,
  pub if_unmodified_since: Option<String>,
}

fn single(value: &str) -> Result<Vec<Etag>, R2Error> {
  if value.starts_with('"') && value.ends_with('"') {
    return Err(R2Error::QuotedEtag(value.to_string()));
  }
  Ok(vec![if value == "*" {
    Etag::Wildcard
  } else {
    Etag::Strong(value.to_string())
  }])
}

impl Conditional {
  pub fn from_object(o: &ConditionalObject) -> Result<Self, R2Error> {
    Ok(Conditional {
      etag_matches: o.etag_matches.as_deref().map(single).transpose()?,
      etag_does_not_match: o.etag_does_not_match.as_deref().map(single).transpose()?,
      uploaded_before: o.uploaded_before,
      uploaded_after: o.uploaded_after,
      seconds_granularity: o.seconds_granularity,
    })
  }

  /// Headers always compare at seconds granularity. Dates that do not parse are ignored.
  pub fn from_headers(h: &ConditionalHeaders) -> Result<Self, R2Error> {
    let list = |v: &Option<String>, which| -> Result<Option<Vec<Etag>>, R2Error> {
      let Some(v) = v else { return Ok(None) };
      let etags = parse_etag_header(v)?;
      if etags.is_empty() {
        return Err(R2Error::InvalidEtagHeader(which));
      }
      Ok(Some(etags))
    };
    Ok(Conditional {
      etag_matches: list(&h.if_match, EtagHeader::IfMatch)?,
      etag_does_not_match: list(&h.if_none_match, EtagHeader::IfNoneMatch)?,
      uploaded_after: h
        .if_modified_since
        .as_deref()
        .and_then(super::object::parse_http_date),
      uploaded_before: h
        .if_unmodified_since
        .as_deref()
        .and_then(super::object::parse_http_date),
      seconds_granularity: true,
    })
  }

  /// Whether the condition holds for an object with this etag and upload time (ms), or for a
  /// missing object (`None`).
  pub fn holds(&self, object: Option<(&str, u64)>) -> bool {
    let Some((etag, uploaded)) = object else {
      return self.etag_matches.is_none() && self.uploaded_after.is_none();
    };
    let trunc = |ms: f64| {
      if self.seconds_granularity {
        (ms / 1000.0).floor() * 1000.0
      } else {
        ms
      }
    };
    let uploaded = trunc(uploaded as f64);
    let if_match = match &self.etag_matches {
      None => true,
      Some(list) => list.iter().any(|e| match e {
        Etag::Wildcard => true,
        Etag::Strong(v) => v == etag,
        Etag::Weak(_) => false,
      }),
    };
    let if_none_match = match &self.etag_does_not_match {
      None => true,
      Some(list) => !list.iter().any(|e| match e {
        Etag::Wildcard => true,
        Etag::Strong(v) | Etag::Weak(v) => v == etag,
      }),
    };
    let if_modified_since = match self.uploaded_after {
      None => true,
      Some(after) => trunc(after) < uploaded || (self.etag_does_not_match.is_some() && if_none_match),
    };
    let if_unmodified_since = match self.uploaded_before {
      None => true,
      Some(before) => uploaded < trunc(before) || (self.etag_matches.is_some() && if_match),
    };
    if_match && if_none_match && if_modified_since && if_unmodified_since
  }
}

/// workerd's `parseConditionalEtagHeader`: a comma list of `"strong"`, `W/"weak"` or `*`; a
/// wildcard replaces the whole list; anything that is not an etag ends the list.
pub fn parse_etag_header(header: &str) -> Result<Vec<Etag>, R2Error> {
  let mut out = Vec::new();
  let mut rest = header;
  let mut comma_required = false;
  loop {
    let find = |c: char| rest.find(c).unwrap_or(usize::MAX);
    let (wildcard, quote, weak, comma) = (find('*'), find('"'), find('W'), find(','));
    if quote == usize::MAX && wildcard == usize::MAX {
      return Ok(out);
    }
    if comma < wildcard && comma < quote && comma < weak {
      rest = &rest[comma + 1..];
      comma_required = false;
      continue;
    }
    if comma_required {
      let first = wildcard.min(quote).min(weak);
      let c = if first == wildcard {
        '*'
      } else if first == quote {
        '"'
      } else {
        'W'
      };
      return Err(R2Error::EtagCommaExpected(c));
    }
    if wildcard < quote {
      return Ok(vec![Etag::Wildcard]);
    }
    let start = quote + 1;
    let Some(close) = rest[start..].find('"').map(|c| c + start) else {
      return Err(R2Error::UnclosedEtagQuote);
    };
    let value = rest[start..close].to_string();
    if weak < quote {
      let b = rest.as_bytes();
      if !(b.len() > weak + 2 && b[weak + 1] == b'/' && weak + 2 == quote) {
        return Err(R2Error::WeakEtagFormat);
      }
      out.push(Etag::Weak(value));
    } else {
      out.push(Etag::Strong(value));
    }
    rest = &rest[close + 1..];
    comma_required = true;
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn cond(o: ConditionalObject) -> Conditional {
    Conditional::from_object(&o).unwrap()
  }

  #[test]
  fn header_lists_parse_like_workerd() {
    use Etag::*;
    assert_eq!(
      parse_etag_header(r#""a", W/"b",, "c""#).unwrap(),
      vec![Strong("a".into()), Weak("b".into()), Strong("c".into())]
    );
    assert_eq!(parse_etag_header(r#""a", *"#).unwrap(), vec![Wildcard]);
    assert_eq!(parse_etag_header("abc").unwrap(), vec![]);
    let err = |h: &str| parse_etag_header(h).unwrap_err().to_string();
    assert_eq!(err(r#""a"#), "Unclosed double quote for Etag");
    assert_eq!(
      err(r#"W"a""#),
      "Weak etags must start with W/ and their value must be quoted"
    );
    assert!(err(r#""a" "b""#).contains("double quote character '\"' instead"));
    assert!(err(r#""a" *"#).contains("wildcard character '*' instead."));
    assert!(err(r#""a" W/"b""#).contains("weak quotation character 'W' instead"));
    let h = ConditionalHeaders {
      if_match: Some("nope".into()),
      ..Default::default()
    };
    assert_eq!(
      Conditional::from_headers(&h).unwrap_err().to_string(),
      "Invalid ETag in if-match header"
    );
  }

  #[test]
  fn evaluation_follows_rfc7232_order() {
    let obj = Some(("e", 10_500));
    let quoted = Conditional::from_object(&ConditionalObject {
      etag_matches: Some("\"abc\"".into()),
      ..Default::default()
    });
    assert_eq!(
      quoted.unwrap_err().to_string(),
      "Conditional ETag should not be wrapped in quotes (\"abc\")."
    );
    let m = |s: &str| ConditionalObject {
      etag_matches: Some(s.into()),
      ..Default::default()
    };
    assert!(cond(m("e")).holds(obj));
    assert!(!cond(m("x")).holds(obj));
    assert!(!cond(m("x")).holds(None));
    let create_only = cond(ConditionalObject {
      etag_does_not_match: Some("*".into()),
      ..Default::default()
    });
    assert!(create_only.holds(None));
    assert!(!create_only.holds(obj));
    // Strict comparisons, and seconds granularity.
    let after = |ms: f64, s: bool| ConditionalObject {
      uploaded_after: Some(ms),
      seconds_granularity: s,
      ..Default::default()
    };
    assert!(!cond(after(10_500.0, false)).holds(obj));
    assert!(cond(after(10_499.0, false)).holds(obj));
    assert!(!cond(after(10_000.0, true)).holds(obj));
    // The etag checks override the dates.
    assert!(cond(ConditionalObject {
      etag_does_not_match: Some("x".into()),
      uploaded_after: Some(1e15),
      ..Default::default()
    })
    .holds(obj));
    assert!(cond(ConditionalObject {
      etag_matches: Some("e".into()),
      uploaded_before: Some(0.0),
      ..Default::default()
    })
    .holds(obj));
    // Weak comparison for If-None-Match.
    let h = Conditional::from_headers(&ConditionalHeaders {
      if_none_match: Some("W/\"e\"".into()),
      ..Default::default()
    })
    .unwrap();
    assert!(!h.holds(obj));
    let h = Conditional::from_headers(&ConditionalHeaders {
      if_match: Some("W/\"e\"".into()),
      ..Default::default()
    })
    .unwrap();
    assert!(!h.holds(obj));
  }
}
