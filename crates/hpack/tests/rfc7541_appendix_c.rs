//! RFC 7541 Appendix C: every example decodes exactly (fields and dynamic table), and the
//! encoder with `Strategy::IndexAll` reproduces C.3 to C.6 byte for byte, tables included.

mod common;

use brisk_hpack::{Decoder, Encoder, Field, Huffman, Limits, Strategy};
use common::{decode_all, hex};

type Fields = &'static [(&'static str, &'static str)];

struct Step {
    name: &'static str,
    wire: &'static str,
    fields: Fields,
    /// Dynamic table after the block, newest first.
    table: Fields,
    table_size: usize,
}

const REQ1: Fields = &[
    (":method", "GET"),
    (":scheme", "http"),
    (":path", "/"),
    (":authority", "www.example.com"),
];
const REQ2: Fields = &[
    (":method", "GET"),
    (":scheme", "http"),
    (":path", "/"),
    (":authority", "www.example.com"),
    ("cache-control", "no-cache"),
];
const REQ3: Fields = &[
    (":method", "GET"),
    (":scheme", "https"),
    (":path", "/index.html"),
    (":authority", "www.example.com"),
    ("custom-key", "custom-value"),
];
const REQ_T1: Fields = &[(":authority", "www.example.com")];
const REQ_T2: Fields = &[
    ("cache-control", "no-cache"),
    (":authority", "www.example.com"),
];
const REQ_T3: Fields = &[
    ("custom-key", "custom-value"),
    ("cache-control", "no-cache"),
    (":authority", "www.example.com"),
];

const DATE1: &str = "Mon, 21 Oct 2013 20:13:21 GMT";
const COOKIE: &str = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
const RESP1: Fields = &[
    (":status", "302"),
    ("cache-control", "private"),
    ("date", DATE1),
    ("location", "https://www.example.com"),
];
const RESP2: Fields = &[
    (":status", "307"),
    ("cache-control", "private"),
    ("date", DATE1),
    ("location", "https://www.example.com"),
];
const RESP3: Fields = &[
    (":status", "200"),
    ("cache-control", "private"),
    ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
    ("location", "https://www.example.com"),
    ("content-encoding", "gzip"),
    ("set-cookie", COOKIE),
];
const RESP_T1: Fields = &[
    ("location", "https://www.example.com"),
    ("date", DATE1),
    ("cache-control", "private"),
    (":status", "302"),
];
const RESP_T2: Fields = &[
    (":status", "307"),
    ("location", "https://www.example.com"),
    ("date", DATE1),
    ("cache-control", "private"),
];
const RESP_T3: Fields = &[
    ("set-cookie", COOKIE),
    ("content-encoding", "gzip"),
    ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
];

const C3: [Step; 3] = [
    Step {
        name: "C.3.1",
        wire: "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
        fields: REQ1,
        table: REQ_T1,
        table_size: 57,
    },
    Step {
        name: "C.3.2",
        wire: "8286 84be 5808 6e6f 2d63 6163 6865",
        fields: REQ2,
        table: REQ_T2,
        table_size: 110,
    },
    Step {
        name: "C.3.3",
        wire: "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
        fields: REQ3,
        table: REQ_T3,
        table_size: 164,
    },
];

const C4: [Step; 3] = [
    Step {
        name: "C.4.1",
        wire: "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
        fields: REQ1,
        table: REQ_T1,
        table_size: 57,
    },
    Step {
        name: "C.4.2",
        wire: "8286 84be 5886 a8eb 1064 9cbf",
        fields: REQ2,
        table: REQ_T2,
        table_size: 110,
    },
    Step {
        name: "C.4.3",
        wire: "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
        fields: REQ3,
        table: REQ_T3,
        table_size: 164,
    },
];

const C5: [Step; 3] = [
    Step {
        name: "C.5.1",
        wire: "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 \
               2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 \
               6c65 2e63 6f6d",
        fields: RESP1,
        table: RESP_T1,
        table_size: 222,
    },
    Step {
        name: "C.5.2",
        wire: "4803 3330 37c1 c0bf",
        fields: RESP2,
        table: RESP_T2,
        table_size: 222,
    },
    Step {
        name: "C.5.3",
        wire: "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d \
               54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 \
               5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e \
               3d31",
        fields: RESP3,
        table: RESP_T3,
        table_size: 215,
    },
];

