//! Deferred answers: a protocol that answers later, completed through `Notifier` from other
//! threads or `Context::notify_local` on the worker thread; stale ids; one wake per batch.

mod util;

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brisk_reactor::{Action, ConnId, Context, Handle, Notifier, Output, Protocol, WorkerStats};
use util::{connect, reactor, Rng};

type Answers = Arc<Mutex<HashMap<ConnId, Vec<u8>>>>;

/// Takes one line at a time and hands it to a completer (with its `ConnId`); reads no further
/// line until the answer was written (the rest of the input waits unconsumed). `on_notify`
/// writes the answer the completer left in `answers`, if any.
struct Deferred {
    jobs: Sender<(ConnId, Vec<u8>)>,
    answers: Answers,
    waiting: bool,
    spurious: Arc<AtomicUsize>,
}

impl Protocol for Deferred {
    fn on_read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        _out: &mut Output<'_>,
    ) -> (usize, Action) {
        cx.clear_timeout();
        if self.waiting {
            return (0, Action::Keep);
        }
        match input.iter().position(|&b| b == b'\n') {
            Some(i) => {
                self.waiting = true;
                self.jobs
                    .send((cx.conn_id(), input[..i].to_vec()))
                    .expect("test alive");
                (i + 1, Action::Keep)
            }
            None => (0, Action::Keep),
        }
    }

    fn on_notify(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        let answer = self.answers.lock().unwrap().remove(&cx.conn_id());
        match answer {
            Some(a) => {
                out.extend_from_slice(&a).expect("small answer fits");
                self.waiting = false;
            }
            None => {
                self.spurious.fetch_add(1, Ordering::Relaxed);
            }
        }
        Action::Keep
    }
}

fn deferred_server(workers: usize) -> (Handle, Receiver<(ConnId, Vec<u8>)>, Answers) {
    let (tx, rx) = mpsc::channel();
    let answers: Answers = Arc::default();
    let a = Arc::clone(&answers);
    let spurious = Arc::new(AtomicUsize::new(0));
    let handle = reactor()
        .workers(workers)
        .max_connections(4096)
        .start(move |_| Deferred {
            jobs: tx.clone(),
            answers: Arc::clone(&a),
            waiting: false,
            spurious: Arc::clone(&spurious),
        })
        .expect("start");
    (handle, rx, answers)
}

fn sum(h: &Handle, f: fn(&WorkerStats) -> u64) -> u64 {
    h.workers().iter().map(f).sum()
}

