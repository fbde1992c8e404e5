//! Header fields checked and laid out once and added to many responses with one copy: a
//! cached file's validators, type and caching fields, so a hot small file costs about what a
//! route's answer costs (no per-field checks, lowercasing or search per request).

use super::{Response, Span};

/// Fields in the layout of [`Response`]'s own (lowercase names, trimmed values), checked as
/// [`Response::header`] checks them.
#[derive(Debug, Default)]
pub(crate) struct FieldBlock {
    bytes: Box<[u8]>,
    spans: Box<[Span]>,
}

impl FieldBlock {
    /// The fields in order; `None` if one would be refused or ignored by
    /// [`Response::header`] (not a token, a control character, a field the server writes).
    pub(crate) fn new<'a>(fields: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Option<Self> {
        let mut r = Response::new();
        let mut n = 0;
        for (name, value) in fields {
            r.header(name, value);
            n += 1;
        }
        if r.invalid || r.spans.len() != n {
            return None;
        }
        Some(FieldBlock {
            bytes: r.arena.into_boxed_slice(),
            spans: r.spans.into_boxed_slice(),
        })
    }

    /// How many fields it holds.
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }
}

impl Response {
    /// Adds the first `n` fields of `block` (at most its length) after those set so far.
    pub(crate) fn add_fields(&mut self, block: &FieldBlock, n: usize) {
        let spans = &block.spans[..n.min(block.spans.len())];
        let Some(last) = spans.last() else {
            return;
        };
        let end = (last.start + last.name_len + last.value_len) as usize;
        let base = self.arena.len() as u32;
        self.arena.extend_from_slice(&block.bytes[..end]);
        self.spans.extend(spans.iter().map(|s| Span {
            start: s.start + base,
            ..*s
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_adds_the_fields_header_would_and_refuses_what_header_refuses() {
        let b = FieldBlock::new([
            ("ETag", &b"\"x\""[..]),
            ("accept-ranges", b" bytes "),
            ("content-type", b"text/plain"),
        ])
        .unwrap();
        assert_eq!(b.len(), 3);
        let mut with = Response::new();
        with.header("x-first", "1");
        with.add_fields(&b, 2);
        let mut by_hand = Response::new();
        by_hand
            .header("x-first", "1")
            .header("etag", "\"x\"")
            .header("accept-ranges", "bytes");
        assert!(with.headers().eq(by_hand.headers()));
        with.add_fields(&b, 9);
        assert_eq!(with.headers().count(), 6);
        assert_eq!(with.get_header("content-type"), Some(&b"text/plain"[..]));
        assert!(FieldBlock::new([("bad name", &b"v"[..])]).is_none());
        assert!(FieldBlock::new([("x", &b"a\r\nb"[..])]).is_none());
        assert!(FieldBlock::new([("content-length", &b"3"[..])]).is_none());
    }
}
