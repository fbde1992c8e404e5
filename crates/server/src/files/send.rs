//! The answer for a cached file: validators, conditions, ranges, and the body: a small
//! file's bytes copied from the cache into the response's reused buffer (no allocation), a
//! larger one as a [`FileBody`], which HTTP/1.1 over cleartext hands to the reactor for
//! `sendfile(2)` and others read with `pread` as the connection drains.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use brisk_reactor::FileRange;

use super::cache::{Data, Entry};
use super::conditional::{precondition, Precondition};
use super::multipart::{Bytes, Multipart};
use super::negotiate::Coding;
use super::ranges::{range_of, Ranged};
use super::StaticDir;
use crate::request::Request;
use crate::response::{Body, FieldBlock, Pull, Response, Source};

/// Answers `req` with the file `e` (a variant in `coding`, if any); `vary` when the file is
/// compressible (`Vary: Accept-Encoding` whichever variant is sent).
pub(super) fn respond(
    dir: &StaticDir,
    req: &Request<'_>,
    e: &Entry,
    coding: Option<Coding>,
    vary: bool,
    res: &mut Response,
) {
    let fields = e.fields.get_or_init(|| answer_fields(dir, e, coding, vary));
    let Some(fields) = fields else {
        // Cannot happen (every value is ours); answered as `Response::header` would.
        return res.set_error(500);
    };
    // All but the content type, which comes last.
    let head = fields.len() - 1;
    match precondition(req, &e.etag, e.mtime) {
        Precondition::Proceed => {}
        Precondition::NotModified => {
            res.status(304).add_fields(fields, head);
            return;
        }
        Precondition::Failed => {
            res.add_fields(fields, head);
            res.status(412).text("precondition failed\n");
            return;
        }
    }
    let len = e.len;
    let (start, n) = match range_of(req, &e.etag, e.mtime, len, dir.opts.max_ranges) {
        Ranged::Whole => {
            res.add_fields(fields, head + 1);
            (0, len)
        }
        Ranged::Part(first, last) => {
            res.add_fields(fields, head);
            res.status(206)
                .header("content-range", format!("bytes {first}-{last}/{len}"))
                .content_type(e.content_type);
            (first, last - first + 1)
        }
        Ranged::Multi(parts) => {
            let Some(bytes) = Bytes::of(&e.data) else {
                return super::Refused::NotFound.answer(res);
            };
            res.add_fields(fields, head);
            let (body, total, ctype) = Multipart::new(bytes, &parts, len, e.content_type);
            res.status(206).content_type(&ctype);
            res.body(Body::sized_source(total, body));
            return;
        }
        Ranged::Unsatisfiable => {
            res.add_fields(fields, head);
            res.status(416)
                .header("content-range", format!("bytes */{len}"))
                .text("range not satisfiable\n");
            return;
        }
    };
    match &e.data {
        Data::Mem(m) => {
            // Also for HEAD: the length is the body's, which HEAD does not send.
            let (a, b) = (start as usize, (start + n) as usize);
            res.body_mut().extend_from_slice(&m[a..b]);
        }
        Data::File(..) if req.method() == "HEAD" => {
            res.body(Body::sized_stream(n, std::iter::empty()));
        }
        Data::File(f, map) => {
            res.body(Body::sized_source(
                n,
                FileBody {
                    file: Arc::clone(f),
                    map: map.clone(),
                    offset: start,
                    left: n,
                },
            ));
        }
        Data::Missing => super::Refused::NotFound.answer(res),
    }
}

/// The fields of every answer with entry `e`: validators, `accept-ranges`, `vary` and
/// `content-encoding` (a variant), the mount's `cache-control`, and the content type last.
/// The same for every request: `vary` is the entry's `compressible` and `coding` its
/// variant's, and the mount is the entry's.
#[cold]
fn answer_fields(
    dir: &StaticDir,
    e: &Entry,
    coding: Option<Coding>,
    vary: bool,
) -> Option<FieldBlock> {
    let mut f: [(&str, &[u8]); 7] = [("", b""); 7];
    let mut n = 0;
    let mut add = |name, value| {
        f[n] = (name, value);
        n += 1;
    };
    add("etag", e.etag.as_bytes());
    add("last-modified", &e.last_modified[..]);
    add("accept-ranges", b"bytes");
    if vary {
        add("vary", b"accept-encoding");
    }
    if let Some(c) = coding {
        add("content-encoding", c.token().as_bytes());
    }
    if let Some(cc) = &dir.cache_control {
        add("cache-control", cc.as_bytes());
    }
    add("content-type", e.content_type.as_bytes());
    FieldBlock::new(f[..n].iter().copied())
}

/// A range of an open file as a response body.
struct FileBody {
    file: Arc<File>,
    /// The file's mapping, if the cache made one (HTTP/2 over cleartext sends from it).
    map: Option<Arc<brisk_reactor::FileMap>>,
    offset: u64,
    left: u64,
}

impl Source for FileBody {
    /// Reads (`pread`) only what the connection may send now, into its own buffer; ends
    /// early (and the body is reported short) on a read error or an unexpected end of file.
    fn read_into(&mut self, buf: &mut Vec<u8>, max: usize) -> Pull {
        let want = usize::try_from(self.left).map_or(max, |l| l.min(max));
        if want == 0 {
            return Pull::End;
        }
        let at = buf.len();
        buf.reserve(want);
        let got = if buf.capacity() - at <= want + want / 4 {
            // Straight into the buffer's spare room, not zero-filled first (rustix sets the
            // length to what was read). Only when the room is about `want`: the read fills
            // all of it, and what lies past `want` is dropped.
            rustix::io::pread(
                &*self.file,
                rustix::buffer::spare_capacity(buf),
                self.offset,
            )
            .map_err(std::io::Error::from)
        } else {
            buf.resize(at + want, 0);
            self.file.read_at(&mut buf[at..], self.offset)
        };
        match got {
            Ok(got) if got > 0 => {
                let got = got.min(want);
                buf.truncate(at + got);
                self.offset += got as u64;
                self.left -= got as u64;
                Pull::Data
            }
            _ => {
                buf.truncate(at);
                self.left = 0;
                Pull::End
            }
        }
    }

    fn take_file(&mut self, len: u64) -> Option<FileRange> {
        if len != self.left || len == 0 {
            return None;
        }
        self.left = 0;
        let range = FileRange::new(Arc::clone(&self.file), self.offset, len);
        Some(match self.map.take() {
            Some(map) => range.with_map(map),
            None => range,
        })
    }
}
