//! An embedded worker driven by a hand-written loop that waits on its raw fd with `poll(2)`,
//! as a foreign event loop (asyncio's `add_reader`) would.

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use brisk_reactor::{Action, ConnId, Context, Notifier, Output, Protocol, TimeoutKind};
use util::{closed_by_peer, connect, reactor, LineFn};

/// Lines: "now X" is answered at once with "X"; "later X" is answered with "X" from
/// `on_notify`, after another thread notified (through the embedded worker's fd).
struct Lines {
    later: Option<Vec<u8>>,
}

impl Protocol for Lines {
    fn on_read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action) {
        cx.set_timeout(TimeoutKind::Idle);
        let Some(i) = input.iter().position(|&b| b == b'\n') else {
            return (0, Action::Keep);
        };
        let line = &input[..=i];
        if let Some(x) = line.strip_prefix(b"now ") {
            out.extend_from_slice(x).unwrap();
        } else if let Some(x) = line.strip_prefix(b"later ") {
            self.later = Some(x.to_vec());
            let (n, id): (Notifier, ConnId) = (cx.notifier(), cx.conn_id());
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(5));
                n.notify(id);
            });
        }
        (i + 1, Action::Keep)
    }

    fn on_notify(&mut self, _cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        if let Some(x) = self.later.take() {
            out.extend_from_slice(&x).unwrap();
        }
        Action::Keep
    }
}

fn line(s: &mut TcpStream) -> Vec<u8> {
    let mut v = Vec::new();
    let mut b = [0u8; 1];
    while s.read(&mut b).expect("answer") == 1 {
        v.push(b[0]);
        if b[0] == b'\n' {
            break;
        }
    }
    v
}

/// Waits until `fd` is readable or `timeout` passed; true if readable.
fn wait_readable(fd: i32, timeout: Duration) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.as_millis().min(1000) as i32;
    // SAFETY: `p` is one valid pollfd, alive for the call.
    let n = unsafe { libc::poll(&mut p, 1, ms) };
    n == 1 && p.revents & libc::POLLIN != 0
}

#[test]
fn an_embedded_worker_driven_by_poll_on_its_fd_serves_and_shuts_down_gracefully() {
    let mut w = reactor().embed(|_| Lines { later: None }).unwrap();
    let handle = w.handle().clone();
    let fd = w.as_raw_fd();
    assert!(fd >= 0);

    // Idle: a zero-timeout turn returns at once, nothing wanted, and the fd is quiet.
    for _ in 0..100 {
        let t0 = Instant::now();
        let turn = w.turn(Some(Duration::ZERO));
        assert!(t0.elapsed() < Duration::from_millis(200), "turn(0) blocked");
        assert_eq!(turn.deadline, None);
        assert!(!turn.finished);
    }
    assert!(!wait_readable(fd, Duration::ZERO));

    let addr = handle.local_addr();
    let h = handle.clone();
    let client = std::thread::spawn(move || {
        let mut conns: Vec<TcpStream> = (0..8).map(|_| connect(addr)).collect();
        for round in 0..25 {
            for (i, c) in conns.iter_mut().enumerate() {
                let (verb, x) = if (round + i) % 3 == 0 {
                    ("later", format!("l{round}.{i}\n"))
                } else {
                    ("now", format!("n{round}.{i}\n"))
                };
                c.write_all(format!("{verb} {x}").as_bytes()).unwrap();
                assert_eq!(line(c), x.as_bytes());
            }
        }
        // A request in flight when shutdown begins is still answered; then every
        // connection is closed by the worker.
        conns[0].write_all(b"later last\n").unwrap();
        assert_eq!(line(&mut conns[0]), b"last\n");
        h.shutdown(Duration::from_secs(5));
        for c in &mut conns {
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            assert!(closed_by_peer(c), "not closed by the worker's shutdown");
        }
    });

    let start = Instant::now();
    let mut deadline: Option<Instant> = None;
    let mut turns = 0u64;
    let mut woken = 0u64;
    let mut slowest = Duration::ZERO;
    loop {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "loop did not end"
        );
        let wait = deadline.map_or(Duration::from_secs(1), |d| {
            d.saturating_duration_since(Instant::now())
        });
        woken += u64::from(wait_readable(fd, wait));
        let t0 = Instant::now();
        let turn = w.turn(Some(Duration::ZERO));
        slowest = slowest.max(t0.elapsed());
        turns += 1;
        if turn.finished {
            break;
        }
        deadline = turn.deadline;
    }
    client.join().unwrap();
    assert!(w.is_finished());
    assert!(w.turn(Some(Duration::ZERO)).finished, "finished stays");
    assert!(
        slowest < Duration::from_millis(500),
        "a zero-timeout turn took {slowest:?}"
    );
    let stats = &handle.workers()[0];
    assert_eq!(stats.accepted(), 8);
    assert_eq!(stats.closed(), 8);
    assert_eq!(stats.active(), 0);
    // 9 "later" answers came through the notifier (the fd woke the loop for them).
    let later = (0..25)
        .flat_map(|r| (0..8).map(move |i| (r + i) % 3 == 0))
        .filter(|&l| l)
        .count() as u64
        + 1;
    assert_eq!(stats.notifications(), later);
    assert!(stats.notify_wakes() >= 1);
    // The client waits for each answer before it sends again: each of its 201 requests had to
    // make the fd readable (the loop's 1 s fallback wait would make this test time out).
    assert!(
        woken >= 201,
        "the fd was readable {woken} times in {turns} turns"
    );
    handle.join().unwrap(); // nothing to join: returns at once
}

