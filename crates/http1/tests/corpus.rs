//! Runs every llhttp request and URL case through the strict parser and compares verdicts.
//!
//! Agreement for a `request` case: the same completed messages (method, target, version,
//! header list, body) and the same outcome (rejected, or not). A lenient-type case agrees when
//! strict mode rejects it. A URL case is wrapped into `GET <url> HTTP/1.1` and agrees when it is
//! accepted or rejected as llhttp did (and, when accepted, with the same host, path and query).
//! Every disagreement must be listed with its RFC section in `llhttp_disagreements.txt`, and
//! every listed case must still disagree.

mod common;

use brisk_http1::{Body, Chunk, ChunkedDecoder, Error, Header, Method, RequestParser, Status};
use common::{load_all, request_bytes, unescape_with, Case};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Msg {
    method: Vec<u8>,
    url: Vec<u8>,
    version: Vec<u8>,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    body: Vec<u8>,
    trailers: Vec<(Vec<u8>, Vec<u8>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Input consumed or ended mid-message without error.
    Ok,
    /// Rejected.
    Error,
    /// CONNECT or Upgrade: the rest belongs to another protocol.
    Upgrade,
}

fn span_value(line: &str) -> Vec<u8> {
    let q = line.find("=\"").map(|i| i + 2).unwrap_or(line.len());
    let s = line[q..].strip_suffix('"').unwrap_or(&line[q..]);
    unescape_with(s, true)
}

/// The log prints some bytes >= 0x80 as Latin-1 characters (`Buffer.toString('latin1')`).
fn latin1(v: &[u8]) -> Option<Vec<u8>> {
    std::str::from_utf8(v)
        .ok()?
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}

fn trim(v: &[u8]) -> Vec<u8> {
    let mut s = v;
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s.to_vec()
}

/// What llhttp did, read from the log.
fn expected(case: &Case) -> (Vec<Msg>, End) {
    let mut msgs = Vec::new();
    let mut cur = Msg::default();
    let mut in_value = false;
    let mut end = End::Ok;
    let mut head_done = false;
    for line in &case.log {
        let fields = if head_done {
            &mut cur.trailers
        } else {
            &mut cur.headers
        };
        let kind = line.split_whitespace().nth(2).unwrap_or("");
        let kind1 = line.split_whitespace().nth(1).unwrap_or("");
        if kind.starts_with("span[method]") {
            cur.method.extend(span_value(line));
        } else if kind.starts_with("span[url]") {
            cur.url.extend(span_value(line));
        } else if kind.starts_with("span[version]") {
            cur.version.extend(span_value(line));
        } else if kind.starts_with("span[header_field]") {
            if in_value || fields.is_empty() {
                fields.push((Vec::new(), Vec::new()));
            }
            fields.last_mut().unwrap().0.extend(span_value(line));
            in_value = false;
        } else if kind.starts_with("span[header_value]") {
            if let Some(h) = fields.last_mut() {
                h.1.extend(span_value(line));
            }
            in_value = true;
        } else if line.contains(" headers complete ") {
            head_done = true;
            in_value = false;
        } else if kind.starts_with("span[body]") {
            cur.body.extend(span_value(line));
        } else if line.contains(" message complete") {
            for h in cur.headers.iter_mut().chain(cur.trailers.iter_mut()) {
                h.1 = trim(&h.1);
            }
            msgs.push(std::mem::take(&mut cur));
            in_value = false;
            head_done = false;
        } else if kind1 == "error" {
            end = if line.contains("code=22 ") {
                End::Upgrade
            } else {
                End::Error
            };
            break;
        } else if line.starts_with("off=NULL finish=") && !line.ends_with("finish=0") {
            end = End::Error;
        }
    }
    (msgs, end)
}

/// The Host line the harness adds to a request that lacks one (see `compare`).
const ADDED_HOST: &[u8] = b"Host: corpus.invalid\r\n";

/// What the strict parser does with `input`. With `add_host`, a head that fails only with
/// `MissingHost` gets `ADDED_HOST` appended to its fields and is parsed again; the indices of
/// such messages are returned. `complete_head` completes a head cut off by the end of input
/// with CRLF, so its verdict can be taken.
fn ours(
    case: &Case,
    input: &[u8],
    add_host: bool,
    complete_head: bool,
) -> (Vec<Msg>, End, Option<Error>, Vec<usize>) {
    let mut input = input.to_vec();
    let mut msgs = Vec::new();
    let mut added = Vec::new();
    let mut pos = 0;
    let finish = case.kind == "request-finish";
    loop {
        if pos == input.len() {
            return (msgs, End::Ok, None, added);
        }
        let mut probe_headers = [Header::EMPTY; 128];
        // Adjust the input first (no borrow of it may be alive while it changes).
        let probe = match RequestParser::new().parse(&input[pos..], &mut probe_headers) {
            Ok(Status::Partial) => Some(None),
            Ok(Status::Complete(r)) if r.facts() == Err(Error::MissingHost) => {
                Some(Some(r.head_len))
            }
            _ => None,
        };
        match probe {
            Some(None) if complete_head && !input.ends_with(b"\r\n\r\n") => {
                input.extend_from_slice(b"\r\n");
                continue;
            }
            Some(Some(head_len)) if add_host && !added.contains(&msgs.len()) => {
                let at = pos + head_len - 2;
                input = [&input[..at], ADDED_HOST, &input[at..]].concat();
                added.push(msgs.len());
                continue;
            }
            _ => {}
        }
        let mut headers = [Header::EMPTY; 128];
        let req = match RequestParser::new().parse(&input[pos..], &mut headers) {
            Ok(Status::Complete(r)) => r,
            Ok(Status::Partial) if finish => {
                return (msgs, End::Error, Some(Error::IncompleteBody), added)
            }
            Ok(Status::Partial) => return (msgs, End::Ok, None, added),
            Err(e) => return (msgs, End::Error, Some(e), added),
        };
        let facts = match req.facts() {
            Ok(f) => f,
            Err(e) => return (msgs, End::Error, Some(e), added),
        };
        let buf = &input[pos..];
        let mut msg = Msg {
            method: req.method.as_bytes().to_vec(),
            url: req.target.as_bytes().to_vec(),
            version: req.version.as_str().as_bytes()[5..].to_vec(),
            headers: req
                .headers
                .iter()
                .map(|h| (h.name.to_vec(), h.value.to_vec()))
                .collect(),
            body: Vec::new(),
            trailers: Vec::new(),
        };
        let mut rest = &buf[req.head_len..];
        if req.method == Method::Connect {
            msgs.push(msg);
            return (msgs, End::Upgrade, None, added);
        }
        let body = if case.skip_body {
            Body::None
        } else {
            facts.body
        };
        match body {
            Body::None => {}
            Body::Length(n) => {
                if (rest.len() as u64) < n {
                    return (msgs, if finish { End::Error } else { End::Ok }, None, added);
                }
                msg.body = rest[..n as usize].to_vec();
                rest = &rest[n as usize..];
            }
            Body::Chunked => {
                let mut dec = ChunkedDecoder::new();
                loop {
                    match dec.decode(rest) {
                        Ok((n, c)) => {
                            rest = &rest[n..];
                            match c {
                                Some(Chunk::Data(d)) => msg.body.extend_from_slice(d),
                                Some(Chunk::Trailer(h)) => {
                                    msg.trailers.push((h.name.to_vec(), h.value.to_vec()))
                                }
                                Some(Chunk::End) => break,
                                None if finish => {
                                    return (msgs, End::Error, Some(Error::IncompleteBody), added)
                                }
                                None => return (msgs, End::Ok, None, added),
                            }
                        }
                        Err(e) => return (msgs, End::Error, Some(e), added),
                    }
                }
            }
            Body::CloseDelimited => unreachable!("requests are never close-delimited"),
        }
        msgs.push(msg);
        if facts.upgrade.is_some() {
            return (msgs, End::Upgrade, None, added);
        }
        pos = input.len() - rest.len();
        if !facts.keep_alive && pos < input.len() {
            // A server closes after this message: any further bytes are refused.
            return (msgs, End::Error, None, added);
        }
    }
}

/// How a case went.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Agree,
    /// The only difference: HTTP/1.1 without Host is rejected (RFC 9112 §3.2). With a Host
    /// line added, everything else agrees.
    MissingHostOnly,
    Disagree(String),
}

