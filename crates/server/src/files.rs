//! Static files: a directory mounted under a path prefix ([`Builder::static_dir`]), answering
//! GET and HEAD with a content type from the file's extension, `ETag` and `Last-Modified`
//! validators (304 for `If-None-Match` and `If-Modified-Since`, 412 for `If-Match` and
//! `If-Unmodified-Since`), single byte ranges (206, 416, `If-Range`), and no way out of the
//! directory: `..` above the mount, encoded NUL or slash tricks and symbolic links leading
//! outside it are refused.
//!
//! Files are read on the worker thread (from the page cache, usually): up to
//! [`INLINE_LIMIT`] bytes at once into the response, larger ones in pieces of at most 64 KiB as
//! the connection drains ([`Body::sized_stream`]), so memory stays bounded whatever the size.
//! Over HTTP/2 every file is read as its stream may send, no more than its window allows.
//!
//! [`Builder::static_dir`]: crate::Builder::static_dir

use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use crate::query::hex;
use crate::request::{Headers, Request, Version};
use crate::response::{trim, Body, Pull, Response, Source};

/// Bodies up to this many bytes are read whole into the response.
pub const INLINE_LIMIT: u64 = 256 * 1024;

/// The file served for a directory (`/docs/` gives `/docs/index.html`).
const INDEX: &str = "index.html";

/// A directory served as static files. Built by [`Builder::static_dir`](crate::Builder::static_dir),
/// which routes `PREFIX/` and `PREFIX/{*path}` to it.
#[derive(Debug, Clone)]
pub(crate) struct StaticDir {
    /// Canonical (absolute, no symbolic links) path of the directory.
    root: PathBuf,
}

impl StaticDir {
    /// The directory at `root`, which must exist.
    pub(crate) fn new(root: &Path) -> io::Result<Self> {
        let root = root.canonicalize()?;
        if !root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a directory",
            ));
        }
        Ok(StaticDir { root })
    }

    /// Answers `req` for the file at `rel` (the percent-encoded path below the mount, empty
    /// for the mount itself).
    pub(crate) fn serve(&self, req: &Request<'_>, rel: &str, res: &mut Response) {
        let Some((segments, dir_form)) = clean(rel) else {
            res.status(400).text("bad path\n");
            return;
        };
        let mut path = self.root.clone();
        for s in &segments {
            path.push(std::ffi::OsStr::from_bytes(s));
        }
        let (file, meta) = match self.open(&path) {
            // `/a.txt/` names a directory, and a file is not one: 404, as the file system
            // (ENOTDIR) and nginx say.
            Ok(Opened::File(..)) if dir_form => return Refused::NotFound.answer(res),
            Ok(Opened::File(f, m)) => (f, m),
            Ok(Opened::Dir) => {
                if !rel.is_empty() && !dir_form {
                    // Relative links in the index resolve against the slash form.
                    let mut to = format!("{}/", req.path());
                    if let Some(q) = req.query() {
                        to.push('?');
                        to.push_str(q);
                    }
                    res.redirect(301, &to);
                    return;
                }
                path.push(INDEX);
                match self.open(&path) {
                    Ok(Opened::File(f, m)) => (f, m),
                    Ok(Opened::Dir) | Err(Refused::NotFound) => {
                        res.status(403).text("no index for this directory\n");
                        return;
                    }
                    Err(r) => return r.answer(res),
                }
            }
            Err(r) => return r.answer(res),
        };
        respond(req, &path, file, &meta, res);
    }

    /// Opens a regular file (or recognises a directory) inside the root.
    fn open(&self, path: &Path) -> Result<Opened, Refused> {
        let real = path.canonicalize().map_err(Refused::from)?;
        if !real.starts_with(&self.root) {
            // A symbolic link leading out of the directory.
            return Err(Refused::NotFound);
        }
        // Non-blocking, so that a FIFO put in place of a file cannot hang the worker.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&real)
            .map_err(Refused::from)?;
        let meta = file.metadata().map_err(Refused::from)?;
        if meta.is_dir() {
            Ok(Opened::Dir)
        } else if meta.is_file() {
            Ok(Opened::File(file, meta))
        } else {
            Err(Refused::NotFound)
        }
    }
}

enum Opened {
    File(File, Metadata),
    Dir,
}

/// Why a path is not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refused {
    NotFound,
    Forbidden,
    Failed,
}

