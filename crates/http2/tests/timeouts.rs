//! `poll_timeout` covers every deadline (issue 23): a caller that calls `handle_timeout` only
//! when `poll_timeout` says (quinn-proto's contract) sees exactly what a caller that calls it
//! on every turn sees. Each scenario runs twice on simulated time (1 ms turns), once per way
//! of driving the server, and the two transcripts (every byte the server wrote, every event,
//! the final error) must be equal; each scenario also checks its limit really fired.

use std::time::{Duration, Instant};

use brisk_http2::{Config, Connection, ErrorCode, Event, StreamId};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Drive {
    /// `handle_timeout` at the start and the end of every turn.
    EveryTurn,
    /// `handle_timeout` once at the start, then only when `poll_timeout` has passed.
    AtDeadlines,
}

/// What the client does at a turn.
type Script = dyn Fn(u64, &mut Connection, &mut Vec<StreamId>);

struct Run {
    transcript: Vec<String>,
    error: Option<brisk_http2::Error>,
    timeout_calls: usize,
}

fn run(config: &Config, drive: Drive, turns: u64, deliver_to_client: bool, script: &Script) -> Run {
    let base = Instant::now();
    let mut server = Connection::server(config.clone());
    let mut client = Connection::client(Config::default());
    let mut streams = Vec::new();
    let mut transcript = Vec::new();
    let mut calls = 0;
    let (mut c2s, mut s2c) = (Vec::new(), Vec::new());
    server.handle_timeout(base);
    calls += 1;
    client.handle_timeout(base);
    let timeouts = |server: &mut Connection, now: Instant, calls: &mut usize| match drive {
        Drive::EveryTurn => {
            server.handle_timeout(now);
            *calls += 1;
        }
        Drive::AtDeadlines => {
            if server.poll_timeout().is_some_and(|t| t <= now) {
                server.handle_timeout(now);
                *calls += 1;
            }
        }
    };
    for ms in 0..turns {
        let now = base + Duration::from_millis(ms);
        timeouts(&mut server, now, &mut calls);
        client.handle_timeout(now);
        script(ms, &mut client, &mut streams);
        client.poll_output(&mut c2s);
        if !c2s.is_empty() && server.error().is_none() {
            let n = server.recv(&c2s).unwrap_or(c2s.len());
            c2s.drain(..n);
        }
        // The application: answers `/big` with more than the windows let through, takes
        // every body byte, answers other requests when they end.
        let mut answer = Vec::new();
        while let Some(ev) = server.poll_event() {
            transcript.push(format!("{ms} event {ev:?}"));
            match ev {
                Event::Headers {
                    stream,
                    headers,
                    end_stream,
                } => answer.push((stream, headers.path() == Some(b"/big"), end_stream, 0)),
                Event::Data {
                    stream,
                    data,
                    end_stream,
                } => answer.push((stream, false, end_stream, data.len())),
                _ => {}
            }
        }
        for (stream, big, end, consumed) in answer {
            server.consume(stream, consumed);
            if big {
                let _ = server.send_headers(stream, &[(":status", "200")], false);
                let _ = server.send_data(stream, &vec![7; 600_000], true);
            } else if end {
                let _ = server.send_headers(stream, &[(":status", "204")], true);
            }
        }
        let mut out = Vec::new();
        server.poll_output(&mut out);
        if !out.is_empty() {
            // FNV-1a: equal transcripts mean byte-identical output.
            let h = out.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
            let rst = out.windows(4).any(|w| w == [0, 0, 4, 3]);
            transcript.push(format!("{ms} wrote {} bytes {h:x} rst={rst}", out.len()));
        }
        if deliver_to_client {
            s2c.extend_from_slice(&out);
            if let Ok(n) = client.recv(&s2c) {
                s2c.drain(..n);
            }
            while client.poll_event().is_some() {}
        }
        timeouts(&mut server, now, &mut calls);
        if server.error().is_some() {
            transcript.push(format!("{ms} error {:?}", server.error()));
            break;
        }
    }
    Run {
        transcript,
        error: server.error(),
        timeout_calls: calls,
    }
}

