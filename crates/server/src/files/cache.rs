//! The per-worker open-file cache, like nginx's `open_file_cache` and h2o's file cache: for
//! each path served lately, the open file (or, for a small file, its bytes), its metadata,
//! `ETag` and `Last-Modified`. A hit costs a hash lookup and no system call; an entry older
//! than the mount's revalidation interval ([`StaticOptions::revalidate`]) is checked with one
//! `stat` before use, so a file changed, replaced or deleted on disk is seen within that
//! interval. Precompressed variants that do not exist are remembered too (negative entries),
//! so that looking for `x.js.br` costs nothing per request either.
//!
//! The cache is bounded in entries ([`StaticOptions::cache_entries`]); when full, an
//! arbitrary entry makes room. Each worker thread has its own: no lock on the hot path.
//!
//! [`StaticOptions::revalidate`]: super::StaticOptions::revalidate
//! [`StaticOptions::cache_entries`]: super::StaticOptions::cache_entries

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::PathBuf;
use std::sync::Arc;

use brisk_reactor::FileMap;
use std::time::{Duration, Instant, UNIX_EPOCH};

/// What an entry holds.
#[derive(Debug)]
pub(super) enum Data {
    /// A small file's bytes.
    Mem(Arc<[u8]>),
    /// An open file, sent with `sendfile(2)` or read with `pread`, and perhaps its mapping
    /// (HTTP/2 over cleartext sends from it with `writev`).
    File(Arc<File>, Option<Arc<FileMap>>),
    /// No such regular file (a variant looked for and absent).
    Missing,
}

/// What identifies a file's current content: a change in any part means it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: i64,
    mtime_ns: i64,
    ctime: i64,
    ctime_ns: i64,
}

impl Stamp {
    fn of(m: &Metadata) -> Stamp {
        Stamp {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime: m.mtime(),
            mtime_ns: m.mtime_nsec(),
            ctime: m.ctime(),
            ctime_ns: m.ctime_nsec(),
        }
    }
}

/// One cached file (or variant, or missing variant).
#[derive(Debug)]
pub(super) struct Entry {
    pub(super) data: Data,
    /// The canonical path, checked again on revalidation.
    pub(super) real: PathBuf,
    pub(super) len: u64,
    /// Seconds since the epoch.
    pub(super) mtime: u64,
    pub(super) etag: Box<str>,
    pub(super) last_modified: [u8; 29],
    pub(super) content_type: &'static str,
    pub(super) compressible: bool,
    /// The answer's fields (`etag` ... `content-type`, the type last), built on first use:
    /// added to each response with one copy.
    pub(super) fields: std::cell::OnceCell<Option<crate::response::FieldBlock>>,
    stamp: Option<Stamp>,
    checked: Instant,
}

impl Entry {
    /// An entry for the opened regular `file` at `real`; read whole into memory when at most
    /// `small` bytes. `tag` is appended to the `ETag` (a variant's coding). `None` if a small
    /// file cannot be read whole (it changed meanwhile).
    pub(super) fn open(
        real: PathBuf,
        file: File,
        meta: &Metadata,
        content_type: (&'static str, bool),
        small: u64,
        tag: &str,
        now: Instant,
    ) -> Option<Entry> {
        let len = meta.len();
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        let etag = format!("\"{mtime:x}-{len:x}{tag}\"").into_boxed_str();
        let mut date = brisk_http1::DateCache::new();
        let last_modified = *date.bytes(UNIX_EPOCH + Duration::from_secs(mtime));
        let data = if len <= small {
            let mut buf = vec![0u8; len as usize];
            file.read_exact_at(&mut buf, 0).ok()?;
            Data::Mem(buf.into())
        } else {
            Data::File(Arc::new(file), None)
        };
        Some(Entry {
            data,
            real,
            len,
            mtime,
            etag,
            last_modified,
            content_type: content_type.0,
            compressible: content_type.1,
            fields: std::cell::OnceCell::new(),
            stamp: Some(Stamp::of(meta)),
            checked: now,
        })
    }

    /// The entry with its open file mapped into memory, when it has one of at most `max`
    /// bytes (0: never). A file that cannot be mapped is served without.
    pub(super) fn with_map(mut self, max: u64) -> Entry {
        if let Data::File(f, map) = &mut self.data {
            if self.len <= max {
                *map = FileMap::new(Arc::clone(f)).ok().map(Arc::new);
            }
        }
        self
    }

    /// A remembered absence at `real`.
    pub(super) fn missing(real: PathBuf, now: Instant) -> Entry {
        Entry {
            data: Data::Missing,
            real,
            len: 0,
            mtime: 0,
            etag: Box::from(""),
            last_modified: [b' '; 29],
            content_type: "",
            compressible: false,
            fields: std::cell::OnceCell::new(),
            stamp: None,
            checked: now,
        }
    }

    /// Whether the file still is what the entry says (one `stat`).
    fn still_valid(&self) -> bool {
        let now = std::fs::metadata(&self.real).ok().filter(|m| m.is_file());
        now.map(|m| Stamp::of(&m)) == self.stamp
    }
}

/// Tags that keep request paths and variant paths apart in the key space.
pub(super) const BY_REQUEST: u8 = 0;
pub(super) const BY_PATH: u8 = 1;

/// One worker's cache.
#[derive(Debug, Default)]
pub(super) struct Cache {
    map: HashMap<Vec<u8>, Entry>,
    /// The key being looked up (reused: building it allocates nothing once grown).
    key: Vec<u8>,
}

thread_local! {
    /// This worker thread's cache.
    pub(super) static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
}

impl Cache {
    /// Sets the current key: `tag`, the mount, then `parts`.
    pub(super) fn set_key(&mut self, tag: u8, mount: u64, parts: &[&[u8]]) {
        self.key.clear();
        self.key.push(tag);
        self.key.extend_from_slice(&mount.to_le_bytes());
        for p in parts {
            self.key.extend_from_slice(p);
        }
    }

