//! [`Deadlines`]: items ordered by the instant they are due, for a timer thread that sleeps
//! until the earliest (the SSE keep-alive timer, and the `brisk` binary's `/delay` and
//! `/events` timer).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Instant;

/// Items by due instant, earliest first; items due at the same instant come out in the order
/// they were pushed. Cost per item: one heap entry (the item, an instant and a sequence
/// number); no allocation per push once the heap has grown.
///
/// ```
/// use std::time::{Duration, Instant};
/// use brisk_server::Deadlines;
///
/// let now = Instant::now();
/// let mut d = Deadlines::new();
/// d.push(now + Duration::from_secs(1), "later");
/// d.push(now, "now");
/// assert_eq!(d.pop_due(now), Some("now"));
/// assert_eq!(d.pop_due(now), None); // "later" is not due yet
/// assert_eq!(d.next_due(), Some(now + Duration::from_secs(1)));
/// ```
pub struct Deadlines<T> {
    heap: BinaryHeap<Reverse<Due<T>>>,
    seq: u64,
}

/// One item with its due instant and its place among items due at the same instant.
struct Due<T> {
    at: Instant,
    seq: u64,
    item: T,
}

impl<T> PartialEq for Due<T> {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl<T> Eq for Due<T> {}
impl<T> PartialOrd for Due<T> {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl<T> Ord for Due<T> {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

impl<T> fmt::Debug for Deadlines<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deadlines")
            .field("len", &self.len())
            .field("next_due", &self.next_due())
            .finish()
    }
}

impl<T> Default for Deadlines<T> {
    fn default() -> Self {
        Deadlines {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }
}

impl<T> Deadlines<T> {
    /// An empty set.
    ///
    /// ```
    /// let d = brisk_server::Deadlines::<u32>::new();
    /// assert!(d.is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `item`, due at `at`.
    ///
    /// ```
    /// let mut d = brisk_server::Deadlines::new();
    /// d.push(std::time::Instant::now(), 'x');
    /// assert_eq!(d.len(), 1);
    /// ```
    pub fn push(&mut self, at: Instant, item: T) {
        self.seq += 1;
        self.heap.push(Reverse(Due {
            at,
            seq: self.seq,
            item,
        }));
    }

    /// Takes the earliest item if it is due at `now` (or before).
    ///
    /// ```
    /// let now = std::time::Instant::now();
    /// let mut d = brisk_server::Deadlines::new();
    /// d.push(now, 1);
    /// assert_eq!(d.pop_due(now), Some(1));
    /// assert_eq!(d.pop_due(now), None);
    /// ```
    pub fn pop_due(&mut self, now: Instant) -> Option<T> {
        if self.heap.peek()?.0.at > now {
            return None;
        }
        self.heap.pop().map(|Reverse(d)| d.item)
    }

    /// When the earliest item is due.
    ///
    /// ```
    /// let now = std::time::Instant::now();
    /// let mut d = brisk_server::Deadlines::new();
    /// assert_eq!(d.next_due(), None);
    /// d.push(now, ());
    /// assert_eq!(d.next_due(), Some(now));
    /// ```
    pub fn next_due(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse(d)| d.at)
    }

    /// Waits on `rx` for a message until the earliest item is due (without end when there is
    /// none): `Err(Timeout)` when it is due, `Err(Disconnected)` when every sender is gone.
    ///
    /// ```
    /// use std::sync::mpsc::{self, RecvTimeoutError};
    /// use std::time::Instant;
    ///
    /// let (tx, rx) = mpsc::channel::<u8>();
    /// let mut d = brisk_server::Deadlines::new();
    /// d.push(Instant::now(), ());
    /// assert_eq!(d.wait(&rx, Instant::now()), Err(RecvTimeoutError::Timeout));
    /// tx.send(7).unwrap();
    /// assert_eq!(d.wait(&rx, Instant::now()), Ok(7));
    /// ```
    pub fn wait<M>(&self, rx: &Receiver<M>, now: Instant) -> Result<M, RecvTimeoutError> {
        match self.next_due() {
            Some(at) => rx.recv_timeout(at.saturating_duration_since(now)),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        }
    }

    /// How many items wait.
    ///
    /// ```
    /// assert_eq!(brisk_server::Deadlines::<()>::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when no item waits.
    ///
    /// ```
    /// assert!(brisk_server::Deadlines::<()>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}
