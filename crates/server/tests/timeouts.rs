//! Slow and stalled clients: a request head that never completes and a body that stops arriving
//! are dropped after their timeouts, while a slow upload that keeps sending is served whole.
//! (Before `listen.rs`, the server had no read timeout: such clients held their connection and
//! task forever.)

use edgebase_server::{start, ConfigSource, Options, Timeouts};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const KEY: &str = "test-key";

fn options() -> Options {
  Options {
    config: ConfigSource::Value(serde_json::json!({ "kv": { "cache": { "binding": "CACHE" } } })),
    vars: vec![("SERVICE_KEY".into(), KEY.into())],
    timeouts: Timeouts {
      header: Duration::from_millis(300),
      body_idle: Duration::from_millis(300),
    },
    ..Options::default()
  }
}

/// Reads until the server closes the connection (or `limit` passes); returns what arrived and
/// how long the server took to close.
fn read_to_close(s: &mut TcpStream, limit: Duration) -> (String, Duration) {
  let started = Instant::now();
  s.set_read_timeout(Some(limit)).unwrap();
  let mut out = Vec::new();
  let mut buf = [0u8; 4096];
  loop {
    match s.read(&mut buf) {
      Ok(0) => break,
      Ok(n) => out.extend_from_slice(&buf[..n]),
      Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
      Err(e) => panic!("the server kept the connection open: {e}"),
    }
  }
  (String::from_utf8_lossy(&out).into_owned(), started.elapsed())
}

fn head(len: usize) -> String {
  format!(
    "POST /api/kv/cache HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-EdgeBase-Service-Key: {KEY}\r\nContent-Length: {len}\r\n\r\n"
  )
}

