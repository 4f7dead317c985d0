use super::*;
use std::collections::HashSet;

fn bucket() -> R2Bucket {
  R2Bucket::in_memory("test", Clock::manual(1_700_000_000_000), BucketOptions::default()).unwrap()
}

fn put(b: &R2Bucket, key: &str, body: &str) -> ObjectMeta {
  b.put(key, body.as_bytes(), PutOptions::default())
    .unwrap()
    .unwrap()
}

fn read_all(b: &R2Bucket, key: &str, o: &GetOptions) -> Option<(ByteRange, Vec<u8>)> {
  match b.get(key, o).unwrap() {
    GetResult::Found { range, mut body, .. } => {
      let n = body.remaining() as usize;
      Some((range, body.read(n).unwrap()))
    }
    _ => None,
  }
}

fn keys(p: &ListPage) -> Vec<&str> {
  p.objects.iter().map(|o| o.key.as_str()).collect()
}

#[test]
fn put_get_head_delete() {
  let b = bucket();
  assert!(b.head("k").unwrap().is_none());
  let m = put(&b, "k", "value");
  assert_eq!(m.etag, "2063c1608d6e0baf80249c42e2be5804");
  assert_eq!(m.http_etag(), "\"2063c1608d6e0baf80249c42e2be5804\"");
  assert_eq!(m.size, 5);
  assert_eq!(m.uploaded, 1_700_000_000_000);
  assert_eq!(m.storage_class, "Standard");
  assert_eq!(m.version.len(), 32);
  assert_eq!(b.head("k").unwrap().unwrap(), m);
  let (range, bytes) = read_all(&b, "k", &GetOptions::default()).unwrap();
  assert_eq!(
    (range.offset, range.length, bytes.as_slice()),
    (0, 5, &b"value"[..])
  );
  // A new version for identical bytes, same etag.
  let again = put(&b, "k", "value");
  assert_ne!(again.version, m.version);
  assert_eq!(again.etag, m.etag);
  b.delete(&["k".into(), "missing".into()]).unwrap();
  assert!(b.head("k").unwrap().is_none());
}

#[test]
fn empty_objects_have_no_file_and_read_empty() {
  let b = bucket();
  let m = put(&b, "", "");
  assert_eq!(m.etag, "d41d8cd98f00b204e9800998ecf8427e");
  assert!(m.segments.is_empty());
  let (_, bytes) = read_all(&b, "", &GetOptions::default()).unwrap();
  assert!(bytes.is_empty());
}

#[test]
fn key_limit_names_the_action() {
  let b = bucket();
  let long = "x".repeat(1025);
  assert_eq!(
    b.head(&long).unwrap_err().to_string(),
    "head: The specified object name is not valid. (10020)"
  );
  assert_eq!(
    b.delete(&["ok".into(), long.clone()]).unwrap_err().to_string(),
    "delete: The specified object name is not valid. (10020)"
  );
  let euro = "€".repeat(342); // 1026 bytes
  assert!(b.put(&euro, b"v", PutOptions::default()).is_err());
  put(&b, &"x".repeat(1024), "v");
}

#[test]
fn conditional_put_and_get() {
  let b = bucket();
  let cond = |m: &str| {
    Some(OnlyIf::Object(ConditionalObject {
      etag_matches: Some(m.into()),
      ..Default::default()
    }))
  };
  let put_if = |key: &str, only_if| {
    b.put(
      key,
      b"new",
      PutOptions {
        only_if,
        ..Default::default()
      },
    )
    .unwrap()
  };
  assert!(put_if("absent", cond("x")).is_none());
  assert!(b.head("absent").unwrap().is_none());
  let m = put(&b, "k", "old");
  assert!(put_if("k", cond("wrong")).is_none());
  assert_eq!(read_all(&b, "k", &GetOptions::default()).unwrap().1, b"old");
  assert!(put_if("k", cond(&m.etag)).is_some());
  let get = |k: &str, e: &str| {
    b.get(
      k,
      &GetOptions {
        only_if: cond(e),
        ..Default::default()
      },
    )
    .unwrap()
  };
  assert!(matches!(get("missing", "x"), GetResult::Missing));
  assert!(matches!(get("k", "x"), GetResult::PreconditionFailed(m) if m.size == 3));
}

