//! RFC 9113 §4 and §6: every length, padding, stream-id and value rule of the frame layer,
//! with the error code each one requires, plus round-trip and split-input properties.

mod util;

use brisk_http2::{Error, ErrorCode, Frame, Priority, SettingId, StreamId};
use proptest::prelude::*;
use util::{frame, hex};

const MAX: u32 = 16_384;

#[derive(Debug, PartialEq)]
enum Want {
    /// Parses (the frame itself is checked separately where it matters).
    Ok,
    /// A connection error with this code.
    Conn(ErrorCode),
    /// A stream error on this stream with this code.
    Stream(u32, ErrorCode),
}

fn classify(r: Result<Option<(Frame<'_>, usize)>, Error>) -> Want {
    match r {
        Ok(Some(_)) => Want::Ok,
        Ok(None) => panic!("incomplete"),
        Err(Error::Connection { code, .. }) => Want::Conn(code),
        Err(Error::Stream { stream, code, .. }) => Want::Stream(stream.value(), code),
        Err(e) => panic!("unexpected {e:?}"),
    }
}

use ErrorCode as C;

#[test]
fn frame_rules_table() {
    let settings = |id: u16, v: u32| {
        let mut p = id.to_be_bytes().to_vec();
        p.extend(v.to_be_bytes());
        frame(4, 0, 0, &p)
    };
    let cases: Vec<(&str, Vec<u8>, Want)> = vec![
        // §4.1, §4.2
        (
            "unknown type is not an error",
            frame(0xbb, 0xff, 1, b"whatever"),
            Want::Ok,
        ),
        (
            "frame above SETTINGS_MAX_FRAME_SIZE",
            frame(0, 0, 1, &vec![0; 16_385]),
            Want::Conn(C::FRAME_SIZE_ERROR),
        ),
        (
            "frame of exactly SETTINGS_MAX_FRAME_SIZE",
            frame(0, 0, 1, &vec![0; 16_384]),
            Want::Ok,
        ),
        // §6.1 DATA: "If a DATA frame is received whose Stream Identifier field is 0x00, the
        // recipient MUST respond with a connection error of type PROTOCOL_ERROR."
        (
            "DATA on stream 0",
            frame(0, 0, 0, b"x"),
            Want::Conn(C::PROTOCOL_ERROR),
        ),
        // "If the length of the padding is the length of the frame payload or greater, the
        // recipient MUST treat this as a connection error of type PROTOCOL_ERROR."
        (
            "DATA pad length = payload length",
            frame(0, 8, 1, &[3, 0, 0]),
            Want::Conn(C::PROTOCOL_ERROR),
        ),
        (
            "DATA pad length > payload",
            frame(0, 8, 1, &[9, 0]),
            Want::Conn(C::PROTOCOL_ERROR),
        ),
        (
            "DATA padded without pad length byte",
            frame(0, 8, 1, &[]),
            Want::Conn(C::FRAME_SIZE_ERROR),
        ),
        (
            "DATA with padding",
            frame(0, 8, 1, &[2, b'a', 0, 0]),
            Want::Ok,
        ),
        // §6.2 HEADERS
        (
            "HEADERS on stream 0",
            frame(1, 4, 0, &[0x82]),
            Want::Conn(C::PROTOCOL_ERROR),
        ),
        (
            "HEADERS pad too long",
            frame(1, 4 | 8, 1, &[5, 0x82]),
            Want::Conn(C::PROTOCOL_ERROR),
        ),
        (
            "HEADERS PRIORITY flag but 4 bytes",
            frame(1, 4 | 0x20, 1, &[0, 0, 0, 0]),
            Want::Conn(C::FRAME_SIZE_ERROR),
        ),
        (
            "HEADERS with priority and padding",
            frame(1, 4 | 8 | 0x20, 3, &[1, 0, 0, 0, 1, 15, 0x82, 0]),
            Want::Ok,
        ),
        // §6.3 PRIORITY
        (
            "PRIORITY on stream 0",
            frame(2, 0, 0, &[0, 0, 0, 1, 0]),
            Want::Conn(C::PROTOCOL_ERROR),
        ),
        // "A PRIORITY frame with a length other than 5 octets MUST be treated as a stream error
        // of type FRAME_SIZE_ERROR."
        (
            "PRIORITY length 4",
            frame(2, 0, 1, &[0, 0, 0, 3]),
            Want::Stream(1, C::FRAME_SIZE_ERROR),
        ),
        (
            "PRIORITY length 6",
            frame(2, 0, 1, &[0, 0, 0, 3, 0, 0]),
            Want::Stream(1, C::FRAME_SIZE_ERROR),
        ),
        // §5.3.1 "A stream cannot depend on itself ... stream error of type PROTOCOL_ERROR."
        (
            "PRIORITY self-dependency",
            frame(2, 0, 5, &[0, 0, 0, 5, 7]),
            Want::Stream(5, C::PROTOCOL_ERROR),
        ),
        (
            "PRIORITY on idle stream",
            frame(2, 0, 9, &[0, 0, 0, 1, 7]),
            Want::Ok,
        ),
        // §6.4 RST_STREAM
        (
            "RST_STREAM on stream 0",
            frame(3, 0, 0, &[0, 0, 0, 8]),
            Want::Conn(C::PROTOCOL_ERROR),
        ),
        (
            "RST_STREAM length 3",
            frame(3, 0, 1, &[0, 0, 8]),
            Want::Conn(C::FRAME_SIZE_ERROR),
        ),
        (
            "RST_STREAM length 5",
            frame(3, 0, 1, &[0, 0, 0, 8, 0]),
            Want::Conn(C::FRAME_SIZE_ERROR),
        ),
        // §6.5 SETTINGS
        (
            "SETTINGS on stream 1",
            frame(4, 0, 1, &[]),
            Want::Conn(C::PROTOCOL_ERROR),
        ),
        (
            "SETTINGS ACK with payload",
            frame(4, 1, 0, &[0, 3, 0, 0, 0, 1]),
            Want::Conn(C::FRAME_SIZE_ERROR),
        ),
        (
            "SETTINGS length 5",
            frame(4, 0, 0, &[0, 3, 0, 0, 0]),
            Want::Conn(C::FRAME_SIZE_ERROR),
        ),
        (
            "SETTINGS_ENABLE_PUSH = 2",
            settings(2, 2),
            Want::Conn(C::PROTOCOL_ERROR),
        ),
        (
            "SETTINGS_INITIAL_WINDOW_SIZE = 2^31",
            settings(4, 1 << 31),
            Want::Conn(C::FLOW_CONTROL_ERROR),
        ),
        (
            "SETTINGS_INITIAL_WINDOW_SIZE = 2^31-1",
            settings(4, (1 << 31) - 1),
            Want::Ok,
        ),
        (
            "SETTINGS_MAX_FRAME_SIZE = 16383",
            settings(5, 16_383),
            Want::Conn(C::PROTOCOL_ERROR),
        ),
        (
            "SETTINGS_MAX_FRAME_SIZE = 2^24",
            settings(5, 1 << 24),
            Want::Conn(C::PROTOCOL_ERROR),
        ),
        (
            "SETTINGS_MAX_FRAME_SIZE = 2^24-1",
            settings(5, (1 << 24) - 1),
            Want::Ok,
        ),
        (
            "SETTINGS_ENABLE_CONNECT_PROTOCOL = 2",
            settings(8, 2),
            Want::Conn(C::PROTOCOL_ERROR),
        ),
        ("SETTINGS unknown identifier", settings(0x99, 7), Want::Ok),
        // §6.6 PUSH_PROMISE
        (
            "PUSH_PROMISE on stream 0",
            frame(5, 4, 0, &[0, 0, 0, 2]),
            Want::Conn(C::PROTOCOL_ERROR),
        ),
        (
            "PUSH_PROMISE shorter than the promised id",
            frame(5, 4, 1, &[0, 0, 2]),
            Want::Conn(C::FRAME_SIZE_ERROR),
        ),
        (
            "PUSH_PROMISE bad padding",
            frame(5, 4 | 8, 1, &[9, 0, 0, 0, 2]),
            Want::Conn(C::PROTOCOL_ERROR),
        ),
        // §6.7 PING
        (
            "PING on stream 1",
            frame(6, 0, 1, &[0; 8]),
            Want::Conn(C::PROTOCOL_ERROR),
        ),
        (
            "PING length 7",
            frame(6, 0, 0, &[0; 7]),
            Want::Conn(C::FRAME_SIZE_ERROR),
        ),
        (
            "PING length 9",
            frame(6, 0, 0, &[0; 9]),
            Want::Conn(C::FRAME_SIZE_ERROR),
        ),
        // §6.8 GOAWAY
        (
            "GOAWAY on stream 1",
            frame(7, 0, 1, &[0; 8]),
            Want::Conn(C::PROTOCOL_ERROR),
        ),
        (
            "GOAWAY length 7",
            frame(7, 0, 0, &[0; 7]),
            Want::Conn(C::FRAME_SIZE_ERROR),
        ),
        (
            "GOAWAY with debug data",
            frame(7, 0, 0, b"\0\0\0\x01\0\0\0\0debug"),
            Want::Ok,
        ),
        // §6.9 WINDOW_UPDATE
        (
            "WINDOW_UPDATE length 3",
            frame(8, 0, 0, &[0, 0, 1]),
            Want::Conn(C::FRAME_SIZE_ERROR),
        ),
        (
            "WINDOW_UPDATE increment 0 on the connection",
            frame(8, 0, 0, &[0; 4]),
            Want::Conn(C::PROTOCOL_ERROR),
        ),
        (
            "WINDOW_UPDATE increment 0 on a stream",
            frame(8, 0, 3, &[0; 4]),
            Want::Stream(3, C::PROTOCOL_ERROR),
        ),
        (
            "WINDOW_UPDATE reserved bit only",
            frame(8, 0, 3, &[0x80, 0, 0, 0]),
            Want::Stream(3, C::PROTOCOL_ERROR),
        ),
        // §6.10 CONTINUATION
        (
            "CONTINUATION on stream 0",
            frame(9, 4, 0, &[0x82]),
            Want::Conn(C::PROTOCOL_ERROR),
        ),
    ];
    for (name, bytes, want) in cases {
        assert_eq!(classify(Frame::parse(&bytes, MAX)), want, "{name}");
    }
}

#[test]
fn oversized_frame_rejected_from_its_header_alone() {
    let bytes = hex("00 40 01 00 00 00 00 00 01"); // 16385-byte DATA, payload not here yet
    let err = Frame::parse(&bytes, MAX).unwrap_err();
    assert_eq!(err.code(), ErrorCode::FRAME_SIZE_ERROR);
    // With a larger advertised maximum it is merely incomplete.
    assert_eq!(Frame::parse(&bytes, 1 << 20), Ok(None));
}

#[test]
fn decoded_fields() {
    fn f(b: &[u8]) -> Frame<'_> {
        Frame::parse(b, MAX).unwrap().unwrap().0
    }
    // padding removed, flow length keeps it
    let bytes = frame(0, 8 | 1, 1, &[2, b'h', b'i', 0, 0]);
    assert_eq!(
        f(&bytes),
        Frame::Data {
            stream: StreamId::new(1),
            data: b"hi",
            end_stream: true,
            flow_len: 5
        }
    );
    // reserved bit of the stream id ignored
    let bytes = hex("00 00 04 08 00 80 00 00 03 00 00 00 10");
    assert_eq!(
        f(&bytes),
        Frame::WindowUpdate {
            stream: StreamId::new(3),
            increment: 16
        }
    );
    // unknown flags ignored
    let bytes = frame(6, 0xfe, 0, b"12345678");
    assert_eq!(
        f(&bytes),
        Frame::Ping {
            ack: false,
            payload: *b"12345678"
        }
    );
    let bytes = frame(1, 0x20 | 4 | 1, 3, &[0x80, 0, 0, 1, 200, 0x82]);
    assert_eq!(
        f(&bytes),
        Frame::Headers {
            stream: StreamId::new(3),
            block: &[0x82],
            end_stream: true,
            end_headers: true,
            priority: Some(Priority {
                dependency: StreamId::new(1),
                weight: 200,
                exclusive: true
            }),
        }
    );
    let bytes = frame(4, 0, 0, &hex("00 03 00 00 00 64 00 04 00 01 00 00"));
    let Frame::Settings {
        ack: false,
        payload,
    } = f(&bytes)
    else {
        panic!()
    };
    let pairs: Vec<_> = payload.iter().collect();
    assert_eq!(
        pairs,
        [
            (SettingId::MAX_CONCURRENT_STREAMS, 100),
            (SettingId::INITIAL_WINDOW_SIZE, 65_536)
        ]
    );
    let bytes = frame(7, 0, 0, &hex("00 00 00 07 00 00 00 0b 68 69"));
    assert_eq!(
        f(&bytes),
        Frame::GoAway {
            last_stream: StreamId::new(7),
            code: ErrorCode::ENHANCE_YOUR_CALM,
            debug: b"hi"
        }
    );
}

