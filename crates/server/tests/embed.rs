//! An embedded server (`Builder::embed`) driven by a hand-written loop that waits on its fd
//! with `poll(2)` and sends deferred answers between turns, as asyncio (brisk-asgi) does:
//! the fd with `add_reader`, the deadline with `call_at`, the answers from tasks.

mod util;

use std::io::Write;
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brisk_server::{EmbeddedServer, Method, Responder, Response, Server};
use util::read_response;

/// Deferred answers the "foreign loop" owes: (due, responder, body).
type Owed = Arc<Mutex<Vec<(Instant, Responder, String)>>>;

/// Waits until `fd` is readable or `timeout` passed.
fn wait_readable(fd: i32, timeout: Duration) {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.as_millis().min(50) as i32;
    // SAFETY: `p` is one valid pollfd, alive for the call.
    unsafe { libc::poll(&mut p, 1, ms) };
}

fn server(owed: &Owed) -> EmbeddedServer {
    let owed = Arc::clone(owed);
    Server::builder()
        .bind("127.0.0.1:0".parse().unwrap())
        .shutdown_timeout(Duration::from_secs(5))
        .route(Method::Get, "/now", |_, res| {
            res.text("now");
        })
        .fallback(move |req, res| {
            // Answered later, from the loop's thread, between turns (like an asyncio task).
            let body = format!("later {}", req.path());
            let due = Instant::now() + Duration::from_millis(30);
            owed.lock().unwrap().push((due, res.defer(), body));
        })
        .embed()
        .expect("embedded server")
}

/// One round of the foreign loop: sends the answers that are due (outside any turn), waits
/// on the fd until the next deadline, then turns. Returns the turn.
fn round(s: &mut EmbeddedServer, owed: &Owed, deadline: Option<Instant>) -> brisk_server::Turn {
    let now = Instant::now();
    let mut due = Vec::new();
    {
        let mut o = owed.lock().unwrap();
        let mut i = 0;
        while i < o.len() {
            if o[i].0 <= now {
                due.push(o.swap_remove(i));
            } else {
                i += 1;
            }
        }
    }
    for (_, r, body) in due {
        let mut res = Response::new();
        res.text(body);
        r.send(res).expect("client still there");
        assert!(s.pending(), "an answer sent between turns is owed a turn");
    }
    let next_owed = owed.lock().unwrap().iter().map(|o| o.0).min();
    let wake = [deadline, next_owed].into_iter().flatten().min();
    if !s.pending() {
        let wait = wake.map_or(Duration::from_millis(50), |w| {
            w.saturating_duration_since(Instant::now())
        });
        wait_readable(s.as_raw_fd(), wait);
    }
    s.turn(Some(Duration::ZERO))
}

fn get(addr: std::net::SocketAddr, path: &str) -> (u16, Vec<u8>) {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(c, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let (status, _, body) = read_response(&mut c);
    (status, body)
}

#[test]
fn an_embedded_server_answers_at_once_and_later_from_its_loop_then_stops_gracefully() {
    let owed: Owed = Arc::default();
    let mut s = server(&owed);
    let addr = s.handle().local_addr();
    let client = std::thread::spawn(move || {
        let started = Instant::now();
        let now = get(addr, "/now");
        // Ten answers sent between turns by the loop, all pending at once.
        let later: Vec<_> = (0..10)
            .map(|i| std::thread::spawn(move || get(addr, &format!("/x{i}"))))
            .collect();
        let later: Vec<_> = later.into_iter().map(|t| t.join().unwrap()).collect();
        (now, later, started.elapsed())
    });
    let mut deadline = None;
    let started = Instant::now();
    while !client.is_finished() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "hand loop hung"
        );
        deadline = round(&mut s, &owed, deadline).deadline;
    }
    let (now, later, took) = client.join().unwrap();
    assert_eq!(now, (200, b"now".to_vec()));
    for (i, (status, body)) in later.iter().enumerate() {
        assert_eq!(*status, 200);
        assert_eq!(body, format!("later /x{i}").as_bytes());
    }
    // Sent 30 ms after the request: no answer waited for an unrelated event.
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_eq!(s.handle().counters().requests, 11);

    // Graceful shutdown with one deferred request in flight: it is answered, then the
    // server finishes.
    let inflight = std::thread::spawn(move || get(addr, "/last"));
    while owed.lock().unwrap().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "request never arrived"
        );
        deadline = round(&mut s, &owed, deadline).deadline;
    }
    s.shutdown();
    let stop = Instant::now();
    loop {
        assert!(stop.elapsed() < Duration::from_secs(5), "shutdown hung");
        let t = round(&mut s, &owed, deadline);
        if t.finished {
            break;
        }
        deadline = t.deadline;
    }
    assert_eq!(inflight.join().unwrap(), (200, b"later /last".to_vec()));
    assert!(s.is_finished());
    assert!(TcpStream::connect(addr).is_err(), "still accepting");
}
