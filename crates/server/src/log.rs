//! Structured request logs: one JSON object per line on stdout, written by a background thread
//! so a request never waits on the terminal.

use std::io::Write;
use std::sync::mpsc;

#[derive(Clone)]
pub struct Logger {
  tx: mpsc::Sender<String>,
}

impl Logger {
  /// Starts the writer thread; it ends when the last `Logger` clone is dropped.
  pub fn stdout() -> Logger {
    let (tx, rx) = mpsc::channel::<String>();
    let _ = std::thread::Builder::new()
      .name("edgebase-log".into())
      .spawn(move || {
        let out = std::io::stdout();
        while let Ok(line) = rx.recv() {
          let mut w = out.lock();
          let _ = writeln!(w, "{line}");
          // Batch whatever else is queued into the same flush.
          while let Ok(line) = rx.try_recv() {
            let _ = writeln!(w, "{line}");
          }
          let _ = w.flush();
        }
      });
    Logger { tx }
  }

  /// One serialized JSON object.
  pub fn line(&self, json: Vec<u8>) {
    let _ = self.tx.send(String::from_utf8(json).unwrap_or_default());
  }
}
