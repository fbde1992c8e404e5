//! The timer thread behind `GET /delay/{ms}` and `GET /events`: started on first use, it
//! answers each parked `Responder` at its deadline and sends each stream's events when they
//! are due. Never sleeps on a worker.

use std::collections::HashMap;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::OnceLock;
use std::time::Instant;

use brisk_server::{Deadlines, Responder, Response};

use crate::events::{Events, Step};

/// Longest delay served (ms), and longest gap between events.
pub const MAX_MS: u64 = 60_000;

/// Work for the timer.
pub enum Job {
    /// Answer `Hello, World!`.
    Answer(Responder),
    /// Send the stream's due events.
    Events(Box<Events>),
}

enum Msg {
    At(Instant, Job),
    /// The stream parked under this key has room again.
    Writable(u64),
}

static TIMER: OnceLock<Sender<Msg>> = OnceLock::new();

pub fn after(at: Instant, job: Job) {
    let tx = TIMER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Msg>();
        let me = tx.clone();
        std::thread::spawn(move || {
            // Jobs by due time, each with the key a blocked stream is parked under.
            let mut heap: Deadlines<(u64, Job)> = Deadlines::new();
            // Streams waiting for room, by key.
            let mut parked: HashMap<u64, Box<Events>> = HashMap::new();
            let mut next_key = 0u64;
            loop {
                let now = Instant::now();
                while let Some((key, job)) = heap.pop_due(now) {
                    match job {
                        Job::Answer(r) => {
                            let mut res = Response::new();
                            res.text("Hello, World!");
                            let _ = r.send(res);
                        }
                        Job::Events(mut ev) => match ev.turn(now) {
                            Step::At(at) => heap.push(at, (key, Job::Events(ev))),
                            Step::Blocked => {
                                let tx = me.clone();
                                let stream_closed_or_room = move || {
                                    let _ = tx.send(Msg::Writable(key));
                                };
                                // May run at once: the message is read below.
                                ev.stream().on_writable(stream_closed_or_room);
                                parked.insert(key, ev);
                            }
                            Step::Done => ev.finish(),
                            Step::Gone => {}
                        },
                    }
                }
                match heap.wait(&rx, now) {
                    Ok(Msg::At(at, job)) => {
                        next_key += 1;
                        heap.push(at, (next_key, job));
                    }
                    Ok(Msg::Writable(key)) => {
                        if let Some(ev) = parked.remove(&key) {
                            heap.push(Instant::now(), (key, Job::Events(ev)));
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        });
        tx
    });
    // If the timer thread is gone, the job is dropped here: a responder's client gets
    // 500, a stream is aborted.
    let _ = tx.send(Msg::At(at, job));
}
