//! The segment index: a second view of the routes whose params each span a whole segment
//! (`/users/{id}/files/{*path}`, no `/{name}.json`), used for lookups while every route
//! has that form.
//!
//! A node stands for a path position just after a `/`; its children are the candidates for
//! the next segment: static segments (found by hashing the parent node and the segment's
//! bytes into one open-addressing table, so a step costs one probe instead of a walk
//! through first-byte tables and prefixes), one `{param}` child and one `{*catch_all}`
//! child. The search tries them in that order and backtracks, which for such routes is
//! exactly the trie's priority (static > param > catch-all at the first byte where
//! routes differ, a whole-segment param having a single candidate length). Terminals are
//! the trie's own, so route changes made through the trie are seen here too.

use crate::pattern::Part;
use crate::tree::{bytes_eq, Spans, Terminal, NONE};

/// One node: the alternatives for the segment after it and the routes ending at it.
#[derive(Debug, Clone, Copy)]
struct SegNode {
    /// `HAS_STATIC` (probe the table) | `HAS_WILD` (a param or catch-all child too, so a
    /// static branch needs a way back).
    kind: u32,
    /// The `{param}` child, or `NONE`.
    param: u32,
    /// The `{*catch_all}` child, or `NONE`.
    catch_all: u32,
    /// The trie terminal of the shape ending here, or `NONE`.
    terminal: u32,
}

const HAS_STATIC: u32 = 1;
const HAS_WILD: u32 = 2;

impl SegNode {
    const EMPTY: SegNode = SegNode {
        kind: 0,
        param: NONE,
        catch_all: NONE,
        terminal: NONE,
    };
}

/// One static edge: (`parent`, segment bytes) -> `child`. A parent of `NONE` marks a free
/// slot.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// The segment's first 8 bytes, zero-padded (little-endian).
    head: u64,
    /// Its bytes 8 to 16, zero-padded.
    head2: u64,
    /// [`edge`]`(parent, segment length)`: both compared at once.
    edge: u64,
    child: u32,
    /// The segment's bytes: `arena[start..start + edge_len]`.
    start: u32,
}

impl Slot {
    fn parent(&self) -> u32 {
        self.edge as u32
    }

    fn len(&self) -> usize {
        (self.edge >> 32) as usize
    }
}

/// A slot's parent (low half) and segment length (high half).
#[inline(always)]
fn edge(parent: u32, len: usize) -> u64 {
    parent as u64 | (len as u64) << 32
}

const FREE: Slot = Slot {
    head: 0,
    head2: 0,
    edge: NONE as u64,
    child: NONE,
    start: 0,
};

/// One segment of a simple shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seg<'a> {
    Static(&'a [u8]),
    Param,
    CatchAll,
}

/// Splits a shape into whole segments, or `None` when a param shares its segment with static
/// text (the trie alone handles those). Shapes always start with `/`.
pub(crate) fn split(shape: &[Part]) -> Option<Vec<Seg<'_>>> {
    let mut segs = Vec::new();
    // `open` is the static text of the current segment so far (after its `/`), `None` when
    // the current segment is a param or catch-all (which must then end it).
    let mut open: Option<&[u8]> = None;
    let mut wild_pending = false;
    for part in shape {
        match part {
            Part::Static(bytes) => {
                let mut rest = &bytes[..];
                if wild_pending {
                    // A param must be followed by `/`.
                    rest = rest.strip_prefix(b"/")?;
                    wild_pending = false;
                } else {
                    match open {
                        // Static text continuing a static segment never happens (the parser
                        // merges adjacent text), so only the leading `/` is expected here.
                        Some(_) => return None,
                        None => rest = rest.strip_prefix(b"/")?,
                    }
                }
                // `rest` starts a new segment: split it on `/`.
                let mut pieces = rest.split(|&b| b == b'/');
                let mut last = pieces.next().unwrap_or(&[]);
                for p in pieces {
                    segs.push(Seg::Static(last));
                    last = p;
                }
                open = Some(last);
            }
            Part::Param | Part::CatchAll => {
                // Must start a segment: the text before it ended with `/`.
                if open != Some(&[][..]) {
                    return None;
                }
                open = None;
                segs.push(if matches!(part, Part::Param) {
                    Seg::Param
                } else {
                    Seg::CatchAll
                });
                wild_pending = true;
            }
        }
    }
    if let Some(last) = open {
        segs.push(Seg::Static(last));
    }
    Some(segs)
}

