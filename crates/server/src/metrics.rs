//! Prometheus text exposition (format 0.0.4) of the server's counters, per worker (a `worker`
//! label: sum with `sum without (worker) (...)`), and the opt-in routes that serve it and a
//! health answer for load balancers.
//!
//! Nothing here runs per request: the counters are the workers' own ([`crate::counters`] and
//! the reactor's [`brisk_reactor::WorkerStats`]), read with relaxed loads when a scrape renders
//! them. Values rendered together are not one consistent snapshot (a worker may move on
//! between two loads).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use brisk_reactor::Closes;

use crate::app::{App, Handler};
use crate::counters::{Counters, PROTOCOLS, SERVER_STATUSES};
use crate::handle::Handle;
use crate::request::Request;
use crate::response::Response;
use crate::server::Builder;

/// The `Content-Type` of the exposition text (Prometheus text format 0.0.4).
///
/// # Examples
///
/// ```
/// assert!(brisk_server::METRICS_CONTENT_TYPE.contains("version=0.0.4"));
/// ```
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The path the separate metrics listener answers the exposition on.
pub(crate) const LISTENER_PATH: &str = "/metrics";

/// Writes one metric family's `HELP` and `TYPE` lines.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A family with one sample per worker.
fn per_worker(out: &mut String, name: &str, kind: &str, help: &str, values: &[u64]) {
    family(out, name, kind, help);
    for (w, v) in values.iter().enumerate() {
        let _ = writeln!(out, "{name}{{worker=\"{w}\"}} {v}");
    }
}