#[test]
fn checksum_mismatch_stores_nothing() {
  let b = bucket();
  let o = PutOptions {
    checksums: vec![(Algorithm::Sha256, DigestInput::Hex("00".repeat(32)))],
    ..Default::default()
  };
  let e = b.put("k", b"value", o).unwrap_err().to_string();
  assert!(e.starts_with("put: The SHA-256 checksum you specified did not match what we received."));
  assert!(b.head("k").unwrap().is_none());
  let sha = "CD42404D52AD55CCFA9ACA4ADC828AA5800AD9D385A0671FBCBF724118320619";
  let o = PutOptions {
    checksums: vec![(Algorithm::Sha256, DigestInput::Hex(sha.into()))],
    ..Default::default()
  };
  let m = b.put("k", b"value", o).unwrap().unwrap();
  assert_eq!(m.checksums.sha256.as_deref(), Some(sha.to_lowercase().as_str()));
}

#[test]
fn ranges() {
  let b = bucket();
  put(&b, "k", "value");
  let r = |o: RangeObject| {
    read_all(
      &b,
      "k",
      &GetOptions {
        range: Some(RangeInput::Object(o)),
        ..Default::default()
      },
    )
  };
  let (range, bytes) = r(RangeObject {
    offset: Some(1.0),
    length: Some(3.0),
    suffix: None,
  })
  .unwrap();
  assert_eq!(
    (range.offset, range.length, bytes.as_slice()),
    (1, 3, &b"alu"[..])
  );
  let header = |h: &str| {
    read_all(
      &b,
      "k",
      &GetOptions {
        range: Some(RangeInput::Header(Some(h.into()))),
        ..Default::default()
      },
    )
    .unwrap()
    .1
  };
  assert_eq!(header("bytes=-2"), b"ue");
  assert_eq!(header("bytes=1-2,3-4"), b"value");
}

#[test]
fn list_pages_prefixes_and_cursors() {
  let b = bucket();
  for k in ["key3", "key1", "key2", ", ", "!", "B", "a"] {
    put(&b, k, "v");
  }
  let all = b.list(&ListOptions::default()).unwrap();
  assert_eq!(keys(&all), ["!", ", ", "B", "a", "key1", "key2", "key3"]);
  assert!(!all.truncated && all.cursor.is_none());
  let page = |o: ListOptions| b.list(&o).unwrap();
  let p1 = page(ListOptions {
    prefix: Some("key".into()),
    limit: Some(2.0),
    ..Default::default()
  });
  assert_eq!(keys(&p1), ["key1", "key2"]);
  assert!(p1.truncated);
  put(&b, "key25", "v"); // sorts after the cursor: shows up
  put(&b, "key0", "v"); // sorts before: does not
  let p2 = page(ListOptions {
    prefix: Some("key".into()),
    limit: Some(2.0),
    cursor: p1.cursor.clone(),
    ..Default::default()
  });
  assert_eq!(keys(&p2), ["key25", "key3"]);
  assert!(!p2.truncated);
  let after = page(ListOptions {
    start_after: Some("key1".into()),
    limit: Some(2.0),
    ..Default::default()
  });
  assert_eq!(keys(&after), ["key2", "key25"]);
  for bad in [0.0, 1001.0, f64::NAN] {
    assert_eq!(
      b.list(&ListOptions {
        limit: Some(bad),
        ..Default::default()
      })
      .unwrap_err()
      .to_string(),
      "list: MaxKeys params must be positive integer <= 1000. (10022)"
    );
  }
}

