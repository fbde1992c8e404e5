//! The contract a protocol (the HTTP server) relies on: streaming a large response through
//! `on_write_ready`, `ConnInfo`, several bound addresses, the per-turn clock, and a panicking
//! protocol surfacing from `join`, and `wants_write_ready` sparing the `on_write_ready` call.

mod util;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use brisk_reactor::{Action, ConnInfo, Context, Error, Output, Protocol, Reactor, TimeoutKind};
use util::{connect, reactor};

/// On "GO\n", streams `total` bytes (a counter pattern) far larger than the output limit,
/// refilling whenever output drains, then closes.
struct Streamer {
    total: usize,
    sent: usize,
    started: bool,
}

impl Streamer {
    fn fill(&mut self, out: &mut Output<'_>) -> Action {
        while self.sent < self.total {
            let want = self.total - self.sent;
            let from = self.sent;
            let n = out.append_with(want, |buf| {
                for (i, b) in buf.iter_mut().enumerate() {
                    *b = ((from + i) % 251) as u8;
                }
                buf.len()
            });
            if n == 0 {
                return Action::Keep; // output full: continue in on_write_ready
            }
            self.sent += n;
        }
        Action::CloseAfterFlush
    }
}

impl Protocol for Streamer {
    fn on_read(
        &mut self,
        _cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action) {
        if !self.started && input.starts_with(b"GO\n") {
            self.started = true;
            return (3, self.fill(out));
        }
        (input.len().min(3), Action::Keep)
    }

    fn on_write_ready(&mut self, _cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        if self.started {
            self.fill(out)
        } else {
            Action::Keep
        }
    }
}

#[test]
fn large_response_streams_through_on_write_ready() {
    const TOTAL: usize = 32 * 1024 * 1024;
    let handle = reactor()
        .workers(1)
        .max_pending_output(64 * 1024)
        .start(|_| Streamer {
            total: TOTAL,
            sent: 0,
            started: false,
        })
        .unwrap();
    let mut s = connect(handle.local_addr());
    s.write_all(b"GO\n").unwrap();
    let mut got = Vec::with_capacity(TOTAL);
    s.read_to_end(&mut got).unwrap();
    assert_eq!(got.len(), TOTAL);
    assert!(got.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
    // Never more than the limit pending (+1 partly written buffer), so few buffers were used.
    let w = &handle.workers()[0];
    assert!(w.buffers_peak() <= 64 / 16 + 2, "peak {}", w.buffers_peak());
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}

/// Echoes (as [`util::Echo`]), counting `on_write_ready` calls; says through
/// `wants_write_ready` whether it wants them.
struct CountingEcho {
    wants: bool,
    calls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Protocol for CountingEcho {
    fn on_read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action) {
        util::Echo.on_read(cx, input, out)
    }

    fn wants_write_ready(&self) -> bool {
        self.wants
    }

    fn on_write_ready(&mut self, _cx: &mut Context<'_>, _out: &mut Output<'_>) -> Action {
        self.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Action::Keep
    }
}

#[test]
fn on_write_ready_is_called_only_while_the_protocol_wants_it() {
    for wants in [false, true] {
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let c = calls.clone();
        let handle = reactor()
            .workers(1)
            .start(move |_| CountingEcho {
                wants,
                calls: c.clone(),
            })
            .unwrap();
        let mut s = connect(handle.local_addr());
        for i in 0..10u8 {
            s.write_all(&[b'a' + i]).unwrap();
            let mut b = [0u8; 1];
            s.read_exact(&mut b).unwrap();
            assert_eq!(b[0], b'a' + i);
        }
        drop(s);
        handle.shutdown(Duration::from_secs(1));
        handle.join().unwrap();
        let n = calls.load(std::sync::atomic::Ordering::Relaxed);
        if wants {
            assert!(n >= 10, "one call per drained answer, got {n}");
        } else {
            assert_eq!(n, 0, "called although not wanted");
        }
    }
}

/// Writes what it knows about the connection and the turn's clock, then closes.
struct Describe(ConnInfo);

impl Protocol for Describe {
    fn on_read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action) {
        let wall = cx.system_time();
        // Cached for the turn: asking again gives the very same value.
        assert_eq!(cx.system_time(), wall);
        let secs = wall
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert_eq!(cx.worker(), self.0.worker);
        assert!(!cx.is_draining());
        assert_eq!(cx.timeout(), Some(TimeoutKind::Start), "armed on accept");
        cx.set_timeout(TimeoutKind::Input);
        assert_eq!(cx.timeout(), Some(TimeoutKind::Input));
        cx.clear_timeout();
        assert_eq!(cx.timeout(), None);
        let line = format!(
            "{} {} {} {} {secs}\n",
            self.0.peer, self.0.local, self.0.worker, self.0.listener
        );
        out.extend_from_slice(line.as_bytes()).unwrap();
        (input.len(), Action::CloseAfterFlush)
    }
}

