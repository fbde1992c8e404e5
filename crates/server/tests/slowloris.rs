//! Slow-loris defense: 200 connections trickle one header byte every 100 ms against a 1 s
//! header-read timeout. Every one of them gets 408 and is closed, while a normal client's
//! requests keep succeeding during the attack.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use util::{read_response, start};

const ATTACKERS: usize = 200;

/// An attacking connection: socket, head bytes sent, bytes received, when the first answer
/// byte arrived, closed by the server.
type Attacker = (TcpStream, usize, Vec<u8>, Option<Duration>, bool);

#[test]
fn two_hundred_trickling_connections_get_408_while_a_normal_client_succeeds() {
    let server = start(|b| {
        b.header_timeout(Duration::from_secs(1)).workers(2);
    });
    let addr = server.local_addr();

    let stop = Arc::new(AtomicBool::new(false));
    let normal = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let (mut ok, mut worst) = (0u32, Duration::ZERO);
            let mut s = TcpStream::connect(addr).unwrap();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
                    .unwrap();
                let (status, _, body) = read_response(&mut s);
                assert_eq!((status, body.as_slice()), (200, &b"Hello, World!"[..]));
                worst = worst.max(t.elapsed());
                ok += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            (ok, worst)
        })
    };

    let head = b"GET /plaintext HTTP/1.1\r\nHost: a\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let started = Instant::now();
    let mut conns: Vec<Attacker> = (0..ATTACKERS)
        .map(|_| {
            let s = TcpStream::connect(addr).unwrap();
            s.set_nonblocking(true).unwrap();
            (s, 0, Vec::new(), None, false)
        })
        .collect();
    let deadline = started + Duration::from_secs(6);
    while Instant::now() < deadline && conns.iter().any(|c| !c.4) {
        for (s, sent, got, at, closed) in conns.iter_mut() {
            if *closed {
                continue;
            }
            if got.is_empty() && *sent < head.len() {
                match s.write(&head[*sent..*sent + 1]) {
                    Ok(n) => *sent += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(_) => {}
                }
            }
            let mut buf = [0u8; 1024];
            loop {
                match s.read(&mut buf) {
                    Ok(0) => {
                        *closed = true;
                        break;
                    }
                    Ok(n) => {
                        if got.is_empty() {
                            *at = Some(started.elapsed());
                        }
                        got.extend_from_slice(&buf[..n]);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => {
                        *closed = true;
                        break;
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);
    let (ok, worst) = normal.join().unwrap();

    for (i, (_, sent, got, at, closed)) in conns.iter().enumerate() {
        let text = String::from_utf8_lossy(got);
        assert!(
            text.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
            "attacker {i}: {text:?}"
        );
        assert!(text.contains("Connection: close\r\n"), "attacker {i}");
        assert!(*closed, "attacker {i} was not closed");
        let at = at.unwrap();
        assert!(
            at >= Duration::from_millis(900) && at <= Duration::from_millis(3000),
            "attacker {i}: 408 after {at:?}"
        );
        assert!(*sent < head.len(), "attacker {i} finished its head");
    }
    assert!(ok >= 10, "normal client completed only {ok} requests");
    assert!(
        worst < Duration::from_millis(1000),
        "normal client waited {worst:?}"
    );
    let c = server.counters();
    assert!(c.timeouts >= ATTACKERS as u64, "{c:?}");
    server.shutdown();
}
