//! Shared helpers for the integration tests: locating and reading the llhttp corpus.
#![allow(dead_code)]

use std::path::PathBuf;

/// The corpora folder, or `None` (after printing SKIPPED) when it is absent and not required.
pub fn corpora(test: &str) -> Option<PathBuf> {
    brisk_testkit::corpora(test, "llhttp")
}

/// One `##`/`###` case of an llhttp markdown file.
#[derive(Debug, Clone)]
pub struct Case {
    /// `request/uri.md: Fragment in URI` (a ` #2` suffix for repeated names in one file).
    pub id: String,
    /// The meta `type` (`request`, `request-lenient-headers`, ...); `url` for url.md.
    pub kind: String,
    /// Meta `skipBody`.
    pub skip_body: bool,
    /// The decoded input bytes.
    pub input: Vec<u8>,
    /// The log lines.
    pub log: Vec<String>,
}

/// Unescapes `\r \n \t \f \xHH` as the corpus README describes; with `quotes`, also `\\`
/// and `\"` (for the quoted strings of log lines).
pub fn unescape_with(s: &str, quotes: bool) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'r' => out.push(b'\r'),
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'f' => out.push(0x0c),
                b'\\' if quotes => out.push(b'\\'),
                b'"' if quotes => out.push(b'"'),
                b'x' if i + 3 < b.len() + 1 && i + 4 <= b.len() => {
                    let h = std::str::from_utf8(&b[i + 2..i + 4])
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    match h {
                        Some(v) => {
                            out.push(v);
                            i += 4;
                            continue;
                        }
                        None => out.extend_from_slice(b"\\x"),
                    }
                }
                other => {
                    out.push(b'\\');
                    out.push(other);
                }
            }
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// Unescapes raw input text (`\r \n \t \f \xHH` only).
pub fn unescape(s: &str) -> Vec<u8> {
    unescape_with(s, false)
}

/// Parses one llhttp markdown file into cases. `prefix` names the file in case ids.
pub fn parse_md(prefix: &str, text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut name = String::new();
    let mut kind = String::from("url");
    let mut skip_body = false;
    let mut lines = text.lines().peekable();
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    let mut input: Option<Vec<u8>> = None;
    while let Some(line) = lines.next() {
        if let Some(h) = line
            .strip_prefix("## ")
            .or_else(|| line.strip_prefix("### "))
        {
            name = h.trim().to_string();
            kind = String::from(if prefix.starts_with("url") {
                "url"
            } else {
                "request"
            });
            skip_body = false;
            input = None;
        } else if let Some(meta) = line.strip_prefix("<!-- meta=") {
            let meta = meta.trim_end_matches("-->").trim();
            if let Some(t) = meta.split("\"type\"").nth(1) {
                let t = t.trim_start_matches([':', ' ']);
                let t = t.trim_start_matches('"');
                kind = t.split('"').next().unwrap_or("").to_string();
            }
            skip_body = meta.contains("\"skipBody\": true");
        } else if line.starts_with("```http") || line.starts_with("```url") {
            let mut raw = Vec::new();
            for l in lines.by_ref() {
                if l.starts_with("```") {
                    break;
                }
                raw.push(l);
            }
            // Join lines ending in `\`, then CRLF newlines, then unescape.
            let mut joined = String::new();
            let mut k = 0;
            while k < raw.len() {
                let mut l = raw[k].to_string();
                while l.ends_with('\\') && !l.ends_with("\\\\") && k + 1 < raw.len() {
                    l.pop();
                    k += 1;
                    l.push_str(raw[k]);
                }
                joined.push_str(&l);
                if k + 1 < raw.len() {
                    joined.push_str("\r\n");
                }
                k += 1;
            }
            input = Some(unescape(&joined));
        } else if line.starts_with("```log") {
            let mut log = Vec::new();
            for l in lines.by_ref() {
                if l.starts_with("```") {
                    break;
                }
                log.push(l.to_string());
            }
            if let Some(input) = input.take() {
                let n = seen.entry(name.clone()).or_insert(0);
                *n += 1;
                let id = if *n == 1 {
                    format!("{prefix}: {name}")
                } else {
                    format!("{prefix}: {name} #{n}")
                };
                cases.push(Case {
                    id,
                    kind: kind.clone(),
                    skip_body,
                    input,
                    log,
                });
            }
        }
    }
    cases
}

/// Every case of `llhttp/request/*.md` and `llhttp/url.md`, in a stable order.
pub fn load_all(dir: &std::path::Path) -> Vec<Case> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("llhttp/request"))
        .expect("read llhttp/request")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read case file");
        let prefix = format!("request/{}", f.file_name().unwrap().to_string_lossy());
        cases.extend(parse_md(&prefix, &text));
    }
    let text = std::fs::read_to_string(dir.join("llhttp/url.md")).expect("read url.md");
    cases.extend(parse_md("url.md", &text));
    cases
}

/// The raw request for a case: url.md cases are wrapped into a GET request.
pub fn request_bytes(case: &Case) -> Vec<u8> {
    if case.kind == "url" {
        let mut v = b"GET ".to_vec();
        v.extend_from_slice(&case.input);
        v.extend_from_slice(b" HTTP/1.1\r\nHost: example.com\r\n\r\n");
        v
    } else {
        case.input.clone()
    }
}