#[test]
fn slow_clients_are_dropped_and_slow_uploads_are_not() {
  let rt = tokio::runtime::Builder::new_multi_thread()
    .worker_threads(2)
    .enable_all()
    .build()
    .unwrap();
  let server = rt.block_on(start(options())).unwrap();
  let addr = server.addr;

  // A head that stops half-way (slowloris): closed after the header timeout, no response.
  let mut s = TcpStream::connect(addr).unwrap();
  s.write_all(b"POST /api/kv/cache HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    .unwrap();
  let (got, took) = read_to_close(&mut s, Duration::from_secs(5));
  assert!(
    took >= Duration::from_millis(250) && took < Duration::from_secs(3),
    "{took:?}"
  );
  assert!(!got.contains("200 OK"), "{got}");

  // A body that stops arriving: the route sees it end early (400) and the connection closes.
  let body = r#"{"action":"set","key":"k","value":"v"}"#;
  let mut s = TcpStream::connect(addr).unwrap();
  s.write_all(head(body.len()).as_bytes()).unwrap();
  s.write_all(&body.as_bytes()[..10]).unwrap();
  let (got, took) = read_to_close(&mut s, Duration::from_secs(5));
  assert!(took < Duration::from_secs(3), "{took:?}");
  assert!(got.starts_with("HTTP/1.1 400"), "{got}");
  assert!(got.contains("The request body ended early."), "{got}");

  // A body sent a few bytes at a time for longer than both timeouts, never idle for long: served.
  let value = "x".repeat(40);
  let body = format!(r#"{{"action":"set","key":"slow","value":"{value}"}}"#);
  let mut s = TcpStream::connect(addr).unwrap();
  s.write_all(head(body.len()).as_bytes()).unwrap();
  let started = Instant::now();
  for chunk in body.as_bytes().chunks(6) {
    std::thread::sleep(Duration::from_millis(100));
    s.write_all(chunk).unwrap();
  }
  assert!(started.elapsed() > Duration::from_millis(600));
  s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
  let mut buf = [0u8; 4096];
  let n = s.read(&mut buf).unwrap();
  let got = String::from_utf8_lossy(&buf[..n]);
  assert!(got.starts_with("HTTP/1.1 200"), "{got}");
  assert!(got.ends_with(r#"{"ok":true}"#), "{got}");

  // The connection stays usable for the next request (keep-alive), then idles out.
  let get = r#"{"action":"get","key":"slow"}"#;
  s.write_all(head(get.len()).as_bytes()).unwrap();
  s.write_all(get.as_bytes()).unwrap();
  let n = s.read(&mut buf).unwrap();
  let got = String::from_utf8_lossy(&buf[..n]);
  assert!(got.ends_with(&format!(r#"{{"value":"{value}"}}"#)), "{got}");

  rt.block_on(server.close());
}

#[test]
fn a_client_that_stops_reading_a_download_is_dropped() {
  use edgebase_server::engine::r2::{BucketOptions, PutOptions, R2Bucket};
  let dir = tempfile::tempdir().unwrap();
  let size = 48 * 1024 * 1024;
  let r2 = R2Bucket::persistent(
    dir.path(),
    "STORAGE",
    Default::default(),
    BucketOptions::default(),
  )
  .unwrap();
  r2.put("files/big", &vec![7u8; size], PutOptions::default())
    .unwrap();
  let rt = tokio::runtime::Builder::new_multi_thread()
    .worker_threads(2)
    .enable_all()
    .build()
    .unwrap();
  let server = rt
    .block_on(start(Options {
      config: ConfigSource::Value(serde_json::json!({ "storage": { "buckets": { "files": {} } } })),
      persist: Some(dir.path().into()),
      ..options()
    }))
    .unwrap();
  let mut s = TcpStream::connect(server.addr).unwrap();
  s.write_all(
    format!("GET /api/storage/files/big HTTP/1.1\r\nHost: x\r\nX-EdgeBase-Service-Key: {KEY}\r\n\r\n")
      .as_bytes(),
  )
  .unwrap();
  let mut buf = vec![0u8; 64 * 1024];
  let n = s.read(&mut buf).unwrap();
  assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
  // Stop reading for well over the idle timeout: the server gives up on the response.
  std::thread::sleep(Duration::from_millis(1500));
  let (rest, took) = read_to_close(&mut s, Duration::from_secs(10));
  assert!(took < Duration::from_secs(5), "{took:?}");
  // What arrived is whatever the socket buffers held: the response ended early.
  assert!(n + rest.len() < size, "{}", n + rest.len());
  // A reader that keeps reading gets all of it.
  let mut s = TcpStream::connect(server.addr).unwrap();
  s.write_all(
    format!("GET /api/storage/files/big HTTP/1.1\r\nHost: x\r\nX-EdgeBase-Service-Key: {KEY}\r\nConnection: close\r\n\r\n")
      .as_bytes(),
  )
  .unwrap();
  let mut total = 0;
  s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
  loop {
    let n = s.read(&mut buf).unwrap();
    if n == 0 {
      break;
    }
    total += n;
    // Slow but steady: never idle for long.
    if total % (8 * 1024 * 1024) < n {
      std::thread::sleep(Duration::from_millis(100));
    }
  }
  assert!(total > size, "{total}");
  rt.block_on(server.close());
  r2.close();
}

#[test]
fn connections_still_busy_when_the_grace_period_ends_are_dropped() {
  let rt = tokio::runtime::Builder::new_multi_thread()
    .worker_threads(2)
    .enable_all()
    .build()
    .unwrap();
  let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
  let addr = listener.local_addr().unwrap();
  // A handler that never answers.
  let app = axum::Router::new().route("/", axum::routing::get(std::future::pending::<&'static str>));
  let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
  let serving = rt.spawn(edgebase_server::listen::serve(
    listener,
    app,
    Timeouts::default(),
    async {
      let _ = stopped.await;
    },
  ));
  let mut s = TcpStream::connect(addr).unwrap();
  s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
  std::thread::sleep(Duration::from_millis(100));
  // close(): stop accepting and wait for in-flight requests; then the grace period runs out.
  stop.send(()).unwrap();
  std::thread::sleep(Duration::from_millis(100));
  serving.abort();
  let (got, took) = read_to_close(&mut s, Duration::from_secs(5));
  assert!(took < Duration::from_secs(2), "{took:?}");
  assert_eq!(got, "");
}
