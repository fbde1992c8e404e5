//! Server-sent events: `sse::EventStream` on HTTP/1.1 (chunked framing decoded, event blocks
//! exact) and HTTP/2, keep-alive comments at the interval and only when idle, a client that
//! goes (send fails with Closed, on_close runs), non-blocking producers resumed by on_writable,
//! and the `brisk` binary's `GET /events` read by a raw socket, `curl -N` and Python `httpx`
//! (HTTP/1.1 and h2c), arriving event by event. A missing peer skips its test unless
//! BRISK_REQUIRE_PEERS=1.

mod h2client;
mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brisk_server::sse::{write_comment, Event, EventStream, SseError, StreamError};
use brisk_server::Method;
use h2client::Client;
use util::{
    assert_plaintext, assert_within, dechunk, python, read_head, read_response, read_until_tail,
    send_get, start, tool, Brisk,
};

/// The events `/sse` sends, as the producer writes them.
fn script() -> Vec<Event<'static>> {
    vec![
        Event::new("hello"),
        Event::new("two\nlines").event("multi").id("7"),
        Event::new("").retry(2500),
        Event::new("{\"n\":3}").event("json").id("8"),
    ]
}

/// The exact stream `/sse` produces: a comment, the script, then the invalid event was refused.
fn expected() -> Vec<u8> {
    let mut out = Vec::new();
    write_comment(&mut out, "welcome");
    for ev in script() {
        ev.write_to(&mut out).unwrap();
    }
    out
}

/// Defers `res` and, on a thread of its own, starts an event stream and hands it to `produce`.
fn stream_on_thread(
    res: &mut brisk_server::Response,
    produce: impl FnOnce(EventStream) + Send + 'static,
) {
    let r = res.defer();
    std::thread::spawn(move || produce(EventStream::start(r).expect("started")));
}

/// `/sse`: from a thread of its own, a comment and the script (blocking sends), an invalid
/// event (refused, the stream goes on), then finish.
fn sse_route(b: &mut brisk_server::Builder) {
    b.route(Method::Get, "/sse", |_, res| {
        stream_on_thread(res, move |s| {
            s.comment("welcome").unwrap();
            for (i, ev) in script().iter().enumerate() {
                s.send(ev).unwrap();
                if i == 1 {
                    let bad = Event::new("x").id("1\n2");
                    assert_eq!(
                        s.send(&bad),
                        Err(StreamError::Invalid(SseError::LineBreakInId))
                    );
                }
            }
            s.finish().unwrap();
        });
    });
}

/// The data of a chunked body `raw` that ends without trailers.
fn dechunk_plain(raw: &[u8]) -> Vec<u8> {
    let (data, trailers) = dechunk(raw);
    assert_eq!(trailers, "\r\n", "no trailers, then the end");
    data
}

#[test]
fn events_arrive_exact_on_http1_chunked() {
    let server = start(sse_route);
    let mut s = send_get(server.local_addr(), "/sse");
    let head = read_head(&mut s);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Transfer-Encoding: chunked\r\n"), "{head}");
    assert!(
        head.contains("content-type: text/event-stream\r\n"),
        "{head}"
    );
    assert!(head.contains("cache-control: no-cache\r\n"), "{head}");
    let raw = read_until_tail(&mut s, b"\r\n0\r\n\r\n");
    assert_eq!(
        String::from_utf8(dechunk_plain(&raw)).unwrap(),
        String::from_utf8(expected()).unwrap()
    );
    // The connection goes on.
    assert_plaintext(&mut s);
    server.shutdown();
    server.join();
}

#[test]
fn events_arrive_exact_on_http2() {
    let server = start(sse_route);
    let mut c = Client::connect(server.local_addr(), 65535, 65535);
    let ids = [c.get("/sse"), c.get("/sse")];
    c.turn_until(Client::all_done);
    for id in ids {
        let r = &c.replies[&id];
        assert_eq!(r.status, 200);
        assert!(r.ended && !r.reset, "ended cleanly");
        assert_eq!(
            String::from_utf8(r.body.clone()).unwrap(),
            String::from_utf8(expected()).unwrap()
        );
    }
    drop(c);
    server.shutdown();
    server.join();
}