#[test]
fn an_embedded_worker_waits_no_longer_than_asked_and_reports_its_timer() {
    let mut w = reactor()
        .idle_timeout(Duration::from_millis(300))
        .timer_tick(Duration::from_millis(10))
        .embed(|_| Lines { later: None })
        .unwrap();
    let mut c = connect(w.handle().local_addr());
    c.write_all(b"now x\n").unwrap();
    // Serve until the answer is out (bounded).
    let start = Instant::now();
    let mut deadline = None;
    while w.handle().workers()[0].bytes_out() < 2 {
        assert!(start.elapsed() < Duration::from_secs(10));
        deadline = w.turn(Some(Duration::from_millis(20))).deadline;
    }
    assert_eq!(line(&mut c), b"x\n");
    // The idle timer is armed: the turn reports it, about 300 ms away.
    let d = deadline.expect("a timer deadline");
    let left = d.saturating_duration_since(Instant::now());
    assert!(left <= Duration::from_millis(400), "deadline {left:?} away");
    // A bounded wait returns after about its bound, not the timer's.
    let t0 = Instant::now();
    let turn = w.turn(Some(Duration::from_millis(30)));
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(25) && took < Duration::from_secs(1),
        "{took:?}"
    );
    assert!(!turn.finished);
    // A turn without a limit waits for the timer and closes the idle connection.
    while w.handle().workers()[0].closed() == 0 {
        assert!(start.elapsed() < Duration::from_secs(10));
        w.turn(None);
    }
    assert_eq!(w.handle().workers()[0].closed_by_timeout(), 1);
}

/// Sets the read timer as each line says ("input", "idle", or "both": input, then idle in the
/// same callback, as an HTTP/2 connection does when a stream opens and completes in one read)
/// and answers with the kind then armed; a timeout is answered with its kind, then closes.
fn kinds(cx: &mut Context<'_>, line: &[u8], out: &mut Output<'_>) -> Action {
    match line {
        b"input" => cx.set_timeout(TimeoutKind::Input),
        b"idle" => cx.set_timeout(TimeoutKind::Idle),
        b"both" => {
            cx.set_timeout(TimeoutKind::Input);
            cx.set_timeout(TimeoutKind::Idle);
        }
        _ => return Action::CloseNow,
    }
    let kind = cx.timeout().map_or("none".to_string(), |k| k.to_string());
    out.extend_from_slice(format!("{kind}\n").as_bytes())
        .unwrap();
    Action::Keep
}

#[test]
fn an_embedded_worker_reports_the_deadline_of_the_kind_armed_last() {
    const IDLE: Duration = Duration::from_millis(300);
    const INPUT: Duration = Duration::from_secs(5);
    // Deadlines are rounded up to the next tick.
    const TICK: Duration = Duration::from_millis(10);
    let mut w = reactor()
        .timer_tick(TICK)
        .start_timeout(Duration::from_secs(20))
        .input_timeout(INPUT)
        .idle_timeout(IDLE)
        .embed(|_| LineFn(kinds))
        .unwrap();
    let mut c = connect(w.handle().local_addr());
    let start = Instant::now();
    // Sends `line`, serves until `want` is answered; returns how far off the worker's next
    // deadline then is.
    let mut ask = |w: &mut brisk_reactor::Embedded, line: &[u8], want: &[u8]| {
        let before = w.handle().workers()[0].bytes_out();
        c.write_all(line).unwrap();
        let mut deadline = None;
        while w.handle().workers()[0].bytes_out() < before + want.len() as u64 {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no answer to {line:?}"
            );
            deadline = w.turn(Some(Duration::from_millis(20))).deadline;
        }
        assert_eq!(self::line(&mut c), want);
        deadline
            .expect("a timer deadline")
            .saturating_duration_since(Instant::now())
    };
    // The input timer replaces the start timer armed on accept.
    let left = ask(&mut w, b"input\n", b"input\n");
    assert!(
        left > INPUT / 2 && left <= INPUT + TICK,
        "input deadline {left:?} away"
    );
    // Input then idle in one callback: the idle deadline, not the input one.
    let left = ask(&mut w, b"both\n", b"idle\n");
    assert!(left <= IDLE + TICK, "idle deadline {left:?} away");
    let first = Instant::now() + left;
    // Re-arming idle while idle moves the deadline to a full idle timeout from now.
    std::thread::sleep(IDLE / 2);
    let left = ask(&mut w, b"idle\n", b"idle\n");
    let second = Instant::now() + left;
    assert!(
        second >= first + IDLE / 4,
        "idle not pushed: {:?}",
        second - first
    );
    // Unattended, the idle timer fires (not the input one) and the connection closes.
    let t = Instant::now();
    while w.handle().workers()[0].closed() == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(3),
            "idle timer did not fire"
        );
        w.turn(Some(Duration::from_millis(20)));
    }
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert_eq!(line(&mut c), b"timeout: idle\n");
    assert_eq!(w.handle().workers()[0].closed_by_timeout(), 1);
}
