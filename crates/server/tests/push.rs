//! Pushed bodies (`Responder::start` and `BodyWriter`), disconnect callbacks and trailers, on
//! HTTP/1.1 and HTTP/2: bytes exact, backpressure bounded (in memory, too), pipelining order,
//! aborts never taken for whole bodies, and a deferred HTTP/2 stream outlasting the body-read
//! timeout.

mod h2client;
mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brisk_server::{BodyWriter, Method, Response, SendError, WriteError};
use h2client::Client;
use util::{
    assert_plaintext, dechunk, park_route, read_head, read_response, read_until_tail, send_get,
    start, wait_parked,
};

/// The body `/push/{n}` sends: `n` numbered lines.
fn lines(n: usize) -> Vec<u8> {
    (0..n)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect()
}

/// Byte `i` of the patterned bodies (a period that no chunk size divides).
fn pat(i: usize) -> u8 {
    (i % 251) as u8
}

/// A head for a pushed answer.
fn head() -> Response {
    let mut h = Response::new();
    h.header("x-pushed", "yes").content_type("text/plain");
    h
}

/// Defers `res` and, on a thread of its own, starts the pushed body with [`head`] and hands it
/// to `produce`.
fn push_on_thread(res: &mut Response, produce: impl FnOnce(BodyWriter) + Send + 'static) {
    let r = res.defer();
    std::thread::spawn(move || produce(r.start(head()).expect("started")));
}

/// `/push/{n}`: `n` lines written one by one from a thread of its own, then finished.
fn push_route(b: &mut brisk_server::Builder) {
    b.route(Method::Get, "/push/{n}", |req, res| {
        let n: usize = req.param("n").unwrap_or("0").parse().unwrap_or(0);
        push_on_thread(res, move |body| {
            for i in 0..n {
                body.write(format!("line {i}\n").as_bytes())
                    .expect("written");
            }
            body.finish().expect("finished");
        });
    });
}

#[test]
fn a_body_pushed_from_another_thread_arrives_exact_on_http1_chunked() {
    let server = start(push_route);
    let mut s = send_get(server.local_addr(), "/push/2000");
    let head = read_head(&mut s);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Transfer-Encoding: chunked\r\n"), "{head}");
    assert!(head.contains("x-pushed: yes\r\n"), "{head}");
    let raw = read_until_tail(&mut s, b"\r\n0\r\n\r\n");
    let (data, trailers) = dechunk(&raw);
    assert_eq!(data, lines(2000));
    assert_eq!(trailers, "\r\n");
    // The connection goes on.
    assert_plaintext(&mut s);
    server.shutdown();
    server.join();
}

#[test]
fn a_body_pushed_from_another_thread_arrives_exact_on_http2() {
    let server = start(push_route);
    // Small windows: the body crosses many WINDOW_UPDATEs.
    let mut c = Client::connect(server.local_addr(), 4096, 65535);
    let a = c.get("/push/3000");
    let b = c.get("/push/10");
    c.turn_until(Client::all_done);
    for (id, n) in [(a, 3000), (b, 10)] {
        let r = &c.replies[&id];
        assert_eq!(r.status, 200);
        assert!(r.ended && !r.reset);
        assert_eq!(r.body, lines(n));
    }
    drop(c);
    server.shutdown();
    server.join();
}

/// What the flooding producer saw.
#[derive(Default)]
struct Flood {
    /// Bytes taken before the first WouldBlock (0: none yet).
    first_block_at: AtomicUsize,
    blocks: AtomicUsize,
    /// `on_writable` callbacks that ran.
    writable_calls: AtomicUsize,
    done: AtomicBool,
}

/// Writes `total` patterned bytes in `chunk`-sized pieces as fast as `try_write` takes them,
/// waiting on `on_writable` after each WouldBlock.
fn flood(body: BodyWriter, total: usize, chunk: usize, f: &Flood) {
    let mut sent = 0;
    let mut piece = Vec::with_capacity(chunk);
    while sent < total {
        let n = chunk.min(total - sent);
        piece.clear();
        piece.extend((sent..sent + n).map(pat));
        match body.try_write(&piece) {
            Ok(()) => sent += n,
            Err(WriteError::WouldBlock) => {
                if f.blocks.fetch_add(1, Ordering::SeqCst) == 0 {
                    f.first_block_at.store(sent, Ordering::SeqCst);
                }
                let (tx, rx) = mpsc::channel();
                body.on_writable(move || {
                    let _ = tx.send(());
                });
                rx.recv_timeout(Duration::from_secs(10))
                    .expect("on_writable fires");
                f.writable_calls.fetch_add(1, Ordering::SeqCst);
            }
            Err(e) => panic!("write failed: {e}"),
        }
    }
    body.finish().expect("finished");
    f.done.store(true, Ordering::SeqCst);
}

