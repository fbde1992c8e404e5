//! The `Date` header value (RFC 9110 §5.6.7 IMF-fixdate), formatted at most once per second by
//! [`brisk_http1::DateCache`]; this keeps a copy the response writers can borrow without `&mut`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Length of an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) const DATE_LEN: usize = 29;

/// A per-worker cache of the current `Date` value.
#[derive(Debug, Clone)]
pub(crate) struct DateCache {
    formatter: brisk_http1::DateCache,
    value: [u8; DATE_LEN],
    /// Before this instant the value is current: the next wall-clock second starts no earlier.
    fresh_until: Option<Instant>,
    /// The loop turn's time of the last update.
    now: Instant,
    /// The wall-clock second (since the Unix epoch) of the value.
    secs: u64,
}

impl DateCache {
    pub(crate) fn new() -> Self {
        let mut c = DateCache {
            formatter: brisk_http1::DateCache::new(),
            value: [b' '; DATE_LEN],
            fresh_until: None,
            now: Instant::now(),
            secs: 0,
        };
        c.update(Instant::now(), SystemTime::now);
        c
    }

    /// Brings the value up to date for the loop turn that started at `now`. Within the wall-clock
    /// second of the last update this is one comparison: `wall` (the turn's wall-clock time) is
    /// read only when a new second may have begun. A step of the wall clock shows within a second.
    pub(crate) fn update(&mut self, now: Instant, wall: impl FnOnce() -> SystemTime) {
        self.now = now;
        if self.fresh_until.is_some_and(|t| now < t) {
            return;
        }
        let wall = wall();
        self.value = *self.formatter.bytes(wall);
        // `now` was read before `wall`, so this ends no later than the wall-clock second does.
        let since = wall.duration_since(UNIX_EPOCH).unwrap_or_default();
        self.secs = since.as_secs();
        let into = since.subsec_nanos();
        self.fresh_until = now.checked_add(Duration::from_nanos(u64::from(1_000_000_000 - into)));
    }

    pub(crate) fn get(&self) -> &[u8; DATE_LEN] {
        &self.value
    }

    /// The loop turn's time given to the last [`update`](Self::update).
    pub(crate) fn now(&self) -> Instant {
        self.now
    }

    /// The wall-clock second of the value, since the Unix epoch.
    pub(crate) fn secs(&self) -> u64 {
        self.secs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_changes_only_with_the_second() {
        let t = UNIX_EPOCH + Duration::from_millis(784_111_777_100);
        let i = Instant::now() + Duration::from_secs(10);
        let ms = Duration::from_millis;
        let mut c = DateCache::new();
        c.update(i, || t);
        let a = *c.get();
        assert_eq!(&a, b"Sun, 06 Nov 1994 08:49:37 GMT");
        // Within the second the wall clock is not even read.
        c.update(i + ms(899), || panic!("wall clock read within the second"));
        assert_eq!(&a, c.get());
        c.update(i + ms(900), || t + ms(900));
        assert_eq!(c.get(), b"Sun, 06 Nov 1994 08:49:38 GMT");
        // A wall-clock step shows at the next second boundary.
        c.update(i + ms(1900), || t + Duration::from_secs(3600));
        assert_eq!(c.get(), b"Sun, 06 Nov 1994 09:49:37 GMT");
    }
}
