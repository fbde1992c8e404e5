//! The built-in routes (see `brisk --help`): load-test endpoints, demos of deferred answers
//! and server-sent events (unless `--demo-routes off`), and the directory given by `--dir`.

use std::time::{Duration, Instant};

use brisk_server::sse::EventStream;
use brisk_server::{Builder, Method, Request, Response, RouteMethod, StaticOptions};

use crate::config::Settings;
use crate::{events, timer};

/// Adds the routes `s` asks for to `builder`; `dir` is served at `/` when given.
pub fn register(builder: &mut Builder, s: &Settings) {
    if s.demo_routes {
        demo(builder);
    }
    match &s.dir {
        Some(dir) => {
            let mut o = StaticOptions::default();
            o.max_age = s
                .dir_max_age
                .map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX));
            o.map_max = s.dir_map_max as u64;
            builder.static_dir_with("/", dir, o)
        }
        None if s.demo_routes => builder.route(RouteMethod::Any, "/", index),
        None => builder,
    };
    #[cfg(feature = "count-alloc")]
    builder.route(Method::Get, "/__allocations", allocations);
}

/// The demo routes.
fn demo(builder: &mut Builder) {
    builder
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
    let raw = req.param("name").unwrap_or("");
    // A malformed escape is greeted as written.
    let name = brisk_server::percent_decode(raw).unwrap_or(std::borrow::Cow::Borrowed(raw));
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

#[cfg(feature = "count-alloc")]
fn allocations(req: &mut Request, res: &mut Response) {
    use crate::count_alloc::{ALLOCATIONS, LIVE_BYTES};
    use std::io::Write;
    let count = if req.query() == Some("live") {
        &LIVE_BYTES
    } else {
        &ALLOCATIONS
    };
    let n = count.load(std::sync::atomic::Ordering::Relaxed);
    // Writing into the reused body buffer does not allocate once it has capacity.
    let _ = write!(res.body_mut(), "{n}");
}
