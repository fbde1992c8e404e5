//! Loopback echo: 200 concurrent clients x 1,000 messages of random size up to 64 KiB (larger
//! than one 16 KiB pool buffer), exact echoes; and contiguous input larger than one buffer.

mod util;

use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use brisk_reactor::ConnInfo;

use util::{connect, frame, reactor, roundtrip, Echo, Framed, Rng};

const CLIENTS: usize = 200;
const MESSAGES: usize = 1_000;
const MAX_SIZE: u64 = 64 * 1024;

#[test]
fn two_hundred_clients_thousand_messages_up_to_64k() {
    let handle = reactor().workers(2).start(|_| Echo).unwrap();
    let addr = handle.local_addr();
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    let mut rng = Rng(0x1234_5678_9ABC_DEF1 ^ ((c as u64 + 1) * 0x9E37_79B9));
                    // Messages are windows of a random pool at random offsets: every message
                    // differs without generating 6 GB of random bytes.
                    let mut pool = vec![0u8; 2 * MAX_SIZE as usize];
                    rng.fill(&mut pool);
                    let mut s = connect(addr);
                    let mut scratch = Vec::with_capacity(MAX_SIZE as usize);
                    let mut bytes = 0u64;
                    for _ in 0..MESSAGES {
                        let len = 1 + rng.below(MAX_SIZE) as usize;
                        let off = rng.below(MAX_SIZE) as usize;
                        roundtrip(&mut s, &pool[off..off + len], &mut scratch);
                        bytes += len as u64;
                    }
                    bytes
                })
                .unwrap()
        })
        .collect();
    let total: u64 = clients
        .into_iter()
        .map(|t| t.join().expect("client failed"))
        .sum();
    let took = started.elapsed();
    // A worker counts bytes out after `send` returns, so a client can have its last echo
    // before the count moves: read the counters once the workers are done.
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
    let t = handle.totals();
    eprintln!(
        "echo {CLIENTS}x{MESSAGES} up to {MAX_SIZE} B: {:.1} MiB each way in {:.2?} ({:.0} MiB/s each way), {t:?}",
        total as f64 / 1048576.0,
        took,
        total as f64 / 1048576.0 / took.as_secs_f64()
    );
    assert_eq!(t.bytes_in, total);
    assert_eq!(t.bytes_out, total);
    assert_eq!(t.accepted, CLIENTS as u64);
    // Both workers took a share of the connections (SO_REUSEPORT).
    assert!(handle.workers().iter().all(|w| w.accepted() > 0), "{t:?}");
    assert_eq!(handle.totals().active, 0);
    assert_eq!(handle.totals().buffers_in_use, 0);
}

#[test]
fn input_larger_than_one_buffer_is_contiguous() {
    // 16 KiB buffers, 64 KiB max input: frames up to 64 KiB - 4 must arrive whole.
    let handle = reactor().workers(1).start(|_| Framed::default()).unwrap();
    let mut s = connect(handle.local_addr());
    let mut rng = Rng(7);
    let mut scratch = Vec::new();
    for len in [1, 16 * 1024 - 4, 16 * 1024, 40_000, 64 * 1024 - 4] {
        let mut payload = vec![0; len];
        rng.fill(&mut payload);
        // Trickle the frame in pieces so the input grows across several reads.
        let f = frame(&payload);
        for piece in f.chunks(7_000) {
            s.write_all(piece).unwrap();
            std::thread::sleep(Duration::from_millis(2));
        }
        scratch.resize(f.len(), 0);
        s.read_exact(&mut scratch).unwrap();
        assert!(scratch == f, "frame of {len} bytes");
    }
    // Idle again: the connection holds no buffer.
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(handle.totals().buffers_in_use, 0);

    // One byte more than max_input can hold, with nothing consumable: closed.
    s.write_all(&frame(&vec![1; 64 * 1024 - 3])).unwrap();
    assert!(
        util::closed_by_peer(&mut s),
        "over-long frame must close the connection"
    );
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}

#[test]
fn shutdown_of_idle_reactor_is_prompt() {
    let handle = reactor().workers(2).start(|_| Echo).unwrap();
    let mut c = connect(handle.local_addr());
    roundtrip(&mut c, b"x", &mut Vec::new());
    let t = Instant::now();
    handle.shutdown(Duration::from_secs(5));
    handle.join().unwrap();
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    assert!(util::closed_by_peer(&mut c));
}

#[test]
fn leftover_input_blocked_on_output_is_handed_back_after_drain() {
    // Two 40 KiB frames in one write with a 64 KiB output limit: the second frame's echo does
    // not fit until the first is written, so it must be handed back once output drains.
    let handle = reactor()
        .workers(1)
        .max_pending_output(64 * 1024)
        .start(|_| Framed::default())
        .unwrap();
    let mut s = connect(handle.local_addr());
    let mut both = frame(&[1; 40_000]);
    both.extend(frame(&[2; 40_000]));
    s.write_all(&both).unwrap();
    let mut got = vec![0; both.len()];
    s.read_exact(&mut got).unwrap();
    assert!(got == both);
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}

