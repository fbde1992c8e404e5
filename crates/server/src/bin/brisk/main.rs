//! `brisk`: the Brisk server binary. HTTP/1.1 and h2c on one port, with built-in routes for load
//! tests and demos. Run `brisk --help` for the flags.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use brisk_server::sse::EventStream;
use brisk_server::{Method, Request, Response, RouteMethod, Server};

#[cfg(feature = "count-alloc")]
mod count_alloc {
    //! A counting global allocator (feature `count-alloc`): `GET /__allocations` answers with the
    //! number of allocations since start, so a test can prove the steady state allocates nothing.
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicU64, Ordering};

    pub static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

    pub struct Counting;

    // SAFETY: every call is forwarded unchanged to `System`, which upholds the GlobalAlloc
    // contract; the counter has no effect on the memory handed out.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            // SAFETY: same layout contract as our caller's.
            unsafe { System.alloc(layout) }
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            // SAFETY: same layout contract as our caller's.
            unsafe { System.alloc_zeroed(layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            // SAFETY: `ptr` was allocated by `System` through this wrapper with `layout`.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: `ptr` was allocated by `System` through this wrapper with `layout`.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static GLOBAL: Counting = Counting;
}

const HELP: &str = "\
brisk: HTTP/1.1 and h2c server (Brisk)

USAGE:
    brisk [OPTIONS]

OPTIONS:
    --bind ADDR              Address to listen on, IP:PORT (port 0 picks a free port).
                             Default: 127.0.0.1:8080
    --workers N              Worker threads, 1 to 1024, each with its own SO_REUSEPORT
                             listener. Default: the number of CPUs
    --header-timeout DUR     Time to receive a complete request head before the client gets
                             408 and is closed (slow-loris defense). Default: 10s
    --idle-timeout DUR       Time an idle keep-alive connection is kept. Default: 60s
    --max-body SIZE          Largest request body; larger gets 413. Default: 1M
    --shutdown-timeout DUR   On SIGINT/SIGTERM, time in-flight requests get to finish.
                             Default: 10s
    --dir PATH               Serve the files under PATH at / (GET and HEAD; a directory
                             answers with its index.html; ETag, Last-Modified and byte
                             ranges). The routes below win where both match. Default: none
    -h, --help               Print this help and exit

    DUR is a number with a unit: ms, s or m (e.g. 500ms, 10s, 2m); a bare number is seconds.
    SIZE is a number of bytes with an optional suffix K, M or G (powers of 1024), e.g. 64K.

ROUTES:
    any  /               this list (without --dir)
    GET  /plaintext      Hello, World!
    GET  /json           {\"message\":\"Hello, World!\"}
    POST /echo           the request body, echoed back
    GET  /hello/{name}   Hello, {name}!
    GET  /deferred       Hello, World!, answered through a Responder on the worker thread
    GET  /delay/{ms}     Hello, World!, answered after ms milliseconds (at most 60000) by a
                         timer thread; the worker goes on serving meanwhile
    GET  /blocking       Hello, World!, answered by a handler on the blocking pool
    GET  /events?n=N&ms=M
                         server-sent events (text/event-stream): N events (default 10,
                         at most 10000), one every M ms (default 1000, at most 60000),
                         each `id: i` and `data: event i`, sent by a timer thread; a
                         `: keep-alive` comment after 15 s without one. 400 when N or M
                         is not a whole number. Read it with `curl -N`

SIGNALS:
    SIGINT, SIGTERM      graceful shutdown: stop accepting, finish in-flight requests
                         (Connection: close on HTTP/1.1, GOAWAY on HTTP/2), exit by the
                         shutdown timeout
";

#[derive(Debug, Clone, PartialEq)]
struct Args {
    bind: SocketAddr,
    workers: usize,
    header_timeout: Duration,
    idle_timeout: Duration,
    shutdown_timeout: Duration,
    max_body: usize,
    dir: Option<std::path::PathBuf>,
}

#[derive(Debug, PartialEq)]
enum Parsed {
    Run(Args),
    Help,
}

fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn parse_args<I: IntoIterator<Item = String>>(args: I) -> Result<Parsed, String> {
    let mut a = Args {
        bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
        workers: default_workers(),
        header_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(60),
        shutdown_timeout: Duration::from_secs(10),
        max_body: 1024 * 1024,
        dir: None,
    };
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(Parsed::Help);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let known = [
            "--bind",
            "--workers",
            "--header-timeout",
            "--idle-timeout",
            "--max-body",
            "--shutdown-timeout",
            "--dir",
        ];
        if !known.contains(&flag.as_str()) {
            return Err(format!(
                "unknown argument '{arg}' (allowed: {}, --help)",
                known.join(", ")
            ));
        }
        let value = match inline {
            Some(v) => v,
            None => it
                .next()
                .ok_or_else(|| format!("{flag} needs a value (see --help)"))?,
        };
        match flag.as_str() {
            "--bind" => {
                a.bind = value.parse().map_err(|_| {
                    format!("invalid --bind '{value}': expected IP:PORT, e.g. 127.0.0.1:8080 or [::1]:8080")
                })?
            }
            "--workers" => {
                a.workers = match value.parse::<usize>() {
                    Ok(n) if (1..=1024).contains(&n) => n,
                    _ => {
                        return Err(format!(
                            "invalid --workers '{value}': expected a whole number from 1 to 1024"
                        ))
                    }
                }
            }
            "--dir" => {
                if value.is_empty() {
                    return Err("invalid --dir '': expected the path of a directory".to_string());
                }
                a.dir = Some(value.into());
            }
            "--max-body" => {
                a.max_body = parse_size(&value).ok_or_else(|| {
                    format!("invalid --max-body '{value}': expected bytes with an optional K, M or G suffix, e.g. 1048576 or 1M (at most 1G)")
                })?
            }
            f => {
                let d = parse_duration(&value).ok_or_else(|| {
                    format!("invalid {f} '{value}': expected a duration above zero with unit ms, s or m, e.g. 500ms, 10s, 2m (at most 1 day)")
                })?;
                match f {
                    "--header-timeout" => a.header_timeout = d,
                    "--idle-timeout" => a.idle_timeout = d,
                    _ => a.shutdown_timeout = d,
                }
            }
        }
    }
    Ok(Parsed::Run(a))
}

fn parse_size(v: &str) -> Option<usize> {
    let (num, mult) = match v.as_bytes().last()? {
        b'k' | b'K' => (&v[..v.len() - 1], 1024),
        b'm' | b'M' => (&v[..v.len() - 1], 1024 * 1024),
        b'g' | b'G' => (&v[..v.len() - 1], 1024 * 1024 * 1024),
        _ => (v, 1),
    };
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = num.parse::<usize>().ok()?.checked_mul(mult)?;
    (n <= 1 << 30).then_some(n)
}

fn parse_duration(v: &str) -> Option<Duration> {
    let (num, unit_ms) = if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1000.0)
    } else if let Some(n) = v.strip_suffix('m') {
        (n, 60_000.0)
    } else {
        (v, 1000.0)
    };
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let ms = num.parse::<f64>().ok()? * unit_ms;
    (1.0..=86_400_000.0)
        .contains(&ms)
        .then(|| Duration::from_micros((ms * 1000.0) as u64))
}