impl From<io::Error> for Refused {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::PermissionDenied => Refused::Forbidden,
            io::ErrorKind::NotFound
            | io::ErrorKind::NotADirectory
            | io::ErrorKind::InvalidInput => Refused::NotFound,
            _ if e.raw_os_error() == Some(libc::ELOOP)
                || e.raw_os_error() == Some(libc::ENAMETOOLONG) =>
            {
                Refused::NotFound
            }
            _ => Refused::Failed,
        }
    }
}

impl Refused {
    fn answer(self, res: &mut Response) {
        match self {
            Refused::NotFound => res.status(404).text("not found\n"),
            Refused::Forbidden => res.status(403).text("forbidden\n"),
            Refused::Failed => res.status(500).text("cannot read the file\n"),
        };
    }
}

/// The path below the mount as decoded segments: `%XX` decoded, empty and `.` segments
/// dropped, `..` taking the previous one away; and whether the path names a directory (it
/// ends with `/`, or with a `.` or `..` segment, as `a/.` and `a/b/..` do). `None` for a path
/// that climbs above the mount, a bad escape, or an encoded NUL or `/` (a segment is one file
/// name).
fn clean(rel: &str) -> Option<(Vec<Vec<u8>>, bool)> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut dir = false;
    for raw in rel.split('/') {
        let seg = decode_segment(raw.as_bytes())?;
        dir = matches!(&seg[..], b"" | b"." | b"..");
        match &seg[..] {
            b"" | b"." => {}
            b".." => {
                out.pop()?;
            }
            _ => out.push(seg),
        }
    }
    Some((out, dir))
}

fn decode_segment(raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'%' {
            let h = hex(*raw.get(i + 1)?)?;
            let l = hex(*raw.get(i + 2)?)?;
            let c = h << 4 | l;
            if c == 0 || c == b'/' || c == b'\\' {
                return None;
            }
            out.push(c);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    Some(out)
}

/// The answer for an opened regular file: validators, conditions, range, body.
fn respond(req: &Request<'_>, path: &Path, mut file: File, meta: &Metadata, res: &mut Response) {
    let len = meta.len();
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    let etag = format!("\"{mtime:x}-{len:x}\"");
    let mut date = brisk_http1::DateCache::new();
    let last_modified = *date.bytes(UNIX_EPOCH + Duration::from_secs(mtime));
    res.header("etag", &etag)
        .header("last-modified", last_modified)
        .header("accept-ranges", "bytes");

    match precondition(req, &etag, mtime) {
        Precondition::Proceed => {}
        Precondition::NotModified => {
            res.status(304);
            return;
        }
        Precondition::Failed => {
            res.status(412).text("precondition failed\n");
            return;
        }
    }

    let (start, n) = match range_of(req, &etag, mtime, len) {
        Ranged::Whole => (0, len),
        Ranged::Part(first, last) => {
            res.status(206)
                .header("content-range", format!("bytes {first}-{last}/{len}"));
            (first, last - first + 1)
        }
        Ranged::Unsatisfiable => {
            res.status(416)
                .header("content-range", format!("bytes */{len}"))
                .text("range not satisfiable\n");
            return;
        }
    };
    res.content_type(content_type(path));
    if req.method() == "HEAD" {
        // The same length GET gives, without reading the file.
        res.body(Body::sized_stream(n, std::iter::empty()));
        return;
    }
    if start > 0 && file.seek(SeekFrom::Start(start)).is_err() {
        res.status(500).text("cannot read the file\n");
        return;
    }
    // HTTP/2 reads every file as its stream can send it (no read-ahead a stream stalled at a
    // zero window would pin); HTTP/1.1 writes at once, so small files are read whole.
    if n <= INLINE_LIMIT && req.version() != Version::H2 {
        let mut buf = Vec::with_capacity(n as usize);
        match (&mut file).take(n).read_to_end(&mut buf) {
            Ok(got) if got as u64 == n => {
                res.body(buf);
            }
            // Shorter than its metadata said: it changed while being read.
            _ => {
                res.status(500).text("cannot read the file\n");
            }
        }
    } else {
        res.body(Body::sized_source(n, Pieces { file, left: n }));
    }
}

/// A file read in pieces as the connection may send them; ends early (and the body is reported short) on a
/// read error or an unexpected end of file.
struct Pieces {
    file: File,
    left: u64,
}

impl Source for Pieces {
    /// HTTP/2 reads only what the stream may send now, into the stream's own buffer.
    fn read_into(&mut self, buf: &mut Vec<u8>, max: usize) -> Pull {
        let want = usize::try_from(self.left).map_or(max, |l| l.min(max));
        if want == 0 {
            return Pull::End;
        }
        buf.reserve_exact(want);
        match (&mut self.file).take(want as u64).read_to_end(buf) {
            Ok(0) | Err(_) => {
                self.left = 0;
                Pull::End
            }
            Ok(got) => {
                self.left -= got as u64;
                Pull::Data
            }
        }
    }
}

enum Precondition {
    Proceed,
    NotModified,
    Failed,
}

/// The conditional request fields, evaluated in the order of RFC 9110 §13.2.2. `If-Match` and
/// `If-None-Match` are lists, which may come in several field lines (§5.3); the date fields
/// are singletons, ignored when repeated (§13.1.3, §13.1.4: a value that is a list of dates is
/// not a valid HTTP-date).
fn precondition(req: &Request<'_>, etag: &str, mtime: u64) -> Precondition {
    let h = req.headers();
    let mut if_match = h.get_all("if-match").peekable();
    if if_match.peek().is_some() {
        if !if_match.any(|v| tag_listed(v, etag, true)) {
            return Precondition::Failed;
        }
    } else if let Some(t) = single(&h, "if-unmodified-since").and_then(parse_http_date) {
        if mtime > t {
            return Precondition::Failed;
        }
    }
    let mut if_none_match = h.get_all("if-none-match").peekable();
    if if_none_match.peek().is_some() {
        if if_none_match.any(|v| tag_listed(v, etag, false)) {
            return Precondition::NotModified;
        }
    } else if let Some(t) = single(&h, "if-modified-since").and_then(parse_http_date) {
        if mtime <= t {
            return Precondition::NotModified;
        }
    }
    Precondition::Proceed
}

/// The value of a singleton field, `None` when it is absent or repeated (RFC 9110 §5.3: only
/// list-based fields may be sent in several lines).
fn single<'a>(h: &Headers<'a>, name: &str) -> Option<&'a [u8]> {
    let mut all = h.get_all(name);
    match (all.next(), all.next()) {
        (Some(v), None) => Some(v),
        _ => None,
    }
}

