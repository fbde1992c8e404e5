//! Pool starvation: connections waiting for pool blocks, in a list threaded through the slab
//! (oldest first), resumed as blocks come back.

use super::{Protocol, Worker, NIL};
use crate::protocol::ConnInfo;

impl<A, P> Worker<A, P>
where
    A: FnMut(&ConnInfo) -> P,
    P: Protocol,
{
    pub(super) fn starve(&mut self, key: usize) {
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

    pub(super) fn unstarve(&mut self, key: usize) {
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
    pub(super) fn retry_starved(&mut self) {
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
}
