//! Every knob of the reactor, with its documented default.

use std::time::Duration;

use crate::error::Error;

/// Reactor settings. Build one with [`Config::default`] and change fields, or use the
/// [`Reactor`](crate::Reactor) builder methods, which set the same fields.
///
/// Memory per worker is fixed at start: `pool_size * buffer_size` bytes of buffers plus
/// `min(park_slots, max_connections) * park_size` bytes of parking slots (only pages actually
/// used become resident) plus about 100 bytes per connection slot and timer slot.
///
/// # Examples
///
/// ```
/// let mut cfg = brisk_reactor::Config::default();
/// cfg.pool_size = 64;
/// assert!(cfg.validate().is_ok());
/// cfg.buffer_size = 0;
/// assert!(cfg.validate().is_err());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Worker threads, each with its own poller, listener(s) and pool.
    /// Default: `std::thread::available_parallelism()` (1 if unknown).
    pub workers: usize,
    /// `listen(2)` backlog of each listener. Default: 1024.
    pub backlog: i32,
    /// Set `TCP_NODELAY` on the listeners, which Linux copies to every accepted connection (no
    /// syscall per accept). Responses are written whole, so Nagle would only add latency.
    /// Default: true.
    pub nodelay: bool,
    /// `SO_SNDBUF` of the listeners, inherited by accepted connections (no syscall per
    /// accept); 0 keeps the kernel's autotuned default. Default: 0.
    pub socket_send_buffer: usize,
    /// `SO_RCVBUF` of the listeners, inherited by accepted connections; 0 keeps the kernel's
    /// autotuned default. Default: 0.
    pub socket_recv_buffer: usize,
    /// Most connections one worker holds; at the cap it stops accepting (its listener is
    /// deregistered, the kernel queues new connections in the backlog) and resumes below it.
    /// Default: 16384.
    pub max_connections: usize,
    /// Size of one pool buffer in bytes; also the most one `read` asks for when a connection
    /// holds no input. Default: 16384 (16 KiB).
    pub buffer_size: usize,
    /// Buffers in each worker's pool, allocated at start and never exceeded. An empty pool makes
    /// connections wait (backpressure). Default: 2048 (32 MiB of address space per worker with
    /// the default buffer size; resident only as used).
    pub pool_size: usize,
    /// Most unconsumed input one connection may hold, as one contiguous slice, rounded up to
    /// whole buffers (a request head must fit). Default: 65536 (64 KiB).
    pub max_input: usize,
    /// Most output one connection may have pending; reading stops while it is full (write
    /// backpressure). Default: 262144 (256 KiB).
    pub max_pending_output: usize,
    /// Duration of the [`Start`](crate::TimeoutKind::Start) timer, armed on accept and by the
    /// protocol when an exchange begins (HTTP: the request-head timeout; slowloris defence).
    /// Default: 10 s.
    pub start_timeout: Duration,
    /// Duration of the [`Idle`](crate::TimeoutKind::Idle) timer (keep-alive). Default: 60 s.
    pub idle_timeout: Duration,
    /// Duration of the [`Input`](crate::TimeoutKind::Input) timer (HTTP: waiting for more of a
    /// request body). Default: 30 s.
    pub input_timeout: Duration,
    /// Output pending and the peer takes nothing for this long: the connection is closed
    /// ([`WriteStall`](crate::TimeoutKind::WriteStall)). Default: 30 s.
    pub write_timeout: Duration,
    /// Timer wheel granularity: timers fire within one tick after their deadline.
    /// Default: 100 ms.
    pub timer_tick: Duration,
    /// Most connections accepted per listener wake-up before other events get a turn.
    /// Default: 64.
    pub accept_batch: usize,
    /// Most reads from one connection per wake-up before other connections get a turn (a
    /// fast sender cannot starve the others). Default: 16.
    pub read_batch: usize,
    /// Capacity of the `epoll_wait` event array. Default: 1024.
    pub events_capacity: usize,
    /// Most unconsumed input that is *parked* between reads instead of holding a pool buffer:
    /// when a connection's read leaves at most this many bytes unconsumed (a partial head) and
    /// it has no output pending, the bytes move to a small per-connection slot and the buffer
    /// goes back to the pool; the next read takes a buffer again and puts them in front, so
    /// the protocol still sees one contiguous slice. This keeps thousands of trickling
    /// connections (slow loris) from emptying the pool. 0 turns parking off; at most
    /// `buffer_size`. Default: 1024.
    pub park_size: usize,
    /// Parking slots of `park_size` bytes per worker, in one zeroed allocation made at start
    /// (resident only as used); the worker uses at most `min(park_slots, max_connections)`.
    /// With no free slot the input simply keeps its buffer. Default: 16384.
    pub park_slots: usize,
    /// When input is starved of buffers (the pool is down to the output reserve and a
    /// connection waits), the worker fires the [`Start`](crate::TimeoutKind::Start)
    /// timer early on the connections holding input buffers under that timer, oldest deadline
    /// first, as many as connections wait (at least `pool_size / 16`), at most once per timer
    /// tick. Partial heads too large to park then cannot keep complete requests out. Default:
    /// true.
    pub evict_partial: bool,
    /// After the reactor closes a connection by its own choice (protocol close, timeout,
    /// shutdown) right after flushing an answer, or with input left unread, it shuts the write
    /// side down, then reads and discards what the peer still sends until EOF, this long, or
    /// `linger_bytes`, and only then closes (RFC 9112 section 9.6), so that data in flight does
    /// not turn the close into a reset that destroys the answer. Idle connections, peer closes,
    /// errors and write stalls close at once; so does everything when this is zero. Lingering
    /// connections count against `max_connections`, and the shutdown deadline cuts them short.
    /// Default: 2 s.
    pub linger_timeout: Duration,
    /// Most bytes discarded while lingering before the connection is closed anyway.
    /// Default: 4194304 (4 MiB).
    pub linger_bytes: usize,
    /// When an accept fails for lack of descriptors or kernel memory (`EMFILE`, `ENFILE`,
    /// `ENOBUFS`, `ENOMEM`), the worker stops accepting (its listeners leave its poll; the
    /// connections wait in the backlog) until one of its connections closes or this long has
    /// passed, instead of retrying at once. Each failure is counted
    /// ([`WorkerStats::accept_errors`](crate::WorkerStats::accept_errors)) and reported to the
    /// hook of [`Reactor::on_accept_error`](crate::Reactor::on_accept_error), at most once a
    /// second. Default: 250 ms.
    pub accept_backoff: Duration,
    /// Join the listeners another process already has on the same TCP address with
    /// `SO_REUSEPORT` (several processes of one server, started by a supervisor, share the
    /// port). Off, a start on an address where some other socket listens fails with
    /// [`Error::AddrInUse`]: the address is first bound by a plain socket (no
    /// `SO_REUSEPORT`), which only succeeds when nobody listens there. The workers of one
    /// reactor always share its port. Default: false.
    pub join_reuse_port: bool,
    /// A TLS connection ([`Reactor::listen_tls`](crate::Reactor::listen_tls)) whose handshake
    /// has not finished this long after accept is closed
    /// ([`CloseReason::TlsHandshakeTimeout`](crate::CloseReason::TlsHandshakeTimeout)).
    /// Unused without TLS listeners. Default: 10 s.
    pub tls_handshake_timeout: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            backlog: 1024,
            nodelay: true,
            socket_send_buffer: 0,
            socket_recv_buffer: 0,
            max_connections: 16384,
            buffer_size: 16 * 1024,
            pool_size: 2048,
            max_input: 64 * 1024,
            max_pending_output: 256 * 1024,
            start_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            input_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            timer_tick: Duration::from_millis(100),
            accept_batch: 64,
            read_batch: 16,
            events_capacity: 1024,
            park_size: 1024,
            park_slots: 16384,
            evict_partial: true,
            linger_timeout: Duration::from_secs(2),
            linger_bytes: 4 << 20,
            accept_backoff: Duration::from_millis(250),
            join_reuse_port: false,
            tls_handshake_timeout: Duration::from_secs(10),
        }
    }
}

