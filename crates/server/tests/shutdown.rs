//! Graceful shutdown of the real binary under load: SIGTERM while clients are busy. Every
//! response already started completes, the process exits before its deadline, and no client
//! sees a connection reset or EOF in the middle of a response.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use util::Brisk;

#[derive(Debug, Default)]
struct Tally {
    complete: AtomicU64,
    /// The held 32 MiB response arrived whole.
    held_complete: AtomicU64,
    /// The held client has written its whole request.
    held_sent: AtomicBool,
    /// A reset or EOF before any byte of a response: the keep-alive close race, allowed.
    refused_before_response: AtomicU64,
    /// Bytes of a response arrived, then the connection failed: never allowed.
    broken_mid_response: AtomicU64,
}

/// Reads one response; Err(true) if it broke after its first byte, Err(false) before.
fn read_one(s: &mut TcpStream) -> Result<(Vec<u8>, bool), bool> {
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap())
                .expect("content-length");
            if got.len() >= end + 4 + len {
                assert_eq!(got.len(), end + 4 + len, "extra bytes");
                let close = head.contains("connection: close");
                return Ok((got[end + 4..].to_vec(), close));
            }
        }
        match s.read(&mut buf) {
            Ok(0) => return Err(!got.is_empty()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Err(!got.is_empty()),
        }
    }
}

/// Keep-alive POST /echo loop. A `hold` client sends one request, then does not read until
/// the signal was sent (plus 300 ms), so its response is stuck in the server mid-flight.
fn client(addr: SocketAddr, tally: Arc<Tally>, stop: Arc<AtomicBool>, body_len: usize, hold: bool) {
    let body: Vec<u8> = (0..body_len).map(|i| (i % 253) as u8).collect();
    let mut req = format!("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: {body_len}\r\n\r\n")
        .into_bytes();
    req.extend_from_slice(&body);
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut s) = TcpStream::connect(addr) else {
            return; // listener gone: shutdown in progress
        };
        loop {
            if s.write_all(&req).is_err() {
                tally
                    .refused_before_response
                    .fetch_add(1, Ordering::Relaxed);
                break;
            }
            if hold {
                tally.held_sent.store(true, Ordering::Relaxed);
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(10));
                }
                std::thread::sleep(Duration::from_millis(300));
            }
            match read_one(&mut s) {
                Ok((echo, close)) => {
                    assert!(echo == body, "echoed body differs");
                    tally.complete.fetch_add(1, Ordering::Relaxed);
                    if hold {
                        tally.held_complete.fetch_add(1, Ordering::Relaxed);
                    }
                    if close || stop.load(Ordering::Relaxed) {
                        break;
                    }
                }
                Err(mid) => {
                    let c = if mid {
                        &tally.broken_mid_response
                    } else {
                        &tally.refused_before_response
                    };
                    c.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
        }
    }
}

#[test]
fn sigterm_under_load_completes_started_responses_and_exits_before_the_deadline() {
    let deadline = Duration::from_secs(5);
    let mut b = Brisk::start(&[
        "--workers",
        "2",
        "--shutdown-timeout",
        "5s",
        "--max-body",
        "64M",
    ]);
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for i in 0..8 {
        let (t, s) = (Arc::clone(&tally), Arc::clone(&stop));
        let addr = b.addr;
        // Seven fast keep-alive clients with small bodies, and one 32 MiB echo (more than the
        // socket buffers hold) whose reader waits, so its response is mid-flight at SIGTERM.
        let (len, hold) = if i < 7 {
            (100, false)
        } else {
            (32 * 1024 * 1024, true)
        };
        threads.push(std::thread::spawn(move || client(addr, t, s, len, hold)));
    }
    std::thread::sleep(Duration::from_millis(700));
    // The held request must be on its way (its response then cannot finish before SIGTERM).
    let t = Instant::now();
    while !tally.held_sent.load(Ordering::Relaxed) {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "held request never sent"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(100));
    let before = tally.complete.load(Ordering::Relaxed);
    assert!(before > 50, "load did not run: {tally:?}");
    b.terminate();
    stop.store(true, Ordering::Relaxed);
    let took = b.wait_exit(deadline + Duration::from_secs(5));
    for t in threads {
        t.join().unwrap();
    }
    let took = took.expect("brisk did not exit");
    assert!(took < deadline, "exit took {took:?}, deadline {deadline:?}");
    // It waited for the held 32 MiB response to be read (which starts 300 ms after SIGTERM).
    assert!(took > Duration::from_millis(300), "exit took only {took:?}");
    assert_eq!(
        tally.broken_mid_response.load(Ordering::Relaxed),
        0,
        "{tally:?}"
    );
    assert!(tally.complete.load(Ordering::Relaxed) > before, "{tally:?}");
    assert_eq!(tally.held_complete.load(Ordering::Relaxed), 1, "{tally:?}");
    // New connections are refused once it is gone.
    let t = Instant::now();
    assert!(TcpStream::connect_timeout(&b.addr, Duration::from_secs(1)).is_err());
    assert!(t.elapsed() < Duration::from_secs(2));
    eprintln!("shutdown took {took:?}; {tally:?}");
}