#[test]
fn list_delimiters_fold_and_count() {
  let b = bucket();
  for k in [
    "dir0/file0",
    "dir0/file1",
    "dir0/sub0/file2",
    "dir0/sub1/x",
    "file8",
    "a--b--c",
    "a--d",
    "ax",
  ] {
    put(&b, k, "v");
  }
  let l = |prefix: &str, delimiter: &str, limit: Option<f64>, cursor: Option<String>| {
    b.list(&ListOptions {
      prefix: Some(prefix.into()),
      delimiter: Some(delimiter.into()),
      limit,
      cursor,
      ..Default::default()
    })
    .unwrap()
  };
  let root = l("", "/", None, None);
  assert_eq!(keys(&root), ["a--b--c", "a--d", "ax", "file8"]);
  assert_eq!(root.delimited_prefixes, ["dir0/"]);
  let dir = l("dir0/", "/", Some(2.0), None);
  assert_eq!(keys(&dir), ["dir0/file0", "dir0/file1"]);
  assert!(dir.truncated);
  let dir2 = l("dir0/", "/", Some(2.0), dir.cursor);
  assert!(keys(&dir2).is_empty());
  assert_eq!(dir2.delimited_prefixes, ["dir0/sub0/", "dir0/sub1/"]);
  assert!(!dir2.truncated);
  let multi = l("a", "--", None, None);
  assert_eq!(keys(&multi), ["ax"]);
  assert_eq!(multi.delimited_prefixes, ["a--"]);
  let nodash = l("dir0", "/", None, None);
  assert!(nodash.objects.is_empty());
  assert_eq!(nodash.delimited_prefixes, ["dir0/"]);
  // A page boundary right after a folded group skips the group.
  let one = l("", "/", Some(4.0), None);
  assert_eq!(one.delimited_prefixes, ["dir0/"]);
  let rest = l("", "/", Some(4.0), one.cursor);
  assert_eq!(keys(&rest), ["file8"]);
}

#[test]
fn multipart_rules() {
  let b = R2Bucket::in_memory(
    "mp",
    Clock::manual(1),
    BucketOptions {
      min_part_bytes: 5,
      ..Default::default()
    },
  )
  .unwrap();
  let id = b
    .create_multipart_upload("m", MultipartOptions::default())
    .unwrap();
  let p1 = b.upload_part("m", &id, 1.0, b"aaaaa").unwrap();
  let p2 = b.upload_part("m", &id, 2.0, b"bbbbb").unwrap();
  let p3 = b.upload_part("m", &id, 3.0, b"c").unwrap();
  assert!(
    b.head("m").unwrap().is_none(),
    "in-progress uploads are invisible"
  );
  let err = |parts: &[&UploadedPart]| {
    let v: Vec<UploadedPart> = parts.iter().map(|p| (*p).clone()).collect();
    b.complete_multipart_upload("m", &id, &v).unwrap_err().to_string()
  };
  assert!(err(&[&p3, &p1, &p2]).ends_with("(10011)"));
  assert!(err(&[&p1, &p1]).ends_with("(10001)"));
  let stale = UploadedPart {
    part_number: 1,
    etag: "nope".into(),
  };
  assert!(err(&[&stale]).ends_with("(10025)"));
  let m = b
    .complete_multipart_upload("m", &id, &[p2.clone(), p1.clone(), p3.clone()])
    .unwrap();
  assert!(m.etag.ends_with("-3"));
  assert_eq!(m.checksums, Checksums::default());
  assert_eq!(
    read_all(&b, "m", &GetOptions::default()).unwrap().1,
    b"aaaaabbbbbc"
  );
  let r = read_all(
    &b,
    "m",
    &GetOptions {
      range: Some(RangeInput::Object(RangeObject {
        offset: Some(4.0),
        length: Some(7.0),
        suffix: None,
      })),
      ..Default::default()
    },
  )
  .unwrap();
  assert_eq!(r.1, b"abbbbbc");
  assert!(err(&[&p1]).ends_with("(10024)"));
  b.abort_multipart_upload("m", &id).unwrap();
  assert!(b.head("m").unwrap().is_some());
  assert_eq!(
    b.upload_part("m", "bad", 1.0, b"v").unwrap_err().to_string(),
    "uploadPart: The specified multipart upload does not exist. (10024)"
  );
  assert_eq!(
    b.abort_multipart_upload("m", "bad").unwrap_err().to_string(),
    "abortMultipartUpload: We encountered an internal error. Please try again. (10001)"
  );
  let empty = b
    .create_multipart_upload("e", MultipartOptions::default())
    .unwrap();
  let m = b.complete_multipart_upload("e", &empty, &[]).unwrap();
  assert_eq!(m.etag, "d41d8cd98f00b204e9800998ecf8427e-0");
  // Uneven parts.
  let id = b
    .create_multipart_upload("u", MultipartOptions::default())
    .unwrap();
  let a = b.upload_part("u", &id, 1.0, b"aaaaa").unwrap();
  let c = b.upload_part("u", &id, 2.0, b"cccccc").unwrap();
  assert!(b
    .complete_multipart_upload("u", &id, &[a, c])
    .unwrap_err()
    .to_string()
    .ends_with("(10048)"));
}

