//! Where lines go: each worker formats into a buffer of its own (no lock, no syscall per
//! request), handed at the end of each loop turn (or when it passes [`LOCAL_FLUSH`]) to the
//! logging thread's pending buffer (one uncontended lock per turn); the logging thread writes
//! what is pending every flush interval (or as soon as [`LOCAL_FLUSH`] is pending) with one
//! `write(2)`, and is the only one to touch the file, so reopening it (log rotation) needs
//! nothing from the workers.
//!
//! ```text
//!  worker: line -> local Vec ──turn end: copy──> Mutex<pending> ──100 ms: swap──> logging thread: write(2)
//! ```

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use super::format::Format;
use super::render::{self, Caches, Facts, ReqView};

/// A worker hands its buffer on once it holds this much, without waiting for the turn's end;
/// the logging thread writes as soon as this much is pending.
pub(crate) const LOCAL_FLUSH: usize = 64 * 1024;

/// The capacity of the pending buffer and of the logging thread's spare (the two trade places
/// on every write; each keeps its capacity, so the steady state allocates nothing).
const PENDING_CAPACITY: usize = 256 * 1024;

/// Most bytes pending for the logging thread: past it (a disk that cannot keep up), lines are
/// dropped and counted rather than held without bound or written by the workers.
pub(crate) const MAX_PENDING: usize = 8 << 20;

/// Where the log goes.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Stdout,
    File(PathBuf),
}

/// Opens `path` for appending (created if missing).
pub(crate) fn open(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

#[derive(Debug, Default)]
struct Pending {
    buf: Vec<u8>,
    /// Lines dropped since the last report.
    dropped: u64,
}

/// What the workers and the logging thread share.
#[derive(Debug)]
pub(crate) struct Sink {
    pub(crate) format: Format,
    /// Whom forwarding headers are believed from: `$remote_addr` is the client's address.
    pub(crate) rules: crate::client_addr::ClientRules,
    target: Target,
    pending: Mutex<Pending>,
    wake: Condvar,
    reopen: AtomicBool,
    stop: AtomicBool,
    interval: Duration,
}

fn lock(m: &Mutex<Pending>) -> MutexGuard<'_, Pending> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Sink {
    /// Copies `local`'s lines to the pending buffer and empties `local` (which keeps its
    /// capacity: buffers never change hands, so none grows again in the steady state).
    pub(crate) fn hand_off(&self, local: &mut Vec<u8>) {
        let mut p = lock(&self.pending);
        if p.buf.len() + local.len() <= MAX_PENDING {
            p.buf.extend_from_slice(local);
        } else {
            p.dropped += memchr::memchr_iter(b'\n', local).count() as u64;
        }
        local.clear();
        let full = p.buf.len() >= LOCAL_FLUSH;
        drop(p);
        if full {
            self.wake.notify_one();
        }
    }

    /// Asks the logging thread to reopen the file (after a rotation renamed it).
    pub(crate) fn reopen(&self) {
        self.reopen.store(true, Ordering::Release);
        let _g = lock(&self.pending);
        self.wake.notify_one();
    }
}

/// The logging thread's output.
enum Out {
    Stdout,
    File(File),
}

impl Out {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Out::Stdout => std::io::stdout().lock().write_all(bytes),
            Out::File(f) => f.write_all(bytes),
        }
    }
}

