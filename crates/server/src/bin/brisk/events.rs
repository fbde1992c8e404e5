//! The producer behind `GET /events`.

use std::fmt::Write;
use std::time::{Duration, Instant};

use brisk_server::sse::{Event, EventStream, StreamError};

/// Most events in one stream.
pub const MAX_N: u64 = 10_000;
/// A comment goes out after this long without an event.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// One stream being produced: event `next` is due at `due`.
pub struct Events {
    stream: EventStream,
    next: u32,
    n: u32,
    every: Duration,
    due: Instant,
    /// `event {i}`, reused for every event (its digits are the id too).
    text: String,
}

/// What the timer does with a stream after a turn.
pub enum Step {
    /// Turn again at this instant.
    At(Instant),
    /// The body's buffer is full: turn again once it has room.
    Blocked,
    /// Every event was sent: finish the stream.
    Done,
    /// The client has gone.
    Gone,
}

impl Events {
    pub fn new(stream: EventStream, n: u32, every: Duration) -> Events {
        Events {
            stream,
            next: 0,
            n,
            every,
            due: Instant::now(),
            text: String::with_capacity(16),
        }
    }

    pub fn stream(&self) -> &EventStream {
        &self.stream
    }

    pub fn finish(self) {
        let _ = self.stream.finish();
    }

    /// Sends every event due at `now` (all of them at once when `ms` is 0, as far as the
    /// buffer takes them).
    pub fn turn(&mut self, now: Instant) -> Step {
        loop {
            if self.next == self.n {
                return Step::Done;
            }
            if self.due > now {
                return Step::At(self.due);
            }
            self.text.clear();
            let _ = write!(self.text, "event {}", self.next);
            let ev = Event::new(&self.text).id(&self.text[6..]);
            match self.stream.try_send(&ev) {
                Ok(()) => {
                    self.next += 1;
                    self.due += self.every;
                }
                Err(StreamError::WouldBlock) => return Step::Blocked,
                Err(_) => return Step::Gone,
            }
        }
    }
}
