//! Per-stream state (RFC 9113 §5.1), the memory of closed streams, and the token buckets the
//! attack limits count with.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::time::{Duration, Instant};

/// The largest flow-control window, 2^31-1 (RFC 9113 §6.9.1).
pub(crate) const MAX_WINDOW: i64 = 0x7fff_ffff;

/// Receive side of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recv {
    /// Waiting for the (final) header section (client awaiting a response, possibly after 1xx).
    Headers,
    /// Header section received; DATA or trailers may follow.
    Body,
    /// END_STREAM received (half-closed remote).
    Closed,
}

/// Send side of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Send {
    /// No final header section sent yet (1xx may have been).
    Idle,
    /// Final header section sent; DATA or trailers may follow.
    Open,
    /// END_STREAM sent (half-closed local).
    Closed,
}

/// One open stream (idle streams have no entry; closed ones move to [`ClosedStreams`]).
#[derive(Debug)]
pub(crate) struct Stream {
    pub(crate) recv: Recv,
    pub(crate) send: Send,
    /// Opened by the peer.
    pub(crate) remote: bool,
    /// Our send window: may go negative after a SETTINGS_INITIAL_WINDOW_SIZE decrease.
    pub(crate) send_window: i64,
    /// What the peer may still send on this stream.
    pub(crate) recv_window: i64,
    /// Bytes consumed by the application and not yet returned by WINDOW_UPDATE.
    pub(crate) recv_pending: i64,
    /// content-length of the received message, if any.
    pub(crate) content_length: Option<u64>,
    /// DATA bytes received.
    pub(crate) recv_len: u64,
    /// Content-length does not bind the received body (HEAD request, 204, 304).
    pub(crate) no_body_check: bool,
    /// The request was HEAD (client side).
    pub(crate) head_request: bool,
    /// Waiting for a [`Event::SendReady`](crate::Event::SendReady).
    pub(crate) blocked: bool,
    /// Since when the stream has waited for send window (stalled reader).
    pub(crate) blocked_since: Option<Instant>,
    /// Output generation the next counter belongs to.
    pub(crate) out_gen: u64,
    /// Bytes of this stream in undrained output of generation `out_gen`.
    pub(crate) out_bytes: usize,
}

impl Stream {
    pub(crate) fn new(remote: bool, send_window: u32, recv_window: u32) -> Stream {
        Stream {
            recv: Recv::Headers,
            send: Send::Idle,
            remote,
            send_window: i64::from(send_window),
            recv_window: i64::from(recv_window),
            recv_pending: 0,
            content_length: None,
            recv_len: 0,
            no_body_check: false,
            head_request: false,
            blocked: false,
            blocked_since: None,
            out_gen: 0,
            out_bytes: 0,
        }
    }
}

/// How a stream closed: decides what a late frame on it means (RFC 9113 §5.1 "closed").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Closed {
    /// Both sides sent END_STREAM: a late frame other than PRIORITY, WINDOW_UPDATE or
    /// RST_STREAM is a connection error STREAM_CLOSED.
    Normal,
    /// The peer reset it: a late frame other than PRIORITY is a stream error STREAM_CLOSED.
    ByPeer,
    /// We reset it: late frames are ignored (they may have been in flight).
    ByUs,
}

/// A bounded memory of recently closed streams.
#[derive(Debug)]
pub(crate) struct ClosedStreams {
    ring: VecDeque<(u32, Closed)>,
    cap: usize,
}

impl ClosedStreams {
    pub(crate) fn new(cap: usize) -> ClosedStreams {
        ClosedStreams {
            // Grows with the streams closed, up to `cap` (a connection that ran one stream
            // keeps a few octets, not `cap` entries).
            ring: VecDeque::new(),
            cap,
        }
    }

    pub(crate) fn insert(&mut self, id: u32, how: Closed) {
        if self.cap == 0 {
            return;
        }
        if self.ring.len() == self.cap {
            self.ring.pop_front();
        }
        self.ring.push_back((id, how));
    }

    pub(crate) fn get(&self, id: u32) -> Option<Closed> {
        self.ring
            .iter()
            .rev()
            .find(|(i, _)| *i == id)
            .map(|&(_, c)| c)
    }
}

/// A fast hasher for stream ids (already well spread; multiply to mix the low bits).
#[derive(Debug, Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Open streams by id.
pub(crate) type StreamMap = HashMap<u32, Stream, BuildHasherDefault<IdHasher>>;

/// A token bucket: `burst` tokens, refilled at `per_second` per second of caller time.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    /// Billionths of a token: a refill of any duration adds exactly `nanos * per_second`, so
    /// how often the caller passes time in never changes how many tokens there are.
    nano: u64,
    cap: u64,
    per_second: u64,
}

/// Billionths of a token in one token.
const UNIT: u64 = 1_000_000_000;

impl Bucket {
    pub(crate) fn new(burst: u32, per_second: u32) -> Bucket {
        let cap = u64::from(burst) * UNIT;
        Bucket {
            nano: cap,
            cap,
            per_second: u64::from(per_second),
        }
    }

    /// Takes one token; false when the bucket is empty.
    pub(crate) fn take(&mut self) -> bool {
        if self.nano >= UNIT {
            self.nano -= UNIT;
            true
        } else {
            false
        }
    }

    pub(crate) fn refill(&mut self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let add = nanos.saturating_mul(self.per_second);
        self.nano = self.nano.saturating_add(add).min(self.cap);
    }

    /// How long until the next whole token accrues; `None` when the bucket is full or never
    /// refills. A refill at that moment changes what `take` answers; none before it does.
    pub(crate) fn next_token_in(&self) -> Option<Duration> {
        if self.nano >= self.cap || self.per_second == 0 {
            return None;
        }
        let need = UNIT - self.nano % UNIT;
        Some(Duration::from_nanos(need.div_ceil(self.per_second)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_refills_with_time() {
        let mut b = Bucket::new(2, 1);
        assert!(b.take() && b.take());
        assert!(!b.take());
        b.refill(Duration::from_millis(999));
        assert!(!b.take());
        b.refill(Duration::from_millis(1));
        assert!(b.take());
        // Many short refills add up to the same as one long one.
        for _ in 0..4 {
            b.refill(Duration::from_micros(250_000));
        }
        assert!(b.take());
        assert!(!b.take());
        assert_eq!(b.next_token_in(), Some(Duration::from_secs(1)));
        b.refill(Duration::from_millis(400));
        assert_eq!(b.next_token_in(), Some(Duration::from_millis(600)));
    }

    #[test]
    fn closed_memory_is_bounded() {
        let mut c = ClosedStreams::new(2);
        c.insert(1, Closed::Normal);
        c.insert(3, Closed::ByUs);
        c.insert(5, Closed::ByPeer);
        assert_eq!(c.get(1), None);
        assert_eq!(c.get(3), Some(Closed::ByUs));
        assert_eq!(c.get(5), Some(Closed::ByPeer));
    }
}
