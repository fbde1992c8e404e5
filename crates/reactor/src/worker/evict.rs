//! Eviction: when partial messages starve input of pool buffers, the oldest of them get their
//! `Start` timeout early (see the crate docs, *Buffers*).

use super::{Protocol, Worker, NIL};
use crate::protocol::{CloseReason, ConnInfo, TimeoutKind};

impl<A, P> Worker<A, P>
where
    A: FnMut(&ConnInfo) -> P,
    P: Protocol,
{
    /// Input is starved of blocks (a connection waits and input may take no more): fires the
    /// `Start` timer early on the connections that hold input blocks under it, oldest
    /// deadline first, until as many blocks as connections wait (at least `reserve`) are on
    /// their way back. At most once per tick; the protocol answers as for any `Start`
    /// timeout (HTTP: 408) and closes.
    pub(super) fn evict(&mut self) {
        if !self.evict_partial
            || self.starved_head == NIL
            || self.pool.free_blocks() > self.reserve
            || self.drain_deadline.is_some()
        {
            return;
        }
        let tick = self.clock.tick_of(self.now);
        if tick == self.evicted_at {
            return;
        }
        self.evicted_at = tick;
        self.evict_oldest();
    }

    #[cold]
    fn evict_oldest(&mut self) {
        self.candidates.clear();
        for (key, c) in self.conns.iter() {
            if c.input.blocks == 0
                || c.closing
                || c.out.len > 0
                || c.kind != Some(TimeoutKind::Start)
            {
                continue;
            }
            if let Some(at) = self.timers.deadline(key * 2) {
                if self.candidates.len() < self.candidates.capacity() {
                    self.candidates.push((at, key));
                }
            }
        }
        if self.candidates.is_empty() {
            return;
        }
        let mut want = self.reserve.max(self.starved_len);
        let k = want.min(self.candidates.len());
        if k < self.candidates.len() {
            self.candidates.select_nth_unstable(k);
        }
        self.candidates[..k].sort_unstable();
        let mut evicted = 0;
        for i in 0..k {
            let key = self.candidates[i].1;
            let Some(c) = self.conns.get(key) else {
                continue;
            };
            want = want.saturating_sub(c.input.blocks as usize);
            evicted += 1;
            self.timers.cancel(key * 2);
            let kind = self.conns[key].kind.take().unwrap_or(TimeoutKind::Start);
            let action = self.callback(key, |p, cx, out| p.on_timeout(cx, kind, out));
            if self.apply(key, action, CloseReason::Timeout(kind)) {
                self.write_out(key);
            }
            if want == 0 {
                break;
            }
        }
        self.stats().on_evict(evicted);
        self.candidates.clear();
    }
}