/// Appends the exposition text of `h`'s counters to `out` (see [`Handle::write_metrics`]).
pub(crate) fn render(h: &Handle, out: &mut String) {
    let stats = h.reactor.workers();
    let c: Vec<Counters> = (0..h.counters.len())
        .map(|i| h.worker_counters(i))
        .collect();
    let r =
        |f: fn(&brisk_reactor::WorkerStats) -> u64| -> Vec<u64> { stats.iter().map(f).collect() };
    let s = |f: fn(&Counters) -> u64| -> Vec<u64> { c.iter().map(f).collect() };

    per_worker(
        out,
        "brisk_connections_accepted_total",
        "counter",
        "Connections accepted.",
        &r(|w| w.accepted()),
    );
    per_worker(
        out,
        "brisk_connections_open",
        "gauge",
        "Connections open now.",
        &r(|w| w.active()),
    );
    family(
        out,
        "brisk_connections_closed_total",
        "counter",
        "Connections closed, by reason (protocol: the server chose to close; peer_closed; \
         timeout_start: request head too slow; timeout_idle: keep-alive; timeout_input: request \
         body too slow; timeout_write_stall: client stopped reading; input_limit; io_error; \
         shutdown: force-closed at the shutdown deadline; tls_handshake: a TLS handshake failed; \
         tls_handshake_timeout: a TLS handshake took too long).",
    );
    for (w, st) in stats.iter().enumerate() {
        let closes: Closes = st.closes();
        for (reason, n) in closes.pairs() {
            let _ = writeln!(
                out,
                "brisk_connections_closed_total{{worker=\"{w}\",reason=\"{reason}\"}} {n}"
            );
        }
    }
    per_worker(
        out,
        "brisk_tls_handshakes_total",
        "counter",
        "TLS handshakes completed (failed ones are closes by reason tls_handshake*).",
        &r(|w| w.tls_handshakes()),
    );
    per_worker(
        out,
        "brisk_http2_connections_total",
        "counter",
        "Connections that spoke HTTP/2 (prior knowledge or h2c upgrade).",
        &s(|c| c.h2_connections),
    );
    family(
        out,
        "brisk_requests_total",
        "counter",
        "Responses sent, by protocol and status class (server-made error answers included).",
    );
    for (w, c) in c.iter().enumerate() {
        for (p, row) in c.by_protocol.iter().enumerate() {
            for (class, n) in row.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "brisk_requests_total{{worker=\"{w}\",protocol=\"{}\",class=\"{}xx\"}} {n}",
                    PROTOCOLS[p],
                    class + 1
                );
            }
        }
    }
    family(
        out,
        "brisk_request_duration_seconds",
        "histogram",
        "Time from a request's handler running to its answer's head being written. The server \
         reads its clock once per loop turn: answers made before the handler returned count as 0; \
         deferred answers count until their head leaves.",
    );
    for (w, c) in c.iter().enumerate() {
        let d = &c.durations;
        let mut cumulative = 0;
        for (bound, n) in d.bounds().iter().zip(&d.buckets) {
            cumulative += n;
            let _ = writeln!(
                out,
                "brisk_request_duration_seconds_bucket{{worker=\"{w}\",le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = d.count();
        let _ = writeln!(
            out,
            "brisk_request_duration_seconds_bucket{{worker=\"{w}\",le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "brisk_request_duration_seconds_sum{{worker=\"{w}\"}} {}",
            d.sum_seconds
        );
        let _ = writeln!(
            out,
            "brisk_request_duration_seconds_count{{worker=\"{w}\"}} {count}"
        );
    }
    per_worker(
        out,
        "brisk_received_bytes_total",
        "counter",
        "Bytes read from client sockets.",
        &r(|w| w.bytes_in()),
    );
    per_worker(
        out,
        "brisk_sent_bytes_total",
        "counter",
        "Bytes written to client sockets.",
        &r(|w| w.bytes_out()),
    );
    per_worker(
        out,
        "brisk_pool_buffers_in_use",
        "gauge",
        "Pool buffers held by connections at the end of the worker's last loop turn.",
        &r(|w| w.buffers_in_use()),
    );
    per_worker(
        out,
        "brisk_pool_buffers_peak",
        "gauge",
        "Most pool buffers in use at once since start.",
        &r(|w| w.buffers_peak()),
    );
    per_worker(
        out,
        "brisk_pool_waits_total",
        "counter",
        "Times a connection waited for pool buffers (pool exhausted: backpressure).",
        &r(|w| w.pool_waits()),
    );
    per_worker(
        out,
        "brisk_http2_streams_opened_total",
        "counter",
        "HTTP/2 streams opened by clients (request headers received).",
        &s(|c| c.h2_streams),
    );
    family(
        out,
        "brisk_http2_resets_total",
        "counter",
        "HTTP/2 streams reset: sent by the server for a stream error, received from clients \
         (RST_STREAM).",
    );
    for (w, c) in c.iter().enumerate() {
        let _ = writeln!(
            out,
            "brisk_http2_resets_total{{worker=\"{w}\",direction=\"sent\"}} {}",
            c.h2_resets_sent
        );
        let _ = writeln!(
            out,
            "brisk_http2_resets_total{{worker=\"{w}\",direction=\"received\"}} {}",
            c.h2_resets_received
        );
    }
    family(
        out,
        "brisk_errors_total",
        "counter",
        "Errors by kind: handler_panic (answered 500), request_timeout (request head or body \
         too slow, answered 408), proxy_header (a connection on a PROXY listener closed for a \
         bad header).",
    );
    for (w, c) in c.iter().enumerate() {
        let _ = writeln!(
            out,
            "brisk_errors_total{{worker=\"{w}\",kind=\"handler_panic\"}} {}",
            c.panics
        );
        let _ = writeln!(
            out,
            "brisk_errors_total{{worker=\"{w}\",kind=\"request_timeout\"}} {}",
            c.timeouts
        );
        let _ = writeln!(
            out,
            "brisk_errors_total{{worker=\"{w}\",kind=\"proxy_header\"}} {}",
            c.proxy_errors
        );
    }
    family(
        out,
        "brisk_server_answers_total",
        "counter",
        "Answers the server made itself rather than a handler, by status (protocol errors such \
         as 400, 413, 431, 505; 408 timeouts; 404, 405, 501 without a fallback; 500 for a panic or \
         an invalid response; 503 past the handler timeout). status=\"other\": any other.",
    );
    for (w, c) in c.iter().enumerate() {
        for (status, n) in c.server_answers {
            let _ = if SERVER_STATUSES.contains(&status) {
                writeln!(
                    out,
                    "brisk_server_answers_total{{worker=\"{w}\",status=\"{status}\"}} {n}"
                )
            } else {
                writeln!(
                    out,
                    "brisk_server_answers_total{{worker=\"{w}\",status=\"other\"}} {n}"
                )
            };
        }
    }
    family(
        out,
        "brisk_draining",
        "gauge",
        "1 once graceful shutdown has begun, else 0.",
    );
    let _ = writeln!(
        out,
        "brisk_draining {}",
        u8::from(h.reactor.is_shutting_down())
    );
}

/// What the builder was asked to serve: the metrics and health routes on the normal listeners,
/// a separate metrics listener. The routes render from the [`Handle`], which the builder puts
/// into `handle` once the server has started.
#[derive(Debug, Default)]
pub(crate) struct Ops {
    pub(crate) metrics_path: Option<String>,
    pub(crate) health_path: Option<String>,
    pub(crate) listener: Option<SocketAddr>,
    /// The index of the metrics listener among the bound addresses (set when binding).
    pub(crate) index: Option<usize>,
    pub(crate) handle: Arc<OnceLock<Handle>>,
}

impl Ops {
    /// Makes this build's handle cell (a builder may start more than one server).
    pub(crate) fn fresh(&mut self) {
        self.handle = Arc::new(OnceLock::new());
    }

    /// Hands the started server's handle to the routes.
    pub(crate) fn ready(&self, h: &Handle) {
        let _ = self.handle.set(h.clone());
    }

    /// The metrics handler.
    pub(crate) fn metrics_handler(
        &self,
    ) -> impl Fn(&mut Request<'_>, &mut Response) + Send + Sync + 'static {
        let cell = Arc::clone(&self.handle);
        move |_req, res| match cell.get() {
            Some(h) => {
                let mut text = String::with_capacity(16 * 1024);
                render(h, &mut text);
                res.content_type(METRICS_CONTENT_TYPE).body(text);
            }
            None => {
                res.status(503).text("starting");
            }
        }
    }

    /// The health handler: 200 "ok", 503 "draining" once shutdown began.
    pub(crate) fn health_handler(
        &self,
    ) -> impl Fn(&mut Request<'_>, &mut Response) + Send + Sync + 'static {
        let cell = Arc::clone(&self.handle);
        move |_req, res| {
            if cell.get().is_some_and(|h| h.reactor.is_shutting_down()) {
                res.status(503).text("draining");
            } else {
                res.text("ok");
            }
        }
    }

    /// The application of the metrics listener: `GET /metrics` and the health path (if set),
    /// with `app`'s configuration and error log; anything else is a 404.
    pub(crate) fn listener_app(&self, app: &App) -> App {
        let mut router = brisk_router::Router::new();
        let mut handlers: Vec<Arc<Handler>> = vec![Arc::new(self.metrics_handler())];
        let _ = router.insert(brisk_router::Method::Get, LISTENER_PATH, 0);
        if let Some(p) = &self.health_path {
            if router.insert(brisk_router::Method::Get, p, 1).is_ok() {
                handlers.push(Arc::new(self.health_handler()));
            }
        }
        crate::server::head_routes(&mut router);
        let n = handlers.len();
        App {
            router,
            handlers,
            uploads: vec![None; n],
            fallback: None,
            fallback_upload: None,
            param_names: vec![Box::default(); n],
            errors: Arc::clone(&app.errors),
            config: app.config.clone(),
            ops: None,
            logs: app.logs.clone(),
        }
    }
}

/// Adds the metrics and health routes `b` was asked for to its route table (once per start).
pub(crate) fn add_routes(b: &mut Builder) {
    b.ops.fresh();
    b.ops.index = None;
    if let Some(p) = b.ops.metrics_path.clone() {
        let h = b.ops.metrics_handler();
        b.route(brisk_router::Method::Get, &p, h);
    }
    if let Some(p) = b.ops.health_path.clone() {
        let h = b.ops.health_handler();
        b.route(brisk_router::Method::Get, &p, h);
    }
}

/// Binds the metrics listener of `b`, if one is asked for, after the `bound` other addresses,
/// with an application of its own (the metrics and health routes only).
pub(crate) fn bind_listener(
    b: &mut Builder,
    reactor: brisk_reactor::Reactor,
    app: Arc<App>,
    bound: usize,
) -> (brisk_reactor::Reactor, Arc<App>) {
    let Some(addr) = b.ops.listener else {
        return (reactor, app);
    };
    let ops = b.ops.listener_app(&app);
    // The application is not shared yet (only `prepare` made it).
    let mut app = Arc::into_inner(app).expect("the application is not shared yet");
    app.ops = Some((bound, Arc::new(ops)));
    b.ops.index = Some(bound);
    (reactor.bind(addr), Arc::new(app))
}

/// Metrics and health on the builder (issue 20).
impl Builder {
    /// Serves the server's counters in the Prometheus text exposition format 0.0.4 (see
    /// [`Handle::write_metrics`] for what is in it) at `GET path` on the normal listeners, like
    /// any route (a route of the same pattern conflicts). Off by default. Rendering allocates
    /// the text once per scrape; requests to other routes pay nothing for it. To keep the
    /// counters off the public port, use [`metrics_listener`](Self::metrics_listener) instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.metrics_path("/metrics");
    /// ```
    pub fn metrics_path(&mut self, path: &str) -> &mut Self {
        self.ops.metrics_path = Some(path.to_string());
        self
    }

    /// Serves the exposition of [`metrics_path`](Self::metrics_path) at `GET /metrics` on a
    /// separate listener bound to `addr` (e.g. `127.0.0.1:9100`, reachable by the scraper, not
    /// the public), and the health answer of [`health_path`](Self::health_path) there too when
    /// set; every other request there is a 404. Off by default.
    ///
    /// The listener is one more bound address of the same workers (not a thread of its own):
    /// a scrape is a request like others, under the same limits and timeouts, closed with
    /// the rest on shutdown, and a server of one worker still spawns no thread. It is not
    /// among [`Handle::local_addrs`]; [`Handle::metrics_addr`] gives it. Binding it fails
    /// the start as binding the other addresses does.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.metrics_listener("127.0.0.1:9100".parse().unwrap());
    /// ```
    pub fn metrics_listener(&mut self, addr: SocketAddr) -> &mut Self {
        self.ops.listener = Some(addr);
        self
    }

    /// Answers `GET path` (and HEAD) on the normal listeners (and on the
    /// [`metrics_listener`](Self::metrics_listener) if set) with `200 ok`, or `503 draining`
    /// once graceful shutdown has begun, for load balancers' health checks. Off by default.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.health_path("/health");
    /// ```
    pub fn health_path(&mut self, path: &str) -> &mut Self {
        self.ops.health_path = Some(path.to_string());
        self
    }
}
