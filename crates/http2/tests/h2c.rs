//! The HTTP/1.1 `Upgrade: h2c` path (RFC 7540 §3.2, kept by RFC 9113 §3.1 for existing
//! deployments): HTTP2-Settings decoding, the upgraded request as stream 1 (half-closed remote).

mod util;

use brisk_http2::{Config, Connection, Error, ErrorCode, Event, H2cRequest, StreamId, PREFACE};
use util::{frame, frames, resets};

fn request<'a>(fields: &'a [(&'a [u8], &'a [u8])]) -> H2cRequest<'a> {
    H2cRequest {
        method: b"GET",
        path: b"/up",
        authority: b"example.com",
        fields,
    }
}

#[test]
fn upgraded_request_is_stream_1_half_closed_remote() {
    // SETTINGS_MAX_CONCURRENT_STREAMS=100, SETTINGS_INITIAL_WINDOW_SIZE=10 (base64url, unpadded).
    let settings = b"AAMAAABkAAQAAAAK";
    let fields: &[(&[u8], &[u8])] = &[
        (b"Connection", b"Upgrade, HTTP2-Settings"),
        (b"Upgrade", b"h2c"),
        (b"HTTP2-Settings", b"AAMAAABkAAQAAAAK"),
        (b"User-Agent", b"test"),
    ];
    let mut s =
        Connection::from_h2c_upgrade(Config::default(), settings, &request(fields)).unwrap();
    assert_eq!(s.peer_settings().initial_window_size, 10);
    match s.poll_event() {
        Some(Event::Headers {
            stream,
            headers,
            end_stream: true,
        }) => {
            assert_eq!(stream, StreamId::new(1));
            assert_eq!(headers.method(), Some(&b"GET"[..]));
            assert_eq!(headers.scheme(), Some(&b"http"[..]));
            assert_eq!(headers.path(), Some(&b"/up"[..]));
            let names: Vec<&[u8]> = headers.iter().map(|(n, _)| n).collect();
            assert_eq!(
                names,
                [&b"user-agent"[..]],
                "connection-specific fields dropped, names lowercased"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!s.is_receiving(StreamId::new(1)));
    // The client's preface and SETTINGS follow the 101.
    let input = [PREFACE.to_vec(), frame(4, 0, 0, &[])].concat();
    assert_eq!(s.recv(&input), Ok(input.len()));
    assert!(matches!(s.poll_event(), Some(Event::PeerSettings(_))));
    s.send_headers(StreamId::new(1), &[(":status", "200")], false)
        .unwrap();
    // The HTTP2-Settings window (10) applies to the upgraded stream.
    assert_eq!(s.send_data(StreamId::new(1), &[1; 50], true).unwrap(), 10);
    // DATA from the client on stream 1 is on a half-closed (remote) stream.
    s.recv(&frame(0, 0, 1, b"late")).unwrap();
    let mut out = Vec::new();
    s.poll_output(&mut out);
    let kinds: Vec<u8> = frames(&out).iter().map(|f| f.0).collect();
    assert_eq!(
        kinds[..3],
        [4, 8, 4],
        "our SETTINGS, connection WINDOW_UPDATE, ACK of theirs"
    );
    assert!(resets(&out).contains(&(1, ErrorCode::STREAM_CLOSED)));
    // The next client stream is 3.
    let get = util::get_block();
    s.recv(&frame(1, 5, 3, &get)).unwrap();
    assert!(matches!(
        s.poll_event(),
        Some(Event::StreamReset { stream, code: ErrorCode::STREAM_CLOSED, by_peer: false, .. }) if stream.value() == 1
    ));
    assert!(matches!(s.poll_event(), Some(Event::Headers { stream, .. }) if stream.value() == 3));
}

#[test]
fn bad_http2_settings_are_refused() {
    let r = request(&[]);
    for bad in [
        &b"not base64!"[..],
        b"AAMAAABk+A",
        b"AAMAAA",
        b"AAIAAAAC", /* ENABLE_PUSH=2 */
    ] {
        assert_eq!(
            Connection::from_h2c_upgrade(Config::default(), bad, &r).unwrap_err(),
            Error::BadUpgradeSettings,
            "{bad:?}"
        );
    }
    // An empty HTTP2-Settings is a valid (empty) SETTINGS payload.
    assert!(Connection::from_h2c_upgrade(Config::default(), b"", &r).is_ok());
    // A request that cannot be expressed in HTTP/2 is refused.
    let bad_field: &[(&[u8], &[u8])] = &[(b"x-bad", b" leading space")];
    assert_eq!(
        Connection::from_h2c_upgrade(Config::default(), b"", &request(bad_field)).unwrap_err(),
        Error::BadUpgradeRequest
    );
}
