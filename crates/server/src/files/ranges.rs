//! The `Range` field of a GET (RFC 9110 §14.2) and `If-Range` (§13.1.5): one range gives a
//! 206 with that part, several a 206 `multipart/byteranges` ([`super::multipart`]), and a
//! request with more than `max_ranges` ranges, or ranges that overlap, the whole file (200),
//! as nginx does (`max_ranges`): such requests cost the server more than the file and are a
//! known amplification trick.

use super::conditional::parse_http_date;
use crate::request::Request;
use crate::response::trim;

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Ranged {
    Whole,
    /// First and last byte, inclusive.
    Part(u64, u64),
    /// Several parts (first and last byte each), in the order asked, none overlapping.
    Multi(Vec<(u64, u64)>),
    Unsatisfiable,
}

/// The ranges to answer for `req`, for a representation of `len` bytes whose validators are
/// `etag` and `mtime`.
///
/// `Range` and `If-Range` are singleton fields, not lists (RFC 9110 §14.2, §13.1.5): a request
/// that repeats one is answered whole, never 206 from one of its lines. Two `Range` lines
/// combine (§5.3) into a value such as `bytes=0-1, bytes=3-4`, which is not a valid
/// `ranges-specifier`, and a server may ignore such a field (§14.2); two `If-Range` lines
/// combine into a value that is neither an entity-tag nor a date, so it matches no validator
/// and the `Range` must be ignored (§13.1.5). A 200 with the whole file is always a correct
/// answer to a range request.
pub(super) fn range_of(
    req: &Request<'_>,
    etag: &str,
    mtime: u64,
    len: u64,
    max_ranges: usize,
) -> Ranged {
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
    // First pass: every element must parse; count them, and find the satisfiable ones.
    let mut count = 0usize;
    let mut satisfiable = 0usize;
    let mut first = None;
    for elem in spec.split(|&b| b == b',') {
        let elem = trim(elem);
        if elem.is_empty() {
            continue; // `#` lists allow empty elements (RFC 9110 §5.6.1)
        }
        count += 1;
        match one(elem, len) {
            None => return Ranged::Whole,
            Some(None) => {}
            Some(Some(r)) => {
                satisfiable += 1;
                first.get_or_insert(r);
            }
        }
    }
    if count > max_ranges.max(1) {
        return Ranged::Whole;
    }
    match (satisfiable, first) {
        (_, None) if count == 0 => Ranged::Whole,
        (_, None) => Ranged::Unsatisfiable,
        (1, Some((a, b))) => Ranged::Part(a, b),
        _ => {
            let parts: Vec<(u64, u64)> = spec
                .split(|&b| b == b',')
                .filter_map(|e| one(trim(e), len).flatten())
                .collect();
            let mut sorted = parts.clone();
            sorted.sort_unstable();
            if sorted.windows(2).any(|w| w[1].0 <= w[0].1) {
                return Ranged::Whole;
            }
            Ranged::Multi(parts)
        }
    }
}

/// One `range-spec`: `None` if it does not parse (the whole field is then ignored),
/// `Some(None)` if it lies past the end, else its first and last byte.
fn one(elem: &[u8], len: u64) -> Option<Option<(u64, u64)>> {
    let dash = elem.iter().position(|&b| b == b'-')?;
    let (a, b) = (trim(&elem[..dash]), trim(&elem[dash + 1..]));
    match (number(a), number(b)) {
        (Some(first), last) if !a.is_empty() && (b.is_empty() || last.is_some()) => {
            let last = last.unwrap_or(u64::MAX);
            if last < first {
                None
            } else if first >= len {
                Some(None)
            } else {
                Some(Some((first, last.min(len - 1))))
            }
        }
        (None, Some(suffix)) if a.is_empty() => {
            if suffix == 0 || len == 0 {
                Some(None)
            } else {
                Some(Some((len - suffix.min(len), len - 1)))
            }
        }
        _ => None,
    }
}