#[test]
fn backpressure_a_fast_producer_waits_for_a_client_that_does_not_read() {
    const TOTAL: usize = 32 << 20;
    let flood_state: Arc<Flood> = Arc::default();
    let f = Arc::clone(&flood_state);
    let server = start(move |b| {
        let mut l = brisk_server::Limits::default();
        l.push_buffer = 64 * 1024;
        b.limits(l);
        b.route(Method::Get, "/flood", move |_, res| {
            let f = Arc::clone(&f);
            push_on_thread(res, move |body| {
                flood(body, TOTAL, 16 * 1024, &f);
            });
        });
    });
    let mut s = send_get(server.local_addr(), "/flood");
    // The client reads nothing: the producer must hit WouldBlock after a bounded amount
    // (socket buffers + the connection's output limit + the pipe), and stay blocked.
    let t0 = Instant::now();
    while flood_state.blocks.load(Ordering::SeqCst) == 0 {
        assert!(t0.elapsed() < Duration::from_secs(5), "never WouldBlock");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(300));
    let first = flood_state.first_block_at.load(Ordering::SeqCst);
    assert!(first < 16 << 20, "{first} bytes taken before WouldBlock");
    let calls = flood_state.writable_calls.load(Ordering::SeqCst);
    let blocks = flood_state.blocks.load(Ordering::SeqCst);
    assert_eq!(calls + 1, blocks, "blocked now, on_writable not fired");
    assert!(!flood_state.done.load(Ordering::SeqCst));
    // Reading again: on_writable fires, and the body arrives complete and exact.
    let head = read_head(&mut s);
    assert!(head.contains("Transfer-Encoding: chunked"), "{head}");
    let raw = read_until_tail(&mut s, b"\r\n0\r\n\r\n");
    let (data, _) = dechunk(&raw);
    assert_eq!(data.len(), TOTAL);
    assert!(data.iter().enumerate().all(|(i, &b)| b == pat(i)), "bytes");
    assert!(flood_state.done.load(Ordering::SeqCst));
    assert!(flood_state.writable_calls.load(Ordering::SeqCst) >= 1);
    eprintln!(
        "backpressure: first WouldBlock after {first} bytes; {} WouldBlocks in all",
        flood_state.blocks.load(Ordering::SeqCst)
    );
    server.shutdown();
    server.join();
}

/// `/trail`: a body and trailer fields.
fn trailer_route(b: &mut brisk_server::Builder) {
    b.route(Method::Get, "/trail", |_, res| {
        let r = res.defer();
        std::thread::spawn(move || {
            let mut h = head();
            h.header("trailer", "x-checksum, x-count");
            let body = r.start(h).expect("started");
            body.write(b"some data").unwrap();
            body.finish_with_trailers(&[("X-Checksum", "abc123"), ("x-count", "9")])
                .unwrap();
        });
    });
}

#[test]
fn trailers_end_a_chunked_http1_body_and_an_http2_stream() {
    let server = start(trailer_route);
    let mut s = send_get(server.local_addr(), "/trail");
    let head = read_head(&mut s);
    assert!(head.contains("Transfer-Encoding: chunked"), "{head}");
    let raw = read_until_tail(&mut s, b"x-count: 9\r\n\r\n");
    let (data, trailers) = dechunk(&raw);
    assert_eq!(data, b"some data");
    assert_eq!(trailers, "x-checksum: abc123\r\nx-count: 9\r\n\r\n");

    let mut c = Client::connect(server.local_addr(), 65535, 65535);
    let id = c.get("/trail");
    c.turn_until(Client::all_done);
    let r = &c.replies[&id];
    assert_eq!(
        (r.status, &r.body[..], r.reset),
        (200, &b"some data"[..], false)
    );
    assert_eq!(
        r.trailers,
        [
            ("x-checksum".to_string(), "abc123".to_string()),
            ("x-count".to_string(), "9".to_string())
        ]
    );
    drop(c);
    server.shutdown();
    server.join();
}