/// The logging thread, owned by the server's handles: stopped (after a last write) once the
/// workers are done.
#[derive(Debug)]
pub(crate) struct Writer {
    pub(crate) sink: Arc<Sink>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    /// Starts the logging thread for `format` into `target` (`file`: already open).
    pub(crate) fn start(
        format: Format,
        target: Target,
        file: Option<File>,
        interval: Duration,
        rules: crate::client_addr::ClientRules,
    ) -> std::io::Result<Writer> {
        let out = match (&target, file) {
            (Target::Stdout, _) => Out::Stdout,
            (Target::File(_), Some(f)) => Out::File(f),
            (Target::File(p), None) => Out::File(open(p)?),
        };
        let sink = Arc::new(Sink {
            format,
            rules,
            target,
            pending: Mutex::new(Pending {
                buf: Vec::with_capacity(PENDING_CAPACITY),
                dropped: 0,
            }),
            wake: Condvar::new(),
            reopen: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            interval,
        });
        let s = Arc::clone(&sink);
        let thread = std::thread::Builder::new()
            .name("brisk-access-log".into())
            .spawn(move || run(&s, out))?;
        Ok(Writer {
            sink,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Writes what is pending and stops the thread (the workers must be done). Idempotent.
    pub(crate) fn stop(&self) {
        self.sink.stop.store(true, Ordering::Release);
        {
            let _g = lock(&self.sink.pending);
            self.sink.wake.notify_one();
        }
        let t = self
            .thread
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(t) = t {
            let _ = t.join();
        }
    }
}

fn run(sink: &Sink, mut out: Out) {
    let mut spare: Vec<u8> = Vec::with_capacity(PENDING_CAPACITY);
    let mut failing = false;
    loop {
        let (stop, dropped) = {
            let mut p = lock(&sink.pending);
            let asked = sink.stop.load(Ordering::Acquire) || sink.reopen.load(Ordering::Acquire);
            if p.buf.len() < LOCAL_FLUSH && !asked {
                p = sink
                    .wake
                    .wait_timeout(p, sink.interval)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            std::mem::swap(&mut p.buf, &mut spare);
            (
                sink.stop.load(Ordering::Acquire),
                std::mem::take(&mut p.dropped),
            )
        };
        if !spare.is_empty() {
            match out.write(&spare) {
                Ok(()) => failing = false,
                Err(e) if !failing => {
                    failing = true;
                    crate::log::error(format_args!("access log: cannot write: {e}"));
                }
                Err(_) => {}
            }
            spare.clear();
        }
        if dropped > 0 {
            crate::log::warn(format_args!(
                "access log: {dropped} lines dropped (the output cannot keep up)"
            ));
        }
        if sink.reopen.swap(false, Ordering::AcqRel) {
            if let Target::File(p) = &sink.target {
                match open(p) {
                    Ok(f) => {
                        out = Out::File(f);
                        crate::log::info(format_args!("access log reopened: {}", p.display()));
                    }
                    Err(e) => crate::log::error(format_args!(
                        "access log: cannot reopen {}: {e}",
                        p.display()
                    )),
                }
            }
        }
        if stop {
            break;
        }
    }
}

/// A worker's side: its buffer, its caches and the sink.
#[derive(Debug)]
pub(crate) struct Local {
    buf: Vec<u8>,
    caches: Caches,
    sink: Arc<Sink>,
}

impl Local {
    pub(crate) fn new(sink: &Arc<Sink>) -> Local {
        Local {
            buf: Vec::with_capacity(LOCAL_FLUSH + 4096),
            caches: Caches::new(),
            sink: Arc::clone(sink),
        }
    }

    /// Appends the line for one answer.
    #[inline]
    pub(crate) fn line(&mut self, req: &dyn ReqView, f: &Facts) {
        let rules = &self.sink.rules;
        if rules.any() {
            // Behind a trusted proxy, `$remote_addr` is the client it names.
            let peer = rules.resolve_values(f.peer, req.header(rules.header_name()).into_iter());
            let f = &Facts { peer, ..*f };
            render::line(&mut self.buf, &self.sink.format, &mut self.caches, req, f);
        } else {
            render::line(&mut self.buf, &self.sink.format, &mut self.caches, req, f);
        }
        if self.buf.len() >= LOCAL_FLUSH {
            self.sink.hand_off(&mut self.buf);
        }
    }

    /// A head holding `req`'s request line and the fields the format names, to log from
    /// later ([`RawHead`](super::RawHead)).
    pub(crate) fn keep(&self, req: &dyn ReqView) -> Vec<u8> {
        use super::format::{Piece, Var};
        let mut head = Vec::with_capacity(128);
        let forwarded = self.sink.rules.any().then(|| self.sink.rules.header_name());
        match (req.line(), req.method(), req.target(), req.protocol()) {
            (Some(l), _, _, _) => head.extend_from_slice(l),
            (None, Some(m), Some(t), Some(p)) => {
                for part in [m, b" ", t, b" ", p] {
                    head.extend_from_slice(part);
                }
            }
            _ => {}
        }
        head.extend_from_slice(b"\r\n");
        for p in &self.sink.format.pieces {
            let name: &str = match p {
                Piece::Var(Var::Header(n)) => n,
                Piece::Var(Var::RemoteUser) => "authorization",
                Piece::Var(Var::RemoteAddr) => match forwarded {
                    Some(h) => h,
                    None => continue,
                },
                _ => continue,
            };
            if let Some(v) = req.header(name) {
                if !v.contains(&b'\n') {
                    for part in [name.as_bytes(), b": ", v, b"\r\n"] {
                        head.extend_from_slice(part);
                    }
                }
            }
        }
        head
    }

    /// The turn ended: lines go to the logging thread.
    #[inline]
    pub(crate) fn end_turn(&mut self) {
        if !self.buf.is_empty() {
            self.sink.hand_off(&mut self.buf);
        }
    }
}