/// Runs `script` both ways; the transcripts must match. Returns the deadline-driven run.
fn both_ways(config: Config, turns: u64, deliver: bool, script: &Script) -> Run {
    let every = run(&config, Drive::EveryTurn, turns, deliver, script);
    let lazy = run(&config, Drive::AtDeadlines, turns, deliver, script);
    assert_eq!(every.error, lazy.error);
    for (i, (a, b)) in every.transcript.iter().zip(&lazy.transcript).enumerate() {
        assert_eq!(a, b, "transcripts differ at entry {i}");
    }
    assert_eq!(every.transcript.len(), lazy.transcript.len());
    // The lazy driver really is lazy: far fewer calls than turns.
    assert!(
        lazy.timeout_calls * 4 < every.timeout_calls,
        "{} calls at deadlines vs {} every turn",
        lazy.timeout_calls,
        every.timeout_calls
    );
    lazy
}

fn get(client: &mut Connection, path: &str, end: bool) -> StreamId {
    client
        .send_request(
            &[
                (":method", "GET"),
                (":scheme", "http"),
                (":path", path),
                (":authority", "a"),
            ],
            end,
        )
        .unwrap()
}

#[test]
fn settings_ack_timeout_fires_at_its_deadline() {
    let mut config = Config::default();
    config.limits.settings_timeout = Duration::from_millis(300);
    // The client never sees our SETTINGS, so never acknowledges them.
    let r = both_ways(config, 2_000, false, &|_, _, _| {});
    assert_eq!(r.error.unwrap().code(), ErrorCode::SETTINGS_TIMEOUT);
    assert!(
        r.transcript.last().unwrap().starts_with("300 error"),
        "{:?}",
        r.transcript.last()
    );
}

#[test]
fn send_stall_timeout_fires_at_its_deadline() {
    let mut config = Config::default();
    config.limits.send_stall_timeout = Duration::from_millis(500);
    // The client asks for a big body and never consumes it: the windows stay shut.
    let r = both_ways(config, 1_500, true, &|ms, client, _| {
        if ms == 5 {
            get(client, "/big", true);
        }
    });
    // The stream is reset (RST_STREAM written) 500 ms after it stalled, not before.
    let reset = r
        .transcript
        .iter()
        .find(|l| l.contains("rst=true"))
        .expect("the stalled stream is reset");
    let at: u64 = reset.split(' ').next().unwrap().parse().unwrap();
    assert!((505..=520).contains(&at), "{reset}");
}

#[test]
fn tiny_data_counter_decays_between_bursts() {
    let mut config = Config::default();
    config.limits.max_tiny_data_frames = 20;
    // Bursts of 1-byte DATA frames: 15, then 12 after 1.1 s (the counter halved to 7, so 19),
    // then 15 after 2.1 s more (halved twice: 4 + 15 = 19), then 5 (24: a flood).
    let r = both_ways(config, 4_000, true, &|ms, client, streams| {
        let burst = match ms {
            5 => {
                streams.push(get(client, "/upload", false));
                0
            }
            10..=24 => 1,
            1_110..=1_121 => 1,
            3_210..=3_224 => 1,
            3_300..=3_304 => 1,
            _ => 0,
        };
        if burst == 1 {
            let _ = client.send_data(streams[0], b"x", false);
        }
    });
    let err = r.error.expect("the last burst is a flood");
    assert_eq!(err.code(), ErrorCode::ENHANCE_YOUR_CALM);
    assert!(
        r.transcript.last().unwrap().starts_with("330"),
        "{:?}",
        r.transcript.last()
    );
}

#[test]
fn rapid_reset_bucket_refills_between_deadlines() {
    let mut config = Config::default();
    config.limits.rapid_reset_burst = 5;
    config.limits.rapid_reset_per_second = 10;
    // One reset every 80 ms: 12.5 per second against a refill of 10, so the bucket of 5
    // runs dry only after about 20 resets (without refills it would after 6).
    let r = both_ways(config, 3_000, true, &|ms, client, _| {
        if ms % 80 == 0 {
            let id = get(client, "/r", false);
            let _ = client.reset_stream(id, ErrorCode::CANCEL);
        }
    });
    let err = r.error.expect("the reset flood is stopped");
    assert_eq!(err.code(), ErrorCode::ENHANCE_YOUR_CALM);
    let resets = r
        .transcript
        .iter()
        .filter(|l| l.contains("StreamReset"))
        .count();
    assert!(resets >= 15, "only {resets} resets before GOAWAY");
}
