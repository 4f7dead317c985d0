//! Dates as the server writes and reads them: ISO 8601 like JavaScript's `toISOString()`, HTTP
//! dates for `Last-Modified`, and a parser for the ISO strings configs carry (`expiresAt`).

use std::time::{SystemTime, UNIX_EPOCH};

pub fn now_ms() -> i64 {
  SystemTime::now()
    .duration_since(UNIX_EPOCH)
    .map(|d| d.as_millis() as i64)
    .unwrap_or(0)
}

/// Days since 1970-01-01 → (year, month 1-12, day 1-31). Howard Hinnant's civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
  let z = z + 719_468;
  let era = z.div_euclid(146_097);
  let doe = z.rem_euclid(146_097);
  let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
  let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  let mp = (5 * doy + 2) / 153;
  let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
  let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
  (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
  let y = if m <= 2 { y - 1 } else { y };
  let era = y.div_euclid(400);
  let yoe = y.rem_euclid(400);
  let mp = (m as i64 + 9) % 12;
  let doy = (153 * mp + 2) / 5 + d as i64 - 1;
  let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  era * 146_097 + doe - 719_468
}

/// `2026-04-04T12:00:00.000Z`.
pub fn iso(ms: i64) -> String {
  let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
  let (y, mo, d) = civil_from_days(days);
  let (h, mi, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
  format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

/// `Sat, 04 Apr 2026 12:00:00 GMT` (RFC 9110 IMF-fixdate).
pub fn http_date(ms: i64) -> String {
  const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
  const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
  ];
  let days = ms.div_euclid(86_400_000);
  let rem = ms.rem_euclid(86_400_000) / 1000;
  let (y, mo, d) = civil_from_days(days);
  format!(
    "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
    DAYS[days.rem_euclid(7) as usize],
    MONTHS[mo as usize - 1],
    rem / 3600,
    rem / 60 % 60,
    rem % 60
  )
}

/// Milliseconds since the epoch of an ISO 8601 date or date-time (`YYYY-MM-DD`,
/// `YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM]`). A date-time without an offset is read as UTC
/// (JavaScript would use the host's zone; a server config should not depend on it).
pub fn parse_iso(s: &str) -> Option<i64> {
  let b = s.trim().as_bytes();
  let num = |r: std::ops::Range<usize>| -> Option<i64> {
    let part = b.get(r)?;
    if part.iter().all(u8::is_ascii_digit) {
      std::str::from_utf8(part).ok()?.parse().ok()
    } else {
      None
    }
  };
  if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
    return None;
  }
  let (y, mo, d) = (num(0..4)?, num(5..7)? as u32, num(8..10)? as u32);
  if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
    return None;
  }
  let mut ms = days_from_civil(y, mo, d) * 86_400_000;
  if b.len() == 10 {
    return Some(ms);
  }
  if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 16 || b[13] != b':' {
    return None;
  }
  let (h, mi) = (num(11..13)?, num(14..16)?);
  let mut i = 16;
  let mut sec = 0;
  if b.get(i) == Some(&b':') {
    sec = num(i + 1..i + 3)?;
    i += 3;
    if b.get(i) == Some(&b'.') {
      let start = i + 1;
      i = start;
      while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
      }
      let frac = b.get(start..i.min(start + 3))?;
      if frac.is_empty() {
        return None;
      }
      let mut f: i64 = std::str::from_utf8(frac).ok()?.parse().ok()?;
      for _ in frac.len()..3 {
        f *= 10;
      }
      ms += f;
    }
  }
  if h > 24 || mi > 59 || sec > 59 {
    return None;
  }
  ms += ((h * 60 + mi) * 60 + sec) * 1000;
  match b.get(i) {
    None | Some(b'Z' | b'z') if b.len() <= i + 1 => Some(ms),
    Some(&sign @ (b'+' | b'-')) if b.len() == i + 6 && b[i + 3] == b':' => {
      let off = (num(i + 1..i + 3)? * 60 + num(i + 4..i + 6)?) * 60_000;
      Some(if sign == b'+' { ms - off } else { ms + off })
    }
    _ => None,
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn formats_like_javascript() {
    assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(iso(1_775_304_000_123), "2026-04-04T12:00:00.123Z");
    assert_eq!(http_date(1_775_304_000_123), "Sat, 04 Apr 2026 12:00:00 GMT");
    assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  }

  #[test]
  fn parses_iso_forms() {
    assert_eq!(parse_iso("2026-04-04"), Some(1_775_260_800_000));
    assert_eq!(parse_iso("2026-04-04T12:00:00.123Z"), Some(1_775_304_000_123));
    assert_eq!(parse_iso("2026-04-04T12:00Z"), Some(1_775_304_000_000));
    assert_eq!(parse_iso("2026-04-04T14:00:00+02:00"), Some(1_775_304_000_000));
    assert_eq!(parse_iso("2026-04-04T12:00:00.5"), Some(1_775_304_000_500));
    for bad in [
      "",
      "soon",
      "2026-13-01",
      "2026-04-04T",
      "2026-04-04T12:00:00Zjunk",
      "20260404",
    ] {
      assert_eq!(parse_iso(bad), None, "{bad}");
    }
  }
}
