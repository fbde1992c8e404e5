//! Conditional requests (RFC 9110 §13): `If-Match`, `If-None-Match`, `If-Modified-Since`,
//! `If-Unmodified-Since`, and the dates and entity-tags they compare.

use std::time::UNIX_EPOCH;

use crate::request::{Headers, Request};
use crate::response::trim;

pub(super) enum Precondition {
    Proceed,
    NotModified,
    Failed,
}

/// The conditional request fields, evaluated in the order of RFC 9110 §13.2.2. `If-Match` and
/// `If-None-Match` are lists, which may come in several field lines (§5.3); the date fields
/// are singletons, ignored when repeated (§13.1.3, §13.1.4: a value that is a list of dates is
/// not a valid HTTP-date).
pub(super) fn precondition(req: &Request<'_>, etag: &str, mtime: u64) -> Precondition {
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
pub(super) fn single<'a>(h: &Headers<'a>, name: &str) -> Option<&'a [u8]> {
    let mut all = h.get_all(name);
    match (all.next(), all.next()) {
        (Some(v), None) => Some(v),
        _ => None,
    }
}

/// Whether an `If-Match` / `If-None-Match` value lists `etag` (or is `*`). The strong
/// comparison (for `If-Match`) does not accept a weak tag; the weak one ignores `W/`.
pub(super) fn tag_listed(value: &[u8], etag: &str, strong: bool) -> bool {
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

/// Seconds since the epoch of an HTTP-date in any of its three forms.
pub(super) fn parse_http_date(v: &[u8]) -> Option<u64> {
    brisk_http1::parse_date(v)
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    proptest::proptest! {
        /// Every time the server writes as a date reads back as the same second.
        #[test]
        fn dates_read_back(secs in 0u64..253_402_300_799) {
            let t = UNIX_EPOCH + Duration::from_secs(secs);
            let mut c = brisk_http1::DateCache::new();
            proptest::prop_assert_eq!(parse_http_date(c.bytes(t)), Some(secs));
        }

        #[test]
        fn field_parsers_take_any_bytes(v in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = parse_http_date(&v);
            let _ = tag_listed(&v, "\"a-1\"", false);
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