#[test]
fn data_then_half_close_is_echoed_and_closed_promptly() {
    let handle = reactor().workers(1).start(|_| Echo).unwrap();
    let mut s = connect(handle.local_addr());
    s.write_all(b"last words").unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let t = Instant::now();
    let mut got = Vec::new();
    s.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"last words");
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "EOF noticed only after {:?}",
        t.elapsed()
    );
    // Counted before the socket closes.
    let closes = handle.totals().closes;
    assert_eq!((closes.peer_closed, closes.total()), (1, 1), "{closes:?}");
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}

/// Answers every read with a complaint and keeps the connection, consuming nothing: the
/// reactor must close it once its full `max_input` is left unconsumed with output room.
struct Stubborn;

impl brisk_reactor::Protocol for Stubborn {
    fn on_read(
        &mut self,
        _cx: &mut brisk_reactor::Context<'_>,
        _input: &[u8],
        out: &mut brisk_reactor::Output<'_>,
    ) -> (usize, brisk_reactor::Action) {
        let _ = out.extend_from_slice(b"431\n");
        (0, brisk_reactor::Action::Keep)
    }
}

#[test]
fn full_unconsumed_input_closes_after_the_answer_is_flushed() {
    let handle = reactor().workers(1).start(|_| Stubborn).unwrap();
    let mut s = connect(handle.local_addr());
    s.write_all(&vec![b'h'; 70 * 1024]).unwrap();
    let mut got = Vec::new();
    let e = s.read_to_end(&mut got);
    // Unread input makes the close a reset on some paths; what matters is that it closed and
    // the answers came first.
    assert!(e.is_ok() || got.len() >= 4, "{e:?}");
    assert!(got.starts_with(b"431\n"), "{got:?}");
    assert!(
        got.len() < 4 * 64,
        "{} bytes of answers: handed back in a loop",
        got.len()
    );
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(handle.totals().active, 0);
    let closes = handle.totals().closes;
    assert_eq!((closes.input_limit, closes.total()), (1, 1), "{closes:?}");
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}

#[test]
fn run_per_worker_serves_on_the_calling_thread_and_returns_after_shutdown() {
    // Worker 0 is this thread; worker 1 gets a thread of its own. `ready` runs before serving
    // starts, so a client thread it spawns can use the handle and stop the reactor.
    let here = std::thread::current().id();
    let on_caller = Arc::new(AtomicUsize::new(0));
    let spawned = Arc::new(AtomicUsize::new(0));
    let (c, s) = (Arc::clone(&on_caller), Arc::clone(&spawned));
    let mut client = None;
    let t = Instant::now();
    reactor()
        .workers(2)
        .run_per_worker(
            move |_worker| {
                let counter = if std::thread::current().id() == here {
                    &c
                } else {
                    &s
                };
                counter.fetch_add(1, Ordering::SeqCst);
                |_: &ConnInfo| Echo
            },
            |handle| {
                let h = handle.clone();
                client = Some(std::thread::spawn(move || {
                    // Enough connections that both workers (SO_REUSEPORT) are very likely
                    // used; each one must echo.
                    let mut conns: Vec<_> = (0..16).map(|_| connect(h.local_addr())).collect();
                    for c in &mut conns {
                        roundtrip(c, b"ping", &mut Vec::new());
                    }
                    h.shutdown(Duration::from_secs(5));
                    conns
                }));
            },
        )
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(
        on_caller.load(Ordering::SeqCst),
        1,
        "worker 0 on the calling thread"
    );
    assert_eq!(
        spawned.load(Ordering::SeqCst),
        1,
        "worker 1 on a thread of its own"
    );
    for mut c in client.unwrap().join().unwrap() {
        assert!(util::closed_by_peer(&mut c));
    }
}

/// Panics on its first input when `.0` is set, else echoes.
struct PanicsOrEchoes(bool);

impl brisk_reactor::Protocol for PanicsOrEchoes {
    fn on_read(
        &mut self,
        cx: &mut brisk_reactor::Context<'_>,
        input: &[u8],
        out: &mut brisk_reactor::Output<'_>,
    ) -> (usize, brisk_reactor::Action) {
        assert!(!self.0, "protocol bug (expected by this test)");
        Echo.on_read(cx, input, out)
    }
}

#[test]
fn run_per_worker_reports_a_panic_of_the_calling_thread_and_stops_the_others() {
    // Two workers; the one on this thread panics on its first input. The call must not
    // unwind, must stop worker 1 and must say which worker failed.
    let t = Instant::now();
    let mut client = None;
    let result = reactor().workers(2).run_per_worker(
        |worker| move |_: &ConnInfo| PanicsOrEchoes(worker == 0),
        |handle| {
            let addr = handle.local_addr();
            client = Some(std::thread::spawn(move || {
                // SO_REUSEPORT spreads connections over both workers. Worker 1 echoes; a
                // connection that worker 0 took is dropped when it panics, and then this
                // client stops (so it never reaches a later test's server on a reused port).
                for _ in 0..200 {
                    let mut s = connect(addr);
                    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                    s.write_all(b"x").unwrap();
                    let mut b = [0u8; 1];
                    if !matches!(s.read(&mut b), Ok(1)) {
                        return true;
                    }
                }
                false
            }));
        },
    );
    assert!(
        client.unwrap().join().unwrap(),
        "worker 0 never got a connection"
    );
    assert!(
        matches!(result, Err(brisk_reactor::Error::WorkerPanicked(0))),
        "{result:?}"
    );
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}