const PY_GOAWAY: &str = r#"
import socket, struct, sys, os, signal, time
import h2.connection, h2.config, h2.events
host, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((host, port))
s.settimeout(5)
c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
c.initiate_connection()
c.send_headers(1, [(":method", "GET"), (":path", "/plaintext"), (":scheme", "http"), (":authority", "x")], end_stream=True)
s.sendall(c.data_to_send())
done = False
while not done:
    for ev in c.receive_data(s.recv(65536)):
        if isinstance(ev, h2.events.StreamEnded):
            done = True
    s.sendall(c.data_to_send())
# From here on, raw frames: the library would stop at the first GOAWAY.
os.kill(pid, signal.SIGTERM)
buf, goaways = b"", []
while True:
    try:
        d = s.recv(65536)
    except (ConnectionResetError, socket.timeout) as e:
        print("error", e); break
    if not d:
        break
    buf += d
    while len(buf) >= 9:
        ln = int.from_bytes(buf[:3], "big"); typ, flags = buf[3], buf[4]
        if len(buf) < 9 + ln: break
        payload = buf[9:9 + ln]; buf = buf[9 + ln:]
        if typ == 7:
            goaways.append((int.from_bytes(payload[:4], "big") & 0x7fffffff, int.from_bytes(payload[4:8], "big")))
        elif typ == 6 and not flags & 1:
            s.sendall(struct.pack(">I", 8)[1:] + bytes([6, 1]) + b"\0\0\0\0" + payload)
print("goaways", goaways)
"#;

#[test]
#[cfg_attr(brisk_missing = "py_h2", ignore = "needs Python h2")]
fn sigterm_on_http2_sends_two_phase_goaway() {
    if !util::python("sigterm_on_http2_sends_two_phase_goaway", "h2") {
        return;
    }
    let mut b = Brisk::start(&["--workers", "1", "--shutdown-timeout", "5s"]);
    let out = std::process::Command::new("python3")
        .args(["-c", PY_GOAWAY, "127.0.0.1"])
        .arg(b.addr.port().to_string())
        .arg(b.child.id().to_string())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // First GOAWAY(2^31-1, NO_ERROR), then, after our PING ACK, the final one naming stream 1.
    assert_eq!(text.trim(), "goaways [(2147483647, 0), (1, 0)]", "{text}");
    let took = b.wait_exit(Duration::from_secs(10)).expect("exits");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

/// Threads of a running process, from /proc.
fn threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .count()
}

#[test]
fn one_worker_serves_on_the_main_thread_and_sigint_stops_it() {
    // With one worker the binary spawns no thread (the kernel then skips the reference count
    // of a shared descriptor table on every socket call); with three, worker 0 is the main
    // thread and two more run, with the signal watcher (SIGHUP, shutdown progress). Either
    // way SIGINT, taken by a signal handler, stops it.
    for (workers, want) in [("1", 1), ("3", 4)] {
        let mut b = Brisk::start(&["--workers", workers, "--shutdown-timeout", "5s"]);
        let mut s = TcpStream::connect(b.addr).unwrap();
        s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let (status, _, body) = util::read_response(&mut s);
        assert_eq!((status, &body[..]), (200, &b"Hello, World!"[..]));
        assert_eq!(threads(b.child.id()), want, "--workers {workers}");
        let ok = std::process::Command::new("kill")
            .args(["-INT", &b.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let took = b
            .wait_exit(Duration::from_secs(10))
            .expect("exits on SIGINT");
        assert!(took < Duration::from_secs(5), "{took:?}");
        let err = b.stderr_text();
        assert!(err.contains("SIGINT received, shutting down"), "{err}");
        assert!(err.contains("Z info: stopped"), "{err}");
    }
}
