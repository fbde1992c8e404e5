//! The `Date` header value (RFC 9110 §5.6.7 IMF-fixdate), formatted at most once per second by
//! [`brisk_http1::DateCache`]; this keeps a copy the response writers can borrow without `&mut`.

use std::time::SystemTime;

/// Length of an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) const DATE_LEN: usize = 29;

/// A per-worker cache of the current `Date` value.
#[derive(Debug, Clone)]
pub(crate) struct DateCache {
    formatter: brisk_http1::DateCache,
    value: [u8; DATE_LEN],
}

impl DateCache {
    pub(crate) fn new() -> Self {
        let mut c = DateCache {
            formatter: brisk_http1::DateCache::new(),
            value: [b' '; DATE_LEN],
        };
        c.update(SystemTime::now());
        c
    }

    /// Takes the loop turn's time; the formatter re-formats only when the second changed.
    pub(crate) fn update(&mut self, now: SystemTime) {
        self.value = *self.formatter.bytes(now);
    }

    pub(crate) fn get(&self) -> &[u8; DATE_LEN] {
        &self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn cache_changes_only_with_the_second() {
        let t = UNIX_EPOCH + Duration::from_millis(784_111_777_100);
        let mut c = DateCache::new();
        c.update(t);
        let a = *c.get();
        assert_eq!(&a, b"Sun, 06 Nov 1994 08:49:37 GMT");
        c.update(t + Duration::from_millis(800));
        assert_eq!(&a, c.get());
        c.update(t + Duration::from_millis(900));
        assert_eq!(c.get(), b"Sun, 06 Nov 1994 08:49:38 GMT");
    }
}