/// A run of ASCII digits as a number (`None` if empty, not digits, or too large).
fn number(b: &[u8]) -> Option<u64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&'static str, &'static str)]) -> Vec<brisk_http1::Header<'static>> {
        pairs
            .iter()
            .map(|&(n, v)| brisk_http1::Header {
                name: n.as_bytes(),
                value: v.as_bytes(),
            })
            .collect()
    }

    fn r(range: &str, if_range: Option<&str>, len: u64) -> String {
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
        match range_of(&req, "\"e\"", 5, len, 4) {
            Ranged::Whole => "whole".to_string(),
            Ranged::Part(a, b) => format!("{a}-{b}"),
            Ranged::Multi(v) => v
                .iter()
                .map(|(a, b)| format!("{a}-{b}"))
                .collect::<Vec<_>>()
                .join(","),
            Ranged::Unsatisfiable => "416".to_string(),
        }
    }

    #[test]
    fn single_ranges() {
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
        assert_eq!(r("bytes=", None, 10), "whole");
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
    }

    #[test]
    fn several_ranges() {
        assert_eq!(r("bytes=0-1,4-5", None, 10), "0-1,4-5");
        assert_eq!(r("bytes=-2, 0-0", None, 10), "8-9,0-0");
        // Unsatisfiable ones are dropped; one left is a single part.
        assert_eq!(r("bytes=0-1,20-30", None, 10), "0-1");
        assert_eq!(r("bytes=20-,30-", None, 10), "416");
        // Overlapping, or more than max_ranges (4 here): the whole file.
        assert_eq!(r("bytes=0-5,3-8", None, 10), "whole");
        assert_eq!(r("bytes=0-0,0-0", None, 10), "whole");
        assert_eq!(r("bytes=0-0,2-2,4-4,6-6", None, 10), "0-0,2-2,4-4,6-6");
        assert_eq!(r("bytes=0-0,2-2,4-4,6-6,8-8", None, 10), "whole");
        // One bad element spoils the field.
        assert_eq!(r("bytes=0-1,x", None, 10), "whole");
        assert_eq!(r("bytes=0-1,,4-5,", None, 10), "0-1,4-5");
    }

    #[test]
    fn singleton_fields_repeated_give_the_whole_file() {
        for pairs in [
            &[("range", "bytes=0-1"), ("range", "bytes=3-4")][..],
            &[("Range", "bytes=0-1"), ("range", "bytes=0-1")],
            &[
                ("range", "bytes=0-1"),
                ("if-range", "\"e\""),
                ("if-range", "\"e\""),
            ],
        ] {
            let h = fields(pairs);
            let req = Request::for_test("GET", "/f", &h, b"");
            assert_eq!(
                range_of(&req, "\"e\"", 5, 10, 4),
                Ranged::Whole,
                "{pairs:?}"
            );
        }
        let head = Request::for_test("HEAD", "/f", &[], b"");
        assert_eq!(range_of(&head, "\"e\"", 5, 10, 4), Ranged::Whole);
    }

    proptest::proptest! {
        /// Whatever the bytes, ranges given lie inside the file and do not overlap.
        #[test]
        fn ranges_lie_inside(v in proptest::collection::vec(proptest::num::u8::ANY, 0..64), len in 0u64..1000) {
            let mut spec = b"bytes=".to_vec();
            spec.extend_from_slice(&v);
            let h = [brisk_http1::Header { name: b"range", value: &spec }];
            let req = Request::for_test("GET", "/f", &h, b"");
            match range_of(&req, "\"e\"", 5, len, 8) {
                Ranged::Part(a, b) => proptest::prop_assert!(a <= b && b < len),
                Ranged::Multi(v) => {
                    proptest::prop_assert!(v.len() >= 2 && v.len() <= 8);
                    for (a, b) in v {
                        proptest::prop_assert!(a <= b && b < len);
                    }
                }
                _ => {}
            }
        }
    }
}
