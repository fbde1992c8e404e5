//! Firing the wheel's expired timers: a read timer calls `on_timeout` and acts on its verdict,
//! a write stall closes, a lingering connection's timer ends the linger; the accept back-off
//! ends here too.

use super::{Protocol, Worker};
use crate::protocol::{CloseReason, ConnInfo, TimeoutKind};

impl<A, P> Worker<A, P>
where
    A: FnMut(&ConnInfo) -> P,
    P: Protocol,
{
    pub(super) fn fire_timers(&mut self) {
        if self.accept_retry_at.is_some_and(|at| self.now >= at) {
            self.accept_retry_at = None;
            if !self.accepting && self.drain_deadline.is_none() && self.open() < self.max_conns {
                self.resume_accepting();
            }
        }
        let now = self.clock.tick_of(self.now);
        self.timers.advance(now, &mut self.expired);
        for i in 0..self.expired.len() {
            let id = self.expired[i];
            #[cfg(feature = "tls")]
            if id >= self.hs_timers {
                self.hs_timed_out(id - self.hs_timers);
                continue;
            }
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
