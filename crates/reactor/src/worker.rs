//! One worker thread: a `mio::Poll`, its listeners, a slab of connections, a buffer pool and a
//! timer wheel. Nothing here allocates after [`Worker::new`], except the local notification
//! queue when one turn queues more than 64 (`Context::notify_local`).
//!
//! Readiness is edge-triggered, so the worker remembers it: `readable` is set by an event and
//! cleared only by `WouldBlock` or a short read (the socket is drained, the next edge will
//! come); `writable` likewise for writes. A connection paused for any reason (output full,
//! pool empty, its read budget spent) keeps its flag and is resumed by the worker itself:
//! from the `again` list on the next turn, from the `starved` list when blocks come back, or
//! after a write drains its output.
//!
//! This module holds the worker's state; its work is in `turn` (one loop turn, the `again`
//! list), `accept`, `read`, `callback` (calling the protocol), `write`, `notes`
//! (notifications), `starve` (waiting for pool blocks), `evict`, `timers` and `close`.

use std::io;
use std::net::SocketAddr;
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use mio::net::TcpStream;
use mio::{Interest, Poll, Token};
use slab::Slab;

use crate::config::Config;
use crate::handle::{Shared, WorkerStats};
use crate::listen::{ListenSock, ListenerKind};
use crate::notify::{ConnId, Mailbox};
use crate::pool::{Chain, InRun, Pool, NIL};
use crate::protocol::{Clock, CloseReason, ConnInfo, Protocol, TimeoutKind};
use crate::timer::TimerWheel;

mod accept;
mod callback;
mod close;
mod evict;
mod notes;
mod read;
mod sendfile;
mod starve;
mod timers;
#[cfg(feature = "tls")]
mod tls;
mod turn;
mod write;

#[cfg(feature = "tls")]
pub(crate) use tls::{Handshake, TlsConn};

pub(crate) const WAKER: Token = Token(usize::MAX);

fn listener_token(i: usize) -> Token {
    Token(usize::MAX - 1 - i)
}

/// Most `writev` rounds per wake-up when the protocol keeps refilling drained output.
const WRITE_ROUNDS: usize = 16;
/// Most connections read ahead of the protocol in one turn ([`Worker::fetch_all`]); each
/// holds an input block until it is delivered, so this bounds what the batch takes from the
/// pool. Further connections in the turn are served one at a time, as before.
const FETCH_BATCH: usize = 64;
/// Most iovecs per `writev` (the default `max_pending_output` is 16 buffers).
const IOV: usize = 64;
/// Timer ids per connection slot: read and write timer, and with TLS the handshake timer.
#[cfg(feature = "tls")]
const TIMERS_PER_CONN: usize = 3;
#[cfg(not(feature = "tls"))]
const TIMERS_PER_CONN: usize = 2;

pub(crate) struct Listener {
    sock: Option<ListenSock>,
    /// The bound address; `UNIX_ADDR` for a Unix-domain listener.
    addr: SocketAddr,
    kind: ListenerKind,
    /// More connections may be waiting (the accept batch ran out).
    ready: bool,
    /// A TLS listener's config ([`Reactor::listen_tls`](crate::Reactor::listen_tls)).
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<Arc<rustls::ServerConfig>>,
}

