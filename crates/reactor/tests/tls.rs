//! TLS listeners (feature `tls`): echo over TLS 1.3 and 1.2, the handshake facts the factory
//! sees, large transfers through the bounded pool, close_notify, and handshakes that fail.
#![cfg(feature = "tls")]

mod tls_util;
mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brisk_reactor::{rustls, Action, Alpn, Handle, ListenAddr, Reactor, TlsInfo, TlsVersion};
use tls_util::*;

fn start_echo(config: rustls::ServerConfig, seen: Arc<Mutex<Vec<TlsInfo>>>) -> Handle {
    Reactor::new()
        .listen_tls(
            ListenAddr::Tcp("127.0.0.1:0".parse().unwrap()),
            Arc::new(config),
        )
        .workers(1)
        .tls_handshake_timeout(Duration::from_millis(300))
        .start(move |info| {
            seen.lock()
                .unwrap()
                .push(info.tls.clone().expect("a TLS connection"));
            util::Echo
        })
        .unwrap()
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn echo_over_tls13_with_alpn_h2() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let h = start_echo(server_config(), Arc::clone(&seen));
    let mut s = connect(h.local_addr(), client_config(&[b"h2"]));
    assert_eq!(roundtrip(&mut s, b"hello", 5), b"hello");
    let info = seen.lock().unwrap()[0].clone();
    assert_eq!(info.version, TlsVersion::Tls13);
    assert_eq!(info.alpn, Alpn::H2);
    assert_eq!(info.server_name.as_deref(), Some("localhost"));
    assert!(info.cipher.starts_with("TLS13_"), "{}", info.cipher);
    assert!(!info.resumed);
    assert_eq!(h.totals().tls_handshakes, 1);
    h.shutdown(Duration::from_secs(1));
    h.join().unwrap();
}

#[test]
fn echo_over_tls12_without_alpn() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let h = start_echo(server_config(), Arc::clone(&seen));
    let cc = client_config_with(ring_provider(), &[&rustls::version::TLS12], &[]);
    let mut s = connect(h.local_addr(), cc);
    assert_eq!(roundtrip(&mut s, b"twelve", 6), b"twelve");
    let info = seen.lock().unwrap()[0].clone();
    assert_eq!(info.version, TlsVersion::Tls12);
    assert_eq!(info.alpn, Alpn::None);
    assert!(
        info.cipher.starts_with("TLS_ECDHE_ECDSA_"),
        "{}",
        info.cipher
    );
    h.shutdown(Duration::from_secs(1));
    h.join().unwrap();
}

#[test]
fn megabytes_echo_through_the_pool_byte_exact() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let h = start_echo(server_config(), seen);
    let data: Vec<u8> = (0..8u32 << 20).map(|i| (i % 251) as u8).collect();
    let got = echo_through(h.local_addr(), client_config(&[b"http/1.1"]), &data);
    assert!(got == data, "echo differs");
    let w = &h.workers()[0];
    assert!(w.buffers_peak() <= 2048);
    h.shutdown(Duration::from_secs(1));
    h.join().unwrap();
}

#[test]
fn a_protocol_close_ends_with_close_notify() {
    let h = Reactor::new()
        .listen_tls(
            ListenAddr::Tcp("127.0.0.1:0".parse().unwrap()),
            Arc::new(server_config()),
        )
        .workers(1)
        .start(|_| {
            util::LineFn(
                |_: &mut brisk_reactor::Context<'_>,
                 line: &[u8],
                 out: &mut brisk_reactor::Output<'_>| {
                    out.extend_from_slice(line).unwrap();
                    Action::CloseAfterFlush
                },
            )
        })
        .unwrap();
    let mut s = connect(h.local_addr(), client_config(&[]));
    s.write_all(b"bye\n").unwrap();
    let mut all = Vec::new();
    // A clean end (close_notify): read_to_end succeeds instead of UnexpectedEof.
    s.read_to_end(&mut all).unwrap();
    assert_eq!(all, b"bye");
    h.shutdown(Duration::from_secs(1));
    h.join().unwrap();
}