/// Whether an `If-Match` / `If-None-Match` value lists `etag` (or is `*`). The strong
/// comparison (for `If-Match`) does not accept a weak tag; the weak one ignores `W/`.
fn tag_listed(value: &[u8], etag: &str, strong: bool) -> bool {
    let value = trim(value);
    if value == b"*" {
        return true;
    }
    value.split(|&b| b == b',').any(|t| {
        let t = trim(t);
        match t.strip_prefix(b"W/") {
            Some(weak) => !strong && weak == etag.as_bytes(),
            None => t == etag.as_bytes(),
        }
    })
}

enum Ranged {
    Whole,
    /// First and last byte, inclusive.
    Part(u64, u64),
    Unsatisfiable,
}

/// The `Range` of a GET (RFC 9110 §14.2): one `bytes` range is served as 206, several are
/// answered whole (allowed: a server may ignore `Range`), as is a range `If-Range` rules
/// out or one that does not parse.
///
/// `Range` and `If-Range` are singleton fields, not lists (RFC 9110 §14.2, §13.1.5): a request
/// that repeats one is answered whole, never 206 from one of its lines. Two `Range` lines
/// combine (§5.3) into a value such as `bytes=0-1, bytes=3-4`, which is not a valid
/// `ranges-specifier`, and a server may ignore such a field (§14.2); two `If-Range` lines
/// combine into a value that is neither an entity-tag nor a date, so it matches no validator
/// and the `Range` must be ignored (§13.1.5). A 200 with the whole file is always a correct
/// answer to a range request. nginx 1.22.1 (tried) serves 206 from the first `Range` line and
/// answers 400 to a repeated `If-Range`; 400 would be defensible too, but turns a request
/// that has a correct answer into an error.
fn range_of(req: &Request<'_>, etag: &str, mtime: u64, len: u64) -> Ranged {
    if req.method() != "GET" {
        return Ranged::Whole;
    }
    let h = req.headers();
    let mut ranges = h.get_all("range");
    let (Some(value), None) = (ranges.next(), ranges.next()) else {
        return Ranged::Whole;
    };
    let mut conds = h.get_all("if-range");
    let cond = match (conds.next(), conds.next()) {
        (_, Some(_)) => return Ranged::Whole,
        (cond, None) => cond,
    };
    if let Some(cond) = cond {
        let cond = trim(cond);
        let current = if cond.starts_with(b"\"") || cond.starts_with(b"W/") {
            cond == etag.as_bytes()
        } else {
            parse_http_date(cond) == Some(mtime)
        };
        if !current {
            return Ranged::Whole;
        }
    }
    let Some(spec) = trim(value).strip_prefix(b"bytes=") else {
        return Ranged::Whole;
    };
    if spec.contains(&b',') {
        return Ranged::Whole;
    }
    let Some(dash) = spec.iter().position(|&b| b == b'-') else {
        return Ranged::Whole;
    };
    let (a, b) = (trim(&spec[..dash]), trim(&spec[dash + 1..]));
    match (number(a), number(b)) {
        (Some(first), last) if !a.is_empty() && (b.is_empty() || last.is_some()) => {
            let last = last.unwrap_or(u64::MAX);
            if last < first {
                Ranged::Whole
            } else if first >= len {
                Ranged::Unsatisfiable
            } else {
                Ranged::Part(first, last.min(len - 1))
            }
        }
        (None, Some(suffix)) if a.is_empty() => {
            if suffix == 0 || len == 0 {
                Ranged::Unsatisfiable
            } else {
                Ranged::Part(len - suffix.min(len), len - 1)
            }
        }
        _ => Ranged::Whole,
    }
}

