//! 1,000 failing TLS handshakes (garbage, truncated ClientHellos, stalled ones) against one
//! worker while a normal TLS client keeps being served: every one is closed and counted, the
//! stalled ones by the (short) handshake timeout, and afterwards no connection, pool buffer or
//! descriptor is left over.
#![cfg(feature = "tls")]

mod tls_util;
mod util;

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brisk_reactor::{ListenAddr, Reactor};
use tls_util::*;

/// The first bytes a real client sends: a ClientHello.
fn client_hello() -> Vec<u8> {
    let mut c = rustls::ClientConnection::new(
        Arc::new(client_config(&[b"h2"])),
        rustls::pki_types::ServerName::try_from("localhost").unwrap(),
    )
    .unwrap();
    let mut hello = Vec::new();
    c.write_tls(&mut hello).unwrap();
    hello
}
use brisk_reactor::rustls;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn a_thousand_bad_handshakes_while_a_client_is_served() {
    brisk_reactor::raise_fd_limit();
    let seen = Arc::new(Mutex::new(0usize));
    let made = Arc::clone(&seen);
    let h = Reactor::new()
        .listen_tls(
            ListenAddr::Tcp("127.0.0.1:0".parse().unwrap()),
            Arc::new(server_config()),
        )
        .workers(1)
        .backlog(2048)
        .linger_timeout(Duration::ZERO)
        .tls_handshake_timeout(Duration::from_millis(400))
        .start(move |_| {
            *made.lock().unwrap() += 1;
            util::Echo
        })
        .unwrap();
    let addr = h.local_addr();
    let hello = client_hello();
    let baseline = open_fds();
    let mut good = connect(addr, client_config(&[b"http/1.1"]));
    assert_eq!(roundtrip(&mut good, b"first", 5), b"first");

    let t0 = Instant::now();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut served = 0;
    for batch in 0..4 {
        let mut socks = Vec::new();
        for i in 0..250 {
            let mut s = TcpStream::connect(addr).unwrap();
            match i % 3 {
                0 => {
                    // Garbage.
                    let junk: Vec<u8> = (0..300)
                        .map(|_| {
                            rng ^= rng << 13;
                            rng ^= rng >> 7;
                            rng ^= rng << 17;
                            rng as u8
                        })
                        .collect();
                    let _ = s.write_all(&junk);
                }
                1 => {
                    // Truncated: half a ClientHello, then the end of the stream.
                    let _ = s.write_all(&hello[..hello.len() / 2]);
                    let _ = s.shutdown(Shutdown::Write);
                }
                _ => {
                    // Stalled: half a ClientHello, then nothing.
                    let _ = s.write_all(&hello[..hello.len() / 2]);
                }
            }
            socks.push(s);
            if i % 50 == 0 {
                // The normal client is served meanwhile, promptly.
                let t = Instant::now();
                let msg = format!("batch {batch} conn {i}");
                assert_eq!(
                    roundtrip(&mut good, msg.as_bytes(), msg.len()),
                    msg.as_bytes()
                );
                assert!(
                    t.elapsed() < Duration::from_secs(1),
                    "slow: {:?}",
                    t.elapsed()
                );
                served += 1;
            }
        }
        // Wait for this batch to be closed (the stalled ones by the timeout), then let go.
        let want = 250 * (batch + 1);
        let until = Instant::now() + Duration::from_secs(10);
        while h.totals().tls_failures < want as u64 {
            assert!(Instant::now() < until, "failures: {:?}", h.totals());
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(socks);
    }
    assert_eq!(served, 20);
    assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
    let t = h.totals();
    assert_eq!(t.tls_failures, 1000);
    assert_eq!(t.tls_handshakes, 1);
    // Garbage and truncated ones fail at once, stalled ones (every third) time out.
    assert_eq!(t.closes.tls_handshake_timeout, 332, "{:?}", t.closes);
    assert_eq!(t.closes.tls_handshake, 668, "{:?}", t.closes);
    assert_eq!(
        *seen.lock().unwrap(),
        1,
        "only the good client got a protocol"
    );
    assert_eq!(roundtrip(&mut good, b"last", 4), b"last");
    drop(good);
    let until = Instant::now() + Duration::from_secs(5);
    while h.totals().active > 0 || open_fds() > baseline {
        assert!(
            Instant::now() < until,
            "left over: {:?}, fds {} (baseline {baseline})",
            h.totals(),
            open_fds()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(h.totals().buffers_in_use, 0);
    h.shutdown(Duration::from_secs(1));
    h.join().unwrap();
}