const C6: [Step; 3] = [
    Step {
        name: "C.6.1",
        wire: "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 \
               2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
        fields: RESP1,
        table: RESP_T1,
        table_size: 222,
    },
    Step {
        name: "C.6.2",
        wire: "4883 640e ffc1 c0bf",
        fields: RESP2,
        table: RESP_T2,
        table_size: 222,
    },
    Step {
        name: "C.6.3",
        wire: "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab \
               77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f \
               9587 3160 65c0 03ed 4ee5 b106 3d50 07",
        fields: RESP3,
        table: RESP_T3,
        table_size: 215,
    },
];

fn owned(f: Fields) -> Vec<(Vec<u8>, Vec<u8>)> {
    f.iter()
        .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect()
}

fn check_decode(steps: &[Step], table_size: usize) {
    let mut limits = Limits::default();
    limits.max_table_size = table_size;
    let mut decoder = Decoder::with_limits(limits);
    for s in steps {
        let got =
            decode_all(&mut decoder, &hex(s.wire)).unwrap_or_else(|e| panic!("{}: {e}", s.name));
        let got: Vec<_> = got.into_iter().map(|(n, v, _)| (n, v)).collect();
        assert_eq!(got, owned(s.fields), "{} fields", s.name);
        let table: Vec<_> = decoder
            .table_entries()
            .map(|(n, v)| (n.to_vec(), v.to_vec()))
            .collect();
        assert_eq!(table, owned(s.table), "{} table", s.name);
        assert_eq!(decoder.table_size(), s.table_size, "{} table size", s.name);
    }
}

fn check_encode(steps: &[Step], table_size: usize, huffman: Huffman) {
    let mut encoder = Encoder::with_table_size(table_size);
    encoder.set_strategy(Strategy::IndexAll);
    encoder.set_huffman(huffman);
    for s in steps {
        let mut out = Vec::new();
        encoder.encode(
            s.fields
                .iter()
                .map(|(n, v)| Field::new(n.as_bytes(), v.as_bytes())),
            &mut out,
        );
        assert_eq!(out, hex(s.wire), "{} encoding", s.name);
        let table: Vec<_> = encoder
            .table_entries()
            .map(|(n, v)| (n.to_vec(), v.to_vec()))
            .collect();
        assert_eq!(table, owned(s.table), "{} encoder table", s.name);
        assert_eq!(
            encoder.table_size(),
            s.table_size,
            "{} encoder table size",
            s.name
        );
    }
}

#[test]
fn c2_literal_representations() {
    type Row = (
        &'static str,
        &'static str,
        (&'static str, &'static str, bool),
        usize,
    );
    let rows: [Row; 4] = [
        (
            "C.2.1",
            "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
            ("custom-key", "custom-header", false),
            55,
        ),
        (
            "C.2.2",
            "040c 2f73 616d 706c 652f 7061 7468",
            (":path", "/sample/path", false),
            0,
        ),
        (
            "C.2.3",
            "1008 7061 7373 776f 7264 0673 6563 7265 74",
            ("password", "secret", true),
            0,
        ),
        ("C.2.4", "82", (":method", "GET", false), 0),
    ];
    for (name, wire, (n, v, never), size) in rows {
        let mut decoder = Decoder::new();
        let got = decode_all(&mut decoder, &hex(wire)).unwrap();
        assert_eq!(
            got,
            [(n.as_bytes().to_vec(), v.as_bytes().to_vec(), never)],
            "{name}"
        );
        assert_eq!(decoder.table_size(), size, "{name}");
    }
    // The encoder side of C.2.3: a caller-forced never-indexed literal with a new name.
    let mut encoder = Encoder::new();
    let mut out = Vec::new();
    encoder.encode([Field::never_indexed(b"password", b"secret")], &mut out);
    let mut plain = Encoder::new();
    plain.set_huffman(Huffman::Never);
    let mut out_plain = Vec::new();
    plain.encode(
        [Field::never_indexed(b"password", b"secret")],
        &mut out_plain,
    );
    assert_eq!(out_plain, hex("1008 7061 7373 776f 7264 0673 6563 7265 74"));
    assert_eq!(encoder.table_size(), 0);
}

#[test]
fn c3_requests_without_huffman() {
    check_decode(&C3, 4096);
    check_encode(&C3, 4096, Huffman::Never);
}

#[test]
fn c4_requests_with_huffman() {
    check_decode(&C4, 4096);
    check_encode(&C4, 4096, Huffman::Always);
}

#[test]
fn c5_responses_without_huffman() {
    check_decode(&C5, 256);
    check_encode(&C5, 256, Huffman::Never);
}

#[test]
fn c6_responses_with_huffman() {
    check_decode(&C6, 256);
    check_encode(&C6, 256, Huffman::Always);
}