/// A run of ASCII digits as a number (`None` if empty, not digits, or too large).
fn number(b: &[u8]) -> Option<u64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Seconds since the epoch of an HTTP-date in any of its three forms.
fn parse_http_date(v: &[u8]) -> Option<u64> {
    brisk_http1::parse_date(v)
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
}

/// The `Content-Type` for a file, by extension.
fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "txt" | "text" | "log" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "tar" => "application/x-tar",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_cleaned_and_escapes_refused() {
        let c = |s: &str| {
            clean(s).map(|(v, dir)| {
                let path = v
                    .iter()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                // A path that names a directory keeps one trailing slash here.
                if dir && !path.is_empty() {
                    path + "/"
                } else {
                    path
                }
            })
        };
        assert_eq!(c("a/b.txt").as_deref(), Some("a/b.txt"));
        assert_eq!(c("a//./b/../c").as_deref(), Some("a/c"));
        assert_eq!(c("sp%20ace").as_deref(), Some("sp ace"));
        assert_eq!(c("").as_deref(), Some(""));
        assert_eq!(c("a/.."), Some(String::new()));
        assert_eq!(c("a.txt/").as_deref(), Some("a.txt/"));
        assert_eq!(c("a.txt/.").as_deref(), Some("a.txt/"));
        assert_eq!(c("a.txt/%2e").as_deref(), Some("a.txt/"));
        assert_eq!(c("a.txt/x/..").as_deref(), Some("a.txt/"));
        assert_eq!(c("a.txt//").as_deref(), Some("a.txt/"));
        assert_eq!(c("a.txt/./b").as_deref(), Some("a.txt/b"));
        for bad in [
            "..", "a/../..", "%2e%2e/x", "a%2fb", "a%5cb", "a%00b", "bad%zz", "trail%2",
        ] {
            assert_eq!(c(bad), None, "{bad}");
        }
    }

    #[test]
    fn ranges() {
        let r = |range: &str, if_range: Option<&str>, len: u64| {
            let mut h = vec![brisk_http1::Header {
                name: b"range",
                value: range.as_bytes(),
            }];
            if let Some(v) = if_range {
                h.push(brisk_http1::Header {
                    name: b"if-range",
                    value: v.as_bytes(),
                });
            }
            let req = Request::for_test("GET", "/f", &h, b"");
            match range_of(&req, "\"e\"", 5, len) {
                Ranged::Whole => "whole".to_string(),
                Ranged::Part(a, b) => format!("{a}-{b}"),
                Ranged::Unsatisfiable => "416".to_string(),
            }
        };
        assert_eq!(r("bytes=0-0", None, 10), "0-0");
        assert_eq!(r("bytes= 2 - 4 ", None, 10), "2-4");
        assert_eq!(r("bytes=9-", None, 10), "9-9");
        assert_eq!(r("bytes=-1", None, 10), "9-9");
        assert_eq!(r("bytes=-10", None, 10), "0-9");
        assert_eq!(r("bytes=10-", None, 10), "416");
        assert_eq!(r("bytes=0-", None, 0), "416");
        assert_eq!(r("bytes=-3", None, 0), "416");
        assert_eq!(r("bytes=99999999999999999999999-", None, 10), "whole");
        assert_eq!(r("bytes=-", None, 10), "whole");
        assert_eq!(r("bytes=1-2", Some("\"e\""), 10), "1-2");
        assert_eq!(r("bytes=1-2", Some("W/\"e\""), 10), "whole");
        assert_eq!(
            r("bytes=1-2", Some("Thu, 01 Jan 1970 00:00:05 GMT"), 10),
            "1-2"
        );
        assert_eq!(
            r("bytes=1-2", Some("Thu, 01 Jan 1970 00:00:06 GMT"), 10),
            "whole"
        );
        // Singleton fields repeated: the whole file, whatever each line says.
        let fields = |pairs: &[(&'static str, &'static str)]| {
            pairs
                .iter()
                .map(|&(n, v)| brisk_http1::Header {
                    name: n.as_bytes(),
                    value: v.as_bytes(),
                })
                .collect::<Vec<_>>()
        };
        for pairs in [
            &[("range", "bytes=0-1"), ("range", "bytes=3-4")][..],
            &[("Range", "bytes=0-1"), ("range", "bytes=0-1")],
            &[
                ("range", "bytes=0-1"),
                ("if-range", "\"e\""),
                ("if-range", "\"e\""),
            ],
            &[
                ("range", "bytes=0-1"),
                ("if-range", "\"e\""),
                ("if-range", "\"x\""),
            ],
        ] {
            let h = fields(pairs);
            let req = Request::for_test("GET", "/f", &h, b"");
            assert!(
                matches!(range_of(&req, "\"e\"", 5, 10), Ranged::Whole),
                "{pairs:?}"
            );
        }
        let head = Request::for_test("HEAD", "/f", &[], b"");
        assert!(matches!(range_of(&head, "\"e\"", 5, 10), Ranged::Whole));
    }

    proptest::proptest! {
        /// Whatever the bytes, the parsers of request fields answer without panicking, and a
        /// range they give lies inside the file.
        #[test]
        fn field_parsers_take_any_bytes(v in proptest::collection::vec(proptest::num::u8::ANY, 0..64), len in 0u64..1000) {
            let _ = parse_http_date(&v);
            let _ = tag_listed(&v, "\"a-1\"", false);
            if let Ok(s) = std::str::from_utf8(&v) {
                let _ = clean(s);
            }
            let mut spec = b"bytes=".to_vec();
            spec.extend_from_slice(&v);
            let h = [brisk_http1::Header { name: b"range", value: &spec }];
            let req = Request::for_test("GET", "/f", &h, b"");
            if let Ranged::Part(a, b) = range_of(&req, "\"e\"", 5, len) {
                proptest::prop_assert!(a <= b && b < len);
            }
        }

        /// Every time the server writes as a date reads back as the same second.
        #[test]
        fn dates_read_back(secs in 0u64..253_402_300_799) {
            let t = UNIX_EPOCH + Duration::from_secs(secs);
            let mut c = brisk_http1::DateCache::new();
            proptest::prop_assert_eq!(parse_http_date(c.bytes(t)), Some(secs));
        }
    }

    /// List fields count in every line they come in; repeated date fields are ignored.
    #[test]
    fn conditions_over_several_field_lines() {
        let at = |pairs: &[(&'static str, &'static str)]| {
            let h = pairs
                .iter()
                .map(|&(n, v)| brisk_http1::Header {
                    name: n.as_bytes(),
                    value: v.as_bytes(),
                })
                .collect::<Vec<_>>();
            let req = Request::for_test("GET", "/f", &h, b"");
            let outcome = precondition(&req, "\"e\"", 5);
            match outcome {
                Precondition::Proceed => "200",
                Precondition::NotModified => "304",
                Precondition::Failed => "412",
            }
        };
        assert_eq!(at(&[("if-match", "\"x\""), ("if-match", "\"e\"")]), "200");
        assert_eq!(at(&[("if-match", "\"x\""), ("if-match", "\"y\"")]), "412");
        assert_eq!(
            at(&[("if-none-match", "\"x\""), ("if-none-match", "\"e\"")]),
            "304"
        );
        let (old, new) = (
            "Thu, 01 Jan 1970 00:00:01 GMT",
            "Thu, 01 Jan 1970 00:00:09 GMT",
        );
        assert_eq!(at(&[("if-modified-since", new)]), "304");
        assert_eq!(
            at(&[("if-modified-since", new), ("if-modified-since", new)]),
            "200"
        );
        assert_eq!(at(&[("if-unmodified-since", old)]), "412");
        assert_eq!(
            at(&[("if-unmodified-since", old), ("if-unmodified-since", old)]),
            "200"
        );
    }

    #[test]
    fn etag_lists() {
        let e = "\"5f-10\"";
        assert!(tag_listed(b"*", e, true));
        assert!(tag_listed(b"\"x\", \"5f-10\"", e, true));
        assert!(tag_listed(b"W/\"5f-10\"", e, false));
        assert!(!tag_listed(b"W/\"5f-10\"", e, true));
        assert!(!tag_listed(b"\"5f-11\"", e, false));
    }
}