/// Lines of an event stream with the time each arrived (since `t0`), read from a raw HTTP/1.1
/// response body (chunk-size lines dropped: the test's chunks are whole lines).
fn timed_lines(s: &mut TcpStream, t0: Instant, until: &str) -> Vec<(Duration, String)> {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut r = BufReader::new(s);
    let mut out = Vec::new();
    loop {
        assert!(t0.elapsed() < Duration::from_secs(10), "{out:?}");
        let mut line = String::new();
        assert!(r.read_line(&mut line).unwrap() > 0, "closed: {out:?}");
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        let done = line == until;
        out.push((t0.elapsed(), line));
        if done {
            return out;
        }
    }
}

#[test]
fn keep_alive_comments_come_at_the_interval_and_only_when_idle() {
    let interval = Duration::from_millis(150);
    let server = start(move |b| {
        b.route(Method::Get, "/idle", move |_, res| {
            stream_on_thread(res, move |s| {
                s.keep_alive(interval);
                // Busy: an event every 20 ms for 300 ms, never idle for an interval.
                for _ in 0..15 {
                    s.send(&Event::new("busy")).unwrap();
                    std::thread::sleep(Duration::from_millis(20));
                }
                s.send(&Event::new("idle")).unwrap();
                // Idle: 800 ms without an event.
                std::thread::sleep(Duration::from_millis(800));
                s.send(&Event::new("end")).unwrap();
                s.finish().unwrap();
            });
        });
    });
    let mut s = send_get(server.local_addr(), "/idle");
    let t0 = Instant::now();
    let head = read_head(&mut s);
    assert!(head.contains("Transfer-Encoding: chunked\r\n"), "{head}");
    // Up to the last chunk: the stream ends whole although the keep-alive timer holds it now
    // and then.
    let lines = timed_lines(&mut s, t0, "0");
    let data: Vec<&str> = lines
        .iter()
        .map(|(_, l)| l.as_str())
        .filter(|l| l.starts_with("data: "))
        .collect();
    let mut want = vec!["data: busy"; 15];
    want.extend(["data: idle", "data: end"]);
    assert_eq!(data, want);
    let pos = |what: &str| lines.iter().position(|(_, l)| l == what).unwrap();
    let (idle, end) = (pos("data: idle"), pos("data: end"));
    let comment = |l: &str| l == ": keep-alive";
    assert!(
        !lines[..idle].iter().any(|(_, l)| comment(l)),
        "a keep-alive while busy: {lines:?}"
    );
    let at: Vec<Duration> = lines[idle..end]
        .iter()
        .filter(|(_, l)| comment(l))
        .map(|(t, _)| *t)
        .collect();
    // 800 ms idle at 150 ms: 5 when on time; the timer thread may run late on a busy machine.
    assert!(
        (3..=5).contains(&at.len()),
        "{} keep-alives in 800 ms idle: {lines:?}",
        at.len()
    );
    let first_gap = at[0] - lines[idle].0;
    assert!(
        first_gap >= Duration::from_millis(100),
        "first keep-alive {first_gap:?} after the last event"
    );
    for w in at.windows(2) {
        assert!(
            w[1] - w[0] >= Duration::from_millis(100),
            "keep-alives {:?} apart: {lines:?}",
            w[1] - w[0]
        );
    }
    server.shutdown();
    server.join();
}

