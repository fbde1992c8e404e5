//! Connection rules of RFC 9113 §3-§8 as a table of scenarios: input frames (after the
//! preface and SETTINGS exchange), the expected output frames, and the events.

mod util;

use std::time::{Duration, Instant};

use brisk_http2::{Config, Connection, ErrorCode, Event, StreamId, PREFACE};
use util::{block, frame, frames, get_block, goaway_code, handshaken_server, post_block, resets};

use ErrorCode as C;

/// What a scenario must produce.
#[derive(Debug)]
enum Want {
    /// Connection error: `recv` fails with this code and a GOAWAY carrying it is written.
    Goaway(ErrorCode),
    /// Stream error: this RST_STREAM is written, the connection lives on.
    Rst(u32, ErrorCode),
    /// No GOAWAY, no RST_STREAM.
    Clean,
}

struct Scenario {
    name: &'static str,
    config: fn(&mut Config),
    input: Vec<u8>,
    want: Want,
    /// Further checks on the events and output.
    check: fn(&mut Connection, &[u8]),
}

fn none(_: &mut Config) {}
fn nothing(_: &mut Connection, _: &[u8]) {}

fn hdrs(stream: u32, flags: u8, block: &[u8]) -> Vec<u8> {
    frame(1, flags, stream, block)
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

/// Events as short strings, for compact assertions.
fn events(c: &mut Connection) -> Vec<String> {
    let mut v = Vec::new();
    while let Some(ev) = c.poll_event() {
        v.push(match ev {
            Event::Headers {
                stream,
                headers,
                end_stream,
            } => format!(
                "headers {stream} {}{}{}",
                String::from_utf8_lossy(headers.method().unwrap_or(b"-")),
                headers
                    .status()
                    .map(|s| format!(" {s}"))
                    .unwrap_or_default(),
                if end_stream { " end" } else { "" }
            ),
            Event::Data {
                stream,
                data,
                end_stream,
            } => {
                format!(
                    "data {stream} {}{}",
                    data.len(),
                    if end_stream { " end" } else { "" }
                )
            }
            Event::Trailers { stream, headers } => format!("trailers {stream} {}", headers.len()),
            Event::StreamReset {
                stream,
                code,
                by_peer,
                retryable,
            } => {
                format!("reset {stream} {code} peer={by_peer} retry={retryable}")
            }
            Event::SendReady { stream } => format!("ready {stream}"),
            Event::GoAway {
                last_stream, code, ..
            } => format!("goaway {last_stream} {code}"),
            Event::PeerSettings(_) => "settings".into(),
            Event::SettingsAcked => "acked".into(),
            Event::PingAck { .. } => "pingack".into(),
            _ => "other".into(),
        });
    }
    v
}

fn frame_types(out: &[u8]) -> Vec<(u8, u8, u32)> {
    frames(out).into_iter().map(|f| (f.0, f.1, f.2)).collect()
}

fn scenarios() -> Vec<Scenario> {
    let req = get_block();
    let post = post_block();
    let with = |extra: &[(&str, &str)]| {
        let mut f = vec![
            (":method", "POST"),
            (":scheme", "http"),
            (":path", "/"),
            (":authority", "localhost"),
        ];
        f.extend_from_slice(extra);
        block(&f)
    };
    vec![
        // ---- §4.3, §6.10 header blocks and CONTINUATION
        Scenario {
            name: "header block split over CONTINUATION frames is one request",
            config: none,
            input: cat(&[hdrs(1, 1, &req[..3]), frame(9, 0, 1, &req[3..10]), frame(9, 4, 1, &req[10..])]),
            want: Want::Clean,
            check: |c, _| assert_eq!(events(c), ["headers 1 GET end"]),
        },
        Scenario {
            name: "a frame other than CONTINUATION inside a header block is a PROTOCOL_ERROR",
            config: none,
            input: cat(&[hdrs(1, 1, &req[..3]), frame(6, 0, 0, &[0; 8])]),
            want: Want::Goaway(C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "CONTINUATION for another stream is a PROTOCOL_ERROR",
            config: none,
            input: cat(&[hdrs(1, 1, &req[..3]), frame(9, 4, 3, &req[3..])]),
            want: Want::Goaway(C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "CONTINUATION without HEADERS is a PROTOCOL_ERROR",
            config: none,
            input: cat(&[hdrs(1, 5, &req), frame(9, 4, 1, &req)]),
            want: Want::Goaway(C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "undecodable HPACK is a COMPRESSION_ERROR",
            config: none,
            input: hdrs(1, 5, &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            want: Want::Goaway(C::COMPRESSION_ERROR),
            check: nothing,
        },
        Scenario {
            name: "dynamic table size update above our SETTINGS_HEADER_TABLE_SIZE is a COMPRESSION_ERROR",
            config: none,
            input: hdrs(1, 5, &cat(&[vec![0x3f, 0x81, 0x20], req.clone()])), // size update to 4128
            want: Want::Goaway(C::COMPRESSION_ERROR),
            check: nothing,
        },
        // ---- §5.1 stream states
        Scenario {
            name: "DATA on an idle stream is a PROTOCOL_ERROR",
            config: none,
            input: frame(0, 1, 1, b"x"),
            want: Want::Goaway(C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "RST_STREAM on an idle stream is a PROTOCOL_ERROR",
            config: none,
            input: frame(3, 0, 1, &[0, 0, 0, 8]),
            want: Want::Goaway(C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "WINDOW_UPDATE on an idle stream is a PROTOCOL_ERROR",
            config: none,
            input: frame(8, 0, 1, &[0, 0, 0, 1]),
            want: Want::Goaway(C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "PRIORITY on an idle stream is allowed and ignored",
            config: none,
            input: frame(2, 0, 3, &[0, 0, 0, 1, 9]),
            want: Want::Clean,
            check: |c, _| assert!(events(c).is_empty()),
        },
        Scenario {
            name: "DATA on a half-closed (remote) stream is STREAM_CLOSED",
            config: none,
            input: cat(&[hdrs(1, 5, &req), frame(0, 0, 1, b"x")]),
            want: Want::Rst(1, C::STREAM_CLOSED),
            check: nothing,
        },
        Scenario {
            name: "HEADERS on a half-closed (remote) stream is STREAM_CLOSED",
            config: none,
            input: cat(&[hdrs(1, 5, &req), hdrs(1, 5, &block(&[("x", "y")]))]),
            want: Want::Rst(1, C::STREAM_CLOSED),
            check: nothing,
        },
        Scenario {
            name: "DATA after the peer's RST_STREAM is a stream error STREAM_CLOSED",
            config: none,
            input: cat(&[hdrs(1, 4, &post), frame(3, 0, 1, &[0, 0, 0, 8]), frame(0, 0, 1, b"x")]),
            want: Want::Rst(1, C::STREAM_CLOSED),
            check: |c, _| assert_eq!(events(c), ["headers 1 POST", "reset 1 CANCEL peer=true retry=false"]),
        },
        Scenario {
            name: "even stream id from a client is a PROTOCOL_ERROR",
            config: none,
            input: hdrs(2, 5, &req),
            want: Want::Goaway(C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "a stream id smaller than the last one is a PROTOCOL_ERROR",
            config: none,
            input: cat(&[hdrs(5, 5, &req), hdrs(3, 5, &req)]),
            want: Want::Goaway(C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "streams beyond SETTINGS_MAX_CONCURRENT_STREAMS are refused",
            config: |c| c.max_concurrent_streams = 2,
            input: cat(&[hdrs(1, 4, &post), hdrs(3, 4, &post), hdrs(5, 4, &post)]),
            want: Want::Rst(5, C::REFUSED_STREAM),
            check: |c, _| assert_eq!(c.open_streams(), 2),
        },
        Scenario {
            name: "HEADERS depending on its own stream is a stream PROTOCOL_ERROR",
            config: none,
            input: hdrs(1, 5 | 0x20, &cat(&[vec![0, 0, 0, 1, 16], req.clone()])),
            want: Want::Rst(1, C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "PRIORITY depending on its own stream is a stream PROTOCOL_ERROR",
            config: none,
            input: frame(2, 0, 3, &[0, 0, 0, 3, 16]),
            want: Want::Rst(3, C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "PUSH_PROMISE sent to a server is a PROTOCOL_ERROR",
            config: none,
            input: cat(&[hdrs(1, 4, &post), frame(5, 4, 1, &cat(&[vec![0, 0, 0, 2], req.clone()]))]),
            want: Want::Goaway(C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "PING is answered with an ACK carrying the same payload",
            config: none,
            input: frame(6, 0, 0, b"abcdefgh"),
            want: Want::Clean,
            check: |_, out| assert_eq!(frames(out), [(6, 1, 0, b"abcdefgh".to_vec())]),
        },
        Scenario {
            name: "SETTINGS is acknowledged and reported",
            config: none,
            input: frame(4, 0, 0, &[0, 3, 0, 0, 0, 7]),
            want: Want::Clean,
            check: |c, out| {
                assert_eq!(frame_types(out), [(4, 1, 0)]);
                assert_eq!(events(c), ["settings"]);
                assert_eq!(c.peer_settings().max_concurrent_streams, 7);
            },
        },
        Scenario {
            name: "GOAWAY with an unknown code changes nothing for a server",
            config: none,
            input: cat(&[frame(7, 0, 0, &[0, 0, 0, 0, 0, 0, 0, 0xff]), hdrs(1, 5, &req)]),
            want: Want::Clean,
            check: |c, _| {
                assert_eq!(events(c), ["goaway 0 unknown error code 0xff", "headers 1 GET end"]);
                assert!(!c.is_closed());
            },
        },
        Scenario {
            name: "unknown frame types are ignored, even with a stream id",
            config: none,
            input: cat(&[frame(0x42, 0xff, 7, b"zz"), hdrs(1, 5, &req)]),
            want: Want::Clean,
            check: |c, _| assert_eq!(events(c), ["headers 1 GET end"]),
        },
        // ---- §8 message rules
        Scenario {
            name: "request without :method is malformed",
            config: none,
            input: hdrs(1, 5, &block(&[(":scheme", "http"), (":path", "/"), (":authority", "a")])),
            want: Want::Rst(1, C::PROTOCOL_ERROR),
            check: |c, _| assert!(events(c).is_empty()),
        },
        Scenario {
            name: "request without :path is malformed",
            config: none,
            input: hdrs(1, 5, &block(&[(":method", "GET"), (":scheme", "http"), (":authority", "a")])),
            want: Want::Rst(1, C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "unknown pseudo-header is malformed",
            config: none,
            input: hdrs(1, 5, &with(&[(":foo", "bar")])),
            want: Want::Rst(1, C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "duplicate pseudo-header is malformed",
            config: none,
            input: hdrs(1, 5, &block(&[(":method", "GET"), (":method", "GET"), (":scheme", "http"), (":path", "/")])),
            want: Want::Rst(1, C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "pseudo-header after a regular field is malformed",
            config: none,
            input: hdrs(1, 5, &block(&[(":method", "GET"), ("x", "y"), (":scheme", "http"), (":path", "/")])),
            want: Want::Rst(1, C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "response pseudo-header in a request is malformed",
            config: none,
            input: hdrs(1, 5, &with(&[(":status", "200")])),
            want: Want::Rst(1, C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "uppercase field name is malformed",
            config: none,
            input: hdrs(1, 5, &with(&[("X-Upper", "1")])),
            want: Want::Rst(1, C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "connection-specific field is malformed",
            config: none,
            input: hdrs(1, 5, &with(&[("connection", "keep-alive")])),
            want: Want::Rst(1, C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "te other than trailers is malformed",
            config: none,
            input: hdrs(1, 5, &with(&[("te", "gzip")])),
            want: Want::Rst(1, C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "te: trailers is allowed",
            config: none,
            input: hdrs(1, 5, &with(&[("te", "trailers")])),
            want: Want::Clean,
            check: |c, _| assert_eq!(events(c), ["headers 1 POST end"]),
        },
        Scenario {
            name: "content-length larger than the DATA received is a stream error",
            config: none,
            input: cat(&[hdrs(1, 4, &with(&[("content-length", "10")])), frame(0, 1, 1, b"12345")]),
            want: Want::Rst(1, C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "DATA beyond content-length is a stream error at once",
            config: none,
            input: cat(&[hdrs(1, 4, &with(&[("content-length", "3")])), frame(0, 0, 1, b"12345")]),
            want: Want::Rst(1, C::PROTOCOL_ERROR),
            check: |c, _| assert_eq!(events(c), ["headers 1 POST", "reset 1 PROTOCOL_ERROR peer=false retry=false"]),
        },
        Scenario {
            name: "content-length matching the DATA is fine",
            config: none,
            input: cat(&[hdrs(1, 4, &with(&[("content-length", "5")])), frame(0, 0, 1, b"12"), frame(0, 1, 1, b"345")]),
            want: Want::Clean,
            check: |c, _| assert_eq!(events(c), ["headers 1 POST", "data 1 2", "data 1 3 end"]),
        },
        Scenario {
            name: "trailers: HEADERS with END_STREAM after DATA",
            config: none,
            input: cat(&[hdrs(1, 4, &post), frame(0, 0, 1, b"abc"), hdrs(1, 5, &block(&[("x-sum", "1"), ("x-n", "2")]))]),
            want: Want::Clean,
            check: |c, _| assert_eq!(events(c), ["headers 1 POST", "data 1 3", "trailers 1 2"]),
        },
        Scenario {
            name: "second HEADERS without END_STREAM is malformed",
            config: none,
            input: cat(&[hdrs(1, 4, &post), frame(0, 0, 1, b"abc"), hdrs(1, 4, &block(&[("x-sum", "1")]))]),
            want: Want::Rst(1, C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "pseudo-header in trailers is malformed",
            config: none,
            input: cat(&[hdrs(1, 4, &post), hdrs(1, 5, &block(&[(":method", "POST")]))]),
            want: Want::Rst(1, C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "CONNECT with only :method and :authority is accepted",
            config: none,
            input: hdrs(1, 4, &block(&[(":method", "CONNECT"), (":authority", "example.com:443")])),
            want: Want::Clean,
            check: |c, _| assert_eq!(events(c), ["headers 1 CONNECT"]),
        },
        Scenario {
            name: "CONNECT with :path is malformed",
            config: none,
            input: hdrs(1, 4, &block(&[(":method", "CONNECT"), (":authority", "a:443"), (":path", "/")])),
            want: Want::Rst(1, C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "extended CONNECT (:protocol) without SETTINGS_ENABLE_CONNECT_PROTOCOL is malformed",
            config: none,
            input: hdrs(1, 4, &block(&[(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"), (":path", "/chat"), (":authority", "a")])),
            want: Want::Rst(1, C::PROTOCOL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "extended CONNECT (:protocol) with SETTINGS_ENABLE_CONNECT_PROTOCOL is accepted",
            config: |c| c.enable_connect_protocol = true,
            input: hdrs(1, 4, &block(&[(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"), (":path", "/chat"), (":authority", "a")])),
            want: Want::Clean,
            check: |c, _| {
                let Some(Event::Headers { headers, .. }) = c.poll_event() else { panic!() };
                assert_eq!(headers.protocol(), Some(&b"websocket"[..]));
            },
        },
        Scenario {
            name: "host differing from :authority is malformed",
            config: none,
            input: hdrs(1, 5, &with(&[("host", "other.example")])),
            want: Want::Rst(1, C::PROTOCOL_ERROR),
            check: nothing,
        },
        // ---- §6.9 flow control
        Scenario {
            name: "WINDOW_UPDATE is not sent when DATA arrives, only when consumed",
            config: |c| {
                c.initial_window_size = 1000;
                c.connection_window_size = 65_535;
            },
            input: cat(&[hdrs(1, 4, &post), frame(0, 0, 1, &[7; 600])]),
            want: Want::Clean,
            check: |c, out| {
                assert!(!frame_types(out).iter().any(|f| f.0 == 8), "no WINDOW_UPDATE before consume");
                let _ = events(c);
                c.consume(StreamId::new(1), 600);
                let mut more = Vec::new();
                c.poll_output(&mut more);
                // Stream credit returned (600 >= half of 1000); connection credit waits for half of 65535.
                assert_eq!(frames(&more), [(8, 0, 1, 600u32.to_be_bytes().to_vec())]);
            },
        },
        Scenario {
            name: "DATA beyond the stream window is a FLOW_CONTROL_ERROR",
            config: |c| c.initial_window_size = 100,
            input: cat(&[hdrs(1, 4, &post), frame(0, 0, 1, &[0; 101])]),
            want: Want::Rst(1, C::FLOW_CONTROL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "DATA beyond the connection window is a connection FLOW_CONTROL_ERROR",
            config: |c| {
                c.connection_window_size = 65_535;
                c.max_frame_size = 65_536;
            },
            input: cat(&[hdrs(1, 4, &post), frame(0, 0, 1, &[0; 65_536])]),
            want: Want::Goaway(C::FLOW_CONTROL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "padding counts against the window and is returned at once",
            config: |c| c.initial_window_size = 100,
            input: cat(&[hdrs(1, 4, &post), frame(0, 8, 1, &cat(&[vec![60], vec![1; 10], vec![0; 60]]))]),
            want: Want::Clean,
            check: |c, out| {
                assert_eq!(events(c), ["headers 1 POST", "data 1 10"]);
                // 61 bytes of padding returned to the stream window at once (>= half of 100);
                // the connection window never starts below 65535, so its credit waits.
                let wu: Vec<_> = frames(out).into_iter().filter(|f| f.0 == 8).collect();
                assert_eq!(wu, [(8, 0, 1, 61u32.to_be_bytes().to_vec())]);
            },
        },
        Scenario {
            name: "connection WINDOW_UPDATE past 2^31-1 is a FLOW_CONTROL_ERROR",
            config: none,
            input: cat(&[frame(8, 0, 0, &0x7fff_ffffu32.to_be_bytes())]),
            want: Want::Goaway(C::FLOW_CONTROL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "stream WINDOW_UPDATE past 2^31-1 is a stream FLOW_CONTROL_ERROR",
            config: none,
            input: cat(&[hdrs(1, 4, &post), frame(8, 0, 1, &0x7fff_ffffu32.to_be_bytes())]),
            want: Want::Rst(1, C::FLOW_CONTROL_ERROR),
            check: nothing,
        },
        Scenario {
            name: "SETTINGS_INITIAL_WINDOW_SIZE making an open stream's window overflow is a FLOW_CONTROL_ERROR",
            config: none,
            input: cat(&[hdrs(1, 4, &post), frame(8, 0, 1, &0x7fff_0000u32.to_be_bytes()), frame(4, 0, 0, &[0, 4, 0, 1, 0, 0])]),
            want: Want::Goaway(C::FLOW_CONTROL_ERROR),
            check: nothing,
        },
    ]
}

#[test]
fn connection_rules_table() {
    for s in scenarios() {
        let mut config = Config::default();
        (s.config)(&mut config);
        let mut server = handshaken_server(config);
        let result = server.recv(&s.input);
        let mut out = Vec::new();
        server.poll_output(&mut out);
        match s.want {
            Want::Goaway(code) => {
                let err = result.expect_err(s.name);
                assert_eq!(err.code(), code, "{}", s.name);
                assert_eq!(goaway_code(&out), Some(code), "{}: GOAWAY", s.name);
                assert!(server.is_closed(), "{}", s.name);
                assert_eq!(server.recv(b"more").unwrap_err(), err, "{}: sticky", s.name);
            }
            Want::Rst(id, code) => {
                assert_eq!(result, Ok(s.input.len()), "{}", s.name);
                assert_eq!(goaway_code(&out), None, "{}", s.name);
                assert!(
                    resets(&out).contains(&(id, code)),
                    "{}: resets {:?}",
                    s.name,
                    resets(&out)
                );
            }
            Want::Clean => {
                assert_eq!(result, Ok(s.input.len()), "{}", s.name);
                assert_eq!(goaway_code(&out), None, "{}", s.name);
                assert!(
                    resets(&out).is_empty(),
                    "{}: resets {:?}",
                    s.name,
                    resets(&out)
                );
            }
        }
        (s.check)(&mut server, &out);
    }
}

// ---- Preface and SETTINGS exchange (RFC 9113 §3.4, §6.5.3)

#[test]
fn invalid_preface_is_a_protocol_error() {
    let mut s = Connection::server(Config::default());
    let err = s.recv(b"PRI * HTTP/1.1\r\n").unwrap_err();
    assert_eq!(err.code(), C::PROTOCOL_ERROR);
    let mut out = Vec::new();
    s.poll_output(&mut out);
    assert_eq!(goaway_code(&out), Some(C::PROTOCOL_ERROR));
}

#[test]
fn first_frame_must_be_settings() {
    let mut s = Connection::server(Config::default());
    let input = cat(&[PREFACE.to_vec(), frame(6, 0, 0, &[0; 8])]);
    assert_eq!(s.recv(&input).unwrap_err().code(), C::PROTOCOL_ERROR);
    let mut c = Connection::client(Config::default());
    assert_eq!(
        c.recv(&frame(6, 0, 0, &[0; 8])).unwrap_err().code(),
        C::PROTOCOL_ERROR
    );
}

#[test]
fn preface_byte_by_byte_equals_whole() {
    let input = cat(&[
        PREFACE.to_vec(),
        frame(4, 0, 0, &[]),
        hdrs(1, 5, &get_block()),
    ]);
    let mut whole = Connection::server(Config::default());
    assert_eq!(whole.recv(&input), Ok(input.len()));
    let mut split = Connection::server(Config::default());
    let mut buf = Vec::new();
    for &b in &input {
        buf.push(b);
        let used = split.recv(&buf).unwrap();
        buf.drain(..used);
    }
    assert!(buf.is_empty());
    assert_eq!(events(&mut whole), events(&mut split));
}

#[test]
fn server_sends_settings_first_and_acks_the_clients() {
    let mut s = Connection::server(Config::default());
    let mut out = Vec::new();
    s.poll_output(&mut out);
    let f = frames(&out);
    assert_eq!((f[0].0, f[0].1), (4, 0), "first frame is SETTINGS");
    // Our SETTINGS: MAX_CONCURRENT_STREAMS=100, INITIAL_WINDOW_SIZE=262144, MAX_HEADER_LIST_SIZE.
    assert!(f[0].3.windows(6).any(|w| w == [0, 3, 0, 0, 0, 100]));
    assert!(
        !f[0].3.chunks(6).any(|w| w[..2] == [0, 2]),
        "a server does not send ENABLE_PUSH"
    );
    let input = cat(&[PREFACE.to_vec(), frame(4, 0, 0, &[])]);
    s.recv(&input).unwrap();
    out.clear();
    s.poll_output(&mut out);
    assert_eq!(frame_types(&out), [(4, 1, 0)]);
}

#[test]
fn client_advertises_enable_push_0_and_refuses_push_promise() {
    let mut c = Connection::client(Config::default());
    let mut out = Vec::new();
    c.poll_output(&mut out);
    let f = frames(&out);
    assert!(
        f[0].3.chunks(6).any(|w| w == [0, 2, 0, 0, 0, 0]),
        "SETTINGS_ENABLE_PUSH = 0"
    );
    let id = c
        .send_request(
            &[
                (":method", "GET"),
                (":scheme", "http"),
                (":path", "/"),
                (":authority", "a"),
            ],
            true,
        )
        .unwrap();
    let input = cat(&[
        frame(4, 0, 0, &[]),
        frame(5, 4, id.value(), &cat(&[vec![0, 0, 0, 2], get_block()])),
    ]);
    assert_eq!(c.recv(&input).unwrap_err().code(), C::PROTOCOL_ERROR);
    // A server announcing ENABLE_PUSH=1 is a PROTOCOL_ERROR too.
    let mut c = Connection::client(Config::default());
    assert_eq!(
        c.recv(&frame(4, 0, 0, &[0, 2, 0, 0, 0, 1]))
            .unwrap_err()
            .code(),
        C::PROTOCOL_ERROR
    );
}

#[test]
fn settings_ack_timeout_driven_by_caller_time() {
    let mut s = Connection::server(Config::default());
    let t0 = Instant::now();
    s.handle_timeout(t0);
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(10)));
    s.handle_timeout(t0 + Duration::from_secs(9));
    assert!(s.error().is_none());
    // An ACK disarms the timer.
    let mut acked = handshaken_server(Config::default());
    acked.handle_timeout(t0);
    assert_eq!(acked.poll_timeout(), None);
    s.handle_timeout(t0 + Duration::from_secs(10));
    assert_eq!(s.error().unwrap().code(), C::SETTINGS_TIMEOUT);
    let mut out = Vec::new();
    s.poll_output(&mut out);
    assert_eq!(goaway_code(&out), Some(C::SETTINGS_TIMEOUT));
}

// ---- Closed-stream rules (RFC 9113 §5.1)

#[test]
fn frames_after_both_end_streams_are_a_connection_stream_closed() {
    let mut s = handshaken_server(Config::default());
    s.recv(&hdrs(1, 5, &get_block())).unwrap();
    let _ = events(&mut s);
    s.send_headers(StreamId::new(1), &[(":status", "204")], true)
        .unwrap();
    assert_eq!(s.open_streams(), 0);
    // WINDOW_UPDATE and PRIORITY shortly after are tolerated...
    s.recv(&cat(&[
        frame(8, 0, 1, &[0, 0, 0, 1]),
        frame(2, 0, 1, &[0, 0, 0, 0, 1]),
    ]))
    .unwrap();
    // ...DATA is not.
    assert_eq!(
        s.recv(&frame(0, 0, 1, b"x")).unwrap_err().code(),
        C::STREAM_CLOSED
    );
}

#[test]
fn frames_after_our_reset_are_ignored() {
    let mut s = handshaken_server(Config::default());
    s.recv(&hdrs(1, 4, &post_block())).unwrap();
    let _ = events(&mut s);
    s.reset_stream(StreamId::new(1), C::CANCEL).unwrap();
    let late = cat(&[
        frame(0, 0, 1, &[1; 100]),
        hdrs(1, 5, &block(&[("x", "y")])),
        frame(8, 0, 1, &[0, 0, 0, 9]),
        frame(3, 0, 1, &[0; 4]),
    ]);
    assert_eq!(s.recv(&late), Ok(late.len()));
    let mut out = Vec::new();
    s.poll_output(&mut out);
    assert_eq!(frame_types(&out), [(3, 0, 1)], "only our own RST_STREAM");
    assert!(events(&mut s).is_empty());
}

// ---- GOAWAY (RFC 9113 §6.8)

#[test]
fn graceful_goaway_in_two_phases() {
    let mut s = handshaken_server(Config::default());
    s.recv(&hdrs(1, 4, &post_block())).unwrap();
    let _ = events(&mut s);
    s.go_away();
    let mut out = Vec::new();
    s.poll_output(&mut out);
    let f = frames(&out);
    assert_eq!(f[0].0, 7);
    assert_eq!(
        f[0].3[..8],
        [0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0],
        "first GOAWAY: 2^31-1, NO_ERROR"
    );
    assert_eq!(f[1].0, 6, "followed by a PING");
    let ping = f[1].3.clone();
    // A request the client sent before seeing the GOAWAY is still served...
    s.recv(&hdrs(3, 5, &get_block())).unwrap();
    assert_eq!(events(&mut s), ["headers 3 GET end"]);
    // ...and the PING ACK triggers the final GOAWAY with the real last stream id.
    s.recv(&frame(6, 1, 0, &ping)).unwrap();
    out.clear();
    s.poll_output(&mut out);
    let f = frames(&out);
    assert_eq!(
        (f[0].0, f[0].3[..8].to_vec()),
        (7, vec![0, 0, 0, 3, 0, 0, 0, 0])
    );
    // Streams above it are ignored; streams at or below complete.
    s.recv(&hdrs(5, 5, &get_block())).unwrap();
    assert!(events(&mut s).is_empty());
    assert!(!s.is_closed());
    s.send_headers(StreamId::new(3), &[(":status", "200")], true)
        .unwrap();
    s.recv(&frame(0, 1, 1, b"")).unwrap();
    let _ = events(&mut s);
    s.send_headers(StreamId::new(1), &[(":status", "200")], true)
        .unwrap();
    assert!(s.is_closed());
}

#[test]
fn client_learns_streams_above_goaway_are_retryable() {
    let mut c = Connection::client(Config::default());
    let req = [
        (":method", "GET"),
        (":scheme", "http"),
        (":path", "/"),
        (":authority", "a"),
    ];
    let a = c.send_request(&req, true).unwrap();
    let b = c.send_request(&req, true).unwrap();
    let d = c.send_request(&req, true).unwrap();
    let input = cat(&[
        frame(4, 0, 0, &[]),
        frame(7, 0, 0, &[0, 0, 0, 1, 0, 0, 0, 0]),
    ]);
    c.recv(&input).unwrap();
    let ev = events(&mut c);
    assert_eq!(
        ev,
        [
            "settings".to_string(),
            format!("reset {b} REFUSED_STREAM peer=true retry=true"),
            format!("reset {d} REFUSED_STREAM peer=true retry=true"),
            "goaway 1 NO_ERROR".into()
        ]
    );
    assert_eq!(
        c.send_request(&req, true).unwrap_err(),
        brisk_http2::UserError::Closing
    );
    assert_eq!(c.open_streams(), 1);
    assert_eq!(a.value(), 1);
}

// ---- Client-side message rules: 1xx, response pseudo-headers, content-length

#[test]
fn client_informational_then_final_response() {
    let mut c = Connection::client(Config::default());
    let id = c
        .send_request(
            &[
                (":method", "GET"),
                (":scheme", "http"),
                (":path", "/"),
                (":authority", "a"),
            ],
            true,
        )
        .unwrap();
    let input = cat(&[
        frame(4, 0, 0, &[]),
        hdrs(
            id.value(),
            4,
            &block(&[(":status", "103"), ("link", "</s.css>")]),
        ),
        hdrs(
            id.value(),
            4,
            &block(&[(":status", "200"), ("content-length", "2")]),
        ),
        frame(0, 1, id.value(), b"ok"),
    ]);
    c.recv(&input).unwrap();
    assert_eq!(
        events(&mut c),
        [
            "settings",
            "headers 1 - 103",
            "headers 1 - 200",
            "data 1 2 end"
        ]
    );
    assert_eq!(c.open_streams(), 0);
    // A response without :status is malformed.
    let id = c
        .send_request(
            &[
                (":method", "GET"),
                (":scheme", "http"),
                (":path", "/"),
                (":authority", "a"),
            ],
            true,
        )
        .unwrap();
    c.recv(&hdrs(id.value(), 5, &block(&[("x", "y")]))).unwrap();
    let mut out = Vec::new();
    c.poll_output(&mut out);
    assert!(resets(&out).contains(&(id.value(), C::PROTOCOL_ERROR)));
}

#[test]
fn head_response_content_length_does_not_bind() {
    let mut c = Connection::client(Config::default());
    let id = c
        .send_request(
            &[
                (":method", "HEAD"),
                (":scheme", "http"),
                (":path", "/"),
                (":authority", "a"),
            ],
            true,
        )
        .unwrap();
    let input = cat(&[
        frame(4, 0, 0, &[]),
        hdrs(
            id.value(),
            5,
            &block(&[(":status", "200"), ("content-length", "1000")]),
        ),
    ]);
    c.recv(&input).unwrap();
    assert_eq!(events(&mut c), ["settings", "headers 1 - 200 end"]);
}

// ---- Sending side: flow control both ways (RFC 9113 §6.9)

#[test]
fn send_data_obeys_windows_and_reports_when_blocked_streams_can_send() {
    let mut s = handshaken_server(Config::default());
    // The client allows 10 bytes per stream.
    s.recv(&frame(4, 0, 0, &[0, 4, 0, 0, 0, 10])).unwrap();
    s.recv(&hdrs(1, 5, &get_block())).unwrap();
    let _ = events(&mut s);
    let id = StreamId::new(1);
    s.send_headers(id, &[(":status", "200")], false).unwrap();
    assert_eq!(s.send_data(id, &[1; 25], true).unwrap(), 10);
    assert_eq!(s.send_data(id, &[1; 15], true).unwrap(), 0);
    let mut out = Vec::new();
    s.poll_output(&mut out);
    assert!(events(&mut s).is_empty(), "no window yet");
    // A stream WINDOW_UPDATE wakes it.
    s.recv(&frame(8, 0, 1, &[0, 0, 0, 5])).unwrap();
    assert_eq!(events(&mut s), ["ready 1"]);
    assert_eq!(s.send_data(id, &[1; 15], true).unwrap(), 5);
    // Lowering SETTINGS_INITIAL_WINDOW_SIZE from 10 to 0 makes the window negative (-10)...
    s.recv(&frame(4, 0, 0, &[0, 4, 0, 0, 0, 0])).unwrap();
    let _ = events(&mut s);
    s.recv(&frame(8, 0, 1, &[0, 0, 0, 10])).unwrap();
    assert!(events(&mut s).is_empty(), "window back to 0: still blocked");
    s.recv(&frame(8, 0, 1, &[0, 0, 0, 1])).unwrap();
    // ...so 11 bytes of credit only allow 1.
    assert_eq!(events(&mut s), ["ready 1"]);
    assert_eq!(s.send_data(id, &[1; 10], true).unwrap(), 1);
    // Raising it again by 20 applies to the open stream: 0 + 20.
    s.recv(&frame(4, 0, 0, &[0, 4, 0, 0, 0, 20])).unwrap();
    assert_eq!(events(&mut s), ["ready 1", "settings"]);
    assert_eq!(s.send_data(id, &[1; 9], true).unwrap(), 9);
    assert_eq!(s.open_streams(), 0, "END_STREAM sent with the last byte");
    out.clear();
    s.poll_output(&mut out);
    let data: Vec<_> = frames(&out)
        .into_iter()
        .filter(|f| f.0 == 0)
        .map(|f| (f.1, f.3.len()))
        .collect();
    assert_eq!(data, [(0, 5), (0, 1), (1, 9)]);
}

#[test]
fn connection_window_limits_all_streams() {
    let mut s = handshaken_server(Config::default());
    s.recv(&cat(&[hdrs(1, 5, &get_block()), hdrs(3, 5, &get_block())]))
        .unwrap();
    let _ = events(&mut s);
    let (a, b) = (StreamId::new(1), StreamId::new(3));
    s.send_headers(a, &[(":status", "200")], false).unwrap();
    s.send_headers(b, &[(":status", "200")], false).unwrap();
    assert_eq!(s.send_data(a, &vec![0; 60_000], false).unwrap(), 60_000);
    assert_eq!(s.send_data(b, &vec![0; 60_000], false).unwrap(), 5_535);
    let mut out = Vec::new();
    s.poll_output(&mut out);
    let _ = events(&mut s);
    s.recv(&frame(8, 0, 0, &[0, 0, 0x10, 0])).unwrap();
    assert_eq!(events(&mut s), ["ready 3"]);
}

// ---- Extended CONNECT (RFC 8441) end to end

#[test]
fn extended_connect_needs_the_servers_setting() {
    let ws = [
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "http"),
        (":path", "/chat"),
        (":authority", "a"),
    ];
    let mut client = Connection::client(Config::default());
    assert_eq!(
        client.send_request(&ws, false).unwrap_err(),
        brisk_http2::UserError::InvalidHeaders
    );
    let mut config = Config::default();
    config.enable_connect_protocol = true;
    let mut server = Connection::server(config);
    let mut wire = Vec::new();
    client.poll_output(&mut wire);
    server.recv(&wire).unwrap();
    wire.clear();
    server.poll_output(&mut wire);
    client.recv(&wire).unwrap();
    assert!(client.peer_settings().enable_connect_protocol);
    let id = client.send_request(&ws, false).unwrap();
    wire.clear();
    client.poll_output(&mut wire);
    server.recv(&wire).unwrap();
    let ev = events(&mut server);
    assert_eq!(ev.last().unwrap(), &format!("headers {id} CONNECT"));
    server
        .send_headers(id, &[(":status", "200")], false)
        .unwrap();
    assert_eq!(server.send_data(id, b"tunnel bytes", false).unwrap(), 12);
}

// ---- HPACK table-size rules (RFC 9113 §4.3.1, RFC 7541 §4.2)

#[test]
fn peer_header_table_size_is_signalled_at_the_start_of_our_next_block() {
    let mut s = handshaken_server(Config::default());
    // The client shrinks our encoder's table to 0.
    s.recv(&frame(4, 0, 0, &[0, 1, 0, 0, 0, 0])).unwrap();
    s.recv(&hdrs(1, 5, &get_block())).unwrap();
    let _ = events(&mut s);
    let _ = {
        let mut o = Vec::new();
        s.poll_output(&mut o);
        o
    };
    s.send_headers(
        StreamId::new(1),
        &[(":status", "200"), ("x-long-header-name", "some value")],
        true,
    )
    .unwrap();
    let mut out = Vec::new();
    s.poll_output(&mut out);
    let f = frames(&out);
    assert_eq!(f[0].0, 1);
    assert_eq!(
        f[0].3[0], 0x20,
        "block starts with a dynamic table size update to 0"
    );
}