    /// Sets the current key to the path of the entry at the current key plus `suffix` (a
    /// variant of it). False if there is no current entry.
    pub(super) fn set_variant_key(&mut self, mount: u64, suffix: &str) -> bool {
        let Some(e) = self.map.get(&self.key[..]) else {
            return false;
        };
        self.key.clear();
        self.key.push(BY_PATH);
        self.key.extend_from_slice(&mount.to_le_bytes());
        self.key.extend_from_slice(e.real.as_os_str().as_bytes());
        self.key.extend_from_slice(suffix.as_bytes());
        true
    }

    /// The key's bytes after the tag and mount (a variant key's path).
    pub(super) fn key_path(&self) -> &[u8] {
        &self.key[9..]
    }

    /// Looks up the current key: true when a current entry is there (revalidated if it was
    /// older than `valid`); a stale entry whose file changed is dropped.
    pub(super) fn lookup(&mut self, now: Instant, valid: Duration) -> bool {
        let Some(e) = self.map.get_mut(&self.key[..]) else {
            return false;
        };
        if now.saturating_duration_since(e.checked) < valid {
            return true;
        }
        if e.still_valid() {
            e.checked = now;
            return true;
        }
        self.map.remove(&self.key[..]);
        false
    }

    /// The entry at the current key.
    pub(super) fn current(&self) -> Option<&Entry> {
        self.map.get(&self.key[..])
    }

    /// Stores `entry` at the current key, making room if `max` entries are held.
    pub(super) fn insert(&mut self, entry: Entry, max: usize) {
        if self.map.len() >= max.max(1) && !self.map.contains_key(&self.key[..]) {
            if let Some(k) = self.map.keys().next().cloned() {
                self.map.remove(&k);
            }
        }
        self.map.insert(self.key.clone(), entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_revalidated() {
        let dir = std::env::temp_dir().join(format!("brisk-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.txt");
        std::fs::write(&p, b"one").unwrap();
        let now = Instant::now();
        let mut c = Cache::default();
        let open = |now| {
            let f = File::open(&p).unwrap();
            let m = f.metadata().unwrap();
            Entry::open(p.clone(), f, &m, ("text/plain", true), 16, "", now).unwrap()
        };
        c.set_key(BY_REQUEST, 1, &[b"a.txt"]);
        assert!(!c.lookup(now, Duration::from_secs(1)));
        c.insert(open(now), 2);
        assert!(c.lookup(now, Duration::from_secs(1)));
        assert!(matches!(&c.current().unwrap().data, Data::Mem(b) if &b[..] == b"one"));
        // Changed on disk: still served from the cache within the interval, dropped after.
        std::fs::write(&p, b"three").unwrap();
        assert!(c.lookup(now, Duration::from_secs(1)));
        let later = now + Duration::from_secs(2);
        assert!(!c.lookup(later, Duration::from_secs(1)));
        c.insert(open(later), 2);
        // Unchanged: revalidation keeps it.
        assert!(c.lookup(later + Duration::from_secs(2), Duration::from_secs(1)));
        // Bounded.
        for k in [&b"b"[..], b"c", b"d"] {
            c.set_key(BY_REQUEST, 1, &[k]);
            c.insert(Entry::missing(p.clone(), now), 2);
        }
        assert_eq!(c.map.len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
