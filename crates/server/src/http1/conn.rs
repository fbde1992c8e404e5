//! The HTTP/1.1 connection: its state, and what it does on the reactor's events (read,
//! write-ready, timeouts, drain). Reading requests is in `read`, writing answers in `write`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use brisk_http1::{ChunkedDecoder, RequestParser, Version as H1Version};
use brisk_reactor::{Action, Context, Output, TimeoutKind};

use crate::access_log::LogAs;
use crate::app::App;
use crate::body::Outgoing;
use crate::exchange::BodyTo;
use crate::exchange::MAX_HEADER_SLOTS;
use crate::worker::{with_worker, Worker};

/// What the connection wrapper must do after `on_read`.
#[derive(Debug)]
pub(crate) enum Next {
    /// Stay on HTTP/1.1.
    Stay(usize, Action),
    /// `Upgrade: h2c` was accepted: 101 has been written; the request is stream 1 of the
    /// HTTP/2 connection, which gets the input from `consumed` on.
    UpgradeH2c { consumed: usize },
}

/// What the connection's owner does with `Upgrade: h2c` (HTTP/1.1 knows nothing of HTTP/2):
/// given the application, the peer, the `HTTP2-Settings` value and the request, it builds the
/// HTTP/2 side and returns true, or false to go on with HTTP/1.1.
pub(crate) type H2cUpgrade<'u> =
    dyn FnMut(&Arc<App>, SocketAddr, &[u8], &brisk_http1::Request<'_, '_>) -> bool + 'u;

/// HTTP/1.1 connection state.
pub(crate) struct H1 {
    /// Taken out while `on_read` runs (moving the pointer costs no atomic operation, unlike a
    /// clone), so the connection's own fields stay free to borrow.
    pub(super) app: Option<Arc<App>>,
    /// Time of the last input: the idle timer is armed once and, when it fires early because
    /// requests kept coming, re-armed for the rest (no timer work per request).
    pub(super) last_input: Option<Instant>,
    pub(super) peer: SocketAddr,
    /// The TLS facts of an HTTPS connection (no h2c upgrade then); shared, so that a request
    /// can borrow them while the connection is borrowed mutably (one reference count per
    /// request over TLS).
    pub(crate) tls: Option<Arc<brisk_reactor::TlsInfo>>,
    pub(super) parser: RequestParser,
    /// Where reading requests stands.
    pub(super) reading: Reading,
    /// Writing: output that did not fit in the reactor's buffer (a head, a large or streamed
    /// body), written as the socket drains; while it is not empty, no request is answered.
    pub(super) spill: Outgoing,
    pub(super) served: u64,
    /// Answers that wait for an earlier deferred one, in request order (see `later`).
    pub(super) waiting: super::later::Queue,
    /// File bodies leave by `sendfile(2)` (see `crate::conn::can_sendfile`).
    pub(crate) sendfile: bool,
}

/// A body arriving over several reads: the head is kept as bytes and re-parsed when the
/// body is complete.
#[derive(Debug, Default)]
pub(super) struct Collect {
    pub(crate) head: Vec<u8>,
    pub(crate) body: Vec<u8>,
    pub(super) remaining: u64,
    pub(super) chunked: Option<ChunkedDecoder>,
    /// Where the body goes (an upload's sink, or `body`) and what answers it: decided on the
    /// head, so the complete request is not routed again.
    pub(super) to: Option<BodyTo>,
    /// Body bytes received so far.
    pub(super) received: u64,
    /// The sink paused reading ([`Flow::Pause`](crate::Flow::Pause)): nothing is fed until
    /// it says otherwise when its waker wakes the connection.
    pub(super) paused: bool,
    /// `100 Continue` is owed once the paused sink reads.
    pub(super) continue_pending: bool,
    /// When the head was read (for the access log).
    pub(super) started: Option<Instant>,
}

/// Where an HTTP/1.1 connection stands in reading requests.
#[derive(Debug)]
pub(super) enum Reading {
    /// At a request boundary: the next byte starts a head.
    Ready,
    /// Part of a head is buffered (a header-read timeout answers 408). `big` when the head has
    /// more fields than the small slot array, so it is parsed with the large one.
    Head { big: bool },
    /// A body arriving over several reads.
    Body(Box<Collect>),
    /// No more requests: everything after the current response is discarded.
    Closed,
}

impl H1 {
    /// True when no request is half read (between requests, or closed).
    pub(super) fn between_requests(&self) -> bool {
        matches!(self.reading, Reading::Ready | Reading::Closed)
    }

    /// True once no more requests are read.
    pub(super) fn closed(&self) -> bool {
        matches!(self.reading, Reading::Closed)
    }
}

impl std::fmt::Debug for H1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H1")
            .field("peer", &self.peer)
            .field("served", &self.served)
            .field("spill", &self.spill)
            .finish()
    }
}

/// The answer to one request, decided after the handler ran.
#[derive(Debug, Clone, Copy)]
pub(super) struct Plan {
    pub(super) version: H1Version,
    pub(super) keep_alive: bool,
    pub(super) head_only: bool,
}

impl H1 {
    pub(crate) fn new(app: Arc<App>, peer: SocketAddr) -> Self {
        let mut cfg = brisk_http1::Config::default();
        let l = &app.config.limits;
        cfg.limits.max_head_size = l.max_head_size;
        cfg.limits.max_headers = l.max_headers.min(MAX_HEADER_SLOTS);
        cfg.limits.max_target_len = l.max_uri_len;
        H1 {
            parser: RequestParser::with_config(cfg),
            app: Some(app),
            last_input: None,
            peer,
            tls: None,
            reading: Reading::Ready,
            spill: Outgoing::default(),
            served: 0,
            waiting: super::later::Queue::default(),
            sendfile: false,
        }
    }