#[test]
fn an_invalid_trailer_is_refused_and_the_body_still_ends() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let server = start(move |b| {
        b.route(Method::Get, "/bad", move |_, res| {
            let tx = tx.lock().unwrap().clone();
            push_on_thread(res, move |body| {
                body.write(b"x").unwrap();
                let _ = tx.send(body.finish_with_trailers(&[("content-length", "1")]));
            });
        });
    });
    let mut s = send_get(server.local_addr(), "/bad");
    let (status, _, body) = read_response(&mut s);
    assert_eq!((status, &body[..]), (200, &b"x"[..]));
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        Err(WriteError::InvalidTrailer)
    );
    server.shutdown();
    server.join();
}

/// Waits up to `limit` for a message.
fn within<T>(rx: &mpsc::Receiver<T>, limit: Duration) -> Option<T> {
    rx.recv_timeout(limit).ok()
}

#[test]
fn an_http1_client_that_closes_runs_on_close_and_writes_then_fail() {
    let (tx, rx) = mpsc::channel::<&'static str>();
    let tx = Mutex::new(tx);
    let bodies: Arc<Mutex<Vec<BodyWriter>>> = Arc::default();
    let keep = Arc::clone(&bodies);
    let server = start(move |b| {
        b.route(Method::Get, "/hang", move |_, res| {
            let tx = tx.lock().unwrap().clone();
            let keep = Arc::clone(&keep);
            push_on_thread(res, move |body| {
                body.on_close(move || {
                    let _ = tx.send("closed");
                });
                body.write(b"first").unwrap();
                keep.lock().unwrap().push(body);
            });
        });
    });
    let mut s = send_get(server.local_addr(), "/hang");
    let _ = read_head(&mut s);
    let _ = read_until_tail(&mut s, b"first\r\n");
    let t0 = Instant::now();
    while bodies.lock().unwrap().is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(
        within(&rx, Duration::from_millis(100)).is_none(),
        "not closed yet"
    );
    assert!(!bodies.lock().unwrap()[0].is_closed());
    drop(s);
    let t0 = Instant::now();
    assert_eq!(within(&rx, Duration::from_secs(1)), Some("closed"));
    eprintln!("on_close after {:?}", t0.elapsed());
    let body = bodies.lock().unwrap().pop().unwrap();
    assert!(body.is_closed());
    assert_eq!(body.try_write(b"more"), Err(WriteError::Closed));
    assert_eq!(body.write(b"more"), Err(WriteError::Closed));
    // Registered late: runs at once.
    let (tx2, rx2) = mpsc::channel();
    body.on_close(move || tx2.send(()).unwrap());
    assert!(rx2.try_recv().is_ok());
    assert_eq!(body.finish(), Err(WriteError::Closed));
    server.shutdown();
    server.join();
}

#[test]
fn a_responder_learns_of_a_client_that_closed_before_the_answer_started() {
    let mut b2 = None;
    let server2 = start(|b| b2 = Some(park_route(b, "/park/{id}")));
    let parked = b2.unwrap();
    let s = send_get(server2.local_addr(), "/park/a");
    let (_, r) = wait_parked(&parked, 1).pop().unwrap();
    let (tx, rx) = mpsc::channel();
    r.on_close(move || tx.send(()).unwrap());
    assert!(rx.try_recv().is_err());
    drop(s);
    assert!(
        within(&rx, Duration::from_secs(1)).is_some(),
        "on_close ran"
    );
    assert!(r.is_closed());
    assert_eq!(r.start(head()).map(|_| ()), Err(SendError::Closed));
    server2.shutdown();
    server2.join();
}

/// Streams of `/hang/{id}`: each started on the worker thread, its writer kept, its
/// `on_close` recorded by id.
#[derive(Default, Clone)]
struct Hung {
    closed: Arc<Mutex<Vec<String>>>,
    writers: Arc<Mutex<Vec<(String, BodyWriter)>>>,
}