/// The index.
#[derive(Debug, Clone)]
pub(crate) struct SegIndex {
    nodes: Vec<SegNode>,
    /// Length is a power of two, at most half full.
    slots: Vec<Slot>,
    /// `64 - log2(slots.len())`: the hash's top bits pick the slot.
    shift: u32,
    edges: usize,
    arena: Vec<u8>,
}

const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// Bytes `pos..pos + 8` of `path` as a little-endian word, zero past the end.
#[inline(always)]
fn word(path: &[u8], pos: usize) -> u64 {
    let n = path.len();
    if n >= 8 && pos <= n - 8 {
        return u64::from_le_bytes(path[pos..pos + 8].try_into().unwrap_or([0; 8]));
    }
    if n >= 8 {
        // The path's last word, shifted so that byte `pos` comes first.
        let w = u64::from_le_bytes(path[n - 8..].try_into().unwrap_or([0; 8]));
        let shift = (pos + 8 - n) * 8;
        if shift >= 64 {
            0
        } else {
            w >> shift
        }
    } else {
        let mut t = [0u8; 8];
        let rest = path.get(pos..).unwrap_or(&[]);
        t[..rest.len()].copy_from_slice(rest);
        u64::from_le_bytes(t)
    }
}

/// End of a segment known to run at least to `from` (or to the path's end): the next `/`
/// or the path's end.
#[inline(never)]
fn long_end(path: &[u8], mut from: usize) -> usize {
    while from < path.len() {
        let k = first_slash(word(path, from));
        from += k;
        if k < 8 {
            return from;
        }
    }
    path.len()
}

/// `w` keeping its first `len` bytes.
#[inline(always)]
fn keep(w: u64, len: usize) -> u64 {
    if len >= 8 {
        w
    } else {
        w & ((1u64 << (len * 8)) - 1)
    }
}

/// Bit 7 set in the bytes of `w` that may be `/`: the lowest one set is exactly the first
/// `/` (a borrow only flags bytes above a real one), `0` when `w` has none.
#[inline(always)]
fn slash_flags(w: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let x = w ^ 0x2F2F_2F2F_2F2F_2F2F;
    x.wrapping_sub(LO) & !x & HI
}

/// Index of the first `/` byte in `w`, or 8.
#[inline(always)]
fn first_slash(w: u64) -> usize {
    (slash_flags(w).trailing_zeros() / 8) as usize
}

/// End of the segment at `pos` whose first word is `w` with [`slash_flags`] `z`: the next
/// `/` or the path's end.
#[inline(always)]
fn seg_end(path: &[u8], pos: usize, z: u64) -> usize {
    if z != 0 {
        pos + (z.trailing_zeros() / 8) as usize
    } else if pos + 8 >= path.len() {
        path.len()
    } else {
        long_end(path, pos + 8)
    }
}

/// First two words of the segment `pos..end` (zero-padded, as [`heads`] gives them for a
/// static segment), its first word being `w` with [`slash_flags`] `z`.
#[inline(always)]
fn seg_heads(path: &[u8], (pos, end): (usize, usize), w: u64, z: u64) -> (u64, u64) {
    if z != 0 {
        // The lowest flag is bit 8k + 7 of the `/` at byte k: keep the 8k bits below it.
        (w & (((z & z.wrapping_neg()) >> 7) - 1), 0)
    } else if end - pos <= 8 {
        // The path ends within `w`, which is zero past it.
        (w, 0)
    } else {
        (w, keep(word(path, pos + 8), end - pos - 8))
    }
}

