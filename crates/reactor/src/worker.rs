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

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use arrayvec::ArrayVec;
use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Poll, Token};
use slab::Slab;

use crate::config::Config;
use crate::handle::{Shared, WorkerStats};
use crate::notify::{ConnId, Mailbox};
use crate::pool::{Chain, InRun, NoRoom, Output, Pool, NIL};
use crate::protocol::{Action, Clock, CloseReason, ConnInfo, Context, Protocol, TimeoutKind};
use crate::timer::TimerWheel;

mod accept;
mod close;
mod evict;
mod notes;
mod turn;

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

pub(crate) struct Listener {
    sock: Option<TcpListener>,
    addr: SocketAddr,
    /// More connections may be waiting (the accept batch ran out).
    ready: bool,
}

impl Listener {
    pub(crate) fn new(sock: TcpListener, addr: SocketAddr) -> Listener {
        Listener {
            sock: Some(sock),
            addr,
            ready: false,
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
}

impl<P> Conn<P> {
    /// Whether this turn's first read can be made ahead of the protocol: readable, and
    /// nothing pending that [`Worker::drive`] must see first (output to write, input held
    /// back for output room, a close under way).
    fn fetchable(&self) -> bool {
        self.readable && !self.closing && !self.redeliver && self.out.len == 0 && !self.in_flush
    }
}

/// One read made by [`Worker::fetch_all`], waiting for [`Worker::deliver_fetched`].
struct Fetched {
    key: usize,
    /// Bytes of room the read was offered; 0 if it was not made.
    space: usize,
    read: io::Result<usize>,
}

/// What [`Worker::after_read`] leaves to its caller.
enum Flow {
    /// Read again: the read filled its room, or was interrupted, or the peer's FIN is due.
    More,
    /// Reading is done for this turn.
    Done,
    /// The connection closed.
    Closed,
}

pub(crate) struct Worker<A, P> {
    index: usize,
    poll: Poll,
    listeners: Vec<Listener>,
    accepting: bool,
    /// An accept failed for lack of descriptors or memory: retry on the next tick.
    accept_backoff: bool,
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
                cfg.header_read_timeout,
                cfg.idle_timeout,
                cfg.body_read_timeout,
                cfg.write_timeout,
            ],
        };
        // Enough slots that the longest default timeout (60 s at 100 ms) fits in one turn.
        let span = cfg
            .idle_timeout
            .max(cfg.header_read_timeout)
            .max(cfg.write_timeout);
        let slots = (span.as_nanos() / cfg.timer_tick.as_nanos()).clamp(64, 4096) as usize;
        let mut w = Worker {
            index,
            poll,
            listeners,
            accepting: true,
            accept_backoff: false,
            conns: Slab::with_capacity(cfg.max_connections),
            pool: Pool::with_parking(
                cfg.pool_size,
                cfg.buffer_size,
                cfg.reserve(),
                cfg.park_slots.min(cfg.max_connections),
                cfg.park_size,
            ),
            timers: TimerWheel::new(slots, cfg.max_connections * 2),
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

    // ===== connection I/O =====

    /// Writes pending output if the socket is writable, then reads if it is readable.
    fn drive(&mut self, key: usize) {
        if self.write_out(key) {
            self.read_loop(key);
        }
    }

    /// Reads until the socket is drained, the budget is spent or a pause applies; hands input
    /// to the protocol after each read, then writes everything produced with one `writev`.
    fn read_loop(&mut self, key: usize) {
        self.read_loop_from(key, 0);
    }

    /// [`read_loop`](Worker::read_loop) after `reads` reads already made this turn.
    fn read_loop_from(&mut self, key: usize, mut reads: usize) {
        for _ in 0..WRITE_ROUNDS {
            if !self.read_some(key, &mut reads) || !self.write_out(key) {
                return;
            }
            // Output fully drained and input was waiting for room: hand it back now. (Not
            // after a partial write: the socket is full, the writable edge will bring it.)
            match self.conns.get(key) {
                Some(c) if c.redeliver && !c.closing && c.out.len == 0 && !c.input.is_empty() => {}
                _ => return,
            }
        }
        self.schedule_again(key);
    }

    /// The reading half of [`read_loop`](Worker::read_loop). Returns false if the connection
    /// closed.
    fn read_some(&mut self, key: usize, reads: &mut usize) -> bool {
        // Leftover input blocked on output is handed back once output has room again.
        let mut redeliver = self.conns.get(key).is_some_and(|c| c.redeliver);
        loop {
            let Some(c) = self.conns.get_mut(key) else {
                return false;
            };
            if c.closing {
                if c.lingering {
                    self.linger_read(key);
                    return false;
                }
                break;
            }
            if redeliver && c.out.len < self.max_out {
                redeliver = false;
                c.redeliver = false;
                if !c.input.is_empty() {
                    if !self.deliver(key) {
                        return false;
                    }
                    continue;
                }
            }
            if !c.readable {
                // Input handed back (after output drained) and still not consumed: the
                // next read may be far off.
                if !c.input.is_empty() {
                    self.park(key);
                }
                break;
            }
            if c.out.len >= self.max_out {
                // Write backpressure: write what we have; keep going only if it drained.
                if !self.write_out(key) {
                    return false;
                }
                match self.conns.get(key) {
                    Some(c) if c.out.len < self.max_out => {
                        redeliver = c.redeliver;
                        continue;
                    }
                    _ => break,
                }
            }
            if *reads >= self.read_batch {
                self.schedule_again(key);
                break;
            }
            let room = match self.pool.input_room(&mut c.input, self.max_in_blocks) {
                Ok(r) => r,
                Err(NoRoom::Starved) => {
                    self.starve(key);
                    break;
                }
                Err(NoRoom::Full) => {
                    // Full input left unconsumed: waiting for output room (it is handed back
                    // then), or `deliver` already judged it.
                    if !c.redeliver {
                        self.begin_close(key, CloseReason::InputLimit);
                    }
                    break;
                }
            };
            let space = room.len();
            let read = c.sock.read(&mut self.pool.mem_mut()[room]);
            match self.after_read(key, space, read, reads) {
                Flow::More => {}
                Flow::Done => break,
                Flow::Closed => return false,
            }
        }
        true
    }

    /// Acts on the result of one read of up to `space` bytes into the connection's input run:
    /// counts it and hands the input to the protocol, or handles end of stream and errors.
    fn after_read(
        &mut self,
        key: usize,
        space: usize,
        read: io::Result<usize>,
        reads: &mut usize,
    ) -> Flow {
        let c = &mut self.conns[key];
        match read {
            Ok(0) => {
                c.readable = false;
                self.pool.release_input(&mut c.input, false);
                if !self.begin_close(key, CloseReason::PeerClosed) {
                    return Flow::Closed;
                }
                Flow::Done
            }
            Ok(n) => {
                c.input.tail += n as u32;
                self.shared.stats[self.index].add_in(n);
                *reads += 1;
                if !self.deliver(key) {
                    return Flow::Closed;
                }
                match self.conns.get_mut(key) {
                    // Short read: the socket is drained, the next edge will come (unless
                    // the FIN is already here: then read on to see it).
                    Some(c) if n < space && !c.peer_closed => {
                        c.readable = false;
                        if !c.input.is_empty() {
                            self.park(key);
                        }
                        Flow::Done
                    }
                    Some(_) => Flow::More,
                    None => Flow::Closed,
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                c.readable = false;
                self.pool.release_input(&mut c.input, false);
                if !c.input.is_empty() {
                    self.park(key);
                }
                Flow::Done
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Flow::More,
            Err(e) => {
                self.close(key, CloseReason::Io(e.kind()));
                Flow::Closed
            }
        }
    }

    /// Reading is done for this turn and input is left unconsumed: if it is small and nothing
    /// waits on it (no output, no redelivery), it moves to a parking slot and its pool block
    /// goes back (see `Config::park_size`). Only this uncommon path pays the copy.
    #[cold]
    fn park(&mut self, key: usize) {
        let c = &mut self.conns[key];
        if c.out.len == 0 && !c.redeliver && !c.closing {
            self.pool.park(&mut c.input);
        }
    }

    /// First phase of a turn: one read for each connection that became readable
    /// with nothing else pending ([`Conn::fetchable`]), all before any is handed to the
    /// protocol. Reads run back to back, then protocol work, then writes, so each stays warm
    /// in the caches instead of evicting the others once per connection.
    fn fetch_all(&mut self) {
        for i in 0..self.fetched.len() {
            let key = self.fetched[i].key;
            let Some(c) = self.conns.get_mut(key) else {
                continue;
            };
            if !c.fetchable() {
                continue;
            }
            let Ok(room) = self.pool.input_room(&mut c.input, self.max_in_blocks) else {
                // Starved or full: `drive` handles it in the second phase.
                continue;
            };
            let f = &mut self.fetched[i];
            f.space = room.len();
            f.read = c.sock.read(&mut self.pool.mem_mut()[room]);
        }
    }

    /// Second phase: hands each fetched read to the protocol and queues the output for
    /// [`flush_all`](Worker::flush_all); connections that need more than one read go on
    /// through [`read_loop`](Worker::read_loop).
    fn deliver_fetched(&mut self) {
        let mut fetched = std::mem::take(&mut self.fetched);
        for f in fetched.drain(..) {
            if self.conns.get(f.key).is_none() {
                continue;
            }
            if f.space == 0 {
                self.drive(f.key);
                continue;
            }
            let mut reads = 0;
            match self.after_read(f.key, f.space, f.read, &mut reads) {
                Flow::Closed => {}
                Flow::More => self.read_loop_from(f.key, reads),
                Flow::Done => match self.conns.get_mut(f.key) {
                    Some(c) if c.redeliver && !c.closing && !c.input.is_empty() => {
                        self.read_loop_from(f.key, reads);
                    }
                    Some(c) if c.out.len > 0 && c.writable && !c.in_flush => {
                        c.in_flush = true;
                        self.flush.push(f.key);
                    }
                    _ => {}
                },
            }
        }
        self.fetched = fetched;
    }

    /// Third phase: writes the output [`deliver_fetched`](Worker::deliver_fetched) queued.
    fn flush_all(&mut self) {
        for i in 0..self.flush.len() {
            let key = self.flush[i];
            if let Some(c) = self.conns.get_mut(key) {
                if c.in_flush {
                    c.in_flush = false;
                    self.write_out(key);
                }
            }
        }
        self.flush.clear();
    }

    /// Hands the unconsumed input to `on_read`. Returns false if the connection closed.
    fn deliver(&mut self, key: usize) -> bool {
        let bs = self.pool.block_size();
        let c = &mut self.conns[key];
        let input_full =
            c.input.head == 0 && c.input.tail as usize == self.max_in_blocks as usize * bs;
        let len = c.input.len();
        let out_before = c.out.len;
        let (input, mut out) = self.pool.split(&c.input, &mut c.out, self.max_out);
        let mut cx = Context {
            now: self.now,
            wall: &mut self.wall,
            clock: &self.clock,
            timers: &mut self.timers,
            timer_id: key * 2,
            kind: &mut c.kind,
            worker: self.index,
            draining: self.drain_deadline.is_some(),
            input_full,
            gen: self.stamps[key] & !1,
            notes: &mut self.notes,
            mailbox: &self.mailbox,
        };
        let (consumed, action) = c.proto.on_read(&mut cx, input, &mut out);
        let remaining = out.remaining();
        let consumed = consumed.min(len);
        c.input.head += consumed as u32;
        self.pool.release_input(&mut c.input, false);
        if !c.input.is_empty() && action == Action::Keep {
            if c.out.len > 0 {
                // Perhaps waiting for output room: hand it back once output drains.
                c.redeliver = true;
            }
            if remaining == 0 && c.out.len < self.max_out {
                // The pool is short: wait for blocks to come back.
                c.redeliver = true;
                self.starve(key);
            } else if input_full && consumed == 0 && out_before == 0 {
                // Output had all its room and the pool is not short: the protocol cannot
                // progress. Flush what it wrote now (its "too large" answer) and close.
                if self.pool.free_blocks() > self.reserve {
                    return self.begin_close(key, CloseReason::InputLimit);
                }
                c.redeliver = true;
                self.starve(key);
            }
        }
        self.apply(key, action, CloseReason::Protocol)
    }

    /// Runs a non-read callback with an empty input view.
    fn callback(
        &mut self,
        key: usize,
        f: impl FnOnce(&mut P, &mut Context<'_>, &mut Output<'_>) -> Action,
    ) -> Action {
        let c = &mut self.conns[key];
        let (_, mut out) = self.pool.split(&c.input, &mut c.out, self.max_out);
        let mut cx = Context {
            now: self.now,
            wall: &mut self.wall,
            clock: &self.clock,
            timers: &mut self.timers,
            timer_id: key * 2,
            kind: &mut c.kind,
            worker: self.index,
            draining: self.drain_deadline.is_some(),
            input_full: false,
            gen: self.stamps[key] & !1,
            notes: &mut self.notes,
            mailbox: &self.mailbox,
        };
        f(&mut c.proto, &mut cx, &mut out)
    }

    /// Acts on a callback's verdict. Returns false if the connection closed.
    fn apply(&mut self, key: usize, action: Action, reason: CloseReason) -> bool {
        match action {
            Action::Keep => true,
            Action::CloseAfterFlush => self.begin_close(key, reason),
            Action::CloseNow => {
                self.close(key, reason);
                false
            }
        }
    }

    /// Stops reading and closes once the output is written (under the write-stall timer).
    /// Returns false if the connection closed right away (nothing to write).
    fn begin_close(&mut self, key: usize, reason: CloseReason) -> bool {
        let c = &mut self.conns[key];
        if !c.closing {
            c.closing = true;
            c.close_reason = reason;
        }
        // Input left unread: the peer may still be sending, so linger (unless output pending
        // makes the final close come from `write_pending`, which lingers anyway).
        let held = c.input.holds_input();
        self.pool.release_input(&mut c.input, true);
        self.timers.cancel(key * 2);
        if c.out.len == 0 {
            let reason = c.close_reason;
            self.close_with(key, reason, held);
            return false;
        }
        if !self.timers.is_armed(key * 2 + 1) {
            self.arm_write_timer(key);
        }
        true
    }

    fn arm_write_timer(&mut self, key: usize) {
        let after = self.clock.timeouts[TimeoutKind::WriteStall.index()];
        self.timers
            .arm(key * 2 + 1, self.clock.tick_at(self.now + after));
    }

    /// Writes pending output (one `writev` per round) while the socket takes it, calling
    /// `on_write_ready` whenever it drains. Returns false if the connection closed.
    ///
    /// The nothing-to-do check is inlined: every readable event calls this before reading,
    /// usually with no output pending.
    #[inline(always)]
    fn write_out(&mut self, key: usize) -> bool {
        match self.conns.get(key) {
            None => false,
            Some(c) if c.out.len == 0 || !c.writable => true,
            Some(_) => self.write_pending(key),
        }
    }

    /// [`Worker::write_out`] with output pending on a writable socket.
    #[inline(never)]
    fn write_pending(&mut self, key: usize) -> bool {
        for _ in 0..WRITE_ROUNDS {
            let Some(c) = self.conns.get_mut(key) else {
                return false;
            };
            if c.out.len == 0 || !c.writable {
                return true;
            }
            let (written, offered) = {
                let mut iov = ArrayVec::<io::IoSlice<'_>, IOV>::new();
                self.pool.gather(&c.out, &mut iov);
                let offered: usize = iov.iter().map(|s| s.len()).sum();
                let r = loop {
                    // One block (the common keep-alive answer) goes out with `send`, which is
                    // cheaper than a one-element `writev` (no iovec import in the kernel).
                    let res = if iov.len() == 1 {
                        c.sock.write(&iov[0])
                    } else {
                        c.sock.write_vectored(&iov)
                    };
                    match res {
                        Ok(n) => break Ok(n),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(0),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                (r, offered)
            };
            let n = match written {
                Ok(n) => n,
                Err(e) => {
                    self.close(key, CloseReason::Io(e.kind()));
                    return false;
                }
            };
            self.pool.consume_output(&mut c.out, n);
            self.shared.stats[self.index].add_out(n);
            if c.out.len > 0 {
                if n == offered {
                    // Cut short by the iovec cap, not by the socket: go again.
                    continue;
                }
                // The socket took less than offered: it is full, the next edge will come.
                c.writable = false;
                if n > 0 || !self.timers.is_armed(key * 2 + 1) {
                    self.arm_write_timer(key);
                }
                return true;
            }
            self.timers.cancel(key * 2 + 1);
            if c.closing {
                // The last answer is out: linger so that input still in flight cannot turn
                // the close into a reset that destroys it.
                let reason = c.close_reason;
                self.close_with(key, reason, true);
                return false;
            }
            if self.drain_deadline.is_none() && !c.proto.wants_write_ready() {
                return true;
            }
            let action = self.callback(key, |p, cx, out| p.on_write_ready(cx, out));
            if !self.apply(key, action, CloseReason::Protocol) {
                return false;
            }
            let c = &mut self.conns[key];
            if c.out.len == 0 {
                return true;
            }
        }
        self.schedule_again(key);
        true
    }

    fn schedule_again(&mut self, key: usize) {
        if let Some(c) = self.conns.get_mut(key) {
            if !c.in_again {
                c.in_again = true;
                self.again.push(key);
            }
        }
    }

    fn run_again(&mut self) {
        if self.accepting {
            for li in 0..self.listeners.len() {
                if self.listeners[li].ready {
                    self.accept(li);
                }
            }
        }
        std::mem::swap(&mut self.again, &mut self.again_work);
        for i in 0..self.again_work.len() {
            let key = self.again_work[i];
            if let Some(c) = self.conns.get_mut(key) {
                if c.in_again {
                    c.in_again = false;
                    self.drive(key);
                }
            }
        }
        self.again_work.clear();
    }

    // ===== pool starvation =====

    fn starve(&mut self, key: usize) {
        let tail = self.starved_tail;
        let c = &mut self.conns[key];
        if c.starved {
            return;
        }
        c.starved = true;
        self.starved_len += 1;
        if !self.retrying {
            self.shared.stats[self.index].on_pool_wait();
        }
        c.starved_prev = tail;
        c.starved_next = NIL;
        if tail == NIL {
            self.starved_head = key as u32;
        } else {
            self.conns[tail as usize].starved_next = key as u32;
        }
        self.starved_tail = key as u32;
    }

    fn unstarve(&mut self, key: usize) {
        let c = &mut self.conns[key];
        if !c.starved {
            return;
        }
        c.starved = false;
        self.starved_len -= 1;
        let (prev, next) = (c.starved_prev, c.starved_next);
        if prev == NIL {
            self.starved_head = next;
        } else {
            self.conns[prev as usize].starved_next = next;
        }
        if next == NIL {
            self.starved_tail = prev;
        } else {
            self.conns[next as usize].starved_prev = prev;
        }
    }

    /// Gives connections waiting for pool blocks a turn, oldest first, if blocks came back.
    fn retry_starved(&mut self) {
        if self.pool.take_returned() == 0 || self.starved_head == NIL {
            return;
        }
        // Only those waiting now: one that starves again goes to the back, after `last`.
        let last = self.starved_tail as usize;
        self.retrying = true;
        while self.starved_head != NIL && self.pool.free_blocks() > 0 {
            let key = self.starved_head as usize;
            self.unstarve(key);
            let c = &mut self.conns[key];
            c.redeliver |= !c.input.is_empty();
            self.drive(key);
            if key == last {
                break;
            }
        }
        self.retrying = false;
    }

    // ===== timers =====

    fn fire_timers(&mut self) {
        if self.accept_backoff {
            self.accept_backoff = false;
            if self.accepting {
                for l in &mut self.listeners {
                    l.ready = l.sock.is_some();
                }
            }
        }
        let now = self.clock.tick_of(self.now);
        self.timers.advance(now, &mut self.expired);
        for i in 0..self.expired.len() {
            let id = self.expired[i];
            let key = id / 2;
            if !self.conns.contains(key) {
                continue;
            }
            if self.conns[key].lingering {
                self.remove(key);
                continue;
            }
            if id.is_multiple_of(2) {
                let kind = self.conns[key].kind.take().unwrap_or(TimeoutKind::Idle);
                let action = self.callback(key, |p, cx, out| p.on_timeout(cx, kind, out));
                if self.apply(key, action, CloseReason::Timeout(kind)) {
                    self.write_out(key);
                }
            } else {
                let kind = TimeoutKind::WriteStall;
                let _ = self.callback(key, |p, cx, out| p.on_timeout(cx, kind, out));
                self.close(key, CloseReason::Timeout(kind));
            }
        }
        self.expired.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_slot_is_small() {
        // The idle-connection cost, beyond the protocol's own state: the slab entry.
        let entry = std::mem::size_of::<Conn<()>>();
        assert!(entry <= 72, "Conn is {entry} bytes");
    }
}
