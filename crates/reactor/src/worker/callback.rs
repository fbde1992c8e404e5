//! Calling the protocol: `on_read` with the connection's unconsumed input, the other
//! callbacks with an empty input view, and acting on the [`Action`] they return.

use super::{Protocol, Worker};
use crate::pool::Output;
use crate::protocol::{Action, CloseReason, ConnInfo, Context};

impl<A, P> Worker<A, P>
where
    A: FnMut(&ConnInfo) -> P,
    P: Protocol,
{
    /// Hands the unconsumed input to `on_read`. Returns false if the connection closed.
    pub(super) fn deliver(&mut self, key: usize) -> bool {
        let bs = self.pool.block_size();
        let c = &mut self.conns[key];
        let input_full =
            c.input.head == 0 && c.input.tail as usize == self.max_in_blocks as usize * bs;
        let len = c.input.len();
        let out_before = c.out.len;
        let (consumed, action, remaining) =
            self.with_context(key, input_full, |proto, cx, input, out| {
                let (consumed, action) = proto.on_read(cx, input, out);
                (consumed, action, out.remaining())
            });
        let c = &mut self.conns[key];
        let consumed = consumed.min(len);
        c.input.head += consumed as u32;
        self.pool.release_input(&mut c.input, false);
        if !c.input.is_empty() && action == Action::Keep {
            if c.out.len > 0 {
                // Perhaps waiting for output room: hand it back once output drains.
                c.redeliver = true;
            }
            if remaining == 0 && c.out.len < self.max_out && !c.out.has_tail() {
                // The pool is short: wait for blocks to come back.
                c.redeliver = true;
                self.starve(key);
            } else if input_full && consumed == 0 && out_before == 0 && !c.paused {
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
    pub(super) fn callback(
        &mut self,
        key: usize,
        f: impl FnOnce(&mut P, &mut Context<'_>, &mut Output<'_>) -> Action,
    ) -> Action {
        self.with_context(key, false, |proto, cx, _, out| f(proto, cx, out))
    }

    /// Runs `f` with connection `key`'s protocol, a [`Context`] for it, its unconsumed input
    /// and its output.
    fn with_context<R>(
        &mut self,
        key: usize,
        input_full: bool,
        f: impl FnOnce(&mut P, &mut Context<'_>, &[u8], &mut Output<'_>) -> R,
    ) -> R {
        let c = &mut self.conns[key];
        #[cfg(feature = "tls")]
        if c.tls.is_some() {
            return self.with_tls_context(key, input_full, f);
        }
        let (input, mut out) = self.pool.split(&c.input, &mut c.out, self.max_out);
        let mut cx = Context {
            now: self.now,
            wall: &mut self.wall,
            clock: &self.clock,
            timers: &mut self.timers,
            timer_id: key * 2,
            kind: &mut c.kind,
            paused: &mut c.paused,
            worker: self.index,
            draining: self.drain_deadline.is_some(),
            input_full,
            gen: self.stamps[key] & !1,
            notes: &mut self.notes,
            mailbox: &self.mailbox,
        };
        f(&mut c.proto, &mut cx, input, &mut out)
    }

    /// [`with_context`](Worker::with_context) for a TLS connection: the protocol appends
    /// plaintext to its own chain (within what the records pending leave of
    /// `max_pending_output`), encrypted into the output chain when it returns.
    #[cfg(feature = "tls")]
    #[inline(never)]
    fn with_tls_context<R>(
        &mut self,
        key: usize,
        input_full: bool,
        f: impl FnOnce(&mut P, &mut Context<'_>, &[u8], &mut Output<'_>) -> R,
    ) -> R {
        let c = &mut self.conns[key];
        let limit = self.max_out.saturating_sub(c.out.len);
        let Some(t) = c.tls.as_deref_mut() else {
            unreachable!("called for TLS connections only")
        };
        let (input, mut out) = self.pool.split(&c.input, &mut t.plain, limit);
        let mut cx = Context {
            now: self.now,
            wall: &mut self.wall,
            clock: &self.clock,
            timers: &mut self.timers,
            timer_id: key * 2,
            kind: &mut c.kind,
            paused: &mut c.paused,
            worker: self.index,
            draining: self.drain_deadline.is_some(),
            input_full,
            gen: self.stamps[key] & !1,
            notes: &mut self.notes,
            mailbox: &self.mailbox,
        };
        let r = f(&mut c.proto, &mut cx, input, &mut out);
        self.tls_pump(key);
        r
    }

    /// Acts on a callback's verdict. Returns false if the connection closed.
    pub(super) fn apply(&mut self, key: usize, action: Action, reason: CloseReason) -> bool {
        match action {
            Action::Keep => true,
            Action::CloseAfterFlush => self.begin_close(key, reason),
            Action::CloseNow => {
                self.close(key, reason);
                false
            }
        }
    }
}