    pub(super) fn after_output(&self) -> Action {
        if self.closed() && self.spill.is_empty() && self.waiting.is_empty() {
            Action::CloseAfterFlush
        } else {
            Action::Keep
        }
    }

    /// Whether [`H1::on_write_ready`] has work outside shutdown: a spill to flush (a large or
    /// streamed answer), or a close to report.
    pub(crate) fn wants_write_ready(&self) -> bool {
        self.closed() || !self.spill.is_empty()
    }

    pub(crate) fn on_write_ready(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        if !self.spill.is_empty() {
            self.flush_spill(out);
        }
        if self.spill.is_empty() && !self.waiting.is_empty() {
            self.flush_waiting(cx, out);
        }
        if cx.is_draining()
            && self.spill.is_empty()
            && self.waiting.is_empty()
            && self.between_requests()
        {
            // Shutting down and the response in flight is out: nothing more to do here.
            self.reading = Reading::Closed;
        }
        self.after_output()
    }

    pub(crate) fn on_timeout(
        &mut self,
        cx: &mut Context<'_>,
        kind: TimeoutKind,
        out: &mut Output<'_>,
    ) -> Action {
        if kind == TimeoutKind::Idle && !self.waiting.is_empty() {
            // A deferred answer is outstanding: the connection is not idle, but the handler
            // timeout may have run out.
            return self.on_handler_timer(cx, out);
        }
        if kind == TimeoutKind::Idle && self.spill.is_waiting() {
            // A pushed body waits for its producer: the connection is not idle (a client
            // that stops reading is the write-stall timer's business).
            let idle = self
                .app
                .as_ref()
                .map_or(Duration::ZERO, |a| a.config.timeouts.idle);
            cx.set_timeout_in(TimeoutKind::Idle, idle);
            return Action::Keep;
        }
        if kind == TimeoutKind::Idle {
            let idle = self
                .app
                .as_ref()
                .map_or(Duration::ZERO, |a| a.config.timeouts.idle);
            let quiet = self
                .last_input
                .map_or(idle, |t| cx.now().saturating_duration_since(t));
            if quiet < idle && self.spill.is_empty() {
                cx.set_timeout_in(TimeoutKind::Idle, idle - quiet);
                return Action::Keep;
            }
        }
        match kind {
            TimeoutKind::Start | TimeoutKind::Input if self.spill.is_empty() => {
                with_worker(|w| {
                    w.stats.timeout();
                    w.date.update(cx.now(), || cx.system_time());
                    self.error(w, out, 408, H1Version::Http11, LogAs::NOTHING);
                });
                Action::CloseAfterFlush
            }
            _ => Action::CloseNow,
        }
    }

    pub(crate) fn on_drain(&mut self, out: &mut Output<'_>) -> Action {
        let _ = out;
        // Idle between requests: close now. Mid-request: the next response carries
        // `Connection: close` (checked through `cx.is_draining()`).
        if self.spill.is_empty() && self.waiting.is_empty() && self.between_requests() {
            Action::CloseAfterFlush
        } else {
            Action::Keep
        }
    }

    /// Writes a server-generated error answer with `Connection: close` and stops reading;
    /// `log` is what is known of the request (the raw head, for a parser's error).
    #[cold]
    #[inline(never)]
    pub(super) fn error(
        &mut self,
        w: &mut Worker,
        out: &mut Output<'_>,
        code: u16,
        version: H1Version,
        log: LogAs<'_>,
    ) {
        if crate::log::enabled(crate::log::Level::Debug) {
            crate::log::debug(format_args!(
                "{}: HTTP/1.1 request refused: {code} {}",
                self.peer,
                crate::status::reason_phrase(code)
            ));
        }
        w.res.set_error(code);
        let plan = Plan {
            version,
            keep_alive: false,
            head_only: false,
        };
        self.write_response(w, out, &plan, log);
        self.reading = Reading::Closed;
    }

    /// Reads and answers requests; `upgrade` is offered an `Upgrade: h2c` request.
    pub(crate) fn on_read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
        upgrade: &mut H2cUpgrade<'_>,
    ) -> Next {
        if self.closed() {
            return Next::Stay(input.len(), self.after_output());
        }
        if !self.spill.is_empty() && !self.flush_spill(out) {
            return Next::Stay(0, Action::Keep);
        }
        let Some(app) = self.app.take() else {
            return Next::Stay(input.len(), Action::CloseNow);
        };
        self.last_input = Some(cx.now());
        let next = self.read_requests(&app, cx, input, out, upgrade);
        self.app = Some(app);
        next
    }

    /// Writes `w.res` for a request whose body stays unread, and closes after it.
    pub(super) fn answer_unread(
        &mut self,
        w: &mut Worker,
        out: &mut Output<'_>,
        plan: &Plan,
        log: LogAs<'_>,
    ) {
        let plan = Plan {
            keep_alive: false,
            ..*plan
        };
        self.write_response(w, out, &plan, log);
        self.reading = Reading::Closed;
    }

    /// The connection closed: deferred answers still to come are for nobody.
    pub(crate) fn on_close(&mut self) {
        self.waiting.forget();
        // A pushed body in flight learns it now (its pipe closes, its callbacks run).
        self.spill.clear();
    }

    pub(super) fn limit_reached(&self, app: &App) -> bool {
        let max = app.config.limits.max_requests_per_connection;
        max != 0 && self.served + 1 >= max
    }
}
