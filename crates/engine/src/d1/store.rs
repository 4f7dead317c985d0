//! One database file (or memory) and the order its calls run in.
//!
//! Calls on one database run one at a time in submission order, like D1. A call submitted while
//! nothing is queued runs at once on the caller's thread: a point query costs a few microseconds
//! there, less than a hop to another thread. It gets a small time budget and never waits for a
//! lock; if it would (a long aggregate, a big batch, another process writing), it is rolled back
//! without effects and queued for the database's worker thread, which runs it to completion
//! (waiting up to the busy timeout for locks). A statement that once ran out of budget goes
//! straight to the worker from then on.

use super::conn::{Conn, Fail, Mode};
use super::error::D1Error;
use super::{ExecResult, QueryResult, Value};
use crate::error::StorageError;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How long a call may hold the caller's (JS) thread before it is moved to the worker, unless
/// `EDGEBASE_D1_INLINE_BUDGET_US` says otherwise (0: every call goes to the worker).
const INLINE_BUDGET: Duration = Duration::from_millis(1);

fn inline_budget() -> Duration {
  std::env::var("EDGEBASE_D1_INLINE_BUDGET_US")
    .ok()
    .and_then(|v| v.parse::<u64>().ok())
    .map(Duration::from_micros)
    .unwrap_or(INLINE_BUDGET)
}
/// Statements remembered as too slow to run inline; forgotten all at once when full.
const MAX_SLOW: usize = 1024;

/// A call on the database.
pub enum Work {
  /// `first`/`all`/`run`/`raw` of one prepared statement (which may hold several statements).
  Query {
    sql: String,
    params: Vec<Value>,
  },
  /// `batch()`: each statement names its SQL by index into `sql` (a batch often repeats one
  /// statement with different parameters).
  Batch {
    sql: Vec<String>,
    statements: Vec<(usize, Vec<Value>)>,
  },
  Exec(String),
  Dump,
}

/// What a call produced, with the session bookmark after it.
#[derive(Debug)]
pub enum Output {
  Query(QueryResult),
  Batch(Vec<QueryResult>),
  Exec(ExecResult),
  Dump(Vec<u8>),
}

#[derive(Debug)]
pub struct Done {
  pub output: Output,
  pub bookmark: String,
}

pub type Reply = Result<Done, D1Error>;

/// A call either finished on the caller's thread or was queued.
pub enum Submitted {
  Ready(Reply),
  Pending(oneshot::Receiver<Reply>),
}

enum Job {
  Call {
    work: Work,
    reply: oneshot::Sender<Reply>,
  },
  /// Copy the WAL into the database file (queued after calls that ran inline).
  Checkpoint,
}

struct Core {
  conn: Mutex<Conn>,
  budget: Duration,
  /// Jobs queued or running on the worker.
  queued: AtomicUsize,
  slow: Mutex<HashSet<String>>,
}

impl Core {
  fn conn(&self) -> MutexGuard<'_, Conn> {
    // A panic cannot leave the connection half-updated in a way later calls would misread.
    self.conn.lock().unwrap_or_else(|p| p.into_inner())
  }

  fn perform(conn: &mut Conn, work: &Work, mode: Mode) -> Result<Done, Fail> {
    let output = match work {
      Work::Query { sql, params } => Output::Query(conn.query(sql, params, mode)?),
      Work::Batch { sql, statements } => Output::Batch(conn.batch(sql, statements, mode)?),
      Work::Exec(sql) => Output::Exec(conn.exec(sql, mode)?),
      Work::Dump => Output::Dump(conn.dump()?),
    };
    Ok(Done {
      output,
      bookmark: conn.bookmark(),
    })
  }
}

pub struct D1Store {
  core: Arc<Core>,
  path: Option<PathBuf>,
  queue: Option<mpsc::Sender<Job>>,
  worker: Option<JoinHandle<()>>,
}

impl D1Store {
  pub fn open_file(path: &Path) -> Result<Self, StorageError> {
    Self::start(Conn::open(Some(path))?, Some(path.into()))
  }

  pub fn open_in_memory() -> Result<Self, StorageError> {
    Self::start(Conn::open(None)?, None)
  }