impl Hung {
    /// Adds `/hang/{id}`; with `first`, each body begins with `{id}:first;`.
    fn route(&self, b: &mut brisk_server::Builder, first: bool) {
        let hung = self.clone();
        b.route(Method::Get, "/hang/{id}", move |req, res| {
            let id = req.param("id").unwrap_or("").to_string();
            let body = res.defer().start(head()).expect("started");
            let closed = Arc::clone(&hung.closed);
            let name = id.clone();
            body.on_close(move || closed.lock().unwrap().push(name));
            if first {
                body.try_write(format!("{id}:first;").as_bytes()).unwrap();
            }
            hung.writers.lock().unwrap().push((id, body));
        });
    }

    /// The writers of `/hang/a` and `/hang/b`.
    fn take_a_b(&self) -> (BodyWriter, BodyWriter) {
        let mut ws = std::mem::take(&mut *self.writers.lock().unwrap());
        ws.sort_by(|x, y| x.0.cmp(&y.0));
        let (_, wb) = ws.pop().unwrap();
        let (_, wa) = ws.pop().unwrap();
        (wa, wb)
    }

    /// Calls `pump` until an `on_close` ran (at most 1 s); returns the ids closed.
    fn wait_closed(&self, mut pump: impl FnMut()) -> Vec<String> {
        let t0 = Instant::now();
        while self.closed.lock().unwrap().is_empty() {
            assert!(t0.elapsed() < Duration::from_secs(1), "on_close within 1 s");
            pump();
        }
        self.closed.lock().unwrap().clone()
    }
}

#[test]
fn an_http2_reset_closes_that_stream_only() {
    let hung = Hung::default();
    let server = start(|b| hung.route(b, true));
    let mut c = Client::connect(server.local_addr(), 65535, 65535);
    let a = c.get("/hang/a");
    let b = c.get("/hang/b");
    c.turn_until(|c| {
        c.replies[&a].body.ends_with(b"first;") && c.replies[&b].body.ends_with(b"first;")
    });
    c.cancel(a);
    assert_eq!(
        hung.wait_closed(|| {
            c.turn(65536);
        }),
        ["a"]
    );
    let (wa, wb) = hung.take_a_b();
    assert!(wa.is_closed() && !wb.is_closed());
    assert_eq!(wa.try_write(b"x"), Err(WriteError::Closed));
    // The other stream goes on, from another thread.
    std::thread::spawn(move || {
        wb.write(b"second").unwrap();
        wb.finish().unwrap();
    })
    .join()
    .unwrap();
    c.turn_until(|c| c.replies[&b].ended);
    assert_eq!(c.replies[&b].body, b"b:first;second");
    assert!(!c.replies[&b].reset);
    assert_eq!(*hung.closed.lock().unwrap(), ["a"]);
    drop(c);
    server.shutdown();
    server.join();
}

/// `/cut`: writes a piece, then drops the writer without finishing.
fn cut_route(b: &mut brisk_server::Builder) {
    b.route(Method::Get, "/cut", |_, res| {
        push_on_thread(res, move |body| {
            body.write(b"partial").unwrap();
            std::thread::sleep(Duration::from_millis(50));
            drop(body);
        });
    });
}

