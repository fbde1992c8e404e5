//! One connection: the first bytes decide the protocol (the HTTP/2 client preface means h2c
//! with prior knowledge, anything else HTTP/1.1, which may upgrade to h2c). Over TLS, ALPN
//! decides instead: `h2` is HTTP/2 from the first byte, anything else HTTP/1.1, with no h2c
//! upgrade and no preface sniffing. On a listener that
//! requires it, a PROXY protocol header comes first ([`crate::proxy_protocol`]): its source
//! address becomes the peer, and a connection without a valid one is closed unanswered.

use std::net::SocketAddr;
use std::sync::Arc;

use brisk_reactor::{
    Action, Alpn, CloseReason, ConnInfo, Context, Output, Protocol, TimeoutKind, TlsInfo,
};

use crate::app::App;
use crate::counters::WorkerCounters;
use crate::http1::{Next, H1};
use crate::http2::H2;
use crate::proxy_protocol::Status;

/// The HTTP/2 client connection preface (RFC 9113 §3.4).
pub(crate) const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// H1 is the hot path and stays inline (boxing it would allocate per connection); H2 is boxed.
// The slab entry is the size of the H1 variant: what `Detect` needs to build either protocol
// lives in `Detect` itself, not beside the state, so an idle HTTP/1.1 connection carries no
// copy of the app pointer or the addresses besides the ones H1 keeps.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum State {
    /// No byte yet (or fewer than the preface and all matching it). Over TLS (`tls` is
    /// set) the first read goes straight to the protocol ALPN chose.
    Detect {
        app: Arc<App>,
        peer: SocketAddr,
        /// File bodies may leave by `sendfile(2)` ([`can_sendfile`]).
        sendfile: bool,
        tls: Option<Box<TlsInfo>>,
    },
    /// Waiting for the PROXY protocol header (then `Detect`, with the peer it gives).
    Proxy {
        app: Arc<App>,
        peer: SocketAddr,
        sendfile: bool,
        /// Part of a header has arrived (a close now is a truncated header, not a bare
        /// connect such as a load balancer's health check).
        started: bool,
    },
    H1(H1),
    H2(Box<H2>),
}

/// The per-connection protocol object handed to the reactor.
#[derive(Debug)]
pub(crate) struct Conn {
    state: State,
}

impl Conn {
    pub(crate) fn new(app: Arc<App>, stats: &Arc<WorkerCounters>, info: &ConnInfo) -> Self {
        stats.connection();
        let peer = info.peer;
        if let Some(tls) = &info.tls {
            // A PROXY header would come before the handshake, which the reactor does: not
            // supported on TLS listeners.
            let tls = Some(Box::new(tls.clone()));
            return Conn {
                state: State::Detect {
                    app,
                    peer,
                    sendfile: false,
                    tls,
                },
            };
        }
        let sendfile = can_sendfile(info);
        let state = if app.config.client.requires_proxy(info) {
            State::Proxy {
                app,
                peer,
                sendfile,
                started: false,
            }
        } else {
            State::Detect {
                app,
                peer,
                sendfile,
                tls: None,
            }
        };
        Conn { state }
    }
}

impl Protocol for Conn {
    #[inline]
    fn on_read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action) {
        let r = self.read(cx, input, out);
        crate::defer::after_callback(cx);
        r
    }

    fn wants_write_ready(&self) -> bool {
        match &self.state {
            State::Detect { .. } | State::Proxy { .. } => false,
            State::H1(h1) => h1.wants_write_ready(),
            State::H2(_) => true,
        }
    }

    fn on_write_ready(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        let a = match &mut self.state {
            State::Detect { .. } | State::Proxy { .. } => Action::Keep,
            State::H1(h1) => h1.on_write_ready(cx, out),
            State::H2(h2) => h2.on_write_ready(cx, out),
        };
        crate::defer::after_callback(cx);
        a
    }

    fn on_notify(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        let a = match &mut self.state {
            State::Detect { .. } | State::Proxy { .. } => Action::Keep,
            State::H1(h1) => h1.on_notify(cx, out),
            State::H2(h2) => h2.on_notify(cx, out),
        };
        crate::defer::after_callback(cx);
        a
    }

    fn on_timeout(
        &mut self,
        cx: &mut Context<'_>,
        kind: TimeoutKind,
        out: &mut Output<'_>,
    ) -> Action {
        let a = self.timeout(cx, kind, out);
        crate::defer::after_callback(cx);
        a
    }

    fn on_drain(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        let a = match &mut self.state {
            State::Detect { .. } | State::Proxy { .. } => Action::CloseAfterFlush,
            State::H1(h1) => h1.on_drain(out),
            State::H2(h2) => h2.on_drain(cx, out),
        };
        crate::defer::after_callback(cx);
        a
    }

    fn on_close(&mut self, reason: CloseReason) {
        match &mut self.state {
            State::Proxy { started: true, .. }
                if matches!(reason, CloseReason::PeerClosed | CloseReason::Io(_)) =>
            {
                crate::worker::with_worker(|w| w.stats.proxy_error());
            }
            State::Detect { .. } | State::Proxy { .. } => {}
            State::H1(h1) => h1.on_close(),
            State::H2(h2) => h2.on_close(),
        }
    }
}

