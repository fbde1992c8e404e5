//! Paced request bodies (`BodySink::flow`, `BodyWaker`): a sink that pauses holds the body
//! back (HTTP/1.1 stops reading the socket, HTTP/2 withholds the stream's credit), a sink
//! that starts paused delays `100 Continue` until it reads, and a sink that answers early is
//! answered without the rest of its body. Also the fallback's sink (`upload_fallback`).

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use brisk_server::{BodySink, BodyWaker, Flow, Limits, Method, Request, Response};
use util::{read_response, start};

const MIB: usize = 1024 * 1024;
/// The paced sink pauses once this much waits for its consumer.
const QUEUE_LIMIT: usize = 64 * 1024;

#[derive(Default)]
struct State {
    queued: usize,
    max_queued: usize,
    bytes: u64,
    sum: u64,
    /// The consumer asked for the body (before that the sink is paused).
    asked: bool,
    /// Answer before the body is complete.
    answer_now: bool,
    done: bool,
    waker: Option<BodyWaker>,
}

type Shared = Arc<(Mutex<State>, Condvar)>;

/// A sink whose bytes a slow consumer thread takes out: at most 16 KiB a millisecond.
struct Paced(Shared);

impl BodySink for Paced {
    fn data(&mut self, piece: &[u8]) -> Result<(), u16> {
        let (m, cv) = &*self.0;
        let mut s = m.lock().unwrap();
        s.queued += piece.len();
        s.max_queued = s.max_queued.max(s.queued);
        s.bytes += piece.len() as u64;
        for &b in piece {
            s.sum = s.sum.wrapping_mul(31).wrapping_add(u64::from(b));
        }
        cv.notify_all();
        Ok(())
    }

    fn finish(&mut self, _: &mut Request<'_>, res: &mut Response) {
        let (m, cv) = &*self.0;
        let mut s = m.lock().unwrap();
        s.done = true;
        cv.notify_all();
        res.text(format!(
            "bytes={} sum={} max_queued={}",
            s.bytes, s.sum, s.max_queued
        ));
    }

    fn flow(&mut self) -> Flow {
        let s = self.0 .0.lock().unwrap();
        if s.answer_now {
            Flow::Answer
        } else if !s.asked || s.queued >= QUEUE_LIMIT {
            Flow::Pause
        } else {
            Flow::Read
        }
    }

    fn set_waker(&mut self, waker: BodyWaker) {
        self.0 .0.lock().unwrap().waker = Some(waker);
    }
}

impl Drop for Paced {
    fn drop(&mut self) {
        let (m, cv) = &*self.0;
        m.lock().unwrap().done = true;
        cv.notify_all();
    }
}

