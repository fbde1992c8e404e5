//! Reading: a connection's read loop (read, hand the input to the protocol, write, again),
//! the turn's batched first reads (`fetch_all`, then `deliver_fetched`), and parking small
//! leftovers.

use std::io::{self, Read};

use super::{Protocol, Worker, WRITE_ROUNDS};
use crate::pool::NoRoom;
use crate::protocol::{CloseReason, ConnInfo};

/// What [`Worker::after_read`] leaves to its caller.
enum Flow {
    /// Read again: the read filled its room, or was interrupted, or the peer's FIN is due.
    More,
    /// Reading is done for this turn.
    Done,
    /// The connection closed.
    Closed,
}

impl<A, P> Worker<A, P>
where
    A: FnMut(&ConnInfo) -> P,
    P: Protocol,
{
    /// Writes pending output if the socket is writable, then reads if it is readable.
    pub(super) fn drive(&mut self, key: usize) {
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
            if !c.readable || c.paused {
                // Input handed back (after output drained) and still not consumed: the
                // next read may be far off (or paused by the protocol).
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
            #[cfg(feature = "tls")]
            let read = if c.tls.is_some() {
                self.tls_read(key, room)
            } else {
                c.sock.read(&mut self.pool.mem_mut()[room])
            };
            #[cfg(not(feature = "tls"))]
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

    /// First phase of a turn: one read for each connection that became readable with nothing
    /// else pending ([`Conn::fetchable`](super::Conn::fetchable)), all before any is handed to
    /// the protocol. Reads run back to back, then protocol work, then writes, so each stays
    /// warm in the caches instead of evicting the others once per connection.
    pub(super) fn fetch_all(&mut self) {
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
            let space = room.len();
            #[cfg(feature = "tls")]
            let read = if c.tls.is_some() {
                self.tls_read(key, room)
            } else {
                c.sock.read(&mut self.pool.mem_mut()[room])
            };
            #[cfg(not(feature = "tls"))]
            let read = c.sock.read(&mut self.pool.mem_mut()[room]);
            let f = &mut self.fetched[i];
            f.space = space;
            f.read = read;
        }
    }

    /// Second phase: hands each fetched read to the protocol and queues the output for
    /// [`flush_all`](Worker::flush_all); connections that need more than one read go on
    /// through [`read_loop`](Worker::read_loop).
    pub(super) fn deliver_fetched(&mut self) {
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
}
