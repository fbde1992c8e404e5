//! Interop with a real peer: Python's `hpack` package decodes our encoding of every raw-data
//! story to the same headers, and our decoder decodes its encoding. Shells out to python3 with
//! `tests/python_interop.py`. Skipped (with a SKIPPED line) when python3 or the module is
//! missing, unless BRISK_REQUIRE_PEERS=1.

mod common;

use std::fmt::Write as _;
use std::process::Command;

use brisk_hpack::{Decoder, Encoder, Field, Strategy};
use common::{corpora, decode_all, hex, stories, Story};

fn python_hpack_available(test: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import hpack"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("BRISK_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("{test}: python3 with the `hpack` module is required (BRISK_REQUIRE_PEERS=1)");
        }
        eprintln!("SKIPPED {test}: python3 -c 'import hpack' failed");
    }
    ok
}

fn hexs(b: &[u8]) -> String {
    b.iter()
        .fold(String::with_capacity(b.len() * 2), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
}

fn run_python(mode: &str, input: &str) -> Vec<String> {
    let path = std::env::temp_dir().join(format!(
        "brisk-hpack-interop-{mode}-{}.txt",
        std::process::id()
    ));
    std::fs::write(&path, input).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python_interop.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(mode)
        .arg(&path)
        .output()
        .expect("run python3");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "python3 {mode} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn parse_fields(line: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    assert!(!line.starts_with("ERROR"), "python: {line}");
    line.split(' ')
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (n, v) = item.split_once(':').expect("name:value");
            (hex(n), hex(v))
        })
        .collect()
}

fn raw_data(test: &str) -> Option<Vec<Story>> {
    let corpora = corpora(test)?;
    if !python_hpack_available(test) {
        return None;
    }
    Some(stories(&corpora, "raw-data"))
}

#[test]
#[cfg_attr(
    any(brisk_missing = "corpora", brisk_missing = "py_hpack"),
    ignore = "needs ../shared/corpora and Python hpack"
)]
fn python_hpack_decodes_our_encoding() {
    let Some(raw) = raw_data("python_hpack_decodes_our_encoding") else {
        return;
    };
    for strategy in [Strategy::Default, Strategy::IndexAll, Strategy::StaticOnly] {
        let mut input = String::new();
        for story in &raw {
            input.push_str("S\n");
            let mut encoder = Encoder::new();
            encoder.set_strategy(strategy);
            for case in &story.cases {
                let mut block = Vec::new();
                encoder.encode(
                    case.headers.iter().map(|(n, v)| Field::new(n, v)),
                    &mut block,
                );
                input.push_str(&hexs(&block));
                input.push('\n');
            }
        }
        let lines = run_python("decode", &input);
        let mut lines = lines.iter();
        let mut cases = 0;
        for story in &raw {
            assert_eq!(lines.next().map(String::as_str), Some("S"));
            for (i, case) in story.cases.iter().enumerate() {
                let got = parse_fields(lines.next().expect("a line per block"));
                assert_eq!(
                    got, case.headers,
                    "{} case {i} ({strategy:?}) as decoded by python hpack",
                    story.name
                );
                cases += 1;
            }
        }
        println!("python hpack decoded {cases} blocks of our {strategy:?} encoding");
    }
}

#[test]
#[cfg_attr(
    any(brisk_missing = "corpora", brisk_missing = "py_hpack"),
    ignore = "needs ../shared/corpora and Python hpack"
)]
fn we_decode_python_hpack_encoding() {
    let Some(raw) = raw_data("we_decode_python_hpack_encoding") else {
        return;
    };
    let mut input = String::new();
    for story in &raw {
        input.push_str("S\n");
        for case in &story.cases {
            let items: Vec<String> = case
                .headers
                .iter()
                .map(|(n, v)| format!("{}:{}", hexs(n), hexs(v)))
                .collect();
            input.push_str(&items.join(" "));
            input.push('\n');
        }
    }
    let lines = run_python("encode", &input);
    let mut lines = lines.iter();
    let mut cases = 0;
    for story in &raw {
        assert_eq!(lines.next().map(String::as_str), Some("S"));
        let mut decoder = Decoder::new();
        for (i, case) in story.cases.iter().enumerate() {
            let block = hex(lines.next().expect("a line per case"));
            let got = decode_all(&mut decoder, &block)
                .unwrap_or_else(|e| panic!("{} case {i}: {e}", story.name));
            let got: Vec<_> = got.into_iter().map(|(n, v, _)| (n, v)).collect();
            assert_eq!(
                got, case.headers,
                "{} case {i}: python hpack's block decoded by us",
                story.name
            );
            cases += 1;
        }
    }
    println!("we decoded {cases} blocks encoded by python hpack");
}