/// The consumer: asks for the body after `ask_after`, then drains slowly, waking the
/// connection whenever the queue falls below the limit.
fn consume(shared: Shared, ask_after: Duration) {
    std::thread::spawn(move || {
        std::thread::sleep(ask_after);
        let (m, cv) = &*shared;
        let waker = {
            let mut s = m.lock().unwrap();
            s.asked = true;
            s.waker.clone()
        };
        if let Some(w) = waker {
            w.wake();
        }
        let end = Instant::now() + Duration::from_secs(30);
        loop {
            let mut s = m.lock().unwrap();
            while s.queued == 0 && !s.done && Instant::now() < end {
                s = cv.wait_timeout(s, Duration::from_millis(50)).unwrap().0;
            }
            if s.done || Instant::now() >= end {
                return;
            }
            let was_full = s.queued >= QUEUE_LIMIT;
            s.queued -= s.queued.min(16 * 1024);
            let w = if was_full && s.queued < QUEUE_LIMIT {
                s.waker.clone()
            } else {
                None
            };
            drop(s);
            if let Some(w) = w {
                w.wake();
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// An early-answer sink: after its first piece it wants to answer.
fn early_sink() -> Box<dyn BodySink> {
    let shared: Shared = Default::default();
    {
        let mut s = shared.0.lock().unwrap();
        s.asked = true;
    }
    struct Early(Paced);
    impl BodySink for Early {
        fn data(&mut self, piece: &[u8]) -> Result<(), u16> {
            self.0 .0 .0.lock().unwrap().answer_now = true;
            self.0.data(piece)
        }
        fn finish(&mut self, req: &mut Request<'_>, res: &mut Response) {
            self.0.finish(req, res);
            res.header("x-early", "1");
        }
        fn flow(&mut self) -> Flow {
            self.0.flow()
        }
    }
    Box::new(Early(Paced(shared)))
}

fn server() -> brisk_server::Handle {
    start(|b| {
        let mut limits = Limits::default();
        limits.max_upload_size = 8 * MIB as u64;
        b.limits(limits);
        b.upload(Method::Put, "/paced", |req| {
            let shared: Shared = Default::default();
            let ask = req
                .header("x-ask-after-ms")
                .and_then(|v| std::str::from_utf8(v).ok()?.parse().ok())
                .unwrap_or(0);
            consume(Arc::clone(&shared), Duration::from_millis(ask));
            Ok(Box::new(Paced(shared)))
        });
        b.upload(Method::Put, "/early", |_| Ok(early_sink()));
        b.fallback(|req, res| {
            res.text(format!("whole {}", req.body().len()));
        })
        .upload_fallback(|req| {
            if req.path() == "/fallback/early" {
                return Ok(early_sink());
            }
            let shared: Shared = Default::default();
            consume(Arc::clone(&shared), Duration::ZERO);
            Ok(Box::new(Paced(shared)))
        });
    })
}

fn body(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

fn checksum(b: &[u8]) -> u64 {
    b.iter()
        .fold(0u64, |s, &x| s.wrapping_mul(31).wrapping_add(u64::from(x)))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `bytes=N sum=S max_queued=Q` from a paced sink's answer.
fn parse(answer: &str) -> (u64, u64, usize) {
    let mut v = answer.split(' ').map(|kv| {
        kv.split_once('=')
            .map(|(_, v)| v.to_string())
            .unwrap_or_default()
    });
    let mut next = || v.next().unwrap_or_default();
    (
        next().parse().unwrap(),
        next().parse().unwrap(),
        next().parse().unwrap(),
    )
}

#[test]
fn a_paused_sink_holds_back_100_continue_and_the_body_over_http1() {
    let server = server();
    let data = body(5 * MIB);
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    write!(
        s,
        "PUT /paced HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\nexpect: 100-continue\r\nx-ask-after-ms: 600\r\n\r\n",
        data.len()
    )
    .unwrap();
    let t0 = Instant::now();
    // Nothing while the sink has not asked for the body.
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) => {}
        other => panic!("an early answer: {other:?} {:?}", text(&buf)),
    }
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let got = util::read_until_tail(&mut s, b"\r\n\r\n");
    assert!(
        text(&got).starts_with("HTTP/1.1 100 Continue\r\n"),
        "{}",
        text(&got)
    );
    assert!(
        t0.elapsed() >= Duration::from_millis(500),
        "100 Continue came before the sink read: {:?}",
        t0.elapsed()
    );
    s.write_all(&data).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let (status, _, b) = read_response(&mut s);
    assert_eq!(status, 200, "{}", text(&b));
    let (bytes, sum, max_queued) = parse(&text(&b));
    assert_eq!((bytes, sum), (data.len() as u64, checksum(&data)));
    // Without the pause the slow consumer lets megabytes pile up.
    assert!(
        max_queued <= QUEUE_LIMIT + 64 * 1024,
        "the body ran ahead of its consumer: {max_queued} bytes queued"
    );
}

#[test]
fn the_fallback_sink_is_paced_over_http1_chunked() {
    let server = server();
    let data = body(3 * MIB);
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req =
        b"POST /anything HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    for c in data.chunks(100_000) {
        req.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        req.extend_from_slice(c);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || w.write_all(&req));
    let (status, _, b) = read_response(&mut s);
    writer.join().unwrap().unwrap();
    assert_eq!(status, 200, "{}", text(&b));
    let (bytes, sum, max_queued) = parse(&text(&b));
    assert_eq!((bytes, sum), (data.len() as u64, checksum(&data)));
    assert!(max_queued <= QUEUE_LIMIT + 64 * 1024, "{max_queued} queued");
    // A small body with its head still goes to the fallback handler whole.
    s.write_all(b"POST /small HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello")
        .unwrap();
    let (status, _, b) = read_response(&mut s);
    assert_eq!((status, text(&b).as_str()), (200, "whole 5"));
}

#[test]
fn a_sink_that_answers_early_is_answered_without_the_rest_of_the_body() {
    let server = server();
    for path in ["/early", "/fallback/early"] {
        let mut s = TcpStream::connect(server.local_addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(
            s,
            "PUT {path} HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n",
            8 * MIB
        )
        .unwrap();
        s.write_all(&[b'x'; 1000]).unwrap();
        let t0 = Instant::now();
        let (status, headers, b) = read_response(&mut s);
        assert_eq!(status, 200, "{path}: {}", text(&b));
        assert!(t0.elapsed() < Duration::from_secs(2));
        assert!(headers.iter().any(|(n, v)| n == "x-early" && v == "1"));
        assert!(
            headers
                .iter()
                .any(|(n, v)| n == "connection" && v == "close"),
            "{path}: the unread body ends the connection: {headers:?}"
        );
        assert!(text(&b).starts_with("bytes=1000 "), "{}", text(&b));
    }
}

#[test]
#[cfg_attr(brisk_missing = "curl", ignore = "needs curl")]
fn paced_and_early_sinks_over_h2c() {
    if !util::tool("paced_and_early_sinks_over_h2c", "curl") {
        return;
    }
    let server = server();
    let file = std::env::temp_dir().join(format!("brisk-paced-{}", std::process::id()));
    let data = body(5 * MIB);
    std::fs::write(&file, &data).unwrap();
    let url = |p: &str| format!("http://{}{p}", server.local_addr());
    let curl = util::curl_h2;
    let f = file.to_str().unwrap();
    let out = curl(&["-T", f, "-H", "x-ask-after-ms: 300", &url("/paced")]);
    let (bytes, sum, max_queued) = parse(&text(&out.stdout));
    assert_eq!((bytes, sum), (data.len() as u64, checksum(&data)));
    // The stream window (256 KiB) bounds what arrives while the sink is paused.
    assert!(
        max_queued <= QUEUE_LIMIT + 256 * 1024 + 16 * 1024,
        "the body ran ahead of its consumer: {max_queued} bytes queued"
    );
    let out = curl(&["-T", f, "-D", "-", &url("/fallback/early")]);
    let got = text(&out.stdout);
    assert!(got.starts_with("HTTP/2 200"), "{got}");
    assert!(got.contains("x-early: 1"), "{got}");
    let _ = std::fs::remove_file(&file);
}
