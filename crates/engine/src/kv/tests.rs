use super::*;

fn ns() -> KvNamespace {
  KvNamespace::in_memory("test", Clock::manual(1_700_000_000_000)).unwrap()
}

fn put(ns: &KvNamespace, key: &str, value: &str, o: PutOptions) -> Result<(), KvError> {
  ns.put(key, value.as_bytes(), &o)?.blocking_recv().unwrap()
}

fn text(ns: &KvNamespace, key: &str) -> Option<String> {
  ns.get(key, None, |r| String::from_utf8(r.value.to_vec()).unwrap())
    .unwrap()
}

#[test]
fn key_rules_and_their_texts() {
  let ns = ns();
  let msg = |r: Result<Pending, KvError>| r.err().unwrap().to_string();
  assert_eq!(
    msg(ns.put("", b"v", &PutOptions::default())),
    "Key name cannot be empty."
  );
  assert_eq!(msg(ns.delete("..")), "\"..\" is not allowed as a key name.");
  assert_eq!(
    msg(ns.put(&"x".repeat(513), b"v", &PutOptions::default())),
    "KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
  );
  let euro = "€".repeat(171);
  assert_eq!(
    ns.get(&euro, None, |_| ()).unwrap_err().to_string(),
    "KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
  );
  put(&ns, &"x".repeat(512), "v", PutOptions::default()).unwrap();
  assert_eq!(text(&ns, &"x".repeat(512)).as_deref(), Some("v"));
}

#[test]
fn expiration_rules_use_the_handle_clock() {
  let ns = ns();
  let now = ns.clock().now_secs() as f64;
  let err = |o: PutOptions| put(&ns, "k", "v", o).unwrap_err().to_string();
  let ttl = |t: f64| PutOptions {
    expiration_ttl: Some(t),
    ..Default::default()
  };
  let exp = |e: f64| PutOptions {
    expiration: Some(e),
    ..Default::default()
  };
  assert_eq!(
    err(ttl(30.0)),
    "KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least 60."
  );
  assert_eq!(
    err(ttl(0.0)),
    "KV PUT failed: 400 Invalid expiration_ttl of 0. Please specify integer greater than 0."
  );
  assert_eq!(
    err(ttl(f64::NAN)),
    "KV PUT failed: 400 Invalid expiration_ttl of 0. Please specify integer greater than 0."
  );
  assert_eq!(
    err(exp(now)),
    format!("KV PUT failed: 400 Invalid expiration of {now}. Please specify integer greater than the current number of seconds since the UNIX epoch.")
  );
  assert_eq!(
    err(exp(now + 30.0)),
    format!("KV PUT failed: 400 Invalid expiration of {}. Expiration times must be at least 60 seconds in the future.", now + 30.0)
  );
  assert!(matches!(put(&ns, "k", "v", exp(1e12)), Err(KvError::OutOfRange)));
  assert_eq!(
    err(exp(f64::INFINITY)),
    "KV PUT failed: 400 Invalid expiration of 0. Please specify integer greater than the current number of seconds since the UNIX epoch."
  );
  put(&ns, "k", "v", exp(now + 60.0)).unwrap();
  // TTL wins over expiration.
  put(
    &ns,
    "t",
    "v",
    PutOptions {
      expiration: Some(1.0),
      expiration_ttl: Some(60.0),
      ..Default::default()
    },
  )
  .unwrap();
  let page = ns.list(None, None, None).unwrap();
  assert!(page.keys.iter().all(|k| k.expiration == Some(now as u64 + 60)));
  ns.clock().advance_ms(59_999);
  assert_eq!(text(&ns, "t").as_deref(), Some("v"));
  ns.clock().advance_ms(1);
  assert_eq!(text(&ns, "t"), None);
  assert!(ns.list(None, None, None).unwrap().keys.is_empty());
}

#[test]
fn overwrite_replaces_metadata_and_expiration() {
  let ns = ns();
  let o = PutOptions {
    expiration_ttl: Some(120.0),
    metadata: Some("{\"a\":1}".into()),
    ..Default::default()
  };
  put(&ns, "k", "one", o).unwrap();
  put(&ns, "k", "two", PutOptions::default()).unwrap();
  let (meta, exp) = ns
    .get("k", None, |r| (r.metadata.map(<[u8]>::to_vec), r.expiration))
    .unwrap()
    .unwrap();
  assert_eq!((meta, exp), (None, None));
  assert_eq!(text(&ns, "k").as_deref(), Some("two"));
}