  fn start(conn: Conn, path: Option<PathBuf>) -> Result<Self, StorageError> {
    let core = Arc::new(Core {
      conn: Mutex::new(conn),
      budget: inline_budget(),
      queued: AtomicUsize::new(0),
      slow: Mutex::new(HashSet::new()),
    });
    let (queue, rx) = mpsc::channel::<Job>();
    let worker = {
      let core = core.clone();
      crate::persist::spawn_store_thread("edgebase-d1", move || {
        for job in rx {
          let (work, reply) = match job {
            Job::Call { work, reply } => (work, reply),
            Job::Checkpoint => {
              let mut conn = core.conn();
              if conn.checkpoint_due() {
                conn.checkpoint();
              }
              drop(conn);
              core.queued.fetch_sub(1, Ordering::AcqRel);
              continue;
            }
          };
          let started = Instant::now();
          let result = {
            let mut conn = core.conn();
            let result = Core::perform(&mut conn, &work, Mode::Worker);
            if conn.checkpoint_due() {
              conn.checkpoint();
            }
            result
          };
          // A statement that ran out of its inline budget once (a busy machine can do that
          // to a quick one) gets another chance inline once it proves quick here.
          if started.elapsed() < core.budget / 4 {
            if let Work::Query { sql, .. } = &work {
              if let Ok(mut slow) = core.slow.lock() {
                slow.remove(sql);
              }
            }
          }
          core.queued.fetch_sub(1, Ordering::AcqRel);
          let _ = reply.send(result.map_err(|f| match f {
            Fail::D1(e) => e,
            Fail::Retry { .. } => D1Error::sql("interrupted"),
          }));
        }
      })?
    };
    Ok(D1Store {
      core,
      path,
      queue: Some(queue),
      worker: Some(worker),
    })
  }

  pub fn path(&self) -> Option<&Path> {
    self.path.as_deref()
  }

  /// Runs `work` now if nothing is queued and it fits the inline budget; queues it otherwise.
  pub fn submit(&self, work: Work) -> Submitted {
    if self.may_run_inline(&work) && self.core.queued.load(Ordering::Acquire) == 0 {
      if let Ok(mut conn) = self.core.conn.try_lock() {
        let deadline = Instant::now() + self.core.budget;
        let result = Core::perform(&mut conn, &work, Mode::Inline(deadline));
        let checkpoint = conn.checkpoint_due();
        drop(conn);
        if checkpoint {
          self.send(Job::Checkpoint);
        }
        match result {
          Ok(done) => return Submitted::Ready(Ok(done)),
          Err(Fail::D1(e)) => return Submitted::Ready(Err(e)),
          Err(Fail::Retry { slow }) => {
            if slow {
              self.remember_slow(&work);
            }
          }
        }
      }
    }
    self.enqueue(work)
  }

  fn may_run_inline(&self, work: &Work) -> bool {
    if self.core.budget.is_zero() {
      return false;
    }
    match work {
      Work::Query { sql, .. } => !self.core.slow.lock().map(|s| s.contains(sql)).unwrap_or(true),
      Work::Batch { .. } | Work::Exec(_) => true,
      Work::Dump => false,
    }
  }

  fn remember_slow(&self, work: &Work) {
    if let Work::Query { sql, .. } = work {
      if let Ok(mut slow) = self.core.slow.lock() {
        if slow.len() >= MAX_SLOW {
          slow.clear();
        }
        slow.insert(sql.clone());
      }
    }
  }

  fn enqueue(&self, work: Work) -> Submitted {
    let (reply, rx) = oneshot::channel();
    self.send(Job::Call { work, reply });
    Submitted::Pending(rx)
  }

  fn send(&self, job: Job) {
    self.core.queued.fetch_add(1, Ordering::AcqRel);
    let queue = self.queue.as_ref().expect("queue lives until drop");
    if let Err(mpsc::SendError(job)) = queue.send(job) {
      self.core.queued.fetch_sub(1, Ordering::AcqRel);
      if let Job::Call { reply, .. } = job {
        let _ = reply.send(Err(D1Error::Storage(StorageError::engine(
          "the D1 worker thread stopped",
        ))));
      }
    }
  }
}

impl Drop for D1Store {
  /// Queued calls finish before the file closes.
  fn drop(&mut self) {
    drop(self.queue.take());
    if let Some(w) = self.worker.take() {
      let _ = w.join();
    }
  }
}
