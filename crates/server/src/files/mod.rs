//! Static files: a directory mounted under a path prefix ([`Builder::static_dir`]), answering
//! GET and HEAD with a content type from the file's extension, `ETag` and `Last-Modified`
//! validators (304 for `If-None-Match` and `If-Modified-Since`, 412 for `If-Match` and
//! `If-Unmodified-Since`), byte ranges (206, several as `multipart/byteranges`, 416,
//! `If-Range`), precompressed variants chosen by `Accept-Encoding`, and no way out of the
//! directory: `..` above the mount, encoded NUL or slash tricks and symbolic links leading
//! outside it are refused, and hidden files (a segment starting with `.`) are 404 except
//! under `/.well-known/`.
//!
//! Modules: `path` (request paths), `cache` (the per-worker open-file cache), `negotiate`
//! (`Accept-Encoding`), `conditional`, `ranges` and `multipart` (request fields), `send` (the
//! answer and the file body), `mime` (content types).
//!
//! Bodies: a file of at most [`StaticOptions::small_file`] bytes is held in the cache and
//! copied into the response's reused buffer; a larger one stays open in the cache and goes
//! out with `sendfile(2)` on cleartext HTTP/1.1 (its head sent with `MSG_MORE`, so both leave
//! in one segment), and over HTTP/2 is read with one `preadv` per run of DATA frames straight
//! into the reactor's output after each frame header (`Connection::reserve_data`,
//! `Output::read_file_framed`; no more than the windows allow). Each cached entry keeps its
//! answer's fields (validators, `vary`, `content-encoding`, `cache-control`, type) checked
//! and laid out once (`FieldBlock`): a request adds them with one copy.
//!
//! [`Builder::static_dir`]: crate::Builder::static_dir

mod builder;
mod cache;
mod conditional;
mod mime;
mod multipart;
mod negotiate;
mod path;
mod ranges;
mod send;

use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cache::{Cache, Data, Entry, BY_REQUEST, CACHE};
use negotiate::Coding;

use crate::request::Request;
use crate::response::Response;

/// The file served for a directory (`/docs/` gives `/docs/index.html`).
const INDEX: &str = "index.html";

/// How a directory is served ([`Builder::static_dir_with`](crate::Builder::static_dir_with)).
///
/// The defaults: no `Cache-Control`, 1000 cached files per worker revalidated every second,
/// files up to 16 KiB held in memory, at most 16 ranges per request, precompressed variants
/// on, hidden files refused.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let mut o = brisk_server::StaticOptions::default();
/// o.max_age = Some(3600);
/// o.revalidate = Duration::from_millis(200);
/// assert_eq!(o.small_file, 16 * 1024);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StaticOptions {
    /// Sends `Cache-Control: max-age=N` with every file (none by default).
    pub max_age: Option<u32>,
    /// Most files each worker keeps open (or in memory) in its cache. Default 1000 (nginx's
    /// `open_file_cache max=1000` in its documentation's example).
    pub cache_entries: usize,
    /// How long a cached file is used without checking the disk; then one `stat` tells
    /// whether it changed (or went). A change on disk is seen within this time. Default 1 s:
    /// nginx's `open_file_cache_valid` defaults to 60 s, which surprises people editing
    /// files; one `stat` a second per hot file costs nothing measurable.
    pub revalidate: Duration,
    /// Files up to this many bytes are kept in memory with their metadata, so serving one
    /// costs a lookup and a copy. Default 16 KiB.
    pub small_file: u64,
    /// A `Range` with more ranges than this (or with ranges that overlap) is answered with
    /// the whole file, as nginx's `max_ranges` does. Default 16.
    pub max_ranges: usize,
    /// Serves `x.js.br`, `x.js.zst` or `x.js.gz` for `x.js` when present and accepted
    /// (see `Accept-Encoding` rules in the README). Default on.
    pub precompressed: bool,
    /// Serves hidden files (a path segment starting with `.`, such as `.env` or
    /// `.git/config`). Default off: they are 404, except under `/.well-known/`.
    pub dotfiles: bool,
    /// Files larger than `small_file` and up to this many bytes are also mapped into memory
    /// (`mmap`, once per cache entry and worker), so that HTTP/2 over cleartext sends their
    /// DATA frames with one `writev` straight from the page cache (one copy, where reading
    /// them first costs two; HTTP/1.1 uses `sendfile` and TLS reads the file either way).
    /// The pages the kernel sends count in the process's resident size as shared file
    /// pages. 0 turns mapping off. Default 64 MiB.
    pub map_max: u64,
}

impl Default for StaticOptions {
    fn default() -> Self {
        StaticOptions {
            max_age: None,
            cache_entries: 1000,
            revalidate: Duration::from_secs(1),
            small_file: 16 * 1024,
            max_ranges: 16,
            precompressed: true,
            dotfiles: false,
            map_max: 64 << 20,
        }
    }
}

/// A directory served as static files. Built by [`Builder::static_dir`](crate::Builder::static_dir),
/// which routes `PREFIX/` and `PREFIX/{*path}` to it.
#[derive(Debug, Clone)]
pub(crate) struct StaticDir {
    /// Canonical (absolute, no symbolic links) path of the directory.
    root: PathBuf,
    /// Tells this mount's cache entries from others'.
    id: u64,
    opts: StaticOptions,
    cache_control: Option<Box<str>>,
}

/// Mount ids.
static MOUNTS: AtomicU64 = AtomicU64::new(0);