#[test]
fn size_limits() {
  let ns = ns();
  let meta = |n: usize| PutOptions {
    metadata: Some(format!("\"{}\"", "m".repeat(n - 2))),
    ..Default::default()
  };
  assert_eq!(
    put(&ns, "k", "v", meta(1025)).unwrap_err().to_string(),
    "KV PUT failed: 413 Metadata length of 1025 exceeds limit of 1024."
  );
  put(&ns, "k", "v", meta(1024)).unwrap();
  let big = vec![b'x'; MAX_VALUE_BYTES + 1];
  assert_eq!(
    ns.put("k", &big, &PutOptions::default()).unwrap_err().to_string(),
    "KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400."
  );
  ns.put("k", &big[1..], &PutOptions::default())
    .unwrap()
    .blocking_recv()
    .unwrap()
    .unwrap();
  assert_eq!(
    ns.get("k", None, |r| r.value.len()).unwrap(),
    Some(MAX_VALUE_BYTES)
  );
}

#[test]
fn list_orders_by_utf8_bytes_and_pages_with_cursors() {
  let ns = ns();
  for k in ["key3", "key1", "key2", "KEY1", "é", "z", "!", ", "] {
    put(&ns, k, "v", PutOptions::default()).unwrap();
  }
  let names: Vec<String> = ns
    .list(None, None, None)
    .unwrap()
    .keys
    .into_iter()
    .map(|k| k.name)
    .collect();
  assert_eq!(names, ["!", ", ", "KEY1", "key1", "key2", "key3", "z", "é"]);
  let p1 = ns.list(Some("key"), Some(1.0), None).unwrap();
  assert_eq!(p1.keys[0].name, "key1");
  // A cursor from a limit-1 page works with another limit; keys added after it appear.
  put(&ns, "key15", "v", PutOptions::default()).unwrap();
  put(&ns, "key0", "v", PutOptions::default()).unwrap();
  let p2 = ns.list(Some("key"), Some(2.0), p1.cursor.as_deref()).unwrap();
  let names: Vec<&str> = p2.keys.iter().map(|k| k.name.as_str()).collect();
  assert_eq!(names, ["key15", "key2"]);
  let p3 = ns.list(Some("key"), Some(2.0), p2.cursor.as_deref()).unwrap();
  assert_eq!(p3.keys.len(), 1);
  assert_eq!(p3.cursor, None);
  assert!(matches!(
    ns.list(None, Some(1001.0), None),
    Err(KvError::ListLimit { limit: 1001 })
  ));
  assert_eq!(ns.list(None, Some(0.0), None).unwrap().keys.len(), 10);
  assert_eq!(ns.list(None, Some(-5.0), None).unwrap().keys.len(), 10);
  assert!(matches!(
    ns.list(None, None, Some("garbage")),
    Err(KvError::InvalidCursor)
  ));
  assert_eq!(ns.list(Some("KEY"), None, None).unwrap().keys.len(), 1);
}

#[test]
fn bulk_get_rules() {
  let ns = ns();
  put(&ns, "a", "\"va\"", PutOptions::default()).unwrap();
  put(&ns, "b", "not json", PutOptions::default()).unwrap();
  let keys = |ks: &[&str]| ks.iter().map(|s| s.to_string()).collect::<Vec<_>>();
  let got = ns.get_bulk(&keys(&["a", "missing"]), "text", None).unwrap();
  assert_eq!(got[0].as_ref().unwrap().value, b"\"va\"");
  assert!(got[1].is_none());
  assert!(matches!(
    ns.get_bulk(&keys(&["a", "b"]), "json", None),
    Err(KvError::BulkNonJson)
  ));
  assert!(matches!(ns.get_bulk(&[], "text", None), Err(KvError::BulkTooFew)));
  assert_eq!(
    ns.get_bulk(&keys(&["a", "."]), "text", None)
      .unwrap_err()
      .to_string(),
    "KV GET_BULK failed: 400 Illegal key name \".\". Please use a different name."
  );
  assert_eq!(
    ns.get_bulk(&keys(&[""]), "text", None).unwrap_err().to_string(),
    "KV GET_BULK failed: 400 Key names must not be empty"
  );
  assert_eq!(
    ns.get_bulk(&keys(&["a"]), "text", Some(10.0))
      .unwrap_err()
      .to_string(),
    "KV GET_BULK failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30."
  );
  let many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
  assert!(matches!(
    ns.get_bulk(&many, "text", None),
    Err(KvError::BulkTooMany)
  ));
  assert_eq!(
    ns.get_bulk(&keys(&["a"]), "arrayBuffer", None)
      .unwrap_err()
      .to_string(),
    "KV GET_BULK failed: 400 \"arrayBuffer\" is not a valid type. Use \"json\" or \"text\""
  );
}

