//! R2 errors. `Display` is the exact text a Worker sees: backend failures read
//! `<action>: <message> (<code>)` (workerd's wrapping of the R2 service's error), client-side
//! argument checks are workerd's own `TypeError` / `RangeError` / `Error` texts.

use crate::error::{BindingError, ErrorClass, StorageError};
use std::fmt;

/// The binding method a backend error names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
  Head,
  Get,
  Put,
  Delete,
  List,
  CreateMultipartUpload,
  UploadPart,
  CompleteMultipartUpload,
  AbortMultipartUpload,
}

impl fmt::Display for Action {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str(match self {
      Action::Head => "head",
      Action::Get => "get",
      Action::Put => "put",
      Action::Delete => "delete",
      Action::List => "list",
      Action::CreateMultipartUpload => "createMultipartUpload",
      Action::UploadPart => "uploadPart",
      Action::CompleteMultipartUpload => "completeMultipartUpload",
      Action::AbortMultipartUpload => "abortMultipartUpload",
    })
  }
}

/// A checksum algorithm, named as in R2's messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
  Md5,
  Sha1,
  Sha256,
  Sha384,
  Sha512,
}

impl Algorithm {
  pub const ALL: [Algorithm; 5] = [
    Algorithm::Md5,
    Algorithm::Sha1,
    Algorithm::Sha256,
    Algorithm::Sha384,
    Algorithm::Sha512,
  ];

  /// The digest length in bytes.
  pub fn digest_len(self) -> usize {
    match self {
      Algorithm::Md5 => 16,
      Algorithm::Sha1 => 20,
      Algorithm::Sha256 => 32,
      Algorithm::Sha384 => 48,
      Algorithm::Sha512 => 64,
    }
  }

  /// The option / `checksums` field name.
  pub fn field(self) -> &'static str {
    match self {
      Algorithm::Md5 => "md5",
      Algorithm::Sha1 => "sha1",
      Algorithm::Sha256 => "sha256",
      Algorithm::Sha384 => "sha384",
      Algorithm::Sha512 => "sha512",
    }
  }
}

impl fmt::Display for Algorithm {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str(match self {
      Algorithm::Md5 => "MD5",
      Algorithm::Sha1 => "SHA-1",
      Algorithm::Sha256 => "SHA-256",
      Algorithm::Sha384 => "SHA-384",
      Algorithm::Sha512 => "SHA-512",
    })
  }
}

/// A number as workerd's C++ prints it into messages (`nan`, `inf`, `1.5`, `-1`).
pub(crate) struct JsNum(pub f64);

impl fmt::Display for JsNum {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let v = self.0;
    if v.is_nan() {
      f.write_str("nan")
    } else if v.is_infinite() {
      f.write_str(if v > 0.0 { "inf" } else { "-inf" })
    } else if v == 0.0 {
      f.write_str("0")
    } else {
      write!(f, "{v}")
    }
  }
}

/// Which part of a range object a client-side check names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeField {
  Offset,
  Length,
  Suffix,
}

/// Which conditional header failed to parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EtagHeader {
  IfMatch,
  IfNoneMatch,
}

#[derive(Debug)]
#[non_exhaustive]
pub enum R2Error {
  // --- backend errors: `<action>: <message> (<code>)`
  /// 10020: a key longer than 1024 UTF-8 bytes.
  InvalidObjectName(Action),
  /// 100100: a put or part larger than 5 GiB − 5 MiB.
  EntityTooLarge(Action),
  /// 10011: a non-final part smaller than the minimum part size.
  EntityTooSmall,
  /// 10012: custom metadata over 2048 (counted by Miniflare's rule).
  MetadataTooLarge,
  /// 10022: a list limit outside 1..=1000.
  InvalidMaxKeys,
  /// 10024: the multipart upload is unknown, finished or aborted.
  NoSuchUpload(Action),
  /// 10025: a listed part is unknown or its etag is stale.
  InvalidPart,
  /// 10037: the body does not match the checksum the caller gave.
  BadDigest {
    algorithm: Algorithm,
    provided: String,
    actual: String,
  },
  /// 10039: the range object cannot be satisfied.
  InvalidRange,
  /// 10048: parts (in number order) are not of one size, or the last is larger.
  BadUpload,
  /// 10001: R2's catch-all (unknown upload for complete/abort, duplicate part numbers).
  Internal(Action),

