//! Test support shared by the integration tests: hex, a small JSON reader for the
//! hpack-test-case stories, and corpus location.
#![allow(dead_code)]

use std::path::PathBuf;

/// Bytes from spaced or unspaced hex ("82 86 84" or "828684").
pub fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len().is_multiple_of(2), "odd hex length");
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).expect("hex digit"))
        .collect()
}

/// A JSON value (numbers kept as f64; the stories only hold small integers).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub fn parse(text: &str) -> Json {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value();
        p.ws();
        assert_eq!(p.i, p.s.len(), "trailing data in JSON");
        v
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(kv) => kv.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_arr(&self) -> &[Json] {
        match self {
            Json::Arr(a) => a,
            other => panic!("not an array: {other:?}"),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Json::Str(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) {
        self.ws();
        assert_eq!(
            self.s.get(self.i),
            Some(&b),
            "expected {:?} at {}",
            b as char,
            self.i
        );
        self.i += 1;
    }

    fn value(&mut self) -> Json {
        self.ws();
        match self.s[self.i] {
            b'{' => {
                self.i += 1;
                let mut kv = Vec::new();
                self.ws();
                if self.s[self.i] == b'}' {
                    self.i += 1;
                    return Json::Obj(kv);
                }
                loop {
                    self.ws();
                    let k = self.string();
                    self.eat(b':');
                    kv.push((k, self.value()));
                    self.ws();
                    self.i += 1;
                    match self.s[self.i - 1] {
                        b',' => continue,
                        b'}' => return Json::Obj(kv),
                        c => panic!("bad object separator {:?}", c as char),
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut a = Vec::new();
                self.ws();
                if self.s[self.i] == b']' {
                    self.i += 1;
                    return Json::Arr(a);
                }
                loop {
                    a.push(self.value());
                    self.ws();
                    self.i += 1;
                    match self.s[self.i - 1] {
                        b',' => continue,
                        b']' => return Json::Arr(a),
                        c => panic!("bad array separator {:?}", c as char),
                    }
                }
            }
            b'"' => Json::Str(self.string()),
            b'n' => self.word("null", Json::Null),
            b't' => self.word("true", Json::Bool(true)),
            b'f' => self.word("false", Json::Bool(false)),
            _ => {
                let start = self.i;
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.s[start..self.i]).unwrap();
                Json::Num(t.parse().unwrap_or_else(|_| panic!("bad number {t:?}")))
            }
        }
    }

    fn word(&mut self, w: &str, v: Json) -> Json {
        assert!(
            self.s[self.i..].starts_with(w.as_bytes()),
            "bad literal at {}",
            self.i
        );
        self.i += w.len();
        v
    }

    fn hex4(&mut self) -> u32 {
        let t = std::str::from_utf8(&self.s[self.i..self.i + 4]).unwrap();
        self.i += 4;
        u32::from_str_radix(t, 16).expect("\\u escape")
    }

    fn string(&mut self) -> String {
        self.eat(b'"');
        let mut out = String::new();
        loop {
            let start = self.i;
            while self.s[self.i] != b'"' && self.s[self.i] != b'\\' {
                self.i += 1;
            }
            out.push_str(std::str::from_utf8(&self.s[start..self.i]).expect("utf-8"));
            let c = self.s[self.i];
            self.i += 1;
            if c == b'"' {
                return out;
            }
            let e = self.s[self.i];
            self.i += 1;
            match e {
                b'"' => out.push('"'),
                b'\\' => out.push('\\'),
                b'/' => out.push('/'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'u' => {
                    let mut cp = self.hex4();
                    if (0xd800..0xdc00).contains(&cp) && self.s[self.i..].starts_with(b"\\u") {
                        self.i += 2;
                        let lo = self.hex4();
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    }
                    out.push(char::from_u32(cp).expect("valid code point"));
                }
                c => panic!("bad escape \\{}", c as char),
            }
        }
    }
}

/// One case of a story.
#[derive(Debug, Clone)]
pub struct Case {
    pub seqno: usize,
    pub wire: Option<Vec<u8>>,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// `header_table_size`; absent or null: None (meaning 4096).
    pub header_table_size: Option<usize>,
}

/// A story: cases sharing one HPACK context, in seqno order.
#[derive(Debug, Clone)]
pub struct Story {
    pub name: String,
    pub cases: Vec<Case>,
}

pub fn parse_story(name: String, text: &str) -> Story {
    let json = Json::parse(text);
    let mut cases: Vec<Case> = json
        .get("cases")
        .expect("cases")
        .as_arr()
        .iter()
        .enumerate()
        .map(|(i, c)| Case {
            seqno: match c.get("seqno") {
                Some(Json::Num(n)) => *n as usize,
                _ => i,
            },
            wire: c.get("wire").map(|w| hex(w.as_str())),
            headers: c
                .get("headers")
                .expect("headers")
                .as_arr()
                .iter()
                .map(|h| match h {
                    Json::Obj(kv) if kv.len() == 1 => (
                        kv[0].0.as_bytes().to_vec(),
                        kv[0].1.as_str().as_bytes().to_vec(),
                    ),
                    other => panic!("header is not a one-key object: {other:?}"),
                })
                .collect(),
            header_table_size: match c.get("header_table_size") {
                Some(Json::Num(n)) => Some(*n as usize),
                _ => None,
            },
        })
        .collect();
    cases.sort_by_key(|c| c.seqno);
    Story { name, cases }
}

/// The corpora folder, or None (after printing a SKIPPED line) when it is absent and
/// BRISK_REQUIRE_CORPORA is not 1.
pub fn corpora(test: &str) -> Option<PathBuf> {
    brisk_testkit::corpora(test, "hpack-test-case")
}

/// Every story of one folder of hpack-test-case, sorted by file name.
pub fn stories(corpora: &std::path::Path, folder: &str) -> Vec<Story> {
    let dir = corpora.join("hpack-test-case").join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            parse_story(
                format!("{folder}/{}", f.file_name().unwrap().to_string_lossy()),
                &text,
            )
        })
        .collect()
}

/// The encoder folders (every folder but raw-data), sorted.
pub fn encoder_folders(corpora: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(corpora.join("hpack-test-case"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "raw-data")
        .collect();
    v.sort();
    v
}

/// A decoded field, owned: (name, value, never_indexed).
pub type Decoded = (Vec<u8>, Vec<u8>, bool);

/// Decodes a block into owned (name, value, never_indexed) triples.
pub fn decode_all(
    decoder: &mut brisk_hpack::Decoder,
    block: &[u8],
) -> Result<Vec<Decoded>, brisk_hpack::Error> {
    let mut out = Vec::new();
    decoder.decode(block, |f| {
        out.push((f.name.to_vec(), f.value.to_vec(), f.never_indexed))
    })?;
    Ok(out)
}
