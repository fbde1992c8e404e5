//! Deferred answers (`Response::defer` and `Responder`): completed on the worker thread and from
//! other threads, HTTP/1.1 pipelining order, HTTP/2 out-of-order streams, and a dropped
//! responder answering 500.

mod h2client;
mod util;

use std::io::Write;
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brisk_server::{Method, Responder, Response};
use util::{park_route, read_response, start, wait_parked};

fn answer(id: &str) -> Response {
    let mut res = Response::new();
    res.header("x-id", id).text(format!("answer {id}"));
    res
}

/// A small deterministic shuffle (xorshift).
fn shuffle<T>(v: &mut [T], mut seed: u64) {
    for i in (1..v.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        v.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

#[test]
fn deferred_answers_completed_on_the_worker_thread() {
    let held: Arc<Mutex<Vec<Responder>>> = Arc::default();
    let h = Arc::clone(&held);
    let h2 = Arc::clone(&held);
    let server = start(move |b| {
        // Answered from the handler itself, after deferring.
        b.route(Method::Get, "/now", |_, res| {
            let r = res.defer();
            let mut a = Response::new();
            a.text("now");
            r.send(a).unwrap();
        });
        // Parked, then completed by a later request on the same worker thread.
        b.route(Method::Get, "/hold", move |_, res| {
            h.lock().unwrap().push(res.defer());
        });
        b.route(Method::Get, "/release", move |_, res| {
            for r in h2.lock().unwrap().drain(..) {
                let mut a = Response::new();
                a.text("released");
                r.send(a).unwrap();
            }
            res.text("done");
        });
    });
    let addr = server.local_addr();
    let mut s = TcpStream::connect(addr).unwrap();
    for _ in 0..3 {
        s.write_all(b"GET /now HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        let (status, _, body) = read_response(&mut s);
        assert_eq!((status, &body[..]), (200, &b"now"[..]));
    }
    let mut holders: Vec<TcpStream> = (0..5)
        .map(|_| {
            let mut c = TcpStream::connect(addr).unwrap();
            c.write_all(b"GET /hold HTTP/1.1\r\nHost: a\r\n\r\n")
                .unwrap();
            c
        })
        .collect();
    let t0 = Instant::now();
    while held.lock().unwrap().len() < 5 {
        assert!(t0.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(2));
    }
    s.write_all(b"GET /release HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut s).2, b"done");
    for c in &mut holders {
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let (status, _, body) = read_response(c);
        assert_eq!((status, &body[..]), (200, &b"released"[..]));
    }
    server.shutdown();
}

#[test]
fn a_thousand_deferred_requests_completed_by_eight_threads_in_random_order() {
    const CONNS: usize = 100;
    const PER: usize = 10;
    let mut parked = None;
    let server = start(|b| {
        b.workers(2);
        parked = Some(park_route(b, "/d/{id}"));
    });
    let parked = parked.unwrap();
    let addr = server.local_addr();
    let mut conns: Vec<TcpStream> = (0..CONNS)
        .map(|c| {
            let mut s = TcpStream::connect(addr).unwrap();
            let mut batch = Vec::new();
            for i in 0..PER {
                write!(batch, "GET /d/{c}-{i} HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
            }
            s.write_all(&batch).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s
        })
        .collect();
    let mut all = wait_parked(&parked, CONNS * PER);
    assert_eq!(all.len(), CONNS * PER);
    shuffle(&mut all, 0x9e37_79b9_7f4a_7c15);
    let mut threads = Vec::new();
    let chunks: Vec<Vec<(String, Responder)>> = {
        let mut v: Vec<Vec<_>> = (0..8).map(|_| Vec::new()).collect();
        for (i, x) in all.into_iter().enumerate() {
            v[i % 8].push(x);
        }
        v
    };
    for chunk in chunks {
        threads.push(std::thread::spawn(move || {
            for (id, r) in chunk {
                r.send(answer(&id)).expect("delivered");
            }
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    for (c, s) in conns.iter_mut().enumerate() {
        for i in 0..PER {
            let (status, headers, body) = read_response(s);
            let id = format!("{c}-{i}");
            assert_eq!(status, 200);
            assert_eq!(
                body,
                format!("answer {id}").as_bytes(),
                "conn {c} request {i}"
            );
            assert!(headers.iter().any(|(k, v)| k == "x-id" && *v == id));
        }
    }
    server.shutdown();
}

#[test]
fn pipelined_answers_leave_in_request_order_when_odd_ones_finish_in_reverse() {
    let mut parked = None;
    let server = start(|b| {
        parked = Some(park_route(b, "/d/{id}"));
    });
    let parked = parked.unwrap();
    let mut batch = Vec::new();
    for i in 0..20 {
        if i % 2 == 1 {
            write!(batch, "GET /d/{i} HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        } else {
            write!(batch, "GET /hello/{i} HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        }
    }
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.write_all(&batch).unwrap();
    let mut odd = wait_parked(&parked, 10);
    // Nothing may be sent before request 1 is answered, though request 0 was ready at once.
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let first = read_response(&mut s);
    assert_eq!(first.2, b"Hello, 0!");
    let mut b = [0u8; 1];
    assert!(
        std::io::Read::read(&mut s, &mut b).is_err(),
        "an answer behind the deferred request 1 was sent early"
    );
    odd.sort_by_key(|(id, _)| std::cmp::Reverse(id.parse::<u32>().unwrap()));
    for (id, r) in odd {
        r.send(answer(&id)).unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    for i in 1..20 {
        let (status, _, body) = read_response(&mut s);
        assert_eq!(status, 200);
        let want = if i % 2 == 1 {
            format!("answer {i}")
        } else {
            format!("Hello, {i}!")
        };
        assert_eq!(body, want.as_bytes(), "response {i}");
    }
    server.shutdown();
}

#[test]
fn pipelined_reading_pauses_at_thirty_two_waiting_answers() {
    let mut parked = None;
    let server = start(|b| {
        parked = Some(park_route(b, "/d/{id}"));
    });
    let parked = parked.unwrap();
    let mut batch = Vec::new();
    for i in 0..80 {
        write!(batch, "GET /d/{i} HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    }
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.write_all(&batch).unwrap();
    let t0 = Instant::now();
    while parked.lock().unwrap().len() < 32 {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "32 requests not read"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(Duration::from_millis(100));
    let first = std::mem::take(&mut *parked.lock().unwrap());
    assert_eq!(
        first.len(),
        32,
        "reading did not pause at 32 waiting answers"
    );
    let mut sent = 0;
    for (id, r) in first {
        r.send(answer(&id)).unwrap();
        sent += 1;
    }
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    while sent < 80 {
        for (id, r) in wait_parked(&parked, 1) {
            r.send(answer(&id)).unwrap();
            sent += 1;
        }
    }
    for i in 0..80 {
        let (_, _, body) = read_response(&mut s);
        assert_eq!(body, format!("answer {i}").as_bytes());
    }
    server.shutdown();
}

#[test]
fn a_dropped_responder_answers_500() {
    let server = start(|b| {
        b.route(Method::Get, "/drop", |_, res| {
            let r = res.defer();
            std::thread::spawn(move || drop(r));
        });
        b.route(Method::Get, "/drop-here", |_, res| {
            drop(res.defer());
        });
    });
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    for path in ["/drop", "/drop-here", "/drop"] {
        write!(s, "GET {path} HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        let (status, _, _) = read_response(&mut s);
        assert_eq!(status, 500, "{path}");
    }
    // The connection goes on.
    s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut s).2, b"Hello, World!");
    server.shutdown();
}

#[test]
fn a_second_defer_is_detached_and_send_fails_cleanly() {
    let server = start(|b| {
        b.route(Method::Get, "/twice", |_, res| {
            let r = res.defer();
            let again = res.defer();
            let err = again.send(Response::new()).unwrap_err();
            let mut a = Response::new();
            a.text(err.to_string());
            r.send(a).unwrap();
        });
    });
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.write_all(b"GET /twice HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let (status, _, body) = read_response(&mut s);
    assert_eq!(status, 200);
    assert_eq!(body, b"responder is not attached to an exchange");
    server.shutdown();
}

#[test]
fn h2_hundred_streams_complete_out_of_order() {
    let mut parked = None;
    let server = start(|b| {
        parked = Some(park_route(b, "/d/{id}"));
    });
    let parked = parked.unwrap();
    let mut c = h2client::Client::connect(server.local_addr(), 65_535, 1 << 20);
    let mut ids = Vec::new();
    for i in 0..100 {
        ids.push((c.get(&format!("/d/{i}")), i));
    }
    c.flush();
    let t0 = Instant::now();
    while parked.lock().unwrap().len() < 100 {
        assert!(t0.elapsed() < Duration::from_secs(5), "not all parked");
        assert!(c.turn(65536));
    }
    let mut all = wait_parked(&parked, 100);
    shuffle(&mut all, 7);
    let by_path: std::collections::HashMap<String, u32> =
        ids.iter().map(|&(sid, i)| (i.to_string(), sid)).collect();
    // One at a time, in shuffled order: each stream ends while streams opened before it are
    // still waiting (HTTP/2 answers in any order, no head-of-line blocking).
    let mut out_of_order = 0;
    for (id, r) in all {
        let sid = by_path[&id];
        let earlier_open = c.replies.iter().any(|(&s, r)| s < sid && !r.ended);
        std::thread::spawn(move || r.send(answer(&id)).unwrap())
            .join()
            .unwrap();
        while !c.replies[&sid].ended {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "stream {sid} not answered"
            );
            assert!(c.turn(65536));
            c.consume(usize::MAX);
        }
        out_of_order += usize::from(earlier_open);
    }
    assert!(
        out_of_order > 50,
        "only {out_of_order} streams ended before earlier ones"
    );
    for (sid, i) in ids {
        let r = &c.replies[&sid];
        assert_eq!(r.status, 200);
        assert_eq!(r.body, format!("answer {i}").as_bytes());
    }
    server.shutdown();
}

/// Polls `r.is_closed()` for up to 2 s.
fn wait_closed(r: &Responder) -> Duration {
    let t0 = Instant::now();
    while !r.is_closed() {
        assert!(t0.elapsed() < Duration::from_secs(2), "disconnect not seen");
        std::thread::sleep(Duration::from_millis(1));
    }
    t0.elapsed()
}

#[test]
fn a_closed_http1_connection_is_seen_by_its_responder_and_sends_fail() {
    let mut parked = None;
    let server = start(|b| {
        parked = Some(park_route(b, "/d/{id}"));
    });
    let parked = parked.unwrap();
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.write_all(b"GET /d/a HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let (_, r) = wait_parked(&parked, 1).pop().unwrap();
    assert!(!r.is_closed(), "closed while the client waits");
    drop(s);
    wait_closed(&r);
    assert_eq!(r.send(answer("a")), Err(brisk_server::SendError::Closed));
    // A responder of a closed connection dropped without an answer costs nothing either.
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.write_all(b"GET /d/b HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let (_, r) = wait_parked(&parked, 1).pop().unwrap();
    drop(s);
    wait_closed(&r);
    drop(r);
    // The worker goes on.
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut s).2, b"Hello, World!");
    server.shutdown();
}

#[test]
fn an_h2_stream_reset_is_seen_by_its_responder_and_the_connection_goes_on() {
    let mut parked = None;
    let server = start(|b| {
        parked = Some(park_route(b, "/d/{id}"));
    });
    let parked = parked.unwrap();
    let mut c = h2client::Client::connect(server.local_addr(), 65_535, 1 << 20);
    let a = c.get("/d/a");
    let b = c.get("/d/b");
    c.flush();
    let t0 = Instant::now();
    while parked.lock().unwrap().len() < 2 {
        assert!(t0.elapsed() < Duration::from_secs(5));
        assert!(c.turn(65536));
    }
    let mut rs = wait_parked(&parked, 2);
    rs.sort_by(|x, y| x.0.cmp(&y.0));
    let (rb, ra) = (rs.pop().unwrap().1, rs.pop().unwrap().1);
    c.cancel(a);
    wait_closed(&ra);
    assert!(!rb.is_closed(), "the other stream is still wanted");
    assert_eq!(ra.send(answer("a")), Err(brisk_server::SendError::Closed));
    rb.send(answer("b")).unwrap();
    while !c.replies[&b].ended {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "stream b not answered"
        );
        assert!(c.turn(65536));
    }
    assert_eq!(c.replies[&b].body, b"answer b");
    assert_eq!(c.replies[&a].status, 0, "the reset stream got an answer");
    server.shutdown();
}

#[test]
fn the_handler_timeout_answers_503_and_the_late_send_fails() {
    let mut parked = None;
    let server = start(|b| {
        b.handler_timeout(Duration::from_millis(200));
        parked = Some(park_route(b, "/d/{id}"));
    });
    let parked = parked.unwrap();
    // HTTP/1.1, with a ready answer pipelined behind the late one.
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    let t0 = Instant::now();
    s.write_all(b"GET /d/a HTTP/1.1\r\nHost: a\r\n\r\nGET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let (status, _, _) = read_response(&mut s);
    let took = t0.elapsed();
    assert_eq!(status, 503);
    assert!(
        took >= Duration::from_millis(180) && took < Duration::from_millis(1000),
        "503 after {took:?}"
    );
    assert_eq!(read_response(&mut s).2, b"Hello, World!");
    let (_, r) = wait_parked(&parked, 1).pop().unwrap();
    assert!(r.is_closed());
    assert_eq!(r.send(answer("a")), Err(brisk_server::SendError::Closed));
    // HTTP/2.
    let mut c = h2client::Client::connect(server.local_addr(), 65_535, 1 << 20);
    let late = c.get("/d/b");
    c.flush();
    let t0 = Instant::now();
    while !c.replies[&late].ended {
        assert!(t0.elapsed() < Duration::from_secs(3), "no 503 on h2");
        assert!(c.turn(65536));
    }
    assert_eq!(c.replies[&late].status, 503);
    let (_, r) = wait_parked(&parked, 1).pop().unwrap();
    assert_eq!(r.send(answer("b")), Err(brisk_server::SendError::Closed));
    // An answer in time is not affected.
    let fast = c.get("/d/c");
    c.flush();
    let t0 = Instant::now();
    while parked.lock().unwrap().is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(3));
        assert!(c.turn(65536));
    }
    let (_, r) = wait_parked(&parked, 1).pop().unwrap();
    r.send(answer("c")).unwrap();
    while !c.replies[&fast].ended {
        assert!(t0.elapsed() < Duration::from_secs(3));
        assert!(c.turn(65536));
    }
    assert_eq!(c.replies[&fast].body, b"answer c");
    server.shutdown();
}

#[test]
fn the_first_deferred_answer_on_a_fresh_worker_from_another_thread_arrives() {
    // The other thread sends before the handler has even returned: the worker's notifier
    // must already be known then.
    let server = start(|b| {
        b.route(Method::Get, "/fast", |_, res| {
            let r = res.defer();
            let t = std::thread::spawn(move || r.send(answer("fast")).unwrap());
            t.join().unwrap();
        });
    });
    let mut s = TcpStream::connect(server.local_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s.write_all(b"GET /fast HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut s).2, b"answer fast");
    server.shutdown();
}
