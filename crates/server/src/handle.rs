//! The running server's [`Handle`]: its addresses, counters, and graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::counters::{Counters, WorkerCounters};

/// A running server: its addresses, counters, and graceful shutdown.
///
/// # Examples
///
/// ```
/// use brisk_server::{Method, Server};
///
/// # fn main() -> Result<(), brisk_server::Error> {
/// let h = Server::builder()
///     .bind("127.0.0.1:0".parse().unwrap())
///     .workers(1)
///     .route(Method::Get, "/", |_, res| { res.text("ok"); })
///     .start()?;
/// assert_eq!(h.counters().requests, 0);
/// h.shutdown();
/// h.join();
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Handle {
    pub(crate) reactor: brisk_reactor::Handle,
    pub(crate) counters: Arc<Vec<Arc<WorkerCounters>>>,
    pub(crate) shutdown: Duration,
    /// The index of the metrics listener among the reactor's addresses (the last one), if any.
    pub(crate) metrics_at: Option<usize>,
    /// The access log's thread, if the log is on.
    pub(crate) logs: Option<Arc<crate::access_log::Writer>>,
}

impl Handle {
    /// The addresses the server listens on (with the real port when 0 was asked).
    ///
    /// # Examples
    ///
    /// ```
    /// # let h = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).workers(1).start().unwrap();
    /// assert_eq!(h.local_addrs().len(), 1);
    /// # h.shutdown();
    /// # h.join();
    /// ```
    pub fn local_addrs(&self) -> &[SocketAddr] {
        let all = self.reactor.local_addrs();
        &all[..self.metrics_at.unwrap_or(all.len()).min(all.len())]
    }

    /// The address of the separate metrics listener
    /// ([`Builder::metrics_listener`](crate::Builder::metrics_listener)), with the real port
    /// when 0 was asked; `None` without one. It is not among [`local_addrs`](Self::local_addrs).
    ///
    /// # Examples
    ///
    /// ```
    /// # let h = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).workers(1)
    /// #     .metrics_listener("127.0.0.1:0".parse().unwrap()).start().unwrap();
    /// assert_ne!(h.metrics_addr().unwrap().port(), 0);
    /// assert_eq!(h.local_addrs().len(), 1);
    /// # h.shutdown();
    /// # h.join();
    /// ```
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.reactor.local_addrs().get(self.metrics_at?).copied()
    }

    /// The first address the server listens on.
    ///
    /// # Examples
    ///
    /// ```
    /// # let h = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).workers(1).start().unwrap();
    /// assert!(h.local_addr().ip().is_loopback());
    /// # h.shutdown();
    /// # h.join();
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.reactor.local_addr()
    }

    /// Counters summed over all workers.
    ///
    /// # Examples
    ///
    /// ```
    /// # let h = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).workers(1).start().unwrap();
    /// assert_eq!(h.counters().panics, 0);
    /// # h.shutdown();
    /// # h.join();
    /// ```
    pub fn counters(&self) -> Counters {
        let per: Vec<&WorkerCounters> = self.counters.iter().map(|c| &**c).collect();
        let mut c = Counters::sum(&per);
        let t = self.reactor.totals();
        c.active = t.active;
        c.bytes_in = t.bytes_in;
        c.bytes_out = t.bytes_out;
        c
    }

    /// The number of workers.
    ///
    /// # Examples
    ///
    /// ```
    /// # let h = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).workers(2).start().unwrap();
    /// assert_eq!(h.workers(), 2);
    /// # h.shutdown();
    /// # h.join();
    /// ```
    pub fn workers(&self) -> usize {
        self.counters.len()
    }

    /// The counters of worker `worker` (`0..workers()`) alone; all zero for another index.
    ///
    /// # Examples
    ///
    /// ```
    /// # let h = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).workers(1).start().unwrap();
    /// assert_eq!(h.worker_counters(0).requests, h.counters().requests);
    /// # h.shutdown();
    /// # h.join();
    /// ```
    pub fn worker_counters(&self, worker: usize) -> Counters {
        let Some(w) = self.counters.get(worker) else {
            return Counters::sum(&[]);
        };
        let mut c = Counters::sum(&[&**w]);
        if let Some(s) = self.reactor.workers().get(worker) {
            c.active = s.active();
            c.bytes_in = s.bytes_in();
            c.bytes_out = s.bytes_out();
        }
        c
    }

    /// Appends the server's counters to `out` in the Prometheus text exposition format 0.0.4
    /// (serve it with [`METRICS_CONTENT_TYPE`](crate::METRICS_CONTENT_TYPE)), one sample per
    /// worker (label `worker`): connections accepted, open and closed by reason, requests by
    /// protocol and status class, the request duration histogram, bytes in and out, pool
    /// buffers, HTTP/2 streams and resets, errors by kind, the server's own error answers by
    /// status, and whether the server is draining. Reads each counter once with a relaxed
    /// load; nothing is locked and the workers are not disturbed.
    ///
    /// # Examples
    ///
    /// ```
    /// # let h = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).workers(1).start().unwrap();
    /// let mut text = String::new();
    /// h.write_metrics(&mut text);
    /// assert!(text.contains("# TYPE brisk_requests_total counter"));
    /// # h.shutdown();
    /// # h.join();
    /// ```
    pub fn write_metrics(&self, out: &mut String) {
        crate::metrics::render(self, out);
    }

    /// [`write_metrics`](Self::write_metrics) into a new `String`, for an embedder that serves
    /// the exposition itself.
    ///
    /// # Examples
    ///
    /// ```
    /// # let h = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).workers(1).start().unwrap();
    /// let text = h.render_metrics();
    /// assert!(text.contains("brisk_connections_open{worker=\"0\"} 0"));
    /// # h.shutdown();
    /// # h.join();
    /// ```
    pub fn render_metrics(&self) -> String {
        let mut s = String::with_capacity(16 * 1024);
        self.write_metrics(&mut s);
        s
    }

    /// Graceful shutdown with the configured deadline ([`Timeouts::shutdown`](crate::Timeouts::shutdown)): stop accepting,
    /// finish in-flight requests (`Connection: close` on HTTP/1.1, GOAWAY on HTTP/2), close
    /// idle connections, force-close what is left at the deadline. Returns at once; use
    /// [`join`](Self::join) to wait.
    ///
    /// A signal handler may call this (and [`shutdown_within`](Self::shutdown_within)): it
    /// takes no lock and allocates nothing (see [`brisk_reactor::Handle::shutdown`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # let h = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).workers(1).start().unwrap();
    /// h.shutdown(); // returns at once; join() waits
    /// # h.shutdown();
    /// # h.join();
    /// ```
    pub fn shutdown(&self) {
        self.reactor.shutdown(self.shutdown);
    }

    /// Like [`shutdown`](Self::shutdown) with another deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// # let h = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).workers(1).start().unwrap();
    /// h.shutdown_within(std::time::Duration::from_millis(100));
    /// # h.shutdown();
    /// # h.join();
    /// ```
    pub fn shutdown_within(&self, grace: Duration) {
        self.reactor.shutdown(grace);
    }

    /// Waits for every worker thread to stop (a worker that [`Builder::run_with`](crate::Builder::run_with) runs on its
    /// caller's thread is done when that call returns).
    ///
    /// # Examples
    ///
    /// ```
    /// # let h = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).workers(1).start().unwrap();
    /// h.shutdown();
    /// h.join();
    /// # h.shutdown();
    /// # h.join();
    /// ```
    pub fn join(&self) {
        let _ = self.reactor.join();
        if let Some(l) = &self.logs {
            l.stop();
        }
    }
}
