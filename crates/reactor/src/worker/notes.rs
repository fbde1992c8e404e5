//! Delivering notifications: the worker drains its local queue and (when woken for it) its
//! cross-thread mailbox once per turn, drops stale ids, and calls `Protocol::on_notify` once
//! per live connection named.

use super::{Protocol, Worker};
use crate::notify::ConnId;
use crate::protocol::{CloseReason, ConnInfo};

/// Most ids taken from the cross-thread queue per turn; the rest wait for the next turn (which
/// comes at once), so a flood of notifications cannot hold the worker in one turn.
const NOTIFY_BATCH: usize = 4096;

impl<A, P> Worker<A, P>
where
    A: FnMut(&ConnInfo) -> P,
    P: Protocol,
{
    /// Queues `id` for the next turn's `on_notify` (an embedded worker's caller, between turns).
    pub(crate) fn notify_local(&mut self, id: ConnId) {
        self.notes.push(id);
    }

    /// Delivers this turn's notifications. The nothing-to-do check is inlined: the
    /// keep-alive fast path pays three loads.
    #[inline(always)]
    pub(super) fn deliver_notes(&mut self) {
        if self.notify_wake || self.notify_more || !self.notes.is_empty() {
            self.deliver_notes_now();
        }
    }

    #[inline(never)]
    fn deliver_notes_now(&mut self) {
        let (mut taken, mut stale) = (0u64, 0u64);
        // Local first; notes queued while delivering wait for the next turn.
        std::mem::swap(&mut self.notes, &mut self.notes_work);
        for i in 0..self.notes_work.len() {
            let id = self.notes_work[i];
            taken += 1;
            stale += u64::from(!self.mark(id));
        }
        self.notes_work.clear();
        if self.notify_wake || self.notify_more {
            self.notify_wake = false;
            self.notify_more = true;
            for _ in 0..NOTIFY_BATCH {
                let Ok(id) = self.inbox.try_recv() else {
                    self.notify_more = false;
                    break;
                };
                taken += 1;
                stale += u64::from(!self.mark(id));
            }
        }
        self.stats().on_notes(taken, stale);
        for i in 0..self.notify_keys.len() {
            let key = self.notify_keys[i];
            if self.stamps[key] & 1 == 0 {
                // Closed since it was marked.
                continue;
            }
            self.stamps[key] &= !1;
            match self.conns.get(key) {
                Some(c) if !c.closing => {}
                _ => continue,
            }
            let was_paused = self.conns[key].paused;
            let action = self.callback(key, |p, cx, out| p.on_notify(cx, out));
            if self.apply(key, action, CloseReason::Protocol) {
                self.after_notify(key, was_paused);
            }
        }
        self.notify_keys.clear();
    }

    /// Queues `id`'s connection for `on_notify` unless it is already queued. Returns false
    /// for a stale id (another worker's, a closed or closing connection, a reused slot).
    fn mark(&mut self, id: ConnId) -> bool {
        let key = id.key as usize;
        if id.worker as usize != self.index {
            return false;
        }
        match self.conns.get(key) {
            Some(c) if !c.closing => {}
            _ => return false,
        }
        let stamp = self.stamps[key];
        if stamp & !1 != id.gen {
            return false;
        }
        if stamp & 1 == 0 {
            self.stamps[key] = stamp | 1;
            self.notify_keys.push(key);
        }
        true
    }

    /// After `on_notify`: input left unconsumed is handed back (the notification may have
    /// unblocked the protocol), else the output joins the turn's writes.
    fn after_notify(&mut self, key: usize, was_paused: bool) {
        let c = &mut self.conns[key];
        if was_paused && !c.paused && !c.closing && c.readable && !c.input.holds_input() {
            // Reading resumed: what waited in the socket is read now.
            self.drive(key);
        } else if !c.closing && c.input.holds_input() {
            if c.input.blocks == 0
                && self
                    .pool
                    .input_room(&mut c.input, self.max_in_blocks)
                    .is_err()
            {
                // Parked, and no block to unpark into: wait for one.
                c.redeliver = true;
                self.starve(key);
                return;
            }
            c.redeliver = true;
            self.drive(key);
        } else if c.out.len > 0 && c.writable && !c.in_flush {
            c.in_flush = true;
            self.flush.push(key);
        }
    }
}