#[test]
fn a_dropped_writer_closes_http1_without_the_last_chunk_and_resets_http2() {
    let server = start(cut_route);
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    // The second request is pipelined behind the cut one: it must not be answered.
    s.write_all(b"GET /cut HTTP/1.1\r\nHost: x\r\n\r\nGET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let head = read_head(&mut s);
    assert!(head.contains("Transfer-Encoding: chunked"), "{head}");
    let rest = util::read_until_quiet(&mut s, Duration::from_secs(2));
    assert_eq!(rest, b"7\r\npartial\r\n", "closed without the last chunk");
    // EOF: the connection is closed.
    s.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    assert_eq!(s.read(&mut [0u8; 16]).unwrap_or(0), 0);

    let mut c = Client::connect(server.local_addr(), 65535, 65535);
    let id = c.get("/cut");
    let ok = c.get("/plaintext");
    c.turn_until(Client::all_done);
    let r = &c.replies[&id];
    assert!(r.reset && !r.ended, "reset, not ended: {r:?}");
    assert_eq!(r.body, b"partial");
    assert_eq!(c.replies[&ok].body, b"Hello, World!");
    drop(c);
    server.shutdown();
    server.join();
}

#[test]
fn a_pushed_body_keeps_its_place_among_pipelined_http1_answers() {
    let server = start(|b| {
        b.route(Method::Get, "/slow", |_, res| {
            let r = res.defer();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(30));
                let body = r.start(head()).expect("started");
                for i in 0..50 {
                    body.write(format!("line {i}\n").as_bytes()).unwrap();
                    if i % 10 == 0 {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                }
                body.finish().unwrap();
            });
        });
    });
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.write_all(
        b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n\
          GET /slow HTTP/1.1\r\nHost: x\r\n\r\n\
          GET /hello/after HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .unwrap();
    let (s1, _, b1) = read_response(&mut s);
    let (s2, h2, b2) = read_response(&mut s);
    let (s3, _, b3) = read_response(&mut s);
    assert_eq!((s1, &b1[..]), (200, &b"Hello, World!"[..]));
    assert_eq!(s2, 200);
    assert!(h2.iter().any(|(n, v)| n == "x-pushed" && v == "yes"));
    assert_eq!(b2, lines(50));
    assert_eq!((s3, &b3[..]), (200, &b"Hello, after!"[..]));
    // Nothing else arrives.
    let rest = util::read_until_quiet(&mut s, Duration::from_millis(200));
    assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));
    server.shutdown();
    server.join();
}

#[test]
fn a_deferred_or_pushed_stream_outlives_the_body_read_and_idle_timeouts() {
    let server = start(|b| {
        b.body_timeout(Duration::from_millis(200));
        b.idle_timeout(Duration::from_millis(200));
        b.route(Method::Get, "/late", |_, res| {
            let r = res.defer();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(800));
                let mut a = Response::new();
                a.text("late");
                let _ = r.send(a);
            });
        });
        b.route(Method::Get, "/slow-push", |_, res| {
            push_on_thread(res, move |body| {
                body.write(b"a").unwrap();
                std::thread::sleep(Duration::from_millis(800));
                body.write(b"b").unwrap();
                body.finish().unwrap();
            });
        });
    });
    // HTTP/1.1: a pushed body waiting for its producer is not an idle connection either.
    let mut s = send_get(server.local_addr(), "/slow-push");
    let (status, _, body) = read_response(&mut s);
    assert_eq!((status, &body[..]), (200, &b"ab"[..]));
    drop(s);

    let mut c = Client::connect(server.local_addr(), 65535, 65535);
    let late = c.get("/late");
    let push = c.get("/slow-push");
    c.turn_until(|c| c.all_done() || c.closed_at.is_some());
    assert!(c.closed_at.is_none(), "the connection was closed");
    assert_eq!(c.replies[&late].body, b"late");
    assert_eq!(c.replies[&push].body, b"ab");
    assert!(c.goaways.is_empty(), "GOAWAY: {:?}", c.goaways);
    drop(c);
    server.shutdown();
    server.join();
}