#[test]
fn a_reader_keeps_its_version_across_overwrite_and_delete() {
  let dir = tempfile::tempdir().unwrap();
  let b = R2Bucket::persistent(dir.path(), "pins", Clock::System, BucketOptions::default()).unwrap();
  put(&b, "k", "old-old-old");
  let GetResult::Found { mut body, .. } = b.get("k", &GetOptions::default()).unwrap() else {
    panic!()
  };
  assert_eq!(body.read(3).unwrap(), b"old");
  put(&b, "k", "new");
  b.delete(&["k".into()]).unwrap();
  assert_eq!(body.read(100).unwrap(), b"-old-old");
  drop(body);
  let blobs: usize = std::fs::read_dir(dir.path().join("r2/pins/blobs"))
    .unwrap()
    .map(|d| std::fs::read_dir(d.unwrap().path()).unwrap().count())
    .sum();
  assert_eq!(blobs, 0, "released blobs are removed once unpinned");
}

#[test]
fn persisted_buckets_reopen_and_sweep_after_a_crash() {
  let dir = tempfile::tempdir().unwrap();
  let root = dir.path().join("r2/crash");
  let open = || R2Bucket::persistent(dir.path(), "crash", Clock::System, BucketOptions::default()).unwrap();
  {
    let b = open();
    put(&b, "a/../../x", "kept");
    put(&b, "..\\..\\y", "kept too");
  }
  // Simulate a crash: leftovers in tmp/, an unreferenced blob, and no clean close.
  std::fs::write(root.join("tmp/partial"), b"half").unwrap();
  std::fs::create_dir_all(root.join("blobs/ff")).unwrap();
  std::fs::write(root.join("blobs/ff/ffff"), b"orphan").unwrap();
  let conn = rusqlite::Connection::open(root.join("index.sqlite")).unwrap();
  conn
    .execute("UPDATE state SET value = 0 WHERE name = 'clean'", [])
    .unwrap();
  drop(conn);
  let b = open();
  assert_eq!(
    read_all(&b, "a/../../x", &GetOptions::default()).unwrap().1,
    b"kept"
  );
  assert_eq!(
    read_all(&b, "..\\..\\y", &GetOptions::default()).unwrap().1,
    b"kept too"
  );
  assert!(!root.join("tmp/partial").exists());
  assert!(!root.join("blobs/ff/ffff").exists());
  assert!(!dir.path().join("x").exists() && !dir.path().join("r2/x").exists());
}