  // --- client-side checks (workerd validates before sending)
  MultipleHashes,
  DigestBytes {
    algorithm: Algorithm,
    len: usize,
  },
  DigestHexLength {
    algorithm: Algorithm,
    len: usize,
  },
  DigestHexInvalid(Algorithm),
  QuotedEtag(String),
  InvalidEtagHeader(EtagHeader),
  UnclosedEtagQuote,
  WeakEtagFormat,
  /// A comma was expected between etags; the character found instead.
  EtagCommaExpected(char),
  RangeNegative {
    field: RangeField,
    value: f64,
  },
  RangeNotInteger {
    field: RangeField,
    value: f64,
  },
  SuffixWithOffset,
  SuffixWithLength,
  UnsupportedInclude(String),
  PartNumber(f64),
  /// A `Date` workerd cannot convert (`httpMetadata.cacheExpiry`).
  InvalidDate(DateProblem),
  SsecFormat,
  SsecLength,
  Storage(StorageError),
}

/// Why a `Date` argument was refused (workerd's texts; its range is what a signed 64-bit count of
/// nanoseconds holds, whatever the years in the messages say).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateProblem {
  NotADate,
  TooLate,
  TooEarly,
}

impl R2Error {
  /// R2's v4 error code for backend errors.
  pub fn v4_code(&self) -> Option<u32> {
    use R2Error::*;
    Some(match self {
      InvalidObjectName(_) => 10020,
      EntityTooLarge(_) => 100100,
      EntityTooSmall => 10011,
      MetadataTooLarge => 10012,
      InvalidMaxKeys => 10022,
      NoSuchUpload(_) => 10024,
      InvalidPart => 10025,
      BadDigest { .. } => 10037,
      InvalidRange => 10039,
      BadUpload => 10048,
      Internal(_) => 10001,
      _ => return None,
    })
  }

  /// The HTTP status R2 answers a backend error with (for the REST server).
  pub fn http_status(&self) -> u16 {
    use R2Error::*;
    match self {
      InvalidRange => 416,
      Internal(_) | BadUpload => 500,
      Storage(_) => 500,
      _ => 400,
    }
  }
}

impl fmt::Display for R2Error {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    use R2Error::*;
    let backend = |f: &mut fmt::Formatter<'_>, action: Action, message: &str| {
      write!(f, "{action}: {message} ({})", self.v4_code().unwrap_or(0))
    };
    match self {
      InvalidObjectName(a) => backend(f, *a, "The specified object name is not valid."),
      EntityTooLarge(a) => backend(f, *a, "Your proposed upload exceeds the maximum allowed object size."),
      EntityTooSmall => backend(
        f,
        Action::CompleteMultipartUpload,
        "Your proposed upload is smaller than the minimum allowed object size.",
      ),
      MetadataTooLarge => backend(f, Action::Put, "Your metadata headers exceed the maximum allowed metadata size."),
      InvalidMaxKeys => backend(f, Action::List, "MaxKeys params must be positive integer <= 1000."),
      NoSuchUpload(a) => backend(f, *a, "The specified multipart upload does not exist."),
      InvalidPart => backend(
        f,
        Action::CompleteMultipartUpload,
        "One or more of the specified parts could not be found.",
      ),
      BadDigest {
        algorithm,
        provided,
        actual,
      } => backend(
        f,
        Action::Put,
        &format!(
          "The {algorithm} checksum you specified did not match what we received.\nYou provided a {algorithm} checksum with value: {provided}\nActual {algorithm} was: {actual}"
        ),
      ),
      InvalidRange => backend(f, Action::Get, "The requested range is not satisfiable"),
      BadUpload => backend(
        f,
        Action::CompleteMultipartUpload,
        "There was a problem with the multipart upload.",
      ),
      Internal(a) => backend(f, *a, "We encountered an internal error. Please try again."),
      MultipleHashes => write!(f, "You cannot specify multiple hashing algorithms."),
      DigestBytes { algorithm, len } => {
        write!(f, "{algorithm} is {} bytes, not {len}", algorithm.digest_len())
      }
      DigestHexLength { algorithm, len } => {
        write!(f, "{algorithm} is {} hex characters, not {len}", algorithm.digest_len() * 2)
      }
      DigestHexInvalid(algorithm) => write!(f, "Provided {algorithm} wasn't a valid hex string"),
      QuotedEtag(v) => write!(f, "Conditional ETag should not be wrapped in quotes ({v})."),
      InvalidEtagHeader(EtagHeader::IfMatch) => write!(f, "Invalid ETag in if-match header"),
      InvalidEtagHeader(EtagHeader::IfNoneMatch) => write!(f, "Invalid ETag in if-none-match header"),
      UnclosedEtagQuote => write!(f, "Unclosed double quote for Etag"),
      WeakEtagFormat => write!(f, "Weak etags must start with W/ and their value must be quoted"),
      EtagCommaExpected('*') => write!(
        f,
        "Comma was expected to separate etags. Encountered a wildcard character '*' instead."
      ),
      EtagCommaExpected('W') => write!(
        f,
        "Comma was expected to separate etags. Encountered a weak quotation character 'W' instead. This would otherwise indicate the start of a new weak etag."
      ),
      EtagCommaExpected(_) => write!(
        f,
        "Comma was expected to separate etags. Encountered a double quote character '\"' instead. This would otherwise indicate the start of a new strong etag."
      ),
      RangeNegative { field, value } => match field {
        RangeField::Offset => write!(
          f,
          "Invalid range. Starting offset ({}) must be greater than or equal to 0.",
          JsNum(*value)
        ),
        RangeField::Length => write!(
          f,
          "Invalid range. Length ({}) must be greater than or equal to 0.",
          JsNum(*value)
        ),
        RangeField::Suffix => write!(
          f,
          "Invalid suffix. Suffix ({}) must be greater than or equal to 0.",
          JsNum(*value)
        ),
      },
      RangeNotInteger { field, value } => {
        let what = match field {
          RangeField::Offset => "Starting offset",
          RangeField::Length => "Length",
          RangeField::Suffix => "Suffix",
        };
        write!(
          f,
          "Invalid range. {what} ({}) must be an integer, not floating point.",
          JsNum(*value)
        )
      }
      SuffixWithOffset => write!(f, "Suffix is incompatible with offset."),
      SuffixWithLength => write!(f, "Suffix is incompatible with length."),
      UnsupportedInclude(v) => write!(f, "Unsupported include value {v}"),
      InvalidDate(DateProblem::NotADate) => {
        write!(f, "The value cannot be converted because it is not a valid Date.")
      }
      InvalidDate(DateProblem::TooLate) => write!(f, "This API doesn't support dates after 2189."),
      InvalidDate(DateProblem::TooEarly) => write!(f, "This API doesn't support dates before 1687."),
      PartNumber(n) => write!(
        f,
        "Part number must be between 1 and 10000 (inclusive). Actual value was: {}",
        JsNum(*n)
      ),
      SsecFormat => write!(f, "SSE-C Key has invalid format"),
      SsecLength => write!(f, "SSE-C Key must be 32 bytes in length"),
      Storage(e) => write!(f, "{e}"),
    }
  }
}