/// Waits (bounded) until `cond` holds.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Raises the open-file soft limit to the hard limit; fails loudly if it is too low to run.
fn need_fds(n: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit for the duration of the call.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    if lim.rlim_cur < n {
        lim.rlim_cur = lim.rlim_max;
        // SAFETY: `lim` is a valid rlimit; raising the soft limit to the hard one is allowed.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    }
    assert!(
        lim.rlim_cur >= n,
        "this test needs {n} descriptors, the hard limit is {}",
        lim.rlim_max
    );
}

fn read_line(s: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    loop {
        match s.read(&mut b) {
            Ok(1) if b[0] == b'\n' => break,
            Ok(1) => line.push(b[0]),
            Ok(_) => panic!("closed before the answer; got {line:?}"),
            Err(e) => panic!("no answer ({e}); got {line:?}"),
        }
    }
    String::from_utf8(line).unwrap()
}

#[test]
fn answers_completed_from_eight_threads_in_random_order_reach_their_connections() {
    const CONNS: usize = 1000;
    need_fds(2 * CONNS as u64 + 200);
    let (handle, jobs, answers) = deferred_server(2);
    let mut clients: Vec<TcpStream> = (0..CONNS)
        .map(|i| {
            let mut c = connect(handle.local_addr());
            c.write_all(format!("req {i}\n").as_bytes()).unwrap();
            c
        })
        .collect();
    let mut all: Vec<(ConnId, Vec<u8>)> = (0..CONNS)
        .map(|_| jobs.recv_timeout(Duration::from_secs(20)).expect("job"))
        .collect();
    // Nothing is answered before its completion.
    clients[0]
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut b = [0u8; 1];
    let early = clients[0].read(&mut b);
    assert!(
        matches!(&early, Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut),
        "answered before completion: {early:?}"
    );
    clients[0]
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    // Shuffle, then deal to 8 completer threads.
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for i in (1..all.len()).rev() {
        all.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut hands: Vec<Vec<(ConnId, Vec<u8>)>> = vec![Vec::new(); 8];
    for (i, job) in all.into_iter().enumerate() {
        hands[i % 8].push(job);
    }
    let threads: Vec<_> = hands
        .into_iter()
        .map(|hand| {
            let (h, answers) = (handle.clone(), Arc::clone(&answers));
            std::thread::spawn(move || {
                for (id, line) in hand {
                    let mut a = b"ans ".to_vec();
                    a.extend_from_slice(&line);
                    a.push(b'\n');
                    answers.lock().unwrap().insert(id, a);
                    h.notifier(id.worker()).notify(id);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    for (i, c) in clients.iter_mut().enumerate() {
        assert_eq!(read_line(c), format!("ans req {i}"));
    }
    assert!(answers.lock().unwrap().is_empty());
    assert_eq!(sum(&handle, WorkerStats::notifications), CONNS as u64);
    assert_eq!(handle.totals().notifications, CONNS as u64);
    assert_eq!(sum(&handle, WorkerStats::notify_stale), 0);
    let wakes = sum(&handle, WorkerStats::notify_wakes);
    assert!((1..=CONNS as u64).contains(&wakes), "{wakes} wakes");
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}

#[test]
fn pipelined_input_left_unconsumed_is_handed_back_after_on_notify() {
    let (handle, jobs, answers) = deferred_server(1);
    let mut c = connect(handle.local_addr());
    c.write_all(b"a\nb\nc\n").unwrap();
    let h = handle.clone();
    let completer = std::thread::spawn(move || {
        for _ in 0..3 {
            let (id, line) = jobs.recv_timeout(Duration::from_secs(20)).expect("job");
            let mut a = line;
            a.extend_from_slice(b"!\n");
            answers.lock().unwrap().insert(id, a);
            h.notifier(id.worker()).notify(id);
        }
    });
    let mut r = BufReader::new(c.try_clone().unwrap());
    for want in ["a!", "b!", "c!"] {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        assert_eq!(line.trim_end(), want);
    }
    completer.join().unwrap();
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}

/// Per-worker state shared by its connections (the worker thread only: `Rc`).
#[derive(Default)]
struct Local {
    /// Waiting connections by the number they wait on.
    waiting: HashMap<u64, ConnId>,
    answers: HashMap<ConnId, Vec<u8>>,
}

/// "wait K": answer later, when another connection says "wake K" (through `notify_local`).
/// "self": notify itself, answered from `on_notify`.
struct Waiter(Rc<RefCell<Local>>);

impl Protocol for Waiter {
    fn on_read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action) {
        cx.clear_timeout();
        let Some(i) = input.iter().position(|&b| b == b'\n') else {
            return (0, Action::Keep);
        };
        let line = std::str::from_utf8(&input[..i]).unwrap();
        let mut st = self.0.borrow_mut();
        if let Some(k) = line.strip_prefix("wait ") {
            st.waiting.insert(k.parse().unwrap(), cx.conn_id());
        } else if let Some(k) = line.strip_prefix("wake ") {
            let id = st.waiting.remove(&k.parse().unwrap()).expect("a waiter");
            st.answers.insert(id, format!("woken {k}\n").into_bytes());
            cx.notify_local(id);
            out.extend_from_slice(b"ok\n").unwrap();
        } else if line == "self" {
            let me = cx.conn_id();
            st.answers.insert(me, b"self\n".to_vec());
            cx.notify_local(me);
        }
        (i + 1, Action::Keep)
    }

    fn on_notify(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        if let Some(a) = self.0.borrow_mut().answers.remove(&cx.conn_id()) {
            out.extend_from_slice(&a).unwrap();
        }
        Action::Keep
    }
}

#[test]
fn notify_local_completes_in_a_later_callback_without_a_wake() {
    let handle = reactor()
        .workers(1)
        .start_per_worker(|_| {
            let st = Rc::new(RefCell::new(Local::default()));
            move |_: &brisk_reactor::ConnInfo| Waiter(Rc::clone(&st))
        })
        .unwrap();
    let w = &handle.workers()[0];
    const PAIRS: u64 = 50;
    for k in 0..PAIRS {
        let mut a = connect(handle.local_addr());
        let mut b = connect(handle.local_addr());
        let before = w.bytes_in();
        a.write_all(format!("wait {k}\n").as_bytes()).unwrap();
        wait_for("the wait line read", || w.bytes_in() > before);
        b.write_all(format!("wake {k}\n").as_bytes()).unwrap();
        assert_eq!(read_line(&mut b), "ok");
        assert_eq!(read_line(&mut a), format!("woken {k}"));
    }
    let mut s = connect(handle.local_addr());
    s.write_all(b"self\n").unwrap();
    assert_eq!(read_line(&mut s), "self");
    assert_eq!(w.notifications(), PAIRS + 1);
    assert_eq!(w.notify_stale(), 0);
    assert_eq!(w.notify_wakes(), 0, "the local path must not wake the poll");
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}

/// "id": reports its `ConnId` to the test. `on_notify` writes "notified".
struct Ids(Sender<ConnId>);

impl Protocol for Ids {
    fn on_read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        _out: &mut Output<'_>,
    ) -> (usize, Action) {
        cx.clear_timeout();
        if input.ends_with(b"\n") {
            self.0.send(cx.conn_id()).unwrap();
            return (input.len(), Action::Keep);
        }
        (0, Action::Keep)
    }

    fn on_notify(&mut self, _cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        out.extend_from_slice(b"notified\n").unwrap();
        Action::Keep
    }
}

fn nothing_to_read(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut b = [0u8; 64];
    let r = s.read(&mut b);
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    matches!(r, Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut)
}

#[test]
fn a_stale_id_is_dropped_and_counted_never_delivered_to_the_slots_next_connection() {
    let (tx, rx) = mpsc::channel();
    let handle = reactor()
        .workers(1)
        .start(move |_| Ids(tx.clone()))
        .unwrap();
    let w = &handle.workers()[0];
    let notifier = handle.notifier(0);

    let mut a = connect(handle.local_addr());
    a.write_all(b"id\n").unwrap();
    let old = rx.recv_timeout(Duration::from_secs(20)).unwrap();
    drop(a);
    wait_for("a closed", || w.closed() == 1);
    // The slot is empty.
    notifier.notify(old);
    wait_for("first stale id counted", || w.notify_stale() == 1);

    let mut b = connect(handle.local_addr());
    b.write_all(b"id\n").unwrap();
    let new = rx.recv_timeout(Duration::from_secs(20)).unwrap();
    assert_eq!(new.slot(), old.slot(), "the slot is reused");
    assert_ne!(new, old, "with a new generation");
    // The slot holds another connection now.
    notifier.notify(old);
    wait_for("second stale id counted", || w.notify_stale() == 2);
    assert!(
        nothing_to_read(&mut b, Duration::from_millis(200)),
        "a stale id reached the new connection"
    );
    notifier.notify(new);
    assert_eq!(read_line(&mut b), "notified");
    assert!(nothing_to_read(&mut b, Duration::from_millis(100)));
    assert_eq!(w.notifications(), 3);
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}

/// "block": reports its id, then holds the worker until the test releases it. Counts
/// `on_notify` calls.
struct Gate {
    ids: Sender<ConnId>,
    release: Arc<Mutex<Receiver<()>>>,
    calls: Arc<AtomicUsize>,
}

impl Protocol for Gate {
    fn on_read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        _out: &mut Output<'_>,
    ) -> (usize, Action) {
        cx.clear_timeout();
        if input.ends_with(b"\n") {
            self.ids.send(cx.conn_id()).unwrap();
            let _ = self
                .release
                .lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(20));
            return (input.len(), Action::Keep);
        }
        (0, Action::Keep)
    }

    fn on_notify(&mut self, _cx: &mut Context<'_>, _out: &mut Output<'_>) -> Action {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Action::Keep
    }
}

#[test]
fn a_burst_of_notifications_costs_one_wake_and_coalesces() {
    let (ids_tx, ids) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    let release_rx = Arc::new(Mutex::new(release_rx));
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = Arc::clone(&calls);
    let handle = reactor()
        .workers(1)
        .start(move |_| Gate {
            ids: ids_tx.clone(),
            release: Arc::clone(&release_rx),
            calls: Arc::clone(&c2),
        })
        .unwrap();
    let w = &handle.workers()[0];
    let mut c = connect(handle.local_addr());
    c.write_all(b"block\n").unwrap();
    let id = ids.recv_timeout(Duration::from_secs(20)).unwrap();
    // The worker is held inside on_read: the whole burst queues behind one wake.
    const BURST: u64 = 10_000;
    let n = handle.notifier(0);
    for _ in 0..BURST {
        n.notify(id);
    }
    release.send(()).unwrap();
    wait_for("burst drained", || w.notifications() == BURST);
    assert_eq!(w.notify_wakes(), 1, "one wake for the whole burst");
    let held = calls.load(Ordering::Relaxed);
    // Coalesced: one call per drain (the queue is drained in batches of a few thousand).
    assert!((1..=4).contains(&held), "{held} on_notify calls");

    // Free-running: a burst from another thread while the worker drains concurrently still
    // costs far fewer wakes than notifications.
    const FREE: u64 = 100_000;
    let n2 = n.clone();
    std::thread::spawn(move || {
        for _ in 0..FREE {
            n2.notify(id);
        }
    })
    .join()
    .unwrap();
    wait_for("free burst drained", || w.notifications() == BURST + FREE);
    let wakes = w.notify_wakes() - 1;
    assert!(
        (1..=FREE / 4).contains(&wakes),
        "{wakes} wakes for {FREE} notifications"
    );
    let calls = calls.load(Ordering::Relaxed) - held;
    assert!(calls as u64 <= wakes + FREE / 4096 + 2, "{calls} calls");
    eprintln!("free-running burst: {FREE} notifications, {wakes} wakes, {calls} on_notify calls");
    assert_eq!(w.notify_stale(), 0);
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
}

#[test]
fn ids_and_notifiers_cross_threads() {
    fn send_sync_clone<T: Send + Sync + Clone>() {}
    fn copy_send<T: Copy + Send + Sync + Eq + std::hash::Hash>() {}
    send_sync_clone::<Notifier>();
    copy_send::<ConnId>();
    assert!(std::mem::size_of::<ConnId>() <= 12);
}
