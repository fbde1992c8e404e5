//! brisk-reactor: a mio event loop with one poll per worker thread, fixed buffer pools, a hashed
//! timer wheel, backpressure and graceful shutdown, for any byte-stream protocol.
//!
//! The reactor knows nothing about HTTP. A protocol plugs in through [`Protocol`]: one value
//! per connection, fed its unconsumed input as one contiguous slice, appending its answers to
//! an [`Output`] that the reactor writes with one `send`/`writev`.
//!
//! ```text
//!            Handle (any thread): shutdown(grace), join(), counters (atomics), notifier(w)
//!               | mio::Waker (shutdown; one wake per batch of notifications)
//!   worker 0 ...v........................................  worker 1 ... (same, own port share)
//!   | SO_REUSEPORT listener -> accept (batch) -> Slab<Conn>                               |
//!   | epoll (edge) -> read into pool run -> Protocol::on_read(&[u8]) -> Output (pool chain)|
//!   |                                  \-> one writev per readable event                    |
//!   | timer wheel (ticks, driven by the poll timeout) -> Protocol::on_timeout -> close      |
//!   | notifications (local Vec + MPSC mailbox) -> Protocol::on_notify -> the turn's writes  |
//!   ........................................................................................
//! ```
//!
//! A worker's loop is a loop over one *turn*: wait for events (bounded by the next timer),
//! handle them, the turn's reads, notifications, writes, retries and timers. A worker can
//! also be [embedded](Reactor::embed): a foreign event loop owns the thread, waits on the
//! worker's epoll fd and calls [`Embedded::turn`], which returns the next deadline.
//!
//! # Answering later
//!
//! A protocol need not answer from the callback that read the request. It keeps the
//! connection's [`ConnId`] (from [`Context::conn_id`]; plain ids, no borrow) and whoever
//! finishes the work *notifies* it: from any thread with a [`Notifier`]
//! ([`Handle::notifier`], [`Context::notifier`]), on the worker thread with
//! [`Context::notify_local`]. The worker then calls [`Protocol::on_notify`], which appends the
//! answer; it leaves with the turn's other writes. A notification for a connection that has
//! closed is recognised by the id's generation and dropped
//! ([`WorkerStats::notify_stale`]); `on_notify` may be spurious or coalesce several
//! notifications (the protocol checks its own state).
//!
//! ```text
//!  other thread --Notifier::notify--> worker's MPSC queue --(one eventfd wake per batch)--+
//!  worker thread --Context::notify_local--> worker-local Vec (no atomics, no wake) -------+
//!                                                                                         v
//!               worker turn: drain both -> generation check -> Protocol::on_notify -> Output
//! ```
//!
//! # Costs, by design
//!
//! * Syscalls: a read that returns less than the room offered is not followed by another read;
//!   all output of one readable event goes out in one `send`/`writev`; each connection is registered
//!   once (readable + writable, edge-triggered), so no `epoll_ctl` per request; timers cost no
//!   syscall (the wheel sets the `epoll_wait` timeout).
//! * Threads: [`Reactor::run_per_worker`] serves on the calling thread as worker 0, so one
//!   worker needs no thread at all. In a single-threaded process the kernel looks each socket
//!   up without touching a reference count, and glibc skips its thread-cancellation bookkeeping
//!   around `recv` and `send`.
//! * Memory: each worker allocates its pool, slab, timer wheel and queues at start and never
//!   again (the notification queues excepted, see below); a 4-byte generation per slot lives
//!   beside the slab, not in it. A connection holds pool buffers only while it has unconsumed input or pending
//!   output (small unconsumed input is parked in a slot instead, see *Buffers*), so an idle
//!   keep-alive connection costs its slab entry (72 bytes plus the protocol value) and the
//!   kernel's socket; timer and parking slots are zeroed memory, resident only once used.
//! * Fairness and backpressure: accepts and reads per wake-up are capped; a connection whose
//!   output is full is not read; an empty pool stops reading (never allocates); a peer that
//!   reads nothing is closed by the write-stall timer; at `max_connections` a worker stops
//!   accepting until one closes. Partial messages cannot starve complete ones (see *Buffers*).
//! * Listeners: each worker has its own `SO_REUSEPORT` listener per TCP address; a start where
//!   another process already listens fails ([`Error::AddrInUse`]) unless
//!   [`Config::join_reuse_port`] asks to share. A Unix-domain socket
//!   ([`Reactor::bind_unix`]) is one listener whose descriptor every worker polls; its
//!   connections are held exactly as TCP ones (same calls, no branch on the read/write path).
//! * Out of descriptors: an `accept` that fails with `EMFILE`, `ENFILE`, `ENOBUFS` or `ENOMEM`
//!   takes the worker's listeners out of its poll until one of its connections closes or
//!   [`Config::accept_backoff`] (250 ms) passes, so a full backlog costs about four failed
//!   `accept4` calls a second instead of a spinning worker; each is counted
//!   ([`WorkerStats::accept_errors`]) and reported to [`Reactor::on_accept_error`] at most once
//!   a second. [`raise_fd_limit`] lifts the soft descriptor limit to the hard one.
//! * Closing: when the reactor closes a connection by its own choice right after an answer, or
//!   with input unread, it closes in stages (RFC 9112 section 9.6): the write side is shut down,
//!   what the peer still sends is read into a per-worker scratch buffer and discarded until
//!   EOF, `linger_timeout` (2 s) or `linger_bytes`, then the socket closes. A plain close with
//!   unread input makes the kernel send a reset, which destroys the answer in the peer's
//!   buffer. [`Protocol::on_close`] is called when lingering starts; the lingering socket
//!   still takes a connection slot, and the graceful-shutdown deadline cuts it short.
//! * Notifications: on the worker thread, [`Context::notify_local`] is a push onto a `Vec`
//!   (no atomic read-modify-write, no wake), delivered later in the same turn. From another
//!   thread, [`Notifier::notify`] is a push onto a lock-free queue (std's MPSC channel, which
//!   allocates a block per 31 messages) and one atomic swap of a "wake pending" flag; only the
//!   notifier that sets the flag writes the worker's eventfd, and the worker clears it before
//!   draining, so a burst between two turns costs one wake ([`WorkerStats::notify_wakes`]).
//!   The worker drains at most 4,096 ids per turn and calls `on_notify` at most once per
//!   connection per turn. A turn without notifications pays three loads for them; a wake for
//!   notifications only runs no read or accept.
//! * TLS (feature `tls`, [`Reactor::listen_tls`]): rustls below the protocol; the
//!   handshake runs before the protocol exists (no pool buffer, its own timeout), then
//!   records decrypt into the input run and the protocol's output is encrypted into the
//!   output chain, under the same limits (see [`tls`]). A cleartext connection pays one
//!   `None` check per read, callback and write.
//! * Graceful shutdown: every connection is first read (what is already in its socket is
//!   handed to [`Protocol::on_read`] with [`Context::is_draining`] set, so requests received
//!   are answered as the last ones), then [`Protocol::on_drain`] is called.
//!
//! # Contract
//!
//! Multi-block writes use `writev`, which raises `SIGPIPE` when the peer has reset the connection unless the
//! signal is ignored. Rust binaries ignore it by default (the standard library sets `SIG_IGN`
//! before `main`); a program that restores the default action must not run a reactor.
//!
//! # Buffers
//!
//! Each worker owns one pool: `pool_size` buffers of `buffer_size` bytes in a single arena,
//! allocated at start. Nothing is allocated past it; when it is empty, connections wait
//! (reading stops) and resume, oldest first, as buffers come back.
//!
//! ```text
//!  arena: | b0 | b1 | b2 | b3 | b4 | b5 | b6 | b7 |
//!           \___ input run of one connection ___/   b4 -> b6: output chain of another
//! ```
//!
//! * **Input is contiguous.** A connection's unconsumed input lives in a *run* of adjacent
//!   buffers, so [`Protocol::on_read`] always gets one `&[u8]` (zero-copy parsers need that).
//!   A run starts as one buffer. When it is full and the protocol consumed nothing (a head
//!   bigger than one buffer), it doubles: in place when the next buffers are free, otherwise by
//!   moving to a free run (one copy), up to `max_input` bytes (rounded up to whole buffers).
//!   A protocol that leaves a full `max_input` unconsumed is closed
//!   ([`CloseReason::InputLimit`]); a body is streamed by consuming it piece by piece. Consumed
//!   bytes are compacted away when the run fills; a fully consumed run goes back to the pool.
//! * **Output is chained.** [`Output`] appends into single buffers linked in a chain, written
//!   with one `send`/`writev`; each buffer goes back as soon as the socket took it. A connection's
//!   pending output never exceeds `max_pending_output`; reading it pauses while it is full.
//! * Input may only take a buffer while more than `pool_size / 16` (at least 1) are free, so
//!   input can never take the whole pool and leave output nothing to drain through.
//! * **Small leftovers are parked.** Without care, every connection with unconsumed input holds
//!   a buffer, so a few thousand connections that each send the start of a message and stall
//!   (slow loris) empty the pool and stop the worker for everyone. So when reading is done for
//!   the turn and at most `park_size` bytes (1 KiB) are left unconsumed with no output pending,
//!   they move to a small per-connection slot (one zeroed arena of `park_slots` slots, resident
//!   as used) and the buffer goes back; the next read takes a buffer, puts the parked bytes in
//!   front and reads after them, so `on_read` still sees one contiguous slice. The copy is paid
//!   only on this uncommon path: a connection whose input is fully consumed (keep-alive) never
//!   parks.
//! * **Large partial messages are evicted.** Leftovers too large to park still hold buffers.
//!   When input is starved (a connection waits for a buffer and the pool is down to the output
//!   reserve), the worker fires the [`Start`](TimeoutKind::Start) timer early on the
//!   connections holding input buffers under that timer, oldest deadline first, as many as
//!   connections wait (at least `pool_size / 16`), at most once per timer tick. The protocol
//!   answers as for any `Start` timeout (HTTP: 408) and closes, and the waiting connections
//!   get the buffers. Connections under the [`Input`](TimeoutKind::Input) timer (reading the
//!   rest of an exchange, HTTP: a body) or [`Idle`](TimeoutKind::Idle) are never evicted
//!   (`evict_partial` turns this off). This is the last line: it keeps the worker serving, but
//!   thousands of peers that resend large partial heads as soon as they are evicted still cost
//!   it much of its throughput in accepts and answers (`benches/attack/slowloris.sh --first`).
//!
//! # Examples
//!
//! ```no_run
//! use brisk_reactor::{Action, Context, Output, Protocol, Reactor, TimeoutKind};
//! use std::io::{Read, Write};
//! use std::time::Duration;
//!
//! struct Echo;
//! impl Protocol for Echo {
//!     fn on_read(&mut self, cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
//!         let n = input.len().min(out.remaining());
//!         out.extend_from_slice(&input[..n]).unwrap();
//!         cx.set_timeout(TimeoutKind::Idle);
//!         (n, Action::Keep)
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let handle = Reactor::new().bind("127.0.0.1:0".parse()?).workers(1).start(|_| Echo)?;
//! let mut c = std::net::TcpStream::connect(handle.local_addr())?;
//! c.write_all(b"ping")?;
//! let mut buf = [0; 4];
//! c.read_exact(&mut buf)?;
//! assert_eq!(&buf, b"ping");
//! handle.shutdown(Duration::from_secs(1));
//! handle.join()?;
//! # Ok(()) }
//! ```
// `unsafe` only in `pool::file_map` (mapping a file: measured to pay, see there).
#![deny(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]
#![doc(test(attr(deny(warnings))))]

mod config;
mod embed;
mod error;
mod handle;
mod listen;
mod notify;
mod pool;
mod protocol;
mod reactor;
mod report;
mod timer;
pub mod tls;
mod worker;

/// The rustls this crate is built with (feature `tls`): build the `ServerConfig` for
/// [`Reactor::listen_tls`] with it, so both sides use one version.
#[cfg(feature = "tls")]
pub use rustls;

pub use config::Config;
pub use embed::{Embedded, Turn};
pub use error::Error;
pub use handle::{Closes, Handle, Totals, WorkerStats};
pub use listen::{fd_limit, raise_fd_limit, ListenAddr, ListenerKind, UNIX_ADDR};
pub use notify::{ConnId, Notifier};
pub use pool::{FileMap, FileRange, Output, OutputFull, SegmentError};
pub use protocol::{Action, CloseReason, ConnInfo, Context, Protocol, TimeoutKind};
pub use reactor::Reactor;
pub use report::AcceptError;
pub use tls::{Alpn, TlsInfo, TlsVersion};

/// The README, compiled as doctests so its examples cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