impl Conn {
    #[inline(always)]
    fn read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action) {
        if let State::Proxy { .. } = &self.state {
            return self.read_proxy(cx, input, out);
        }
        if let State::Detect {
            app,
            peer,
            sendfile,
            tls,
        } = &mut self.state
        {
            crate::defer::ensure_notifier(cx);
            let n = input.len().min(PREFACE.len());
            if let Some(tls) = tls.take() {
                self.state = over_tls(Arc::clone(app), *peer, tls);
            } else if input[..n] == PREFACE[..n] {
                if n < PREFACE.len() {
                    return (0, Action::Keep);
                }
                crate::worker::with_worker(|w| w.stats.h2_connection());
                self.state = State::H2(Box::new(H2::new(Arc::clone(app), *peer)));
            } else {
                let mut h1 = H1::new(Arc::clone(app), *peer);
                h1.sendfile = *sendfile;
                self.state = State::H1(h1);
            }
        }
        match &mut self.state {
            State::Detect { .. } | State::Proxy { .. } => unreachable!("decided above"),
            State::H2(h2) => h2.on_read(cx, input, out),
            State::H1(h1) => {
                // h2c upgrade: HTTP/1.1 offers the request, this builds the HTTP/2 side
                // (never over TLS, where ALPN chose HTTP/1.1).
                let mut upgraded = None;
                let cleartext = h1.tls.is_none();
                let next = h1.on_read(cx, input, out, &mut |app, peer, settings, req| {
                    if !cleartext {
                        return false;
                    }
                    upgraded = H2::from_upgrade(app, peer, settings, req).map(Box::new);
                    upgraded.is_some()
                });
                match (next, upgraded) {
                    (Next::Stay(n, a), _) => (n, a),
                    (Next::UpgradeH2c { consumed }, Some(h2)) => {
                        crate::worker::with_worker(|w| w.stats.h2_connection());
                        self.state = State::H2(h2);
                        let State::H2(h2) = &mut self.state else {
                            unreachable!("just set")
                        };
                        let (n, a) = h2.on_read(cx, &input[consumed..], out);
                        (consumed + n, a)
                    }
                    (Next::UpgradeH2c { .. }, None) => {
                        unreachable!("HTTP/1.1 upgrades only when the HTTP/2 side was built")
                    }
                }
            }
        }
    }

    fn timeout(&mut self, cx: &mut Context<'_>, kind: TimeoutKind, out: &mut Output<'_>) -> Action {
        match &mut self.state {
            State::Detect {
                app,
                peer,
                sendfile,
                tls,
            } => {
                if let Some(tls) = tls.take() {
                    // Over TLS: the protocol ALPN chose answers.
                    self.state = over_tls(Arc::clone(app), *peer, tls);
                    return self.timeout(cx, kind, out);
                }
                if kind == TimeoutKind::Start {
                    // Nothing arrived at all (or only part of the h2 preface): answer as HTTP/1.1.
                    let mut h1 = H1::new(Arc::clone(app), *peer);
                    h1.sendfile = *sendfile;
                    let a = h1.on_timeout(cx, kind, out);
                    self.state = State::H1(h1);
                    a
                } else {
                    Action::CloseNow
                }
            }
            State::Proxy { .. } => {
                if kind == TimeoutKind::Start {
                    // No complete header in time: nothing to answer (no protocol yet).
                    crate::worker::with_worker(|w| w.stats.timeout());
                }
                Action::CloseNow
            }
            State::H1(h1) => h1.on_timeout(cx, kind, out),
            State::H2(h2) => h2.on_timeout(cx, kind, out),
        }
    }

    /// The PROXY protocol header, then the rest of the input as on any connection.
    #[cold]
    #[inline(never)]
    fn read_proxy(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action) {
        let State::Proxy {
            app,
            peer,
            sendfile,
            started,
        } = &mut self.state
        else {
            unreachable!("called in this state only")
        };
        let max = app.config.client.proxy_max_len;
        match crate::proxy_protocol::parse(input, max) {
            Ok(Status::Partial) if !cx.input_is_full() => {
                *started |= !input.is_empty();
                (0, Action::Keep)
            }
            Ok(Status::Complete(h)) => {
                let peer = h.source.unwrap_or(*peer);
                self.state = State::Detect {
                    app: Arc::clone(app),
                    peer,
                    sendfile: *sendfile,
                    tls: None,
                };
                if h.len == input.len() {
                    return (h.len, Action::Keep);
                }
                let (n, a) = self.read(cx, &input[h.len..], out);
                (h.len + n, a)
            }
            Ok(Status::Partial) | Err(_) => {
                crate::worker::with_worker(|w| w.stats.proxy_error());
                (input.len(), Action::CloseNow)
            }
        }
    }
}

/// Whether file bodies on this connection may leave by `sendfile(2)` (the kernel copies
/// from the page cache to the socket): HTTP/1.1 over cleartext TCP or Unix-domain sockets.
/// A connection whose bytes the process must transform (TLS) reads files with `pread`
/// instead, as HTTP/2 always does (its DATA frames interleave streams).
pub(crate) fn can_sendfile(info: &ConnInfo) -> bool {
    info.tls.is_none()
}

/// The protocol of a TLS connection: ALPN `h2` is HTTP/2 from the first byte, anything else
/// (`http/1.1`, none) HTTP/1.1.
#[cold]
#[inline(never)]
fn over_tls(app: Arc<App>, peer: SocketAddr, tls: Box<TlsInfo>) -> State {
    if tls.alpn == Alpn::H2 {
        crate::worker::with_worker(|w| w.stats.h2_connection());
        let mut h2 = H2::new(app, peer);
        h2.tls = Some(tls);
        State::H2(Box::new(h2))
    } else {
        let mut h1 = H1::new(app, peer);
        h1.tls = Some(Arc::from(tls));
        State::H1(h1)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_idle_http1_connection_is_small() {
        // The slab entry of an idle HTTP/1.1 connection is the reactor's 72 bytes plus this:
        // keep the sum well under the 512 B idle budget (issue 17; nginx: ~520 B).
        let conn = std::mem::size_of::<super::Conn>();
        assert!(conn <= 384, "Conn is {conn} bytes");
    }
}