impl Listener {
    pub(crate) fn new(sock: ListenSock, addr: SocketAddr) -> Listener {
        Listener {
            kind: sock.kind(),
            sock: Some(sock),
            addr,
            ready: false,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

struct Conn<P> {
    sock: TcpStream,
    proto: P,
    input: InRun,
    out: Chain,
    /// Kind of the armed read timer.
    kind: Option<TimeoutKind>,
    readable: bool,
    writable: bool,
    /// The peer's FIN was reported: a short read does not mean drained, read on to EOF.
    peer_closed: bool,
    /// Stop reading; close once output is written.
    closing: bool,
    /// The protocol paused reading ([`Context::pause_reading`]): the socket is not read (its
    /// data waits in the kernel, which pushes back on the peer) until it resumes.
    ///
    /// [`Context::pause_reading`]: crate::Context::pause_reading
    paused: bool,
    close_reason: CloseReason,
    /// Unconsumed input must be handed to the protocol again before reading more.
    redeliver: bool,
    in_again: bool,
    /// Queued in `Worker::flush` to write after this turn's reads.
    in_flush: bool,
    starved: bool,
    /// Closed by our choice (the protocol was told): the write side is shut down and what
    /// the peer still sends is read and discarded until EOF, the linger timer or the byte cap.
    lingering: bool,
    /// Bytes discarded while lingering.
    lingered: u32,
    starved_prev: u32,
    starved_next: u32,
    /// A TLS connection's rustls state and plaintext output; `None` (one check) on cleartext.
    #[cfg(feature = "tls")]
    tls: Option<Box<TlsConn>>,
}

impl<P> Conn<P> {
    /// Whether this turn's first read can be made ahead of the protocol: readable, and
    /// nothing pending that [`Worker::drive`] must see first (output to write, input held
    /// back for output room, a close under way).
    fn fetchable(&self) -> bool {
        self.readable
            && !self.closing
            && !self.paused
            && !self.redeliver
            && self.out.len == 0
            && !self.in_flush
    }
}

/// One read made by [`Worker::fetch_all`], waiting for [`Worker::deliver_fetched`].
struct Fetched {
    key: usize,
    /// Bytes of room the read was offered; 0 if it was not made.
    space: usize,
    read: io::Result<usize>,
}

pub(crate) struct Worker<A, P> {
    index: usize,
    poll: Poll,
    listeners: Vec<Listener>,
    accepting: bool,
    /// An accept failed for lack of descriptors or memory: accepting is paused until a
    /// connection closes or this instant.
    accept_retry_at: Option<Instant>,
    accept_backoff: Duration,
    conns: Slab<Conn<P>>,
    pool: Pool,
    timers: TimerWheel,
    clock: Clock,
    factory: A,
    shared: Arc<Shared>,
    now: Instant,
    wall: Option<SystemTime>,
    max_conns: usize,
    max_in_blocks: u32,
    max_out: usize,
    /// Blocks input may not take (see `Config::reserve`).
    reserve: usize,
    accept_batch: usize,
    read_batch: usize,
    again: Vec<usize>,
    again_work: Vec<usize>,
    /// This turn's first reads, made before any is handed to the protocol.
    fetched: Vec<Fetched>,
    /// Connections whose output waits for the end of this turn's deliveries.
    flush: Vec<usize>,
    starved_head: u32,
    starved_tail: u32,
    /// Connections in the starved list.
    starved_len: usize,
    expired: Vec<usize>,
    keys: Vec<usize>,
    drain_deadline: Option<Instant>,
    /// Inside `retry_starved`: a connection starving again is not a new wait.
    retrying: bool,
    /// Where lingering connections' input is read and discarded.
    scratch: Vec<u8>,
    linger_timeout: Duration,
    linger_bytes: u32,
    evict_partial: bool,
    /// The tick of the last eviction round (at most one per tick).
    evicted_at: u64,
    /// Eviction candidates: (read-timer deadline tick, key).
    candidates: Vec<(u64, usize)>,
    /// Per slot: the generation of the connection in it (even; +2 on every close), plus
    /// bit 0 set while the connection is queued in `notify_keys`. Kept outside `Conn` so that
    /// it survives the slot being freed and `Conn` stays small.
    stamps: Vec<u32>,
    /// Notifications queued on this thread (`Context::notify_local`).
    notes: Vec<ConnId>,
    notes_work: Vec<ConnId>,
    /// Connections to call `on_notify` on this turn (each once).
    notify_keys: Vec<usize>,
    mailbox: Arc<Mailbox>,
    inbox: Receiver<ConnId>,
    /// The mailbox flagged a wake this turn: drain the cross-thread queue.
    notify_wake: bool,
    /// The last drain stopped at its cap: drain again next turn.
    notify_more: bool,
    /// TLS connections still in their handshake (no protocol yet), by token
    /// `HS_TOKEN + key`; their timer id is `hs_timers + key`.
    #[cfg(feature = "tls")]
    hs: Slab<Handshake>,
    #[cfg(feature = "tls")]
    hs_timers: usize,
    #[cfg(feature = "tls")]
    hs_timeout: Duration,
}

impl<A, P> Worker<A, P>
where
    A: FnMut(&ConnInfo) -> P,
    P: Protocol,
{
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        index: usize,
        cfg: &Config,
        poll: Poll,
        listeners: Vec<Listener>,
        factory: A,
        shared: Arc<Shared>,
        mailbox: Arc<Mailbox>,
        inbox: Receiver<ConnId>,
    ) -> io::Result<Worker<A, P>> {
        let now = Instant::now();
        let clock = Clock {
            base: now,
            tick: cfg.timer_tick,
            timeouts: [
                cfg.start_timeout,
                cfg.idle_timeout,
                cfg.input_timeout,
                cfg.write_timeout,
            ],
        };
        // Enough slots that the longest default timeout (60 s at 100 ms) fits in one turn.
        let span = cfg
            .idle_timeout
            .max(cfg.start_timeout)
            .max(cfg.write_timeout);
        let slots = (span.as_nanos() / cfg.timer_tick.as_nanos()).clamp(64, 4096) as usize;
        let mut w = Worker {
            index,
            poll,
            listeners,
            accepting: true,
            accept_retry_at: None,
            accept_backoff: cfg.accept_backoff,
            conns: Slab::with_capacity(cfg.max_connections),
            pool: Pool::with_parking(
                cfg.pool_size,
                cfg.buffer_size,
                cfg.reserve(),
                cfg.park_slots.min(cfg.max_connections),
                cfg.park_size,
            ),
            // Per connection a read and a write timer, and (TLS) a handshake timer.
            timers: TimerWheel::new(slots, cfg.max_connections * TIMERS_PER_CONN),
            clock,
            factory,
            shared,
            now,
            wall: None,
            max_conns: cfg.max_connections,
            max_in_blocks: cfg.max_input_blocks() as u32,
            max_out: cfg.max_pending_output,
            reserve: cfg.reserve(),
            accept_batch: cfg.accept_batch,
            read_batch: cfg.read_batch,
            // A key can be queued twice (closed and reused within a turn), rarely more.
            again: Vec::with_capacity(cfg.max_connections * 2 + 64),
            again_work: Vec::with_capacity(cfg.max_connections * 2 + 64),
            fetched: Vec::with_capacity(FETCH_BATCH),
            // Notified connections are flushed too: at most one entry each.
            flush: Vec::with_capacity(FETCH_BATCH + cfg.max_connections),
            starved_head: NIL,
            starved_tail: NIL,
            starved_len: 0,
            expired: Vec::with_capacity(cfg.max_connections * 2),
            keys: Vec::with_capacity(cfg.max_connections),
            drain_deadline: None,
            retrying: false,
            scratch: if cfg.linger_timeout.is_zero() {
                Vec::new()
            } else {
                vec![0; cfg.buffer_size.min(64 * 1024)]
            },
            linger_timeout: cfg.linger_timeout,
            linger_bytes: cfg.linger_bytes.min(u32::MAX as usize) as u32,
            evict_partial: cfg.evict_partial,
            evicted_at: u64::MAX,
            candidates: Vec::with_capacity(if cfg.evict_partial {
                cfg.max_connections
            } else {
                0
            }),
            stamps: vec![0; cfg.max_connections],
            notes: Vec::with_capacity(64),
            notes_work: Vec::with_capacity(64),
            notify_keys: Vec::with_capacity(cfg.max_connections),
            mailbox,
            inbox,
            notify_wake: false,
            notify_more: false,
            #[cfg(feature = "tls")]
            hs: Slab::new(),
            #[cfg(feature = "tls")]
            hs_timers: cfg.max_connections * 2,
            #[cfg(feature = "tls")]
            hs_timeout: cfg.tls_handshake_timeout,
        };
        for i in 0..w.listeners.len() {
            if let Some(l) = w.listeners[i].sock.as_mut() {
                w.poll
                    .registry()
                    .register(l, listener_token(i), Interest::READABLE)?;
            }
        }
        Ok(w)
    }

    fn stats(&self) -> &WorkerStats {
        &self.shared.stats[self.index]
    }

    /// Connections open: served ones, and (TLS) those still in their handshake.
    fn open(&self) -> usize {
        #[cfg(feature = "tls")]
        return self.conns.len() + self.hs.len();
        #[cfg(not(feature = "tls"))]
        self.conns.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_slot_is_small() {
        // The idle-connection cost, beyond the protocol's own state: the slab entry.
        // (72 bytes until the read pause flag took the last byte of padding; 80 until the
        // output chain's pending file range, one boxed pointer, issue 22.)
        let entry = std::mem::size_of::<Conn<()>>();
        // With TLS, one pointer more (`Conn::tls`).
        let budget = if cfg!(feature = "tls") { 96 } else { 88 };
        assert!(entry <= budget, "Conn is {entry} bytes");
    }
}
