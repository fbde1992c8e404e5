//! The HTTP/2 idle timeout counts from the last request, not from the first idle moment: a
//! connection that keeps sending requests is never closed as idle, and one that stops is closed
//! one idle timeout after its last answer.

mod h2client;
mod util;

use std::time::{Duration, Instant};

use h2client::Client;

const IDLE: Duration = Duration::from_millis(600);

/// Turns the client until `done` or `limit` passes; false if the connection closed.
fn turn_until(c: &mut Client, limit: Duration, mut done: impl FnMut(&Client) -> bool) -> bool {
    let t = Instant::now();
    while !done(c) && t.elapsed() < limit {
        if !c.turn(usize::MAX) {
            return false;
        }
    }
    true
}

#[test]
fn a_busy_h2_connection_is_not_closed_as_idle_and_a_quiet_one_is() {
    let h = util::start(|b| {
        b.idle_timeout(IDLE);
    });
    let mut c = Client::connect(h.local_addr(), 65535, 65535);
    let t0 = Instant::now();
    let mut served = 0;
    // One request every 150 ms for 2.5 idle timeouts.
    while t0.elapsed() < IDLE * 5 / 2 {
        let id = c
            .try_get("/plaintext")
            .expect("the connection takes a new stream");
        c.flush();
        assert!(
            turn_until(&mut c, Duration::from_secs(2), |c| c.replies[&id].ended),
            "closed after {served} requests, {:?} in; GOAWAY {:?}",
            t0.elapsed(),
            c.goaways
        );
        assert!(c.replies[&id].ended, "no answer to request {served}");
        served += 1;
        turn_until(&mut c, Duration::from_millis(150), |_| false);
        assert!(
            c.goaways.is_empty() && c.closed_at.is_none(),
            "a busy connection was closed as idle after {served} requests, {:?} in",
            t0.elapsed()
        );
    }
    assert!(served >= 8, "only {served} requests in {:?}", t0.elapsed());
    // Now quiet: closed about one idle timeout after the last answer.
    let quiet = Instant::now();
    turn_until(&mut c, IDLE * 4, |c| {
        !c.goaways.is_empty() || c.closed_at.is_some()
    });
    let after = quiet.elapsed();
    assert!(
        !c.goaways.is_empty() || c.closed_at.is_some(),
        "a quiet connection was not closed within {after:?}"
    );
    assert!(after >= IDLE / 2, "closed too early: {after:?}");
}
