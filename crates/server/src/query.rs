//! Query strings: a zero-copy iterator over `key=value` pairs, decoded only when asked.

use std::borrow::Cow;

/// An iterator over the `key=value` pairs of a query string (`application/x-www-form-urlencoded`).
///
/// Nothing is decoded while iterating: each [`QueryPair`] borrows the raw text, and
/// [`QueryPair::key`] / [`QueryPair::value`] decode on demand as [`form_decode`] does
/// (percent-escapes, and `+` as a space), allocating only when the raw text holds an escape.
///
/// # Examples
///
/// ```
/// use brisk_server::Query;
///
/// let mut q = Query::new("a=1&name=J%C3%BCrgen+B&&flag");
/// let p = q.next().unwrap();
/// assert_eq!((p.raw_key(), p.raw_value()), ("a", "1"));
/// let p = q.next().unwrap();
/// assert_eq!(p.value(), "Jürgen B");
/// let p = q.next().unwrap();
/// assert_eq!((p.raw_key(), p.raw_value()), ("flag", ""));
/// assert!(q.next().is_none());
/// ```
#[derive(Debug, Clone)]
pub struct Query<'a> {
    rest: &'a str,
}

impl<'a> Query<'a> {
    /// Iterates over `query` (the text after `?`, without the `?`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Query::new("x=1&y=2").count(), 2);
    /// ```
    pub fn new(query: &'a str) -> Self {
        Query { rest: query }
    }
}

impl<'a> Iterator for Query<'a> {
    type Item = QueryPair<'a>;

    fn next(&mut self) -> Option<QueryPair<'a>> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let (pair, rest) = match self.rest.find('&') {
                Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
                None => (self.rest, ""),
            };
            self.rest = rest;
            if pair.is_empty() {
                continue;
            }
            let (key, value) = match pair.find('=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, ""),
            };
            return Some(QueryPair { key, value });
        }
    }
}

/// One `key=value` pair of a [`Query`], still encoded.
///
/// # Examples
///
/// ```
/// let p = brisk_server::Query::new("q=a%20b").next().unwrap();
/// assert_eq!(p.raw_value(), "a%20b");
/// assert_eq!(p.value(), "a b");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryPair<'a> {
    key: &'a str,
    value: &'a str,
}

impl<'a> QueryPair<'a> {
    /// The key as sent, not decoded.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Query::new("a%41=1").next().unwrap().raw_key(), "a%41");
    /// ```
    pub fn raw_key(&self) -> &'a str {
        self.key
    }

    /// The value as sent, not decoded (`""` when the pair has no `=`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Query::new("a=%41").next().unwrap().raw_value(), "%41");
    /// ```
    pub fn raw_value(&self) -> &'a str {
        self.value
    }

    /// The key, percent-decoded with `+` as a space.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Query::new("a%41=1").next().unwrap().key(), "aA");
    /// ```
    pub fn key(&self) -> Cow<'a, str> {
        form_decode(self.key)
    }

    /// The value, percent-decoded with `+` as a space.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::Query::new("a=x+y").next().unwrap().value(), "x y");
    /// ```
    pub fn value(&self) -> Cow<'a, str> {
        form_decode(self.value)
    }
}

/// Decodes a value of a query string or form body (`application/x-www-form-urlencoded`):
/// percent-escapes (RFC 3986 §2.1), and `+` as a space. Lenient as browsers are: a `%` not
/// followed by two hex digits is kept as it is, and bytes that do not form UTF-8 after
/// decoding become U+FFFD. Not for paths, where `+` is itself: a path or a route parameter
/// takes the strict [`percent_decode`](crate::percent_decode) (brisk-router's).
///
/// # Examples
///
/// ```
/// use brisk_server::form_decode;
///
/// assert_eq!(form_decode("J%C3%BCrgen+B"), "Jürgen B");
/// assert_eq!(form_decode("C%2B%2B"), "C++");
/// ```
pub fn form_decode(s: &str) -> Cow<'_, str> {
    let plus = true;
    let bytes = s.as_bytes();
    if !bytes.iter().any(|&b| b == b'%' || (plus && b == b'+')) {
        return Cow::Borrowed(s);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// The value of one hexadecimal digit.
pub(crate) fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_edge_cases() {
        // (raw, as a path decodes it (strict: None is an error), as a form decodes it)
        let rows: &[(&str, Option<&str>, &str)] = &[
            ("", Some(""), ""),
            ("%", None, "%"),
            ("%4", None, "%4"),
            ("%41", Some("A"), "A"),
            ("%4g", None, "%4g"),
            ("a%41%42", Some("aAB"), "aAB"),
            ("%e2%82%ac", Some("€"), "€"),
            ("%ff", None, "\u{fffd}"),
            ("++", Some("++"), "  "),
            ("a+%2B", Some("a++"), "a +"),
            ("C%2B%2B+x", Some("C+++x"), "C++ x"),
        ];
        for (raw, path, form) in rows {
            let strict = crate::percent_decode(raw).ok();
            assert_eq!(strict.as_deref(), *path, "{raw}");
            assert_eq!(form_decode(raw), *form, "{raw}");
        }
        assert!(matches!(
            crate::percent_decode("a+b"),
            Ok(Cow::Borrowed("a+b"))
        ));
        assert!(matches!(form_decode("a+b"), Cow::Owned(_)));
    }

    #[test]
    fn empty_pairs_are_skipped() {
        let keys: Vec<_> = Query::new("&&a&&b=&").map(|p| p.raw_key()).collect();
        assert_eq!(keys, ["a", "b"]);
    }
}