const INDEX: &str = "brisk: GET /plaintext, GET /json, POST /echo, GET /hello/{name}\n";

fn index(_: &mut Request, res: &mut Response) {
    res.text(INDEX);
}

fn plaintext(_: &mut Request, res: &mut Response) {
    res.text("Hello, World!");
}

fn json(_: &mut Request, res: &mut Response) {
    res.json(r#"{"message":"Hello, World!"}"#);
}

fn echo(req: &mut Request, res: &mut Response) {
    let ct = req
        .header("content-type")
        .unwrap_or(b"application/octet-stream");
    if std::str::from_utf8(ct).is_ok() {
        res.header("content-type", ct);
    }
    res.body_mut().extend_from_slice(req.body());
}

fn hello(req: &mut Request, res: &mut Response) {
    let name = brisk_server::percent_decode(req.param("name").unwrap_or(""));
    res.content_type("text/plain; charset=utf-8");
    let b = res.body_mut();
    b.extend_from_slice(b"Hello, ");
    b.extend_from_slice(name.as_bytes());
    b.extend_from_slice(b"!");
}

fn deferred(_: &mut Request, res: &mut Response) {
    let r = res.defer();
    let mut answer = Response::new();
    answer.text("Hello, World!");
    let _ = r.send(answer);
}

fn delay(req: &mut Request, res: &mut Response) {
    let Some(ms) = req.param("ms").and_then(|v| v.parse::<u64>().ok()) else {
        res.status(400)
            .text("expected /delay/{ms}, ms a whole number\n");
        return;
    };
    let at = Instant::now() + Duration::from_millis(ms.min(timer::MAX_MS));
    timer::after(at, timer::Job::Answer(res.defer()));
}

/// `GET /events?n=N&ms=M`: an event stream of `n` events, one every `ms` milliseconds, sent
/// by the timer thread (never a sleep on the worker).
fn events(req: &mut Request, res: &mut Response) {
    let param = |name: &str, default: u64, max: u64| match req.query_param(name) {
        None => Some(default),
        Some(v) => v.parse::<u64>().ok().map(|v| v.min(max)),
    };
    let (Some(n), Some(ms)) = (
        param("n", 10, events::MAX_N),
        param("ms", 1000, timer::MAX_MS),
    ) else {
        res.status(400)
            .text("expected /events?n=N&ms=M, whole numbers (n at most 10000, ms at most 60000)\n");
        return;
    };
    let Ok(stream) = EventStream::start(res.defer()) else {
        return; // the client has gone
    };
    stream.keep_alive(events::KEEP_ALIVE);
    let every = Duration::from_millis(ms);
    let job = events::Events::new(stream, n as u32, every);
    timer::after(Instant::now(), timer::Job::Events(Box::new(job)));
}

/// The producer behind `GET /events`.
mod events {
    use std::fmt::Write;
    use std::time::{Duration, Instant};

    use brisk_server::sse::{Event, EventStream, StreamError};

    /// Most events in one stream.
    pub const MAX_N: u64 = 10_000;
    /// A comment goes out after this long without an event.
    pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

    /// One stream being produced: event `next` is due at `due`.
    pub struct Events {
        stream: EventStream,
        next: u32,
        n: u32,
        every: Duration,
        due: Instant,
        /// `event {i}`, reused for every event (its digits are the id too).
        text: String,
    }

    /// What the timer does with a stream after a turn.
    pub enum Step {
        /// Turn again at this instant.
        At(Instant),
        /// The body's buffer is full: turn again once it has room.
        Blocked,
        /// Every event was sent: finish the stream.
        Done,
        /// The client has gone.
        Gone,
    }

    impl Events {
        pub fn new(stream: EventStream, n: u32, every: Duration) -> Events {
            Events {
                stream,
                next: 0,
                n,
                every,
                due: Instant::now(),
                text: String::with_capacity(16),
            }
        }

        pub fn stream(&self) -> &EventStream {
            &self.stream
        }

        pub fn finish(self) {
            let _ = self.stream.finish();
        }

        /// Sends every event due at `now` (all of them at once when `ms` is 0, as far as the
        /// buffer takes them).
        pub fn turn(&mut self, now: Instant) -> Step {
            loop {
                if self.next == self.n {
                    return Step::Done;
                }
                if self.due > now {
                    return Step::At(self.due);
                }
                self.text.clear();
                let _ = write!(self.text, "event {}", self.next);
                let ev = Event::new(&self.text).id(&self.text[6..]);
                match self.stream.try_send(&ev) {
                    Ok(()) => {
                        self.next += 1;
                        self.due += self.every;
                    }
                    Err(StreamError::WouldBlock) => return Step::Blocked,
                    Err(_) => return Step::Gone,
                }
            }
        }
    }
}

/// The timer thread behind `GET /delay/{ms}` and `GET /events`: started on first use, it
/// answers each parked `Responder` at its deadline and sends each stream's events when they
/// are due. Never sleeps on a worker.
mod timer {
    use std::collections::HashMap;
    use std::sync::mpsc::{self, RecvTimeoutError, Sender};
    use std::sync::OnceLock;
    use std::time::Instant;

    use brisk_server::{Deadlines, Responder, Response};

    use crate::events::{Events, Step};

    /// Longest delay served (ms), and longest gap between events.
    pub const MAX_MS: u64 = 60_000;

    /// Work for the timer.
    pub enum Job {
        /// Answer `Hello, World!`.
        Answer(Responder),
        /// Send the stream's due events.
        Events(Box<Events>),
    }

    enum Msg {
        At(Instant, Job),
        /// The stream parked under this key has room again.
        Writable(u64),
    }

    static TIMER: OnceLock<Sender<Msg>> = OnceLock::new();

    pub fn after(at: Instant, job: Job) {
        let tx = TIMER.get_or_init(|| {
            let (tx, rx) = mpsc::channel::<Msg>();
            let me = tx.clone();
            std::thread::spawn(move || {
                // Jobs by due time, each with the key a blocked stream is parked under.
                let mut heap: Deadlines<(u64, Job)> = Deadlines::new();
                // Streams waiting for room, by key.
                let mut parked: HashMap<u64, Box<Events>> = HashMap::new();
                let mut next_key = 0u64;
                loop {
                    let now = Instant::now();
                    while let Some((key, job)) = heap.pop_due(now) {
                        match job {
                            Job::Answer(r) => {
                                let mut res = Response::new();
                                res.text("Hello, World!");
                                let _ = r.send(res);
                            }
                            Job::Events(mut ev) => match ev.turn(now) {
                                Step::At(at) => heap.push(at, (key, Job::Events(ev))),
                                Step::Blocked => {
                                    let tx = me.clone();
                                    let stream_closed_or_room = move || {
                                        let _ = tx.send(Msg::Writable(key));
                                    };
                                    // May run at once: the message is read below.
                                    ev.stream().on_writable(stream_closed_or_room);
                                    parked.insert(key, ev);
                                }
                                Step::Done => ev.finish(),
                                Step::Gone => {}
                            },
                        }
                    }
                    match heap.wait(&rx, now) {
                        Ok(Msg::At(at, job)) => {
                            next_key += 1;
                            heap.push(at, (next_key, job));
                        }
                        Ok(Msg::Writable(key)) => {
                            if let Some(ev) = parked.remove(&key) {
                                heap.push(Instant::now(), (key, Job::Events(ev)));
                            }
                        }
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            });
            tx
        });
        // If the timer thread is gone, the job is dropped here: a responder's client gets
        // 500, a stream is aborted.
        let _ = tx.send(Msg::At(at, job));
    }
}

#[cfg(feature = "count-alloc")]
fn allocations(_: &mut Request, res: &mut Response) {
    use std::io::Write;
    let n = count_alloc::ALLOCATIONS.load(std::sync::atomic::Ordering::Relaxed);
    // Writing into the reused body buffer does not allocate once it has capacity.
    let _ = write!(res.body_mut(), "{n}");
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Parsed::Help) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Ok(Parsed::Run(a)) => a,
        Err(e) => {
            eprintln!("brisk: {e}");
            return ExitCode::from(2);
        }
    };
    let mut builder = Server::builder();
    builder
        .bind(args.bind)
        .workers(args.workers)
        .max_body_size(args.max_body)
        .header_timeout(args.header_timeout)
        .idle_timeout(args.idle_timeout)
        .shutdown_timeout(args.shutdown_timeout)
        .route(Method::Get, "/plaintext", plaintext)
        .route(Method::Get, "/json", json)
        .route(Method::Post, "/echo", echo)
        .route(Method::Get, "/hello/{name}", hello)
        .route(Method::Get, "/deferred", deferred)
        .route(Method::Get, "/delay/{ms}", delay)
        .route(Method::Get, "/events", events)
        .route_blocking(Method::Get, "/blocking", |_, res| {
            res.text("Hello, World!");
        });
    match &args.dir {
        Some(dir) => builder.static_dir("/", dir),
        None => builder.route(RouteMethod::Any, "/", index),
    };
    #[cfg(feature = "count-alloc")]
    builder.route(Method::Get, "/__allocations", allocations);

    // This thread serves as worker 0: with `--workers 1` the process has no other thread.
    let result = builder.run_with(|handle| {
        // Handlers first, so that a signal sent on seeing the line below is handled.
        signals::install(handle, args.shutdown_timeout);
        for addr in handle.local_addrs() {
            println!(
                "brisk listening on http://{addr} (HTTP/1.1 and h2c, {} worker{})",
                args.workers,
                if args.workers == 1 { "" } else { "s" }
            );
        }
    });
    match result {
        Ok(()) => {
            eprintln!("brisk: stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("brisk: {e}");
            ExitCode::FAILURE
        }
    }
}

mod signals {
    //! SIGINT and SIGTERM start graceful shutdown, from a signal handler: the server's
    //! `Handle::shutdown` takes no lock and allocates nothing, and the notice goes out with one
    //! write(2), so the handler only makes async-signal-safe calls.

    use std::sync::OnceLock;
    use std::time::Duration;

    use brisk_server::Handle;

    struct Installed {
        handle: Handle,
        /// The notices, formatted before any signal can arrive.
        on_int: String,
        on_term: String,
    }

    static INSTALLED: OnceLock<Installed> = OnceLock::new();

    extern "C" fn on_signal(sig: libc::c_int) {
        let Some(i) = INSTALLED.get() else {
            return;
        };
        let msg = if sig == libc::SIGINT {
            &i.on_int
        } else {
            &i.on_term
        };
        // SAFETY: write(2) is async-signal-safe; `msg` lives in a static that is never
        // changed after it was set.
        let _ = unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
        i.handle.shutdown();
    }

    /// Makes SIGINT and SIGTERM shut `handle` down gracefully within `deadline`.
    pub fn install(handle: &Handle, deadline: Duration) {
        let notice =
            |name: &str| format!("brisk: {name} received, shutting down (deadline {deadline:?})\n");
        let installed = Installed {
            handle: handle.clone(),
            on_int: notice("SIGINT"),
            on_term: notice("SIGTERM"),
        };
        if INSTALLED.set(installed).is_err() {
            return;
        }
        // SAFETY: `sa` is a zeroed `sigaction` with its mask initialised by sigemptyset and an
        // `extern "C" fn(c_int)` handler (no SA_SIGINFO); null is allowed for the old action.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(libc::SIGINT, &sa, std::ptr::null_mut());
            libc::sigaction(libc::SIGTERM, &sa, std::ptr::null_mut());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Parsed, String> {
        parse_args(s.split_whitespace().map(String::from))
    }

    #[test]
    fn flags_parse() {
        let Parsed::Run(a) = parse("--bind 0.0.0.0:9 --workers 3 --header-timeout 500ms --idle-timeout=2m --max-body 64K --shutdown-timeout 1.5").unwrap() else {
            panic!("help")
        };
        assert_eq!(a.bind, "0.0.0.0:9".parse().unwrap());
        assert_eq!(a.workers, 3);
        assert_eq!(a.header_timeout, Duration::from_millis(500));
        assert_eq!(a.idle_timeout, Duration::from_secs(120));
        assert_eq!(a.max_body, 65536);
        assert_eq!(a.shutdown_timeout, Duration::from_millis(1500));
        assert_eq!(a.dir, None);
        let Parsed::Run(a) = parse("--dir /srv/www").unwrap() else {
            panic!("help")
        };
        assert_eq!(a.dir.as_deref(), Some(std::path::Path::new("/srv/www")));
        assert_eq!(parse("--help").unwrap(), Parsed::Help);
    }

    #[test]
    fn bad_values_say_what_is_allowed() {
        let rows = [
            ("--workers 0", "from 1 to 1024"),
            ("--workers x", "from 1 to 1024"),
            ("--bind localhost", "IP:PORT"),
            ("--max-body 1T", "K, M or G"),
            ("--max-body -1", "K, M or G"),
            ("--header-timeout 0s", "ms, s or m"),
            ("--idle-timeout soon", "ms, s or m"),
            ("--frobnicate", "allowed: --bind"),
            ("--bind", "needs a value"),
            ("--dir=", "path of a directory"),
        ];
        for (args, want) in rows {
            let e = parse(args).unwrap_err();
            assert!(e.contains(want), "{args}: {e}");
        }
    }

    #[test]
    fn help_documents_every_flag() {
        for f in [
            "--bind",
            "--workers",
            "--header-timeout",
            "--idle-timeout",
            "--max-body",
            "--shutdown-timeout",
            "--dir",
            "--help",
        ] {
            assert!(HELP.contains(f), "{f}");
        }
        for route in ["/plaintext", "/delay/{ms}", "/events?n=N&ms=M"] {
            assert!(HELP.contains(route), "{route}");
        }
    }
}