impl StaticDir {
    /// The directory at `root`, which must exist.
    pub(crate) fn new(root: &Path, opts: StaticOptions) -> io::Result<Self> {
        let root = root.canonicalize()?;
        if !root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a directory",
            ));
        }
        Ok(StaticDir {
            root,
            id: MOUNTS.fetch_add(1, Ordering::Relaxed),
            cache_control: opts
                .max_age
                .map(|s| format!("max-age={s}").into_boxed_str()),
            opts,
        })
    }

    /// Answers `req` for the file at `rel` (the percent-encoded path below the mount, empty
    /// for the mount itself).
    pub(crate) fn serve(&self, req: &Request<'_>, rel: &str, res: &mut Response) {
        let now = Instant::now();
        CACHE.with_borrow_mut(|c| self.serve_from(c, now, req, rel, res));
    }

    fn serve_from(
        &self,
        c: &mut Cache,
        now: Instant,
        req: &Request<'_>,
        rel: &str,
        res: &mut Response,
    ) {
        c.set_key(BY_REQUEST, self.id, &[rel.as_bytes()]);
        if !c.lookup(now, self.opts.revalidate) {
            match self.resolve(req, rel, now) {
                Ok(e) => c.insert(e, self.opts.cache_entries),
                Err(answer) => return answer.answer(req, res),
            }
        }
        let Some(base) = c.current() else {
            return Refused::NotFound.answer(res);
        };
        let vary = base.compressible;
        if !(vary && self.opts.precompressed) {
            return send::respond(self, req, base, None, vary, res);
        }
        let accept = negotiate::parse(req.headers().get_all("accept-encoding"));
        let ctype = (base.content_type, base.compressible);
        for coding in accept.candidates() {
            c.set_key(BY_REQUEST, self.id, &[rel.as_bytes()]);
            if !c.set_variant_key(self.id, coding.suffix()) {
                break;
            }
            if !c.lookup(now, self.opts.revalidate) {
                let e = self.open_variant(c.key_path(), ctype, coding, now);
                c.insert(e, self.opts.cache_entries);
            }
            if let Some(v) = c.current().filter(|v| !matches!(v.data, Data::Missing)) {
                return send::respond(self, req, v, Some(coding), true, res);
            }
        }
        c.set_key(BY_REQUEST, self.id, &[rel.as_bytes()]);
        match c.current() {
            Some(base) => send::respond(self, req, base, None, true, res),
            None => Refused::NotFound.answer(res),
        }
    }

    /// Finds the file for `rel` on disk (the cache missed).
    fn resolve(&self, req: &Request<'_>, rel: &str, now: Instant) -> Result<Entry, Answer> {
        let Some((segments, dir_form)) = path::clean(rel) else {
            return Err(Answer::BadPath);
        };
        if !self.opts.dotfiles && path::hidden(&segments) {
            return Err(Answer::Refused(Refused::NotFound));
        }
        let mut path = self.root.clone();
        for s in &segments {
            path.push(OsStr::from_bytes(s));
        }
        let (real, file, meta) = match self.open(&path) {
            // `/a.txt/` names a directory, and a file is not one: 404, as the file system
            // (ENOTDIR) and nginx say.
            Ok(Opened::File(..)) if dir_form => return Err(Answer::Refused(Refused::NotFound)),
            Ok(Opened::File(r, f, m)) => (r, f, m),
            Ok(Opened::Dir) => {
                if !rel.is_empty() && !dir_form {
                    // Relative links in the index resolve against the slash form.
                    let mut to = format!("{}/", req.path());
                    if let Some(q) = req.query() {
                        to.push('?');
                        to.push_str(q);
                    }
                    return Err(Answer::Redirect(to));
                }
                path.push(INDEX);
                match self.open(&path) {
                    Ok(Opened::File(r, f, m)) => (r, f, m),
                    Ok(Opened::Dir) | Err(Refused::NotFound) => return Err(Answer::NoIndex),
                    Err(r) => return Err(Answer::Refused(r)),
                }
            }
            Err(r) => return Err(Answer::Refused(r)),
        };
        let ctype = mime::content_type(&path);
        Entry::open(real, file, &meta, ctype, self.opts.small_file, "", now)
            .map(|e| e.with_map(self.opts.map_max))
            .ok_or(Answer::Refused(Refused::Failed))
    }

    /// The entry for a variant at `real` (the file's canonical path plus the coding's
    /// suffix): the file, or a remembered absence.
    fn open_variant(
        &self,
        real: &[u8],
        ctype: (&'static str, bool),
        coding: Coding,
        now: Instant,
    ) -> Entry {
        let path = PathBuf::from(OsStr::from_bytes(real));
        let tag = format!("-{}", coding.token());
        match self.open(&path) {
            Ok(Opened::File(r, f, m)) => {
                Entry::open(r, f, &m, ctype, self.opts.small_file, &tag, now).map_or_else(
                    || Entry::missing(path, now),
                    |e| e.with_map(self.opts.map_max),
                )
            }
            _ => Entry::missing(path, now),
        }
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
            Ok(Opened::File(real, file, meta))
        } else {
            Err(Refused::NotFound)
        }
    }
}

// A short-lived value of the miss path, returned once per open: not worth a box.
#[allow(clippy::large_enum_variant)]
enum Opened {
    File(PathBuf, File, Metadata),
    Dir,
}

/// A request answered without a file.
enum Answer {
    BadPath,
    Redirect(String),
    NoIndex,
    Refused(Refused),
}

impl Answer {
    fn answer(self, _req: &Request<'_>, res: &mut Response) {
        match self {
            Answer::BadPath => {
                res.status(400).text("bad path\n");
            }
            Answer::Redirect(to) => {
                res.redirect(301, &to);
            }
            Answer::NoIndex => {
                res.status(403).text("no index for this directory\n");
            }
            Answer::Refused(r) => r.answer(res),
        }
    }
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