type Report = mpsc::Sender<(&'static str, Option<StreamError>)>;

/// `/forever`: events every 10 ms from a thread of its own until a send fails; reports
/// `on_close` and the failing send's error.
fn forever_route(b: &mut brisk_server::Builder, tx: Report) {
    let tx = Mutex::new(tx);
    b.route(Method::Get, "/forever", move |_, res| {
        let tx = tx.lock().unwrap().clone();
        stream_on_thread(res, move |s| {
            let t = tx.clone();
            s.on_close(move || {
                let _ = t.send(("on_close", None));
            });
            let t0 = Instant::now();
            let err = loop {
                if let Err(e) = s.send(&Event::new("tick")) {
                    break e;
                }
                if t0.elapsed() > Duration::from_secs(10) {
                    break StreamError::WouldBlock; // never closed: the test fails
                }
                std::thread::sleep(Duration::from_millis(10));
            };
            assert!(s.is_closed());
            assert_eq!(s.try_send(&Event::new("x")), Err(StreamError::Closed));
            assert_eq!(s.comment("x"), Err(StreamError::Closed));
            let _ = tx.send(("send", Some(err)));
            assert_eq!(s.finish(), Err(StreamError::Closed));
        });
    });
}

fn expect_closed(rx: &mpsc::Receiver<(&'static str, Option<StreamError>)>) {
    let mut got = Vec::new();
    for _ in 0..2 {
        got.push(rx.recv_timeout(Duration::from_secs(3)).expect("reported"));
    }
    got.sort_by_key(|g| g.0);
    assert_eq!(
        got,
        [("on_close", None), ("send", Some(StreamError::Closed))]
    );
}

/// `/race/{i}`: `events` events of `data` with 10 ms keep-alives, pausing 4 to 13 ms (varying
/// with `i`) after each, then finish: the timer often holds the stream as it finishes.
fn race_route(b: &mut brisk_server::Builder, data: &'static str, events: u64) {
    b.route(Method::Get, "/race/{i}", move |req, res| {
        let i: u64 = req.param("i").unwrap_or("0").parse().unwrap_or(0);
        stream_on_thread(res, move |s| {
            s.keep_alive(Duration::from_millis(10));
            for k in 0..events {
                s.send(&Event::new(data)).unwrap();
                let pause = 4000 + (i * 7919 + k * 104_729) % 9000;
                std::thread::sleep(Duration::from_micros(pause));
            }
            s.finish().unwrap();
        });
    });
}

/// Runs `streams` `/race/{i}` streams on one h2c connection; each must end whole.
fn race(data: &'static str, events: u64, streams: u32) {
    let server = start(|b| race_route(b, data, events));
    let mut c = Client::connect(server.local_addr(), 65535, 1 << 20);
    let ids: Vec<u32> = (0..streams).map(|i| c.get(&format!("/race/{i}"))).collect();
    c.turn_until(Client::all_done);
    let event = format!("data: {data}\n\n");
    for id in ids {
        let r = &c.replies[&id];
        assert!(r.ended && !r.reset, "stream {id} aborted");
        let body = String::from_utf8(r.body.clone()).unwrap();
        let without: String = body.replace(": keep-alive\n", "");
        assert_eq!(without, event.repeat(events as usize), "{body:?}");
    }
    drop(c);
    server.shutdown();
    server.join();
}

#[test]
fn streams_finished_while_the_keep_alive_timer_visits_them_end_whole() {
    race("an event of some length", 3, 30);
}

/// Many SSE streams of tiny events (`data: e\n\n`, 9 bytes) on one connection: legitimate,
/// but brisk-http2's tiny-DATA flood check (more than 128 consecutive DATA frames under 16
/// bytes, `Limits::max_tiny_data_frames`) makes the client role answer GOAWAY
/// ENHANCE_YOUR_CALM ("flood of empty or tiny data frames").
#[test]
#[ignore = "brisk-http2 client role: the tiny-DATA flood check trips on many streams of small SSE events"]
fn many_tiny_event_streams_on_one_h2_connection() {
    race("e", 3, 60);
}

#[test]
fn a_client_that_goes_makes_send_fail_with_closed_and_runs_on_close() {
    let (tx, rx) = mpsc::channel();
    let server = start(|b| forever_route(b, tx));
    // HTTP/1.1: the client closes the connection.
    let mut s = send_get(server.local_addr(), "/forever");
    let _ = read_head(&mut s);
    let _ = read_until_tail(&mut s, b"data: tick\n\n\r\n");
    assert!(rx.try_recv().is_err(), "nothing reported yet");
    drop(s);
    expect_closed(&rx);
    // HTTP/2: the client resets the stream.
    let mut c = Client::connect(server.local_addr(), 65535, 65535);
    let id = c.get("/forever");
    c.turn_until(|c| c.replies[&id].body.ends_with(b"data: tick\n\n"));
    c.cancel(id);
    expect_closed(&rx);
    drop(c);
    server.shutdown();
    server.join();
}

#[test]
fn a_non_blocking_producer_stops_at_would_block_and_on_writable_resumes_it() {
    let (tx, rx) = mpsc::channel::<String>();
    let tx = Mutex::new(tx);
    let total = Arc::new(Mutex::new(0usize));
    let tot = Arc::clone(&total);
    let server = start(move |b| {
        b.route(Method::Get, "/fill", move |_, res| {
            let tx = tx.lock().unwrap().clone();
            let tot = Arc::clone(&tot);
            stream_on_thread(res, move |s| {
                let data = "x".repeat(4000);
                let mut sent = 0usize;
                let (wtx, wrx) = mpsc::channel();
                // The client does not read: try_send fills the body's buffer; on_writable
                // resumes the producer while the connection still drains it into the socket,
                // until the socket is full and on_writable stays silent.
                loop {
                    match s.try_send(&Event::new(&data)) {
                        Ok(()) => sent += 1,
                        Err(StreamError::WouldBlock) => {
                            let w = wtx.clone();
                            s.on_writable(move || {
                                let _ = w.send(());
                            });
                            if wrx.recv_timeout(Duration::from_millis(300)).is_err() {
                                break;
                            }
                        }
                        Err(e) => panic!("{e}"),
                    }
                    assert!(sent < 100_000, "never full");
                }
                let _ = tx.send(format!("full after {sent}"));
                wrx.recv_timeout(Duration::from_secs(10))
                    .expect("on_writable");
                s.try_send(&Event::new("last")).expect("room again");
                *tot.lock().unwrap() = sent;
                let _ = tx.send("resumed".to_string());
                s.finish().unwrap();
            });
        });
    });
    let mut s = send_get(server.local_addr(), "/fill");
    let full = rx.recv_timeout(Duration::from_secs(10)).expect("full");
    assert!(full.starts_with("full after "), "{full}");
    assert!(
        rx.recv_timeout(Duration::from_millis(200)).is_err(),
        "resumed before the client read"
    );
    let _ = read_head(&mut s);
    let raw = read_until_tail(&mut s, b"\r\n0\r\n\r\n");
    assert_eq!(rx.recv_timeout(Duration::from_secs(1)).unwrap(), "resumed");
    let body = dechunk_plain(&raw);
    let n = *total.lock().unwrap();
    let mut want = Vec::new();
    let data = "x".repeat(4000);
    for _ in 0..n {
        Event::new(&data).write_to(&mut want).unwrap();
    }
    Event::new("last").write_to(&mut want).unwrap();
    assert!(body == want, "{} bytes, want {}", body.len(), want.len());
    server.shutdown();
    server.join();
}

/// The body of `/events?n=N&...` as the binary sends it.
fn events_body(n: usize) -> String {
    (0..n)
        .map(|i| format!("id: {i}\ndata: event {i}\n\n"))
        .collect()
}

#[test]
fn the_binary_streams_events_one_every_ms_and_refuses_bad_parameters() {
    let b = Brisk::start(&["--workers", "1"]);
    let mut s = send_get(b.addr, "/events?n=5&ms=100");
    let t0 = Instant::now();
    let head = read_head(&mut s);
    assert!(
        head.contains("content-type: text/event-stream\r\n"),
        "{head}"
    );
    // The one worker goes on serving while the stream is produced (no sleep on it).
    let mut p = send_get(b.addr, "/plaintext");
    assert_eq!(read_response(&mut p).0, 200);
    assert_within(
        "/plaintext beside the stream",
        t0,
        Duration::from_millis(300),
    );
    let lines = timed_lines(&mut s, t0, "data: event 4");
    let at = |what: &str| lines.iter().find(|(_, l)| l == what).unwrap().0;
    let (first, last) = (at("data: event 0"), at("data: event 4"));
    // Four gaps of 100 ms: the first event is read well before the last is produced.
    assert!(
        last - first >= Duration::from_millis(350),
        "first at {first:?}, last at {last:?}"
    );
    assert!(first < Duration::from_millis(300), "first at {first:?}");
    drop(s);
    let mut s = TcpStream::connect(b.addr).unwrap();
    // Capped: n=20000 sends 10000; ms=0 sends them back to back.
    s.write_all(b"GET /events?n=20000&ms=0 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (status, _, body) = read_response(&mut s);
    assert_eq!(status, 200);
    assert!(String::from_utf8(body).unwrap() == events_body(10_000));
    // Defaults are 10 events, 1 s apart: only the first is checked.
    s.write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let _ = read_head(&mut s);
    let first = read_until_tail(&mut s, b"data: event 0\n\n\r\n");
    assert!(first.ends_with(b"id: 0\ndata: event 0\n\n\r\n"));
    drop(s);
    for q in ["n=x", "ms=-1", "n=1&ms=1.5", "n="] {
        let mut s = TcpStream::connect(b.addr).unwrap();
        write!(s, "GET /events?{q} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let (status, _, body) = read_response(&mut s);
        assert_eq!(status, 400, "{q}");
        assert!(String::from_utf8_lossy(&body).contains("/events?n=N&ms=M"));
    }
}

/// Runs `cmd` (whose stdout is an event stream's lines) and returns each line with the time
/// it arrived, until the stream ends (bounded: 10 s).
fn timed_output(cmd: &mut Command) -> Vec<(Duration, String)> {
    let t0 = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for line in out.lines() {
        lines.push((t0.elapsed(), line.unwrap()));
        assert!(t0.elapsed() < Duration::from_secs(10), "{lines:?}");
    }
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "{cmd:?}: {status} {err}");
    lines
}

/// The five events of `/events?n=5&ms=50`, exact, the first read at least 150 ms before the
/// last (four gaps of 50 ms): they arrived one by one, not in one piece at the end.
fn assert_five_incremental(what: &str, lines: &[(Duration, String)]) {
    let text: String = lines.iter().map(|(_, l)| format!("{l}\n")).collect();
    assert_eq!(text, events_body(5), "{what}");
    let at = |w: &str| lines.iter().find(|(_, l)| l == w).unwrap().0;
    let (first, last) = (at("data: event 0"), at("data: event 4"));
    assert!(
        last - first >= Duration::from_millis(150),
        "{what}: first at {first:?}, last at {last:?}"
    );
}

#[test]
#[cfg_attr(brisk_missing = "curl", ignore = "needs curl")]
fn curl_n_reads_events_incrementally_over_http1_and_h2c() {
    if !tool(
        "curl_n_reads_events_incrementally_over_http1_and_h2c",
        "curl",
    ) {
        return;
    }
    let b = Brisk::start(&["--workers", "1"]);
    let url = b.url("/events?n=5&ms=50");
    for (what, flag) in [("http1.1", "--http1.1"), ("h2c", "--http2-prior-knowledge")] {
        let lines = timed_output(Command::new("curl").args(["-sSN", "--fail", flag, &url]));
        assert_five_incremental(what, &lines);
    }
    // The headers over h2c.
    let out = Command::new("curl")
        .args(["-sSN", "--http2-prior-knowledge", "-o", "/dev/null"])
        .args(["-w", "%{http_version} %{content_type}"])
        .arg(b.url("/events?n=1&ms=0"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2 text/event-stream");
}

/// Streams the URL with httpx (`http2=True` uses h2c prior knowledge) and prints the version,
/// then each line as it arrives.
const PY_HTTPX: &str = r#"
import sys, httpx
url, h2 = sys.argv[1], sys.argv[2] == "h2"
with httpx.Client(http1=not h2, http2=h2, timeout=10) as c:
    with c.stream("GET", url) as r:
        print(r.http_version, r.status_code, r.headers["content-type"], flush=True)
        for line in r.iter_lines():
            print(line, flush=True)
"#;

#[test]
#[cfg_attr(
    any(brisk_missing = "py_httpx", brisk_missing = "py_h2"),
    ignore = "needs Python httpx and h2"
)]
fn python_httpx_streams_events_line_by_line_over_http1_and_h2c() {
    if !python(
        "python_httpx_streams_events_line_by_line_over_http1_and_h2c",
        "httpx, h2",
    ) {
        return;
    }
    let b = Brisk::start(&["--workers", "1"]);
    let url = b.url("/events?n=5&ms=50");
    for (mode, version) in [("h1", "HTTP/1.1"), ("h2", "HTTP/2")] {
        let mut lines = timed_output(Command::new("python3").args(["-c", PY_HTTPX, &url, mode]));
        let (_, first) = lines.remove(0);
        assert_eq!(first, format!("{version} 200 text/event-stream"));
        assert_five_incremental(mode, &lines);
    }
}
