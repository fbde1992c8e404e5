//! One connection: the first bytes decide the protocol (the HTTP/2 client preface means h2c
//! with prior knowledge, anything else HTTP/1.1, which may upgrade to h2c).

use std::sync::Arc;

use brisk_reactor::{Action, CloseReason, ConnInfo, Context, Output, Protocol, TimeoutKind};

use crate::app::App;
use crate::counters::WorkerCounters;
use crate::h1::{Next, H1};
use crate::h2::H2;

/// The HTTP/2 client connection preface (RFC 9113 §3.4).
pub(crate) const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// H1 is the hot path and stays inline (boxing it would allocate per connection); H2 is boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum State {
    /// No byte yet (or fewer than the preface and all matching it).
    Detect,
    H1(H1),
    H2(Box<H2>),
}

/// The per-connection protocol object handed to the reactor.
#[derive(Debug)]
pub(crate) struct Conn {
    app: Arc<App>,
    info: ConnInfo,
    state: State,
}

impl Conn {
    pub(crate) fn new(app: Arc<App>, stats: &Arc<WorkerCounters>, info: ConnInfo) -> Self {
        stats.connection();
        Conn {
            app,
            info,
            state: State::Detect,
        }
    }
}

impl Protocol for Conn {
    fn on_read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action) {
        if let State::Detect = self.state {
            let n = input.len().min(PREFACE.len());
            if input[..n] == PREFACE[..n] {
                if n < PREFACE.len() {
                    return (0, Action::Keep);
                }
                crate::worker::with_worker(|w| w.stats.h2_connection());
                self.state = State::H2(Box::new(H2::new(Arc::clone(&self.app), self.info.peer)));
            } else {
                self.state = State::H1(H1::new(Arc::clone(&self.app), self.info.peer));
            }
        }
        match &mut self.state {
            State::Detect => unreachable!("decided above"),
            State::H2(h2) => h2.on_read(cx, input, out),
            State::H1(h1) => match h1.on_read(cx, input, out) {
                Next::Stay(n, a) => (n, a),
                Next::UpgradeH2c { consumed, h2 } => {
                    crate::worker::with_worker(|w| w.stats.h2_connection());
                    self.state = State::H2(h2);
                    let State::H2(h2) = &mut self.state else {
                        unreachable!("just set")
                    };
                    let (n, a) = h2.on_read(cx, &input[consumed..], out);
                    (consumed + n, a)
                }
            },
        }
    }

    fn wants_write_ready(&self) -> bool {
        match &self.state {
            State::Detect => false,
            State::H1(h1) => h1.wants_write_ready(),
            State::H2(_) => true,
        }
    }

    fn on_write_ready(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        match &mut self.state {
            State::Detect => Action::Keep,
            State::H1(h1) => h1.on_write_ready(cx, out),
            State::H2(h2) => h2.on_write_ready(cx, out),
        }
    }

    fn on_timeout(
        &mut self,
        cx: &mut Context<'_>,
        kind: TimeoutKind,
        out: &mut Output<'_>,
    ) -> Action {
        match &mut self.state {
            State::Detect => {
                if kind == TimeoutKind::HeaderRead {
                    // Nothing arrived at all (or only part of the h2 preface): answer as HTTP/1.1.
                    let mut h1 = H1::new(Arc::clone(&self.app), self.info.peer);
                    let a = h1.on_timeout(cx, kind, out);
                    self.state = State::H1(h1);
                    a
                } else {
                    Action::CloseNow
                }
            }
            State::H1(h1) => h1.on_timeout(cx, kind, out),
            State::H2(h2) => h2.on_timeout(cx, kind, out),
        }
    }

    fn on_drain(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        match &mut self.state {
            State::Detect => Action::CloseAfterFlush,
            State::H1(h1) => h1.on_drain(out),
            State::H2(h2) => h2.on_drain(cx, out),
        }
    }

    fn on_close(&mut self, reason: CloseReason) {
        let _ = reason;
    }
}