/// The first two words of a segment, zero-padded.
fn heads(bytes: &[u8]) -> (u64, u64) {
    let len = bytes.len();
    let head2 = if len > 8 {
        keep(word(bytes, 8), len - 8)
    } else {
        0
    };
    (keep(word(bytes, 0), len), head2)
}

/// Slot hash of a static segment under a parent: its first two words and
/// [`edge`]`(parent, length)` (the top bits pick the slot).
#[inline(always)]
fn hash(head: u64, head2: u64, edge: u64) -> u64 {
    (head ^ head2.rotate_left(23) ^ edge.wrapping_mul(0xD6E8_FEB8_6659_FD93)).wrapping_mul(K)
}

impl SegIndex {
    pub(crate) fn new() -> SegIndex {
        SegIndex {
            nodes: vec![SegNode::EMPTY],
            slots: Vec::new(),
            shift: 64,
            edges: 0,
            arena: Vec::new(),
        }
    }

    /// Makes `segs` (a shape from [`split`]) end at the trie's `terminal`.
    pub(crate) fn insert(&mut self, segs: &[Seg<'_>], terminal: u32) {
        let mut node = 0u32;
        for seg in segs {
            node = match *seg {
                Seg::Static(bytes) => match self.find_static(node, bytes) {
                    Some(c) => c,
                    None => {
                        let c = self.push();
                        self.add_edge(node, bytes, c);
                        c
                    }
                },
                Seg::Param => match self.nodes[node as usize].param {
                    NONE => {
                        let c = self.push();
                        self.nodes[node as usize].param = c;
                        self.nodes[node as usize].kind |= HAS_WILD;
                        c
                    }
                    c => c,
                },
                Seg::CatchAll => match self.nodes[node as usize].catch_all {
                    NONE => {
                        let c = self.push();
                        self.nodes[node as usize].catch_all = c;
                        self.nodes[node as usize].kind |= HAS_WILD;
                        c
                    }
                    c => c,
                },
            };
        }
        self.nodes[node as usize].terminal = terminal;
    }

    fn push(&mut self) -> u32 {
        let id = self.nodes.len() as u32;
        self.nodes.push(SegNode::EMPTY);
        id
    }

    fn slot_hash(&self, parent: u32, bytes: &[u8]) -> u64 {
        let (head, head2) = heads(bytes);
        hash(head, head2, edge(parent, bytes.len()))
    }

    fn find_static(&self, parent: u32, bytes: &[u8]) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = (self.slot_hash(parent, bytes) >> self.shift) as usize;
        loop {
            let s = &self.slots[i];
            if s.parent() == NONE {
                return None;
            }
            if s.parent() == parent && &self.arena[s.start as usize..][..s.len()] == bytes {
                return Some(s.child);
            }
            i = (i + 1) & mask;
        }
    }

    fn add_edge(&mut self, parent: u32, bytes: &[u8], child: u32) {
        let start = self.arena.len() as u32;
        self.arena.extend_from_slice(bytes);
        let slot = Slot {
            head: heads(bytes).0,
            head2: heads(bytes).1,
            edge: edge(parent, bytes.len()),
            child,
            start,
        };
        self.nodes[parent as usize].kind |= HAS_STATIC;
        self.edges += 1;
        if self.edges * 2 > self.slots.len() {
            let size = (self.edges * 4).next_power_of_two();
            let old = std::mem::replace(&mut self.slots, vec![FREE; size]);
            self.shift = 64 - size.trailing_zeros();
            for s in old.into_iter().filter(|s| s.parent() != NONE) {
                self.place(s);
            }
        }
        self.place(slot);
    }

    fn place(&mut self, s: Slot) {
        let mask = self.slots.len() - 1;
        let bytes = &self.arena[s.start as usize..][..s.len()];
        let mut i = (self.slot_hash(s.parent(), bytes) >> self.shift) as usize;
        while self.slots[i].parent() != NONE {
            i = (i + 1) & mask;
        }
        self.slots[i] = s;
    }