#[test]
fn bulk_values_lose_one_leading_byte_order_mark() {
  let ns = ns();
  put(&ns, "j", "\u{feff}{\"a\":1}", PutOptions::default()).unwrap();
  put(&ns, "t", "\u{feff}\u{feff}x", PutOptions::default()).unwrap();
  let keys = ["j".to_string(), "t".to_string()];
  let got = ns.get_bulk(&keys, "text", None).unwrap();
  assert_eq!(got[0].as_ref().unwrap().value, b"{\"a\":1}");
  assert_eq!(got[1].as_ref().unwrap().value, "\u{feff}x".as_bytes());
  assert!(ns.get_bulk(&keys[..1], "json", None).is_ok());
  // A single get returns the bytes as stored.
  assert_eq!(ns.get("t", None, |r| r.value.len()).unwrap(), Some(7));
}

#[test]
fn cache_ttl_is_validated() {
  let ns = ns();
  assert_eq!(
    ns.get("k", Some(10.0), |_| ()).unwrap_err().to_string(),
    "KV GET failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30."
  );
  assert_eq!(ns.get("k", Some(30.0), |_| ()).unwrap(), None);
}

#[test]
fn persisted_writes_survive_reopen_and_handles_share_one_store() {
  let dir = tempfile::tempdir().unwrap();
  let a = KvNamespace::persistent(dir.path(), "CACHE", Clock::System).unwrap();
  let b = KvNamespace::persistent(dir.path(), "CACHE", Clock::System).unwrap();
  put(&a, "k", "v", PutOptions::default()).unwrap();
  assert_eq!(text(&b, "k").as_deref(), Some("v"));
  a.close();
  assert!(matches!(
    a.get("k", None, |_| ()),
    Err(KvError::Storage(StorageError::Closed { .. }))
  ));
  assert_eq!(text(&b, "k").as_deref(), Some("v"));
  b.close();
  let c = KvNamespace::persistent(dir.path(), "CACHE", Clock::System).unwrap();
  assert_eq!(text(&c, "k").as_deref(), Some("v"));
  assert!(dir.path().join("kv/CACHE.redb").is_file());
  assert!(KvNamespace::persistent(dir.path(), "../escape", Clock::System).is_err());
}

#[test]
fn concurrent_puts_are_all_acknowledged() {
  let dir = tempfile::tempdir().unwrap();
  let ns = KvNamespace::persistent(dir.path(), "many", Clock::System).unwrap();
  let pending: Vec<Pending> = (0..500)
    .map(|i| ns.put(&format!("k{i:03}"), b"v", &PutOptions::default()).unwrap())
    .collect();
  for p in pending {
    p.blocking_recv().unwrap().unwrap();
  }
  assert_eq!(ns.list(None, None, None).unwrap().keys.len(), 500);
}

#[test]
fn expired_entries_are_purged_from_the_file() {
  let ns = ns();
  let ttl = PutOptions {
    expiration_ttl: Some(60.0),
    ..Default::default()
  };
  for i in 0..100 {
    put(&ns, &format!("old{i}"), "v", ttl.clone()).unwrap();
  }
  ns.clock().advance_ms(61_000);
  // Writes purge what expired; scan the raw table through a past clock to see what is left.
  for i in 0..100 {
    put(&ns, &format!("new{i}"), "v", PutOptions::default()).unwrap();
  }
  let mut left = 0;
  ns.with(|s| {
    s.scan(b"old", None, 0, |_, _| {
      left += 1;
      true
    })
  })
  .unwrap();
  assert_eq!(left, 0);
}

#[test]
fn a_manual_clock_ahead_does_not_purge_what_the_system_clock_still_sees() {
  let dir = tempfile::tempdir().unwrap();
  let real = KvNamespace::persistent(dir.path(), "ns", Clock::System).unwrap();
  let manual = Clock::manual(Clock::System.now_ms());
  let test = KvNamespace::persistent(dir.path(), "ns", manual.clone()).unwrap();
  let ttl = PutOptions {
    expiration_ttl: Some(3600.0),
    ..PutOptions::default()
  };
  put(&real, "session", "live", ttl).unwrap();
  manual.advance_ms(2 * 3600 * 1000);
  assert_eq!(test.get("session", None, |_| ()).unwrap(), None);
  // Writes through the advanced handle purge what is expired for it, but only up to now.
  for i in 0..100 {
    put(&test, &format!("k{i}"), "v", PutOptions::default()).unwrap();
  }
  assert_eq!(
    real.get("session", None, |r| r.value.to_vec()).unwrap(),
    Some(b"live".to_vec())
  );
  // With the system-clock handle gone, the advanced clock is the only reader: churn purges.
  real.close();
  put(&test, "more", "v", PutOptions::default()).unwrap();
  let later = KvNamespace::persistent(dir.path(), "ns", Clock::System).unwrap();
  assert_eq!(later.get("session", None, |_| ()).unwrap(), None);
}