impl std::error::Error for R2Error {
  fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
    match self {
      R2Error::Storage(e) => Some(e),
      _ => None,
    }
  }
}

impl BindingError for R2Error {
  fn code(&self) -> &'static str {
    use R2Error::*;
    match self {
      InvalidObjectName(_) => "EB_R2_INVALID_OBJECT_NAME",
      EntityTooLarge(_) => "EB_R2_ENTITY_TOO_LARGE",
      EntityTooSmall => "EB_R2_ENTITY_TOO_SMALL",
      MetadataTooLarge => "EB_R2_METADATA_TOO_LARGE",
      InvalidMaxKeys => "EB_R2_INVALID_MAX_KEYS",
      NoSuchUpload(_) => "EB_R2_NO_SUCH_UPLOAD",
      InvalidPart => "EB_R2_INVALID_PART",
      BadDigest { .. } => "EB_R2_BAD_DIGEST",
      InvalidRange => "EB_R2_INVALID_RANGE",
      BadUpload => "EB_R2_BAD_UPLOAD",
      Internal(_) => "EB_R2_INTERNAL",
      MultipleHashes | DigestBytes { .. } | DigestHexLength { .. } | DigestHexInvalid(_) => {
        "EB_R2_INVALID_CHECKSUM"
      }
      QuotedEtag(_) | InvalidEtagHeader(_) | UnclosedEtagQuote | WeakEtagFormat | EtagCommaExpected(_) => {
        "EB_R2_INVALID_CONDITIONAL"
      }
      RangeNegative { .. } | RangeNotInteger { .. } | SuffixWithOffset | SuffixWithLength => {
        "EB_R2_INVALID_RANGE_OPTION"
      }
      UnsupportedInclude(_) => "EB_R2_INVALID_INCLUDE",
      PartNumber(_) => "EB_R2_INVALID_PART_NUMBER",
      InvalidDate(_) => "EB_R2_INVALID_DATE",
      SsecFormat | SsecLength => "EB_R2_INVALID_SSEC_KEY",
      Storage(e) => e.code(),
    }
  }

  fn class(&self) -> ErrorClass {
    use R2Error::*;
    match self {
      MultipleHashes
      | DigestBytes { .. }
      | DigestHexLength { .. }
      | DigestHexInvalid(_)
      | QuotedEtag(_)
      | SuffixWithOffset
      | SuffixWithLength
      | PartNumber(_)
      | InvalidDate(_) => ErrorClass::TypeError,
      RangeNegative { .. } | RangeNotInteger { .. } | UnsupportedInclude(_) => ErrorClass::RangeError,
      Storage(e) => e.class(),
      _ => ErrorClass::Error,
    }
  }
}

crate::error::storage_from!(R2Error);

impl From<rusqlite::Error> for R2Error {
  fn from(e: rusqlite::Error) -> Self {
    R2Error::Storage(StorageError::engine(e))
  }
}