fn compare(case: &Case) -> Verdict {
    let input = request_bytes(case);
    if case.kind == "url" {
        let (got, got_end, err, _) = ours(case, &input, false, false);
        let rejected = case.log.iter().any(|l| l.contains(" error "));
        let accepted_by_us = got_end == End::Ok && got.len() == 1;
        if rejected == accepted_by_us {
            return Verdict::Disagree(format!(
                "llhttp rejected={rejected}, ours: {got_end:?} {err:?}"
            ));
        }
        if accepted_by_us {
            let mut h = [Header::EMPTY; 4];
            let req = RequestParser::new()
                .parse(&input, &mut h)
                .unwrap()
                .complete()
                .unwrap();
            let span = |k: &str| {
                case.log
                    .iter()
                    .find(|l| l.contains(&format!("span[url.{k}]")))
                    .map(|l| span_value(l))
            };
            let host = req.target.authority().map(<[u8]>::to_vec);
            let path = Some(req.target.path().to_vec()).filter(|p| !p.is_empty());
            let query = req.target.query().map(<[u8]>::to_vec);
            if (host.clone(), path.clone(), query.clone())
                != (span("host"), span("path"), span("query"))
            {
                return Verdict::Disagree(format!("url parts differ: {host:?} {path:?} {query:?}"));
            }
        }
        return Verdict::Agree;
    }
    if case.kind != "request" && case.kind != "request-finish" {
        // Lenient type: strict mode must reject.
        let (_, got_end, _, _) = ours(case, &input, false, false);
        return match got_end {
            End::Error => Verdict::Agree,
            _ => Verdict::Disagree(format!("lenient case accepted in strict mode: {got_end:?}")),
        };
    }
    let (mut want, want_end) = expected(case);
    // llhttp reports some errors while a head is still arriving; ours come when the head is
    // complete. When llhttp erred and the input stops inside our head, complete it with CRLF.
    let complete_head = want_end == End::Error;
    let strict = ours(case, &input, false, complete_head);
    let (got, got_end, err, added) = ours(case, &input, true, complete_head);
    for &i in &added {
        if let Some(m) = want.get_mut(i) {
            m.headers
                .push((b"Host".to_vec(), b"corpus.invalid".to_vec()));
        }
    }
    for (w, g) in want.iter_mut().zip(&got) {
        for (wh, gh) in w.headers.iter_mut().zip(&g.headers) {
            if wh.1 != gh.1 && latin1(&wh.1).as_ref() == Some(&gh.1) {
                wh.1 = gh.1.clone();
            }
        }
    }
    if got != want || got_end != want_end {
        return Verdict::Disagree(format!(
            "llhttp: {} msgs, {want_end:?}; ours: {} msgs, {got_end:?} ({err:?}){}",
            want.len(),
            got.len(),
            if got.len() == want.len() && got != want {
                format!("\n  want {want:?}\n  got  {got:?}")
            } else {
                String::new()
            }
        ));
    }
    if added.is_empty() || strict.1 == want_end {
        Verdict::Agree
    } else {
        assert_eq!(strict.2, Some(Error::MissingHost), "{}", case.id);
        Verdict::MissingHostOnly
    }
}