    /// Searches `path` for a route of method `key` (`want` = its mask bit | any). Same
    /// answers as the trie's search for the routes this index holds: the found route (spans
    /// in `params`), or `Err(allowed)`, the union of the masks of every matching shape.
    #[inline]
    pub(crate) fn search(
        &self,
        terminals: &[Terminal],
        path: &[u8],
        key: u8,
        want: u64,
        params: &mut Spans,
    ) -> Result<u32, u64> {
        if path.first() != Some(&b'/') {
            return Err(0);
        }
        let mut s = SegSearch {
            index: self,
            terminals,
            path,
            key,
            want,
            allowed: 0,
            route: NONE,
            params,
        };
        if s.walk(0, 1) {
            Ok(s.route)
        } else {
            Err(s.allowed)
        }
    }
}

/// The static child of `parent` for the segment `pos..end` whose first two words are
/// `head` and `head2`.
#[inline(always)]
fn probe(
    index: &SegIndex,
    path: &[u8],
    parent: u32,
    (pos, end): (usize, usize),
    (head, head2): (u64, u64),
) -> u32 {
    let len = end - pos;
    let mask = index.slots.len() - 1;
    let want = edge(parent, len);
    let mut i = (hash(head, head2, want) >> index.shift) as usize;
    loop {
        let s = &index.slots[i];
        if s.edge == want
            && s.head == head
            && s.head2 == head2
            && (len <= 16 || tail_eq(index, s, path, pos, end))
        {
            return s.child;
        }
        if s.parent() == NONE {
            return NONE;
        }
        i = (i + 1) & mask;
    }
}

/// Bytes after the first 16 of a long segment `pos..end` equal slot `s`'s (out of line, so
/// the probe loop does not set up this comparison for short segments).
#[inline(never)]
fn tail_eq(index: &SegIndex, s: &Slot, path: &[u8], pos: usize, end: usize) -> bool {
    let start = s.start as usize;
    bytes_eq(
        &index.arena[start + 16..start + (end - pos)],
        &path[pos + 16..end],
    )
}

struct SegSearch<'a, 'p, 's> {
    index: &'a SegIndex,
    terminals: &'a [Terminal],
    path: &'p [u8],
    key: u8,
    want: u64,
    allowed: u64,
    route: u32,
    params: &'s mut Spans,
}