#[test]
fn garbage_no_common_version_and_stalls_are_closed_and_counted() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let h = start_echo(
        server_config_with(&[&rustls::version::TLS13]),
        Arc::clone(&seen),
    );
    let addr = h.local_addr();
    // Garbage: an HTTP request on the TLS port gets an alert (or a close) and EOF.
    let mut g = TcpStream::connect(addr).unwrap();
    g.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    g.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut junk = Vec::new();
    let _ = g.read_to_end(&mut junk);
    assert!(junk.len() < 64, "{junk:?}");
    // No common version: a TLS 1.2-only client against a TLS 1.3-only server.
    let cc = client_config_with(ring_provider(), &[&rustls::version::TLS12], &[]);
    let mut s = connect(addr, cc);
    assert!(s
        .write_all(b"x")
        .and_then(|_| s.flush())
        .and_then(|_| s.read(&mut [0; 1]))
        .is_err());
    // Stalled: connects and says nothing; the 300 ms handshake timeout closes it.
    let mut stalled = TcpStream::connect(addr).unwrap();
    stalled
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let t0 = Instant::now();
    assert_eq!(stalled.read(&mut [0; 16]).unwrap_or(0), 0);
    assert!(t0.elapsed() < Duration::from_secs(3));
    wait_for("the counters", || {
        let c = h.totals().closes;
        c.tls_handshake >= 2 && c.tls_handshake_timeout >= 1
    });
    let t = h.totals();
    assert_eq!(t.tls_failures, 3);
    assert_eq!(t.tls_handshakes, 0);
    assert_eq!(t.active, 0);
    assert!(seen.lock().unwrap().is_empty(), "no protocol was made");
    h.shutdown(Duration::from_secs(1));
    h.join().unwrap();
}

/// Consumes everything; pauses reading on its first read and resumes when notified.
struct PauseOnce {
    paused: bool,
}

impl brisk_reactor::Protocol for PauseOnce {
    fn on_read(
        &mut self,
        cx: &mut brisk_reactor::Context<'_>,
        input: &[u8],
        _out: &mut brisk_reactor::Output<'_>,
    ) -> (usize, Action) {
        if !self.paused {
            self.paused = true;
            cx.pause_reading();
            let (n, id) = (cx.notifier(), cx.conn_id());
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(500));
                n.notify(id);
            });
        }
        (input.len(), Action::Keep)
    }

    fn on_notify(
        &mut self,
        cx: &mut brisk_reactor::Context<'_>,
        _out: &mut brisk_reactor::Output<'_>,
    ) -> Action {
        cx.resume_reading();
        Action::Keep
    }
}

#[test]
fn pause_reading_holds_back_a_tls_stream_until_resumed() {
    let h = Reactor::new()
        .listen_tls(
            ListenAddr::Tcp("127.0.0.1:0".parse().unwrap()),
            Arc::new(server_config()),
        )
        .workers(1)
        .start(|_| PauseOnce { paused: false })
        .unwrap();
    let mut s = connect(h.local_addr(), client_config(&[]));
    s.write_all(b"x").unwrap();
    s.flush().unwrap();
    wait_for("the first read", || h.totals().bytes_in >= 1);
    // 2 MiB more while paused: the kernel's buffers and rustls hold some, the rest waits in
    // the client (its writes block): nothing reaches the protocol.
    let sock = s.sock.try_clone().unwrap();
    sock.set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let writer = std::thread::spawn(move || {
        let mut s = s;
        s.write_all(&vec![7u8; 2 << 20]).unwrap();
        s.flush().unwrap();
        s
    });
    std::thread::sleep(Duration::from_millis(300));
    let paused_in = h.totals().bytes_in;
    assert!(paused_in < 64 * 1024, "read {paused_in} bytes while paused");
    let w = &h.workers()[0];
    assert!(
        w.buffers_in_use() <= 1,
        "{} buffers held",
        w.buffers_in_use()
    );
    wait_for("all of it after the resume", || {
        h.totals().bytes_in == 1 + (2 << 20)
    });
    drop(writer.join().unwrap());
    h.shutdown(Duration::from_secs(1));
    h.join().unwrap();
}

#[test]
fn a_tls_protocol_that_never_consumes_hits_the_input_limit() {
    let h = Reactor::new()
        .listen_tls(
            ListenAddr::Tcp("127.0.0.1:0".parse().unwrap()),
            Arc::new(server_config()),
        )
        .workers(1)
        .max_input(32 * 1024)
        .start(|_| {
            util::LineFn(
                |_: &mut brisk_reactor::Context<'_>,
                 _: &[u8],
                 _: &mut brisk_reactor::Output<'_>| { Action::Keep },
            )
        })
        .unwrap();
    let mut s = connect(h.local_addr(), client_config(&[]));
    // 100 KiB without a newline: more than max_input, never consumed.
    let _ = s.write_all(&vec![b'a'; 100 * 1024]);
    let _ = s.flush();
    wait_for("the input-limit close", || {
        h.totals().closes.input_limit == 1
    });
    assert!(h.totals().bytes_in <= 32 * 1024 + 16 * 1024);
    h.shutdown(Duration::from_secs(1));
    h.join().unwrap();
}
