//! Deadlines: [`Connection::poll_timeout`] reports the earliest one and
//! [`Connection::handle_timeout`] acts on those that have passed.

use std::time::Instant;

use super::*;

impl Connection {
    /// The earliest time [`handle_timeout`](Self::handle_timeout) has work to do, covering
    /// every deadline the connection keeps: the SETTINGS ACK timeout, each stalled stream's
    /// send-stall timeout, the decay of the tiny-DATA flood counter, and the next token of the
    /// rapid-reset and provoked-reset buckets while they are not full.
    ///
    /// A timer that an input started but that has no start time yet (`recv` and the commands
    /// see no clock) is reported as due at the last time `handle_timeout` was given, so the
    /// caller passes the current time in at once and the timer starts then. Calling
    /// `handle_timeout` only when this deadline passes behaves exactly as calling it on every
    /// turn (quinn-proto's contract).
    ///
    /// Changes after `recv`, `handle_timeout`, `poll_output` and the `send_*` commands; `None`
    /// once the connection failed, or before the first `handle_timeout` (which gives it the
    /// time).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let mut server = brisk_http2::Connection::server(Default::default());
    /// assert!(server.poll_timeout().is_none()); // no time given yet
    /// let now = Instant::now();
    /// server.handle_timeout(now); // learns the time, starts the SETTINGS ACK timer
    /// assert_eq!(server.poll_timeout(), Some(now + Duration::from_secs(10)));
    /// ```
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.error.is_some() {
            return None;
        }
        let last = self.last_now?;
        let mut t: Option<Instant> = None;
        let mut at = |d: Instant| t = Some(t.map_or(d, |t| t.min(d)));
        if self.settings_unacked > 0 {
            at(self.settings_deadline.unwrap_or(last));
        }
        let stall = self.config.limits.send_stall_timeout;
        for id in &self.blocked {
            let Some(s) = self.streams.get(id) else {
                continue;
            };
            // The same test as `check_stalls`, which starts and fires these timers.
            if s.blocked && s.send_window.min(self.conn_send_window) <= 0 {
                at(s.blocked_since.map_or(last, |since| since + stall));
            }
        }
        if self.tiny_data > 0 {
            at(self.tiny_decay_at.unwrap_or(last));
        }
        for bucket in [&self.rapid_resets, &self.provoked_resets] {
            if let Some(d) = bucket.next_token_in() {
                at(last + d);
            }
        }
        t
    }

    /// Passes time in: starts timers that inputs asked for, fires those that are due, and
    /// refills the attack-limit buckets by the time elapsed since the previous call.
    ///
    /// # Contract
    ///
    /// Call it once when the connection starts (so it knows the time), then whenever
    /// [`poll_timeout`](Self::poll_timeout) passes. Calling it more often (early, late, twice,
    /// every loop turn) is harmless and changes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let mut server = brisk_http2::Connection::server(Default::default());
    /// let t0 = Instant::now();
    /// server.handle_timeout(t0);
    /// server.handle_timeout(t0);
    /// server.handle_timeout(t0 + Duration::from_secs(11)); // the client never acknowledged
    /// assert_eq!(server.error().unwrap().code(), brisk_http2::ErrorCode::SETTINGS_TIMEOUT);
    /// ```
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.error.is_some() {
            return;
        }
        if let Some(last) = self.last_now {
            let elapsed = now.saturating_duration_since(last);
            self.rapid_resets.refill(elapsed);
            self.provoked_resets.refill(elapsed);
        }
        self.last_now = Some(now);
        // The tiny-DATA counter halves each second while it is non-zero; `recv` stops the
        // timer when it resets the counter.
        if self.tiny_data > 0 {
            match self.tiny_decay_at {
                Some(t) if now >= t => {
                    self.tiny_data /= 2;
                    self.tiny_decay_at =
                        (self.tiny_data > 0).then(|| now + std::time::Duration::from_secs(1));
                }
                None => self.tiny_decay_at = Some(now + std::time::Duration::from_secs(1)),
                _ => {}
            }
        }
        if self.settings_unacked > 0 {
            match self.settings_deadline {
                None => self.settings_deadline = Some(now + self.config.limits.settings_timeout),
                Some(d) if now >= d => {
                    self.fail(Error::conn(
                        ErrorCode::SETTINGS_TIMEOUT,
                        Violation::SettingsTimeout,
                    ));
                    return;
                }
                _ => {}
            }
        }
        self.check_stalls(now);
    }

    fn check_stalls(&mut self, now: Instant) {
        let stall = self.config.limits.send_stall_timeout;
        let mut i = 0;
        while i < self.blocked.len() {
            let id = self.blocked[i];
            i += 1;
            let conn_window = self.conn_send_window;
            let Some(s) = self.streams.get_mut(&id) else {
                continue;
            };
            let window_limited = s.send_window.min(conn_window) <= 0;
            if !s.blocked || !window_limited {
                s.blocked_since = None;
                continue;
            }
            let since = *s.blocked_since.get_or_insert(now);
            if now.saturating_duration_since(since) >= stall {
                if conn_window <= 0 {
                    self.fail(Error::conn(
                        ErrorCode::ENHANCE_YOUR_CALM,
                        Violation::SendStalled,
                    ));
                    return;
                }
                self.reset_local(StreamId::new(id), ErrorCode::ENHANCE_YOUR_CALM);
            }
        }
    }
}