#[test]
fn head_gets_no_pushed_body_and_http10_gets_one_ended_by_the_close() {
    let (tx, rx) = mpsc::channel::<Result<(), WriteError>>();
    let tx = Mutex::new(tx);
    let server = start(move |b| {
        push_route(b);
        b.route(Method::Head, "/headpush", move |_, res| {
            let tx = tx.lock().unwrap().clone();
            push_on_thread(res, move |body| {
                let (ctx, crx) = mpsc::channel();
                body.on_close(move || ctx.send(()).unwrap());
                // The exchange wants no body: the pipe closes once the head is out.
                crx.recv_timeout(Duration::from_secs(5)).expect("on_close");
                let _ = tx.send(body.write(b"unwanted"));
            });
        });
    });
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.write_all(b"HEAD /headpush HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let h = read_head(&mut s);
    assert!(h.starts_with("HTTP/1.1 200 OK\r\n"), "{h}");
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        Err(WriteError::Closed)
    );
    // Nothing follows the head, and the connection goes on.
    assert_plaintext(&mut s);

    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.write_all(b"GET /push/500 HTTP/1.0\r\n\r\n").unwrap();
    let raw = util::read_until_quiet(&mut s, Duration::from_secs(5));
    let text = String::from_utf8(raw).unwrap();
    let (h, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(h.contains("Connection: close"), "{h}");
    assert!(!h.contains("Transfer-Encoding"), "{h}");
    assert_eq!(body.as_bytes(), lines(500));
    drop(s);
    server.shutdown();
    server.join();
}

#[test]
fn write_on_a_worker_thread_never_blocks() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let server = start(move |b| {
        b.route(Method::Get, "/here", move |_, res| {
            // On the worker thread: a blocking write would stall every connection.
            let body = res.defer().start(head()).expect("started");
            let first = body.write(&[b'a'; 100_000]);
            let second = body.write(&[b'b'; 100_000]);
            let _ = tx.lock().unwrap().send((first, second));
            body.finish().unwrap();
        });
    });
    let mut s = send_get(server.local_addr(), "/here");
    let (status, _, body) = read_response(&mut s);
    assert_eq!(status, 200);
    assert_eq!(body, vec![b'a'; 100_000]);
    // The first write is taken (the pipe was empty), the second refused, not waited for.
    let got = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(got, (Ok(()), Err(WriteError::WouldBlock)));
    server.shutdown();
    server.join();
}

#[test]
fn an_http2_goaway_without_error_keeps_pushed_streams_and_one_with_an_error_closes_them() {
    let hung = Hung::default();
    let server = start(|b| hung.route(b, false));
    let mut c = Client::connect(server.local_addr(), 65535, 65535);
    let a = c.get("/hang/a");
    let _b = c.get("/hang/b");
    c.turn_until(|c| c.replies.values().all(|r| r.status == 200));
    // A graceful GOAWAY from the client: its open streams stay.
    c.conn.go_away();
    c.conn.go_away_final();
    c.flush();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_millis(200) {
        c.turn(65536);
    }
    assert!(
        hung.closed.lock().unwrap().is_empty(),
        "{:?}",
        hung.closed.lock().unwrap()
    );
    let (wa, wb) = hung.take_a_b();
    wa.write(b"still here").unwrap();
    wa.finish().unwrap();
    c.turn_until(|c| c.replies[&a].ended);
    assert_eq!(c.replies[&a].body, b"still here");
    // A GOAWAY with an error ends the connection: the other stream's client is gone.
    c.conn.abort(brisk_http2::ErrorCode::PROTOCOL_ERROR);
    c.flush();
    assert_eq!(
        hung.wait_closed(|| std::thread::sleep(Duration::from_millis(2))),
        ["b"]
    );
    assert_eq!(wb.try_write(b"x"), Err(WriteError::Closed));
    drop(c);
    server.shutdown();
    server.join();
}

#[test]
fn an_http2_reset_reaches_a_responder_that_has_not_started() {
    let mut parked = None;
    let server = start(|b| parked = Some(park_route(b, "/park/{id}")));
    let parked = parked.unwrap();
    let mut c = Client::connect(server.local_addr(), 65535, 65535);
    let a = c.get("/park/a");
    let b = c.get("/park/b");
    c.flush();
    c.turn_within(Duration::from_secs(5), |_| {
        parked.lock().unwrap().len() >= 2
    });
    let mut rs = wait_parked(&parked, 2);
    rs.sort_by(|x, y| x.0.cmp(&y.0));
    let (_, rb) = rs.pop().unwrap();
    let (_, ra) = rs.pop().unwrap();
    let (tx, rx) = mpsc::channel();
    let txb = tx.clone();
    ra.on_close(move || tx.send("a").unwrap());
    rb.on_close(move || txb.send("b").unwrap());
    c.cancel(a);
    assert_eq!(within(&rx, Duration::from_secs(1)), Some("a"));
    assert!(ra.is_closed() && !rb.is_closed());
    assert_eq!(ra.start(head()).map(|_| ()), Err(SendError::Closed));
    let body = rb.start(head()).expect("b started");
    body.write(b"b lives").unwrap();
    body.finish().unwrap();
    c.turn_until(|c| c.replies[&b].ended);
    assert_eq!(c.replies[&b].body, b"b lives");
    assert!(rx.try_recv().is_err(), "b's callback did not run");
    drop(c);
    server.shutdown();
    server.join();
}