#[test]
#[cfg_attr(brisk_missing = "corpora", ignore = "needs ../shared/corpora")]
fn llhttp_corpus() {
    let Some(dir) = common::corpora("llhttp_corpus") else {
        return;
    };
    let cases = load_all(&dir);
    assert!(
        cases.len() >= 180,
        "expected the 187 llhttp cases, found {}",
        cases.len()
    );
    let listed_text = include_str!("llhttp_disagreements.txt");
    let listed: Vec<(&str, &str)> = listed_text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.split(" | ");
            let id = parts.next().unwrap().trim();
            let rfc = parts.next().unwrap_or("").trim();
            assert!(
                rfc.starts_with("RFC 9112 §") || rfc.starts_with("RFC 9110 §"),
                "{id}: needs an RFC 9112/9110 section"
            );
            (id, rfc)
        })
        .collect();
    let mut agreed = 0;
    let mut justified = 0;
    let mut problems = Vec::new();
    for case in &cases {
        let is_listed = listed.iter().any(|(id, _)| *id == case.id);
        match compare(case) {
            Verdict::Agree if is_listed => problems.push(format!("LISTED BUT AGREES: {}", case.id)),
            Verdict::Agree => agreed += 1,
            Verdict::MissingHostOnly | Verdict::Disagree(_) if is_listed => justified += 1,
            Verdict::MissingHostOnly => problems.push(format!(
                "UNLISTED DISAGREEMENT: {} [{}]\n  missing Host only",
                case.id, case.kind
            )),
            Verdict::Disagree(why) => problems.push(format!(
                "UNLISTED DISAGREEMENT: {} [{}]\n  {why}",
                case.id, case.kind
            )),
        }
    }
    for (id, _) in &listed {
        if !cases.iter().any(|c| c.id == *id) {
            problems.push(format!("LISTED BUT NOT IN CORPUS: {id}"));
        }
    }
    eprintln!(
        "llhttp corpus: agreed {agreed}, justified disagreements {justified}, total {}",
        cases.len()
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_eq!(agreed + justified, cases.len());
}
