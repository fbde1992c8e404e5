//! The access log: one line per answer, nginx's `combined` format by default or a format with
//! `$variable` names, to a file or stdout ([`AccessLog`], [`Builder::access_log`]).
//!
//! Every answer is logged, the server's own included (400, 408, 413, 431, 505 from the parser,
//! 500 for a handler panic, 503 for the handler timeout), on HTTP/1.1 and HTTP/2, a deferred
//! answer when it is written. Lines are formatted on the worker into a buffer of its own and
//! written by a logging thread (see `sink`): no lock and no syscall per request, nothing at all
//! but one branch when the log is off.
//!
//! Times come from the worker's loop turn: `$request_time` counts from the turn that read the
//! request's head to the turn that wrote its answer, so it has the granularity of a turn (an
//! answer given in the turn that read the request shows `0.000`); `$time_local` is the wall
//! clock of the answer's turn, in UTC. A streamed body is logged when its head is written:
//! `$body_bytes_sent` is its declared length, 0 for a chunked stream.
//!
//! [`Builder::access_log`]: crate::Builder::access_log

mod builder;
mod format;
mod render;
mod sink;

use std::fs::File;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use format::FormatError;
pub(crate) use render::{civil, NoRequest, RawHead, ReqView};
pub(crate) use sink::{Local, Sink, Writer};

use crate::worker::Worker;

/// How often the logging thread writes what the workers handed it (sooner when 64 KiB wait).
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// An access log's destination and format, for [`Builder::access_log`](crate::Builder::access_log).
///
/// Variables (nginx's names): `$remote_addr`, `$remote_user` (of `Authorization: Basic`),
/// `$time_local`, `$time_iso8601` (both UTC), `$request`, `$request_method`, `$request_uri`,
/// `$server_protocol`, `$status`, `$body_bytes_sent`, `$bytes_sent` (head and body; bodies
/// only on HTTP/2), `$request_time` (seconds with milliseconds, at a loop turn's
/// granularity), `$http_NAME` for any request header (`$http_x_request_id`). A value that
/// is absent is `-`; `"`, `\`, control and non-ASCII bytes are written `\xHH`.
///
/// # Examples
///
/// ```
/// use brisk_server::AccessLog;
///
/// let path = std::env::temp_dir().join("brisk-doc-access.log");
/// let log = AccessLog::file(&path)?.format("$remote_addr $status $request_time")?;
/// let mut b = brisk_server::Server::builder();
/// b.access_log(log);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct AccessLog {
    target: sink::Target,
    file: Option<File>,
    format: format::Format,
    interval: Duration,
}

impl AccessLog {
    /// Lines appended to the file at `path` (created if missing), in the `combined` format.
    /// The file is reopened at the same path by [`Handle::reopen_logs`](crate::Handle::reopen_logs)
    /// (log rotation).
    ///
    /// # Errors
    ///
    /// When the file cannot be opened for appending.
    ///
    /// # Examples
    ///
    /// ```
    /// let log = brisk_server::AccessLog::file(std::env::temp_dir().join("brisk-doc.log"))?;
    /// # let _ = log;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn file(path: impl Into<PathBuf>) -> std::io::Result<AccessLog> {
        let path = path.into();
        let file = sink::open(&path)?;
        Ok(AccessLog {
            target: sink::Target::File(path),
            file: Some(file),
            format: format::parse(format::COMBINED).expect("the combined format parses"),
            interval: DEFAULT_FLUSH_INTERVAL,
        })
    }

    /// Lines written to the standard output, in the `combined` format.
    ///
    /// # Examples
    ///
    /// ```
    /// let log = brisk_server::AccessLog::stdout();
    /// # let _ = log;
    /// ```
    pub fn stdout() -> AccessLog {
        AccessLog {
            target: sink::Target::Stdout,
            file: None,
            format: format::parse(format::COMBINED).expect("the combined format parses"),
            interval: DEFAULT_FLUSH_INTERVAL,
        }
    }

    /// The line's format, nginx style (parsed once, here).
    ///
    /// # Errors
    ///
    /// [`FormatError`] for an unknown variable.
    ///
    /// # Examples
    ///
    /// ```
    /// let log = brisk_server::AccessLog::stdout().format("$request_method $request_uri $status")?;
    /// # let _ = log;
    /// # Ok::<(), brisk_server::FormatError>(())
    /// ```
    pub fn format(mut self, format: &str) -> Result<AccessLog, FormatError> {
        self.format = format::parse(format)?;
        Ok(self)
    }

    /// How often lines are written at most (default [`DEFAULT_FLUSH_INTERVAL`], 100 ms; as
    /// soon as 64 KiB wait, in any case). At least 1 ms.
    ///
    /// # Examples
    ///
    /// ```
    /// let log = brisk_server::AccessLog::stdout().flush_interval(std::time::Duration::from_secs(1));
    /// # let _ = log;
    /// ```
    pub fn flush_interval(mut self, every: Duration) -> AccessLog {
        self.interval = every.max(Duration::from_millis(1));
        self
    }

    /// Starts the logging thread.
    pub(crate) fn start(
        &mut self,
        rules: crate::client_addr::ClientRules,
    ) -> std::io::Result<Writer> {
        Writer::start(
            self.format.clone(),
            self.target.clone(),
            self.file.take(),
            self.interval,
            rules,
        )
    }
}

/// What an answer's log line says of its request: the request (or what is known of it) and
/// when its head was read (`None`: in this turn).
#[derive(Clone, Copy)]
pub(crate) struct LogAs<'a> {
    pub(crate) req: &'a dyn ReqView,
    pub(crate) start: Option<Instant>,
}

impl<'a> LogAs<'a> {
    /// A request read in this turn.
    #[inline(always)]
    pub(crate) fn now(req: &'a dyn ReqView) -> LogAs<'a> {
        LogAs { req, start: None }
    }

    /// Nothing known of the request (a 408 before its head was complete).
    pub(crate) const NOTHING: LogAs<'static> = LogAs {
        req: &NoRequest,
        start: None,
    };
}

/// The head of an answer given later, kept for its log line.
#[derive(Debug)]
pub(crate) struct Kept {
    head: Box<[u8]>,
    start: Instant,
}

impl Kept {
    /// The kept request and its start.
    pub(crate) fn view(&self) -> (RawHead<'_>, Instant) {
        (RawHead(&self.head), self.start)
    }
}

/// Keeps what the log line of an answer given later needs of `req` (its line and the fields
/// the format names), if the log is on.
#[cold]
#[inline(never)]
pub(crate) fn keep(w: &Worker, log: LogAs<'_>) -> Option<Kept> {
    let l = w.log.as_ref()?;
    Some(Kept {
        head: l.keep(log.req).into_boxed_slice(),
        start: log.start.unwrap_or_else(|| w.date.now()),
    })
}

/// Logs one answer written now, if the access log is on (the one branch when it is off).
/// `start` is when the request's head was read (`None`: this turn).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn sent(
    w: &mut Worker,
    log: LogAs<'_>,
    peer: SocketAddr,
    status: u16,
    body: u64,
    head: u64,
) {
    let LogAs { req, start } = log;
    if let Some(l) = w.log.as_mut() {
        let now = w.date.now();
        let f = render::Facts {
            peer,
            status,
            body,
            head,
            start: start.unwrap_or(now),
            now,
            secs: w.date.secs(),
        };
        l.line(req, &f);
    }
}

/// The worker's turn ended: its lines go to the logging thread.
pub(crate) fn end_turn() {
    crate::worker::try_with_worker(|w| {
        if let Some(l) = w.log.as_mut() {
            l.end_turn();
        }
    });
}
