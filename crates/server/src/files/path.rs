//! Request paths below a mount: percent-decoding, dot segments, and the hidden-file rule.

use crate::query::hex;

/// The path below the mount as decoded segments: `%XX` decoded, empty and `.` segments
/// dropped, `..` taking the previous one away; and whether the path names a directory (it
/// ends with `/`, or with a `.` or `..` segment, as `a/.` and `a/b/..` do). `None` for a path
/// that climbs above the mount, a bad escape, or an encoded NUL or `/` (a segment is one file
/// name).
pub(super) fn clean(rel: &str) -> Option<(Vec<Vec<u8>>, bool)> {
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

/// Whether a cleaned path names a hidden file or directory (a segment starting with `.`,
/// such as `.git/config` or `.env`), except under `/.well-known/` (RFC 8615), which is meant
/// to be served.
pub(super) fn hidden(segments: &[Vec<u8>]) -> bool {
    segments
        .iter()
        .enumerate()
        .any(|(i, s)| s.first() == Some(&b'.') && !(i == 0 && s == b".well-known"))
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
    fn hidden_segments() {
        let h = |s: &str| hidden(&clean(s).expect("clean").0);
        assert!(h(".env"));
        assert!(h("a/.git/config"));
        assert!(h("%2egit/config"));
        assert!(h("a/.well-known/x"));
        assert!(!h(".well-known/acme-challenge/t"));
        assert!(!h("a/b.txt"));
        assert!(!h("a/./b"));
    }
}