fn arb_frame() -> impl Strategy<Value = (u8, u8, u32, Vec<u8>, bool)> {
    (
        0u8..12,
        any::<u8>(),
        0u32..20,
        proptest::collection::vec(any::<u8>(), 0..64),
        any::<bool>(),
    )
}

/// Builds a valid frame of each kind from arbitrary numbers, to round-trip.
fn owned(kind: u8, flag: bool, id: u32, payload: &[u8]) -> Vec<u8> {
    let id = id.max(1);
    let mut out = Vec::new();
    let code = ErrorCode(id * 3);
    let f = match kind {
        0 => Frame::Data {
            stream: StreamId::new(id),
            data: payload,
            end_stream: flag,
            flow_len: payload.len() as u32,
        },
        1 => Frame::Headers {
            stream: StreamId::new(id),
            block: payload,
            end_stream: flag,
            end_headers: !flag,
            priority: None,
        },
        2 => Frame::Priority {
            stream: StreamId::new(id),
            priority: Priority {
                dependency: StreamId::new(id + 1),
                weight: id as u8,
                exclusive: flag,
            },
        },
        3 => Frame::RstStream {
            stream: StreamId::new(id),
            code,
        },
        5 => Frame::PushPromise {
            stream: StreamId::new(id),
            promised: StreamId::new(id + 1),
            block: payload,
            end_headers: flag,
        },
        6 => Frame::Ping {
            ack: flag,
            payload: [id as u8; 8],
        },
        7 => Frame::GoAway {
            last_stream: StreamId::new(id),
            code,
            debug: payload,
        },
        8 => Frame::WindowUpdate {
            stream: StreamId::new(id),
            increment: id,
        },
        9 => Frame::Continuation {
            stream: StreamId::new(id),
            block: payload,
            end_headers: flag,
        },
        _ => Frame::Ping {
            ack: true,
            payload: [0; 8],
        },
    };
    f.encode(&mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_of_encode_is_identity((kind, _flags, id, payload, flag) in arb_frame()) {
        let bytes = owned(kind, flag, id, &payload);
        let (parsed, used) = Frame::parse(&bytes, MAX).unwrap().unwrap();
        prop_assert_eq!(used, bytes.len());
        let mut again = Vec::new();
        parsed.encode(&mut again);
        prop_assert_eq!(again, bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_never_overrun(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(Some((_, used))) = Frame::parse(&bytes, MAX) {
            prop_assert!(used <= bytes.len());
            prop_assert!(used >= 9);
        }
    }

    #[test]
    fn any_prefix_is_incomplete_not_an_error((kind, _f, id, payload, flag) in arb_frame(), cut in 0usize..80) {
        let bytes = owned(kind, flag, id, &payload);
        let cut = cut.min(bytes.len() - 1);
        prop_assert_eq!(Frame::parse(&bytes[..cut], MAX), Ok(None));
    }
}
