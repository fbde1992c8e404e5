//! Graceful shutdown over HTTP/2 (RFC 9113 §6.8): SIGTERM while h2c clients read slowly, so
//! that their file responses wait for flow-control window. Every stream the final GOAWAY
//! covers must arrive whole, and the process must exit soon after the last one is done (not
//! before, not at the shutdown deadline).

mod h2client;
mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use h2client::Client;
use util::Brisk;

const FILE_LEN: usize = 1024 * 1024;
/// Connections (H2SD_CONNS overrides; the full run is H2SD_CONNS=16 H2SD_STREAMS=10).
const CONNECTIONS: usize = 8;
/// Requests each connection keeps in flight until GOAWAY: /plaintext and the 1 MiB file,
/// alternating (H2SD_STREAMS overrides).
const STREAMS: usize = 6;
/// Bytes each connection reads from its socket per second: the server's writes back up and
/// the windows come back slowly, so file streams wait for window when the signal comes.
const RATE: usize = 2 * 1024 * 1024;
const DEADLINE: Duration = Duration::from_secs(10);

/// Milliseconds from "every connection has its requests out" to SIGTERM (H2SD_DELAY overrides).
const DELAY_MS: usize = 300;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn file_byte(i: usize) -> u8 {
    ((i / 7) ^ (i >> 13)) as u8
}

struct Outcome {
    client: Client,
    done_at: Option<Instant>,
}

/// Keeps requests in flight until GOAWAY, reads at `RATE`, and closes (like nghttp2) once a
/// GOAWAY came and no stream is left, or when the server closes.
fn run_client(addr: std::net::SocketAddr, started: Arc<AtomicUsize>) -> Outcome {
    let mut c = Client::connect(addr, 65_535, 1 << 20);
    let mut sent = 0;
    let mut refill = |c: &mut Client| {
        // Keep STREAMS requests in flight until the server says GOAWAY.
        while c.goaways.is_empty()
            && c.replies.values().filter(|r| !r.ended && !r.reset).count()
                < env("H2SD_STREAMS", STREAMS)
        {
            let path = if sent % 2 == 0 {
                "/plaintext"
            } else {
                "/big.bin"
            };
            if c.try_get(path).is_none() {
                break;
            }
            sent += 1;
        }
    };
    refill(&mut c);
    c.flush();
    let t0 = Instant::now();
    let mut last = Instant::now();
    let mut carry = 0.0f64;
    let mut counted = false;
    let mut done_at = None;
    let mut last_ping = Instant::now();
    while t0.elapsed() < Duration::from_secs(30) {
        // Read the socket at RATE: the server's writes back up, and the window comes back
        // only as fast as the bytes are read.
        carry += last.elapsed().as_secs_f64() * RATE as f64;
        last = Instant::now();
        let before = c.read_bytes;
        if !c.turn(carry as usize) {
            break;
        }
        carry -= (c.read_bytes - before) as f64;
        carry = carry.min(RATE as f64 / 20.0);
        refill(&mut c);
        if !counted && c.replies.len() >= 2 * STREAMS {
            counted = true;
            started.fetch_add(1, Ordering::SeqCst);
        }
        c.consume(usize::MAX);
        if last_ping.elapsed() >= Duration::from_millis(5) {
            // A PING now and then (as browsers and gRPC clients send): the client keeps
            // writing while it reads the last bytes.
            c.conn.ping(*b"h2-sdown");
            last_ping = Instant::now();
        }
        c.flush();
        if done_at.is_none() && c.all_done() {
            done_at = Some(Instant::now());
        }
        if c.finished() {
            let _ = c.sock.shutdown(std::net::Shutdown::Both);
            break;
        }
    }
    Outcome { client: c, done_at }
}

#[test]
fn h2_shutdown_finishes_every_stream_the_goaway_covers() {
    let dir = std::env::temp_dir().join(format!("brisk-h2-shutdown-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let content: Vec<u8> = (0..FILE_LEN).map(file_byte).collect();
    std::fs::write(dir.join("big.bin"), &content).unwrap();
    let mut b = Brisk::start(&[
        "--dir",
        dir.to_str().unwrap(),
        "--workers",
        "2",
        "--shutdown-timeout",
        "10s",
    ]);
    let started = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..env("H2SD_CONNS", CONNECTIONS))
        .map(|_| {
            let started = Arc::clone(&started);
            let addr = b.addr;
            std::thread::spawn(move || run_client(addr, started))
        })
        .collect();
    // Every response has begun (the files wait for window): now the signal.
    let t = Instant::now();
    while started.load(Ordering::SeqCst) < env("H2SD_CONNS", CONNECTIONS) {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "responses did not start"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(env("H2SD_DELAY", DELAY_MS) as u64));
    b.terminate();
    let signalled = Instant::now();
    let took = b.wait_exit(DEADLINE + Duration::from_secs(5));
    let exited = Instant::now();
    let outcomes: Vec<Outcome> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let _ = std::fs::remove_dir_all(&dir);

    let mut cut = Vec::new();
    let mut last_done = signalled;
    for (n, o) in outcomes.iter().enumerate() {
        let c = &o.client;
        let Some(&final_last) = c.goaways.last() else {
            panic!("connection {n}: no GOAWAY (closed at {:?})", c.closed_at);
        };
        for (&id, r) in &c.replies {
            if id > final_last {
                continue;
            }
            let want: &[u8] = if r.path == "/plaintext" {
                b"Hello, World!"
            } else {
                &content
            };
            if !r.ended || r.reset || r.status != 200 || r.body != want {
                cut.push(format!(
                    "conn {n} stream {id} {}: {} of {} bytes, status {}, ended {}, reset {} \
                     (connection ended by {:?})",
                    r.path,
                    r.body.len(),
                    want.len(),
                    r.status,
                    r.ended,
                    r.reset,
                    c.close_error
                ));
            }
        }
        if let Some(d) = o.done_at {
            last_done = last_done.max(d);
        }
    }
    assert!(
        cut.is_empty(),
        "streams cut by the shutdown:\n{}",
        cut.join("\n")
    );
    for (n, o) in outcomes.iter().enumerate() {
        let final_last = *o.client.goaways.last().unwrap();
        // The client stops opening streams at the first GOAWAY, which comes before the PING
        // whose ACK lets the server send the final one: it must cover them all.
        let max = *o.client.replies.keys().last().unwrap();
        assert!(
            final_last >= max,
            "connection {n}: final GOAWAY {final_last} leaves out stream {max}"
        );
        assert!(
            o.client.close_error.is_none() && !o.client.write_failed,
            "connection {n}: reset or closed under the client ({:?})",
            o.client.close_error
        );
    }
    let took = took.expect("brisk did not exit within its shutdown deadline");
    assert!(
        took < DEADLINE - Duration::from_secs(2),
        "exit took {took:?}: waited for the deadline instead of the streams"
    );
    let after = exited.saturating_duration_since(last_done);
    assert!(
        after < Duration::from_millis(1500),
        "exit {after:?} after the last stream was done"
    );
}
