//! Moving bytes between HTTP bodies and R2 without holding a file in memory: a writer thread
//! takes chunks as they arrive and commits only when told the body is complete (a client that
//! stops early leaves nothing behind); a reader thread feeds a download chunk by chunk.

use axum::body::{Body, Bytes};
use edgebase_engine::r2::{self, ObjectMeta, PartWriter, PutWriter, R2Error, UploadedPart};
use tokio::sync::mpsc;

/// Bytes per read of a download.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight between the network and the file.
const QUEUE: usize = 8;

/// A body being written to R2 (an object or a part).
pub trait Sink: Send + 'static {
  type Done: Send + 'static;
  fn write(&mut self, chunk: &[u8]) -> Result<(), R2Error>;
  fn finish(self) -> Result<Self::Done, R2Error>;
}

impl Sink for PutWriter {
  type Done = Option<ObjectMeta>;
  fn write(&mut self, chunk: &[u8]) -> Result<(), R2Error> {
    PutWriter::write(self, chunk)
  }
  fn finish(self) -> Result<Self::Done, R2Error> {
    PutWriter::finish(self)
  }
}

impl Sink for PartWriter {
  type Done = UploadedPart;
  fn write(&mut self, chunk: &[u8]) -> Result<(), R2Error> {
    PartWriter::write(self, chunk)
  }
  fn finish(self) -> Result<Self::Done, R2Error> {
    PartWriter::finish(self)
  }
}

enum Msg {
  Chunk(Bytes),
  Done,
}

/// A writer running on a blocking thread. Dropping it before `finish` discards what was written.
pub struct Upload<S: Sink> {
  tx: Option<mpsc::Sender<Msg>>,
  task: tokio::task::JoinHandle<Result<Option<S::Done>, R2Error>>,
  pub written: u64,
}

impl<S: Sink> Upload<S> {
  pub fn start(mut sink: S) -> Self {
    let (tx, mut rx) = mpsc::channel::<Msg>(QUEUE);
    let task = tokio::task::spawn_blocking(move || {
      while let Some(msg) = rx.blocking_recv() {
        match msg {
          Msg::Chunk(c) => sink.write(&c)?,
          Msg::Done => return sink.finish().map(Some),
        }
      }
      Ok(None) // abandoned: the uncommitted blob goes with `sink`
    });
    Upload {
      tx: Some(tx),
      task,
      written: 0,
    }
  }

  /// Queues a chunk; an error means the writer failed (its error comes from `finish`).
  pub async fn write(&mut self, chunk: Bytes) -> bool {
    self.written += chunk.len() as u64;
    match &self.tx {
      Some(tx) => tx.send(Msg::Chunk(chunk)).await.is_ok(),
      None => false,
    }
  }

  /// Commits; `Err` with the writer's error when a chunk failed.
  pub async fn finish(mut self) -> Result<S::Done, R2Error> {
    if let Some(tx) = self.tx.take() {
      let _ = tx.send(Msg::Done).await;
    }
    match (&mut self.task).await {
      Ok(Ok(Some(done))) => Ok(done),
      Ok(Ok(None)) => Err(R2Error::Storage(edgebase_engine::StorageError::engine(
        "the upload was abandoned",
      ))),
      Ok(Err(e)) => Err(e),
      Err(e) => Err(R2Error::Storage(edgebase_engine::StorageError::engine(e))),
    }
  }
}

/// A download body read on a blocking thread.
pub fn download(mut body: r2::Body) -> Body {
  let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(QUEUE);
  tokio::task::spawn_blocking(move || {
    while body.remaining() > 0 {
      let chunk = body.read(CHUNK).map_err(|e| std::io::Error::other(e.to_string()));
      let stop = chunk.is_err();
      if tx.blocking_send(chunk.map(Bytes::from)).is_err() || stop {
        break; // client gone, or a read failed (the response ends short: the client sees it)
      }
    }
  });
  Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
    rx.recv().await.map(|c| (c, rx))
  }))
}