fn describe(addr: SocketAddr) -> (std::net::TcpStream, Vec<String>) {
    let mut s = connect(addr);
    s.write_all(b"?").unwrap();
    let mut line = String::new();
    s.read_to_string(&mut line).unwrap();
    let fields = line.split_whitespace().map(str::to_owned).collect();
    (s, fields)
}

#[test]
fn conn_info_several_addresses_and_the_turn_clock() {
    let handle = Reactor::new()
        .bind("127.0.0.1:0".parse().unwrap())
        .bind("127.0.0.1:0".parse().unwrap())
        .workers(2)
        .start(|info| Describe(info.clone()))
        .unwrap();
    let addrs = handle.local_addrs().to_vec();
    assert_eq!(addrs.len(), 2);
    assert_ne!(addrs[0].port(), 0);
    assert_ne!(addrs[0].port(), addrs[1].port());
    for (i, addr) in addrs.iter().enumerate() {
        let (s, f) = describe(*addr);
        assert_eq!(
            f[0],
            s.local_addr().unwrap().to_string(),
            "peer as the server saw it"
        );
        assert_eq!(f[1], addr.to_string(), "local address");
        assert!(f[2] == "0" || f[2] == "1", "worker {}", f[2]);
        assert_eq!(f[3], i.to_string(), "listener index");
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let secs: u64 = f[4].parse().unwrap();
        assert!(now.abs_diff(secs) <= 1);
    }
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}

#[test]
fn unspecified_bind_reports_the_real_local_address() {
    let handle = Reactor::new()
        .bind("0.0.0.0:0".parse().unwrap())
        .workers(1)
        .start(|info| Describe(info.clone()))
        .unwrap();
    let port = handle.local_addr().port();
    let (_, f) = describe(SocketAddr::from(([127, 0, 0, 1], port)));
    assert_eq!(f[1], format!("127.0.0.1:{port}"));
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}

struct Panics;

impl Protocol for Panics {
    fn on_read(&mut self, _: &mut Context<'_>, _: &[u8], _: &mut Output<'_>) -> (usize, Action) {
        panic!("protocol bug");
    }
}

#[test]
fn a_panicking_protocol_is_reported_by_join() {
    let handle = reactor().workers(1).start(|_| Panics).unwrap();
    let mut s = connect(handle.local_addr());
    s.write_all(b"boom").unwrap();
    // The worker died: its connections are gone.
    assert!(util::closed_by_peer(&mut s));
    handle.shutdown(Duration::from_secs(1));
    assert!(matches!(handle.join(), Err(Error::WorkerPanicked(0))));
}

#[test]
fn invalid_settings_and_busy_ports_are_errors() {
    assert!(matches!(
        reactor().workers(0).start(|_| Panics),
        Err(Error::InvalidConfig(_))
    ));
    assert!(matches!(
        Reactor::new().start(|_| Panics),
        Err(Error::NoAddress)
    ));
    // A port held by a plain listener (no SO_REUSEPORT) cannot be shared, even when asked to
    // join.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    for join in [false, true] {
        let r = Reactor::new()
            .bind(addr)
            .join_reuse_port(join)
            .start(|_| Panics);
        assert!(
            matches!(&r, Err(Error::AddrInUse(a)) if a.tcp() == Some(addr)),
            "{r:?}"
        );
    }
}
