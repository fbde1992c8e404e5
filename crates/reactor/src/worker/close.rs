//! Closing (at once, or lingering: RFC 9112 section 9.6) and graceful shutdown.

use std::io::{self, Read};

use super::{Protocol, Worker};
use crate::protocol::{CloseReason, ConnInfo, TimeoutKind};

impl<A, P> Worker<A, P>
where
    A: FnMut(&ConnInfo) -> P,
    P: Protocol,
{
    /// Stops reading and closes once the output is written (under the write-stall timer).
    /// Returns false if the connection closed right away (nothing to write).
    pub(super) fn begin_close(&mut self, key: usize, reason: CloseReason) -> bool {
        let c = &mut self.conns[key];
        if !c.closing {
            c.closing = true;
            c.close_reason = reason;
            #[cfg(feature = "tls")]
            if c.tls.is_some() {
                // Our close after the last answer: end the TLS stream with close_notify.
                self.tls_close_notify(key, reason != CloseReason::PeerClosed);
            }
        }
        let c = &mut self.conns[key];
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

    /// Closes a connection at once: its buffers go back, the protocol is told (`on_close`,
    /// once), the socket closes.
    pub(super) fn close(&mut self, key: usize, reason: CloseReason) {
        self.close_with(key, reason, false);
    }

    /// [`close`](Worker::close), except that with `may_linger`, when we chose to close (not
    /// the peer, not an error, not a write stall), the socket lingers: write side shut down,
    /// input read and discarded until EOF, `linger_timeout` or `linger_bytes` (see
    /// `Config::linger_timeout`). Callers pass `may_linger` when an answer was just flushed or
    /// input was left unread: then the peer may still be sending, and closing with unread
    /// input makes the kernel send a reset that destroys the answer in the peer's buffer.
    /// An idle connection closes at once (nothing to protect; shutdown stays prompt).
    pub(super) fn close_with(&mut self, key: usize, reason: CloseReason, may_linger: bool) {
        self.unstarve(key);
        self.timers.cancel(key * 2);
        self.timers.cancel(key * 2 + 1);
        let c = &mut self.conns[key];
        if c.lingering {
            self.remove(key);
            return;
        }
        self.pool.release_input(&mut c.input, true);
        self.pool.release_output(&mut c.out);
        #[cfg(feature = "tls")]
        self.tls_release(key);
        // Counted before the socket closes, so a peer that sees the close sees the count.
        self.stats().on_close(reason);
        let c = &mut self.conns[key];
        c.proto.on_close(reason);
        let ours = matches!(
            reason,
            CloseReason::Protocol
                | CloseReason::InputLimit
                | CloseReason::Shutdown
                | CloseReason::Timeout(TimeoutKind::Start | TimeoutKind::Idle | TimeoutKind::Input)
        );
        if !ours || !may_linger || self.linger_timeout.is_zero() {
            self.remove(key);
            return;
        }
        // RFC 9112 section 9.6: close in stages, so that input still in flight does not make
        // the kernel answer with a reset that destroys the output we just sent.
        if c.sock.shutdown(std::net::Shutdown::Write).is_err() {
            self.remove(key);
            return;
        }
        c.lingering = true;
        c.closing = true;
        c.lingered = 0;
        c.kind = None;
        c.readable = true;
        let tick = self.clock.tick_at(self.now + self.linger_timeout);
        self.timers.arm(key * 2, tick);
        self.linger_read(key);
    }

    /// Reads and discards what a lingering connection's peer sends; closes it on EOF, an
    /// error or the byte cap. At most `read_batch` reads per turn.
    #[cold]
    pub(super) fn linger_read(&mut self, key: usize) {
        for _ in 0..self.read_batch {
            let c = &mut self.conns[key];
            match c.sock.read(&mut self.scratch) {
                Ok(n) if n > 0 => {
                    c.lingered = c.lingered.saturating_add(n as u32);
                    if c.lingered >= self.linger_bytes {
                        self.remove(key);
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    c.readable = false;
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // EOF or an error: nothing more will come.
                _ => {
                    self.remove(key);
                    return;
                }
            }
        }
        // Budget spent with more to read: go on next turn.
        self.schedule_again(key);
    }

    /// Drops a connection's slab entry and socket (the protocol was already told).
    pub(super) fn remove(&mut self, key: usize) {
        self.unstarve(key);
        self.timers.cancel(key * 2);
        self.timers.cancel(key * 2 + 1);
        #[cfg(feature = "tls")]
        self.tls_release(key);
        let mut c = self.conns.remove(key);
        // A new generation: ids of this connection no longer match the slot (and a pending
        // notification mark is cleared).
        self.stamps[key] = (self.stamps[key] & !1).wrapping_add(2);
        self.pool.release_input(&mut c.input, true);
        self.pool.release_output(&mut c.out);
        // Dropping the socket closes it, which also removes it from the epoll set.
        drop(c);
        if !self.accepting && self.drain_deadline.is_none() && self.open() < self.max_conns {
            self.resume_accepting();
        }
    }

    pub(super) fn on_wake(&mut self) {
        let Some(deadline) = self.shared.shutdown_deadline() else {
            return;
        };
        if self.drain_deadline.is_some() {
            return;
        }
        self.drain_deadline = Some(deadline);
        self.accepting = false;
        // Handshakes have no protocol to drain: they close now.
        #[cfg(feature = "tls")]
        self.hs_close_all(CloseReason::Shutdown);
        for l in &mut self.listeners {
            if let Some(mut s) = l.sock.take() {
                let _ = self.poll.registry().deregister(&mut s);
                // Dropped: closed, so new connections are refused.
            }
        }
        self.keys.clear();
        self.keys.extend(self.conns.iter().map(|(k, _)| k));
        for i in 0..self.keys.len() {
            let key = self.keys[i];
            if !self.conns.contains(key) || self.conns[key].closing {
                continue;
            }
            // First what is already in the socket (its readiness may not even have been seen
            // yet this turn): requests received are answered, as the last ones (the protocol
            // sees `is_draining`), instead of being reset by the close.
            self.conns[key].readable = true;
            self.drive(key);
            if !self.conns.contains(key) || self.conns[key].closing {
                continue;
            }
            let action = self.callback(key, |p, cx, out| p.on_drain(cx, out));
            if self.apply(key, action, CloseReason::Shutdown) {
                self.write_out(key);
            }
        }
    }

    /// True when the worker is done: drained, or past the deadline.
    pub(super) fn drain_step(&mut self) -> bool {
        match self.drain_deadline {
            None => false,
            Some(d) => self.conns.is_empty() || self.now >= d,
        }
    }

    pub(super) fn close_all(&mut self, reason: CloseReason) {
        #[cfg(feature = "tls")]
        self.hs_close_all(reason);
        self.keys.clear();
        self.keys.extend(self.conns.iter().map(|(k, _)| k));
        for i in 0..self.keys.len() {
            let key = self.keys[i];
            if self.conns.contains(key) {
                self.close_with(key, reason, false);
            }
        }
        let (used, peak) = (self.pool.used_blocks(), self.pool.peak_blocks());
        self.stats().set_buffers(used, peak);
    }
}