#[test]
fn sweep_removes_only_unreferenced_files() {
  let dir = tempfile::tempdir().unwrap();
  let blobs = Blobs::disk(dir.path(), false).unwrap();
  let mut w = blobs.create().unwrap();
  w.write(b"x").unwrap();
  let (kept, _) = blobs.commit(w).unwrap();
  let mut w = blobs.create().unwrap();
  w.write(b"y").unwrap();
  let (orphan, _) = blobs.commit(w).unwrap();
  let pending = blobs.create().unwrap();
  std::mem::forget(pending); // a temp file left by a crash
  let referenced: HashSet<String> = [kept.clone()].into();
  assert_eq!(blobs.sweep(&referenced).unwrap(), 2);
  assert!(blobs.open(&kept).is_ok());
  assert!(blobs.open(&orphan).is_err());
}

/// Paging through `list` with every combination of prefix, delimiter, startAfter and limit gives
/// exactly the entries of a naive model, each once, in order.
#[test]
fn list_matches_a_naive_model() {
  let mut rng = fastrand::Rng::with_seed(7);
  let alphabet = ["a", "b", "/", "-", "é", "ab"];
  let b = bucket();
  let mut keys = std::collections::BTreeSet::new();
  for _ in 0..300 {
    let len = rng.usize(0..6);
    let key: String = (0..len).map(|_| alphabet[rng.usize(..alphabet.len())]).collect();
    put(&b, &key, "v");
    keys.insert(key);
  }
  let pick = |rng: &mut fastrand::Rng, max: usize| -> String {
    (0..rng.usize(0..=max))
      .map(|_| alphabet[rng.usize(..alphabet.len())])
      .collect()
  };
  for round in 0..400 {
    let prefix = pick(&mut rng, 2);
    let delimiter = ["", "/", "-", "ab", "/-"][rng.usize(..5)].to_string();
    let start_after = if rng.bool() { Some(pick(&mut rng, 3)) } else { None };
    let limit = [1usize, 2, 3, 7, 1000][rng.usize(..5)];
    // The model: entries in byte order, folded by the first delimiter after the prefix.
    let mut expected: Vec<String> = Vec::new();
    for k in keys.iter().filter(|k| k.starts_with(&prefix)) {
      if start_after.as_ref().is_some_and(|s| k.as_bytes() <= s.as_bytes()) {
        continue;
      }
      let rest = &k[prefix.len()..];
      let entry = match (!delimiter.is_empty()).then(|| rest.find(&delimiter)).flatten() {
        Some(at) => format!("P:{}", &k[..prefix.len() + at + delimiter.len()]),
        None => format!("O:{k}"),
      };
      if expected.last() != Some(&entry) {
        expected.push(entry);
      }
    }
    let mut got: Vec<String> = Vec::new();
    let mut cursor = None;
    for _ in 0..1000 {
      let page = b
        .list(&ListOptions {
          limit: Some(limit as f64),
          prefix: Some(prefix.clone()),
          cursor: cursor.take(),
          delimiter: Some(delimiter.clone()),
          start_after: start_after.clone(),
          include: vec![],
        })
        .unwrap();
      assert!(page.objects.len() + page.delimited_prefixes.len() <= limit);
      // Within a page, objects and prefixes interleave in key order; merge them back.
      let mut entries: Vec<String> = page.objects.iter().map(|o| format!("O:{}", o.key)).collect();
      entries.extend(page.delimited_prefixes.iter().map(|p| format!("P:{p}")));
      entries.sort_by(|x, y| x[2..].as_bytes().cmp(y[2..].as_bytes()));
      got.extend(entries);
      assert_eq!(page.truncated, page.cursor.is_some());
      if !page.truncated {
        break;
      }
      cursor = page.cursor;
    }
    assert_eq!(
      got, expected,
      "round {round}: prefix {prefix:?} delimiter {delimiter:?} after {start_after:?} limit {limit}"
    );
  }
}

#[test]
fn handles_cross_threads_for_async_servers() {
  fn send<T: Send>() {}
  fn sync<T: Send + Sync>() {}
  sync::<R2Bucket>();
  send::<PutWriter>();
  send::<PartWriter>();
  send::<Body>();
  send::<GetResult>();
}
