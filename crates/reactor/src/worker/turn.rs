//! One turn of the event loop, and the blocking loop over it (see `Embedded` for the other).

use std::io;
use std::time::{Duration, Instant};

use mio::Events;

use super::{Fetched, Protocol, Worker, FETCH_BATCH, NIL, WAKER};
use crate::protocol::{CloseReason, ConnInfo};

impl<A, P> Worker<A, P>
where
    A: FnMut(&ConnInfo) -> P,
    P: Protocol,
{
    /// The event loop, a loop over [`turn`](Worker::turn); returns after graceful shutdown
    /// finished.
    pub(crate) fn run(mut self, events_capacity: usize) {
        let mut events = Events::with_capacity(events_capacity);
        while !self.turn(&mut events, None) {}
        self.finish();
    }

    /// Closes what is left after the last turn.
    pub(crate) fn finish(&mut self) {
        self.close_all(CloseReason::Shutdown);
        self.turn_end();
    }

    /// Calls the [`Reactor::on_turn_end`](crate::Reactor::on_turn_end) hook, if any.
    #[inline]
    fn turn_end(&self) {
        if let Some(h) = &self.shared.turn_end {
            (h.0)(self.index);
        }
    }

    /// One turn of the loop: waits for events (at most until the worker's own next deadline,
    /// and at most `limit` when given), then handles them, the turn's reads, notifications,
    /// writes, retries and timers. Returns true when the worker is done (graceful shutdown
    /// finished, or the poller failed): call [`finish`](Worker::finish) then.
    #[inline]
    pub(crate) fn turn(&mut self, events: &mut Events, limit: Option<Duration>) -> bool {
        let timeout = match limit {
            None => self.poll_timeout(),
            Some(l) if l.is_zero() => Some(l),
            Some(l) => Some(self.poll_timeout().map_or(l, |t| t.min(l))),
        };
        if let Err(e) = self.poll.poll(events, timeout) {
            if e.kind() != io::ErrorKind::Interrupted {
                // The poller itself failed: nothing can be served any more.
                return true;
            }
        }
        self.now = Instant::now();
        self.wall = None;
        for ev in events.iter() {
            let t = ev.token();
            if t == WAKER {
                self.on_wake();
                if self.mailbox.take_pending() {
                    self.notify_wake = true;
                    self.stats().set_notify_wakes(self.mailbox.wakes());
                }
            } else if t.0 >= usize::MAX - 1 - self.listeners.len() {
                let li = usize::MAX - 1 - t.0;
                self.listeners[li].ready = true;
                self.accept(li);
            } else if let Some(c) = self.conns.get_mut(t.0) {
                if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                    c.readable = true;
                }
                if ev.is_read_closed() || ev.is_error() {
                    c.peer_closed = true;
                }
                if ev.is_writable() || ev.is_write_closed() || ev.is_error() {
                    c.writable = true;
                }
                if c.fetchable() && self.fetched.len() < FETCH_BATCH {
                    self.fetched.push(Fetched {
                        key: t.0,
                        space: 0,
                        read: Ok(0),
                    });
                } else {
                    self.drive(t.0);
                }
            } else {
                #[cfg(feature = "tls")]
                self.hs_event(t.0, ev);
            }
        }
        self.fetch_all();
        self.deliver_fetched();
        self.deliver_notes();
        self.flush_all();
        self.run_again();
        self.retry_starved();
        self.evict();
        self.fire_timers();
        let (used, peak) = (self.pool.used_blocks(), self.pool.peak_blocks());
        self.stats().set_buffers(used, peak);
        self.turn_end();
        self.drain_step()
    }

    pub(super) fn schedule_again(&mut self, key: usize) {
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

    pub(super) fn poll_timeout(&mut self) -> Option<Duration> {
        if self.work_pending() {
            return Some(Duration::ZERO);
        }
        self.next_deadline()
            .map(|a| a.saturating_duration_since(Instant::now()))
    }

    /// Work the next turn does at once, without waiting for events.
    fn work_pending(&self) -> bool {
        let accept_pending = self.accepting && self.listeners.iter().any(|l| l.ready);
        // Connections waiting for blocks that came back late in the last turn get a turn now.
        let starved_ready =
            self.starved_head != NIL && self.pool.has_returned() && self.pool.free_blocks() > 0;
        !self.again.is_empty()
            || accept_pending
            || starved_ready
            || !self.notes.is_empty()
            || self.notify_more
    }

    /// The worker's next timed event (timer, shutdown deadline, accept retry), if any.
    fn next_deadline(&self) -> Option<Instant> {
        let mut at = self.timers.next_tick().map(|t| self.clock.instant_of(t));
        if let Some(d) = self.drain_deadline {
            at = Some(at.map_or(d, |a| a.min(d)));
        }
        if let Some(t) = self.accept_retry_at {
            at = Some(at.map_or(t, |a| a.min(t)));
        }
        at
    }

    /// When the worker wants its next turn: `now` (the turn's time) when work is pending,
    /// else its next timed event. No clock read.
    pub(crate) fn wanted_at(&self) -> Option<Instant> {
        if self.work_pending() {
            Some(self.now)
        } else {
            self.next_deadline()
        }
    }

    /// The poller's file descriptor.
    pub(crate) fn poll_fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.poll.as_raw_fd()
    }
}
