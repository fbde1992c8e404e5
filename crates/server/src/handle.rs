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
        self.reactor.local_addrs()
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

    /// Graceful shutdown with the configured deadline ([`Timeouts::shutdown`]): stop accepting,
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

    /// Waits for every worker thread to stop (a worker that [`Builder::run_with`] runs on its
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