impl SegSearch<'_, '_, '_> {
    /// The shape ending at node `id` covers the whole path: true when it has a route for the
    /// method (recorded), else its methods go to `allowed`.
    #[inline(always)]
    fn terminal(&mut self, id: u32) -> bool {
        let t = self.index.nodes[id as usize].terminal;
        if t == NONE {
            return false;
        }
        let term = &self.terminals[t as usize];
        if term.mask & self.want != 0 {
            self.route = term.lookup(self.key);
            return true;
        }
        self.allowed |= term.mask;
        false
    }

    /// At node `id`, the next segment starts at `pos` (just after a `/`): try its static,
    /// param and catch-all children in that order. True when found.
    fn walk(&mut self, mut id: u32, mut pos: usize) -> bool {
        // Shared borrows copied out, so they stay in registers across `params` writes.
        let (index, path) = (self.index, self.path);
        loop {
            let n = index.nodes[id as usize];
            let w = word(path, pos);
            let z = slash_flags(w);
            let end = seg_end(path, pos, z);
            let last = end == path.len();
            let wild = n.kind & HAS_WILD != 0;
            if n.kind & HAS_STATIC != 0 {
                let heads = seg_heads(path, (pos, end), w, z);
                let c = probe(index, path, id, (pos, end), heads);
                if c != NONE {
                    if last {
                        if self.terminal(c) {
                            return true;
                        }
                    } else if !wild {
                        id = c;
                        pos = end + 1;
                        continue;
                    } else {
                        let mark = self.params.len();
                        if self.walk(c, end + 1) {
                            return true;
                        }
                        self.params.truncate(mark);
                    }
                }
            }
            if n.param != NONE && end > pos {
                let mark = self.params.len();
                if self.params.try_push((pos as u16, end as u16)).is_err() {
                    return false;
                }
                if last {
                    if self.terminal(n.param) {
                        return true;
                    }
                } else if n.catch_all == NONE {
                    id = n.param;
                    pos = end + 1;
                    continue;
                } else if self.walk(n.param, end + 1) {
                    return true;
                }
                self.params.truncate(mark);
            }
            if n.catch_all != NONE && pos < self.path.len() {
                if self
                    .params
                    .try_push((pos as u16, self.path.len() as u16))
                    .is_err()
                {
                    return false;
                }
                return self.terminal(n.catch_all);
            }
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::parse;

    fn segs(p: &str) -> Option<Vec<Seg<'static>>> {
        let parsed = Box::leak(Box::new(parse(p, false, 8).unwrap()));
        split(&parsed.parts)
    }

    #[test]
    fn splits_whole_segment_shapes_only() {
        use Seg::*;
        assert_eq!(segs("/"), Some(vec![Static(b"")]));
        assert_eq!(
            segs("/a/b/"),
            Some(vec![Static(b"a"), Static(b"b"), Static(b"")])
        );
        assert_eq!(
            segs("/u/{id}/x/{*rest}"),
            Some(vec![Static(b"u"), Param, Static(b"x"), CatchAll])
        );
        assert_eq!(segs("/{a}/{b}/"), Some(vec![Param, Param, Static(b"")]));
        assert_eq!(segs("/{*all}"), Some(vec![CatchAll]));
        assert_eq!(segs("/{x}.json"), None);
        assert_eq!(segs("/v{x}"), None);
        assert_eq!(segs("/{x}.{y}"), None);
    }

    #[test]
    fn static_segments_of_every_length_match_exactly() {
        use crate::{Method, Router};
        const TEXT: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF";
        for len in 0..=TEXT.len() {
            let seg = &TEXT[..len];
            let mut r = Router::new();
            r.insert(Method::Get, &format!("/x/{seg}/y"), 1).unwrap();
            r.insert(Method::Get, &format!("/x/{seg}"), 2).unwrap();
            r.insert(Method::Get, "/x/{p}/y", 3).unwrap();
            r.insert(Method::Get, "/x/{p}", 4).unwrap();
            r.insert(Method::Get, "/{a}/{b}/{c}/{d}", 5).unwrap();
            assert!(r.fast);
            let at = |p: &str| r.at(Method::Get, p).map(|m| *m.value()).ok();
            assert_eq!(at(&format!("/x/{seg}/y")), Some(1));
            assert_eq!(at(&format!("/x/{seg}")), Some(2));
            assert_eq!(at(&format!("/x/{seg}/y/z")), Some(5).filter(|_| len > 0));
            for i in 0..len {
                let mut other = seg.as_bytes().to_vec();
                other[i] = b'_';
                let other = String::from_utf8(other).unwrap();
                assert_eq!(at(&format!("/x/{other}/y")), Some(3), "{other}");
                assert_eq!(at(&format!("/x/{other}")), Some(4), "{other}");
            }
            // One byte longer or shorter: a different segment.
            assert_eq!(at(&format!("/x/{seg}_/y")), Some(3));
            if len > 1 {
                assert_eq!(at(&format!("/x/{}", &seg[..len - 1])), Some(4));
            }
        }
    }

    #[test]
    fn words_past_the_end_are_zero() {
        let p = b"/abcdefghij";
        assert_eq!(word(p, 0), u64::from_le_bytes(*b"/abcdefg"));
        assert_eq!(word(p, 5), u64::from_le_bytes(*b"efghij\0\0"));
        assert_eq!(word(p, 11), 0);
        assert_eq!(word(b"/ab", 1), u64::from_le_bytes(*b"ab\0\0\0\0\0\0"));
        assert_eq!(first_slash(u64::from_le_bytes(*b"ab/c/d\0\0")), 2);
        assert_eq!(first_slash(u64::from_le_bytes(*b"abcdefgh")), 8);
    }
}