impl Config {
    /// Input run size in buffers.
    pub(crate) fn max_input_blocks(&self) -> usize {
        self.max_input.div_ceil(self.buffer_size.max(1))
    }

    /// Blocks held back from input so output can always get a block to drain through.
    pub(crate) fn reserve(&self) -> usize {
        (self.pool_size / 16).max(1)
    }

    /// Checks that the settings can work together.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] naming the first bad field: zero workers, buffers or batches;
    /// a buffer over 1 GiB; a pool too small to hold one full input plus the output
    /// reserve; a zero timer tick or accept back-off.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cfg = brisk_reactor::Config::default();
    /// cfg.pool_size = 2; // 64 KiB input needs 4 buffers, plus 1 for output
    /// assert!(cfg.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |what| Err(Error::InvalidConfig(what));
        if self.workers == 0 {
            return bad("workers must be at least 1");
        }
        if self.buffer_size == 0 || self.buffer_size > 1 << 30 {
            return bad("buffer_size must be between 1 byte and 1 GiB");
        }
        if self.max_input == 0 || self.max_pending_output == 0 {
            return bad("max_input and max_pending_output must be positive");
        }
        if self.max_connections == 0 || self.max_connections > (u32::MAX / 4) as usize {
            return bad("max_connections must be between 1 and 2^30");
        }
        if self.pool_size >= u32::MAX as usize {
            return bad("pool_size must be below 2^32");
        }
        if self.pool_size < self.max_input_blocks() + self.reserve() {
            return bad(
                "pool_size must hold max_input plus the output reserve (pool_size/16, at least 1)",
            );
        }
        if self.park_size > self.buffer_size || self.park_size > u16::MAX as usize {
            return bad("park_size must be at most buffer_size and 65535");
        }
        if self.park_slots >= u32::MAX as usize {
            return bad("park_slots must be below 2^32");
        }
        if self.timer_tick.is_zero()
            || self.accept_backoff.is_zero()
            || self.tls_handshake_timeout.is_zero()
        {
            return bad("timer_tick, accept_backoff and tls_handshake_timeout must be positive");
        }
        if self.accept_batch == 0 || self.read_batch == 0 || self.events_capacity == 0 {
            return bad("accept_batch, read_batch and events_capacity must be positive");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_docs() {
        let c = Config::default();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(c.workers, cores);
        assert_eq!(c.backlog, 1024);
        assert!(c.nodelay);
        assert_eq!(c.socket_send_buffer, 0);
        assert_eq!(c.socket_recv_buffer, 0);
        assert_eq!(c.max_connections, 16384);
        assert_eq!(c.buffer_size, 16 * 1024);
        assert_eq!(c.pool_size, 2048);
        assert_eq!(c.max_input, 64 * 1024);
        assert_eq!(c.max_pending_output, 256 * 1024);
        assert_eq!(c.start_timeout, Duration::from_secs(10));
        assert_eq!(c.idle_timeout, Duration::from_secs(60));
        assert_eq!(c.input_timeout, Duration::from_secs(30));
        assert_eq!(c.write_timeout, Duration::from_secs(30));
        assert_eq!(c.timer_tick, Duration::from_millis(100));
        assert_eq!(c.accept_batch, 64);
        assert_eq!(c.read_batch, 16);
        assert_eq!(c.events_capacity, 1024);
        assert_eq!(c.park_size, 1024);
        assert_eq!(c.park_slots, 16384);
        assert!(c.evict_partial);
        assert_eq!(c.linger_timeout, Duration::from_secs(2));
        assert_eq!(c.linger_bytes, 4 << 20);
        assert_eq!(c.accept_backoff, Duration::from_millis(250));
        assert!(!c.join_reuse_port);
        assert_eq!(c.tls_handshake_timeout, Duration::from_secs(10));
        assert!(c.validate().is_ok());
        assert_eq!(c.max_input_blocks(), 4);
        assert_eq!(c.reserve(), 128);
    }

    #[test]
    fn small_pools_are_allowed_when_input_fits() {
        let mut c = Config {
            pool_size: 5,
            ..Config::default()
        };
        assert!(c.validate().is_ok());
        c.pool_size = 4;
        assert!(c.validate().is_err());
    }
}
