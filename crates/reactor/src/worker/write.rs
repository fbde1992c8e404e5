//! Writing: pending output goes out with one `send`/`writev` per round, under the
//! write-stall timer; the turn's queued writes are flushed after its deliveries.

use std::io::{self, Write};

use arrayvec::ArrayVec;

use super::{Protocol, Worker, IOV, WRITE_ROUNDS};
use crate::protocol::{CloseReason, ConnInfo, TimeoutKind};

/// `EFAULT`: `writev` met a mapped page it could not read.
const FAULT: i32 = 14;

impl<A, P> Worker<A, P>
where
    A: FnMut(&ConnInfo) -> P,
    P: Protocol,
{
    /// Third phase: writes the output [`deliver_fetched`](Worker::deliver_fetched) queued.
    pub(super) fn flush_all(&mut self) {
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

    pub(super) fn arm_write_timer(&mut self, key: usize) {
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
    pub(super) fn write_out(&mut self, key: usize) -> bool {
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
            // Bytes from a file's mapping are offered: a short count may mean the file was
            // truncated (the kernel's copy faulted), not a full socket.
            let mut mapped = false;
            let (written, offered) = if c.out.only_file() {
                super::sendfile::send(&c.sock, &c.out)
            } else {
                let mut iov = ArrayVec::<io::IoSlice<'_>, IOV>::new();
                self.pool.gather(&c.out, &mut iov);
                let mut truncated = false;
                if let Some(m) = c.out.mapped() {
                    let mut ends = [0; crate::pool::MAX_MAPS];
                    mapped = m.gather(&mut iov, &mut ends);
                    truncated = mapped && !m.holds(&ends);
                }
                let offered: usize = iov.iter().map(|s| s.len()).sum();
                // A file range follows (a response head before its `sendfile` body): the
                // blocks go with MSG_MORE, so the head leaves in the file's first segment,
                // not in a packet of its own (what nginx gets from TCP_CORK, without its two
                // `setsockopt` calls per response).
                let more = c.out.file().is_some();
                let r = loop {
                    if truncated {
                        break Err(io::ErrorKind::UnexpectedEof.into());
                    }
                    let res = if more {
                        super::sendfile::send_more(&c.sock, &iov)
                    } else if iov.len() == 1 {
                        // One block (the common keep-alive answer) goes out with `send`, which
                        // is cheaper than a one-element `writev` (no iovec import).
                        c.sock.write(&iov[0])
                    } else {
                        c.sock.write_vectored(&iov)
                    };
                    match res {
                        Ok(n) => break Ok(n),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(0),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) if mapped && e.raw_os_error() == Some(FAULT) => {
                            // The first mapped page is past the file's end: truncated.
                            break Err(io::ErrorKind::UnexpectedEof.into());
                        }
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
            #[cfg(feature = "tls")]
            let c = if c.tls.is_some() {
                // Encrypt what waits for room (records behind the ones written).
                self.tls_pump(key);
                &mut self.conns[key]
            } else {
                c
            };
            if c.out.len > 0 {
                if n == offered || (mapped && n > 0) {
                    // Cut short by the iovec cap, not by the socket: go again. (After mapped
                    // bytes, the next call tells a full socket from a truncated file.)
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
}
