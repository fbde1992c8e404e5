//! The radix trie: nodes in one flat `Vec` linked by `u32` indexes, static children found by
//! their first byte, and a depth-first search that tries static, then param (shortest first),
//! then catch-all children, backtracking on failure.

use arrayvec::ArrayVec;

use crate::method::{ANY_BIT, STANDARD_COUNT};
use crate::params::MAX_PARAMS;
use crate::pattern::Part;

/// "No node / no route" marker in `u32` links.
pub(crate) const NONE: u32 = u32::MAX;

/// Method key of the "any method" routes (bit 63 of a terminal mask).
pub(crate) const ANY_KEY: u8 = 63;

/// Method key of a request method no route uses.
pub(crate) const UNKNOWN_KEY: u8 = 255;

/// One trie node. A static node matches `prefix`; a param or catch-all node matches the bytes
/// described in `search`, its prefix is empty.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Static prefix: `arena[start..start + len]`.
    start: u32,
    len: u32,
    /// First byte of each static child, same order as `children`.
    first: Vec<u8>,
    children: Vec<u32>,
    /// The `{param}` child, or `NONE`.
    param: u32,
    /// The `{*catch_all}` child, or `NONE`.
    catch_all: u32,
    /// Index into `Tree::terminals` when a route shape ends here, or `NONE`.
    terminal: u32,
    /// For a param node: every static child starts with `/`, so the param always spans the
    /// whole rest of the segment (no length search).
    segment_only: bool,
}

impl Node {
    fn new(start: u32, len: u32) -> Node {
        Node {
            start,
            len,
            first: Vec::new(),
            children: Vec::new(),
            param: NONE,
            catch_all: NONE,
            terminal: NONE,
            segment_only: true,
        }
    }
}

/// The routes whose shape ends at one node, by method.
#[derive(Debug, Clone)]
pub(crate) struct Terminal {
    /// Bit `k` set when a route with method key `k` ends here (63: any method).
    pub(crate) mask: u64,
    /// Route index per standard method, `NONE` if absent.
    std: [u32; STANDARD_COUNT],
    /// Route index of the "any method" route, `NONE` if absent.
    any: u32,
    /// (method key, route index) of extension-method routes.
    ext: Vec<(u8, u32)>,
}

impl Terminal {
    fn new() -> Terminal {
        Terminal {
            mask: 0,
            std: [NONE; STANDARD_COUNT],
            any: NONE,
            ext: Vec::new(),
        }
    }

    /// The route for `key`, without the any-method fallback.
    pub(crate) fn get(&self, key: u8) -> u32 {
        let k = key as usize;
        if k < STANDARD_COUNT {
            self.std[k]
        } else if key == ANY_KEY {
            self.any
        } else {
            self.ext.iter().find(|e| e.0 == key).map_or(NONE, |e| e.1)
        }
    }

    /// Sets (or clears, with `NONE`) the route for `key`.
    pub(crate) fn set(&mut self, key: u8, route: u32) {
        let k = key as usize;
        if k < STANDARD_COUNT {
            self.std[k] = route;
        } else if key == ANY_KEY {
            self.any = route;
        } else if let Some(e) = self.ext.iter_mut().find(|e| e.0 == key) {
            e.1 = route;
        } else {
            self.ext.push((key, route));
        }
        if route == NONE {
            self.ext.retain(|e| e.1 != NONE);
            self.mask &= !(1u64 << key);
        } else {
            self.mask |= 1u64 << key;
        }
    }

    /// The route a request with method `key` gets here: its own method first, else "any".
    #[inline]
    pub(crate) fn lookup(&self, key: u8) -> u32 {
        let k = key as usize;
        let own = if k < STANDARD_COUNT {
            self.std[k]
        } else if key == UNKNOWN_KEY {
            NONE
        } else {
            self.get(key)
        };
        if own != NONE {
            own
        } else {
            self.any
        }
    }
}

/// The trie.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    nodes: Vec<Node>,
    arena: Vec<u8>,
    pub(crate) terminals: Vec<Terminal>,
}

/// Parameter spans (start, end) in pattern order. The caller keeps paths under 64 KiB; with
/// the virtual final `/` an end may wrap, but those spans are never read.
pub(crate) type Spans = ArrayVec<(u16, u16), MAX_PARAMS>;

/// What a search found.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Route index (the parameter spans are in the caller's `Spans`).
    Found(u32),
    /// No route for this method; `allowed` is the union of the masks of every matching shape.
    Missing { allowed: u64 },
    /// The step budget ran out.
    TooComplex,
}

impl Tree {
    pub(crate) fn new() -> Tree {
        Tree {
            nodes: vec![Node::new(0, 0)],
            arena: Vec::new(),
            terminals: Vec::new(),
        }
    }

    /// Number of nodes.
    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    fn prefix(&self, n: &Node) -> &[u8] {
        &self.arena[n.start as usize..(n.start + n.len) as usize]
    }

    /// Finds or creates the node where `shape` ends and returns its terminal index (created if
    /// absent). Two shapes end at the same node exactly when they are equal.
    pub(crate) fn insert(&mut self, shape: &[Part]) -> u32 {
        let mut node = 0u32;
        for part in shape {
            node = match part {
                Part::Static(bytes) => self.insert_static(node, bytes),
                Part::Param => {
                    let p = self.nodes[node as usize].param;
                    if p != NONE {
                        p
                    } else {
                        let id = self.push(Node::new(0, 0));
                        self.nodes[node as usize].param = id;
                        id
                    }
                }
                Part::CatchAll => {
                    let c = self.nodes[node as usize].catch_all;
                    if c != NONE {
                        c
                    } else {
                        let id = self.push(Node::new(0, 0));
                        self.nodes[node as usize].catch_all = id;
                        id
                    }
                }
            };
        }
        let t = self.nodes[node as usize].terminal;
        if t != NONE {
            return t;
        }
        let t = self.terminals.len() as u32;
        self.terminals.push(Terminal::new());
        self.nodes[node as usize].terminal = t;
        t
    }

    /// The terminal index where `shape` ends, if that node exists and has a terminal.
    pub(crate) fn find(&self, shape: &[Part]) -> Option<u32> {
        let mut node = 0u32;
        for part in shape {
            node = match part {
                Part::Static(bytes) => {
                    let mut bytes = &bytes[..];
                    let mut cur = node;
                    while !bytes.is_empty() {
                        let n = &self.nodes[cur as usize];
                        let slot = n.first.iter().position(|&b| b == bytes[0])?;
                        cur = n.children[slot];
                        let pre = self.prefix(&self.nodes[cur as usize]);
                        bytes = bytes.strip_prefix(pre)?;
                    }
                    cur
                }
                Part::Param => self.nodes[node as usize].param,
                Part::CatchAll => self.nodes[node as usize].catch_all,
            };
            if node == NONE {
                return None;
            }
        }
        let t = self.nodes[node as usize].terminal;
        (t != NONE).then_some(t)
    }

    fn push(&mut self, n: Node) -> u32 {
        let id = self.nodes.len() as u32;
        self.nodes.push(n);
        id
    }

    /// Walks or extends the static children of `parent` with `bytes` (non-empty) and returns
    /// the node whose prefix ends exactly at the end of `bytes`.
    fn insert_static(&mut self, mut parent: u32, mut bytes: &[u8]) -> u32 {
        loop {
            let first = bytes[0];
            let p = &self.nodes[parent as usize];
            let slot = p.first.iter().position(|&b| b == first);
            let Some(slot) = slot else {
                let start = self.arena.len() as u32;
                self.arena.extend_from_slice(bytes);
                let id = self.push(Node::new(start, bytes.len() as u32));
                let p = &mut self.nodes[parent as usize];
                p.first.push(first);
                p.children.push(id);
                if first != b'/' {
                    p.segment_only = false;
                }
                return id;
            };
            let child = p.children[slot];
            let c = &self.nodes[child as usize];
            let pre = self.prefix(c);
            let common = pre.iter().zip(bytes).take_while(|(a, b)| a == b).count();
            let (c_start, c_len) = (c.start, c.len);
            let node = if common < c_len as usize {
                // Split: a new node takes the common part and adopts `child` (which keeps its
                // own id, children and terminal) as its only static child.
                let mut mid = Node::new(c_start, common as u32);
                mid.first.push(self.arena[(c_start as usize) + common]);
                mid.children.push(child);
                mid.segment_only = mid.first[0] == b'/';
                let mid = self.push(mid);
                let c = &mut self.nodes[child as usize];
                c.start = c_start + common as u32;
                c.len = c_len - common as u32;
                self.nodes[parent as usize].children[slot] = mid;
                mid
            } else {
                child
            };
            bytes = &bytes[common..];
            if bytes.is_empty() {
                return node;
            }
            parent = node;
        }
    }

    /// Searches `path` for a route of method `key` (`want` = its mask bit | any).
    pub(crate) fn search<const CI: bool, const SLASH: bool>(
        &self,
        path: &[u8],
        key: u8,
        want: u64,
        max_steps: u32,
        params: &mut Spans,
    ) -> Outcome {
        let mut s = Search::<CI, SLASH> {
            tree: self,
            path,
            key,
            want,
            steps: max_steps,
            allowed: 0,
            params,
            route: NONE,
            exhausted: false,
        };
        s.after_static(0, 0);
        if s.exhausted {
            Outcome::TooComplex
        } else if s.route != NONE {
            Outcome::Found(s.route)
        } else {
            Outcome::Missing {
                allowed: s.allowed & !ANY_BIT,
            }
        }
    }
}

/// State of one lookup. `SLASH` means the path has an extra virtual `/` at its end (used only
/// for the trailing-slash hint); `CI` means static bytes compare ASCII-case-insensitively.
struct Search<'t, 'p, 's, const CI: bool, const SLASH: bool> {
    tree: &'t Tree,
    path: &'p [u8],
    key: u8,
    want: u64,
    steps: u32,
    allowed: u64,
    params: &'s mut Spans,
    route: u32,
    exhausted: bool,
}

impl<const CI: bool, const SLASH: bool> Search<'_, '_, '_, CI, SLASH> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.path.len() + SLASH as usize
    }

    #[inline(always)]
    fn byte(&self, i: usize) -> u8 {
        let b = if SLASH && i == self.path.len() {
            b'/'
        } else {
            self.path[i]
        };
        if CI {
            b.to_ascii_lowercase()
        } else {
            b
        }
    }

    /// Whether `pre` occurs at `pos` (the caller checked it fits).
    #[inline(always)]
    fn eq_at(&self, pos: usize, pre: &[u8]) -> bool {
        if SLASH || CI {
            pre.iter()
                .enumerate()
                .all(|(k, &b)| self.byte(pos + k) == b)
        } else {
            bytes_eq(&self.path[pos..pos + pre.len()], pre)
        }
    }

    /// End of the segment starting at `pos`: the next `/` or the end of the path (with SLASH
    /// the virtual final `/` also ends the segment).
    #[inline(always)]
    fn segment_end(&self, pos: usize) -> usize {
        let rest = self.path.get(pos..).unwrap_or(&[]);
        // Segments are short: a plain scan first, memchr for long ones.
        for (i, &b) in rest.iter().take(24).enumerate() {
            if b == b'/' {
                return pos + i;
            }
        }
        if rest.len() <= 24 {
            return self.path.len();
        }
        match memchr::memchr(b'/', &rest[24..]) {
            Some(k) => pos + 24 + k,
            None => self.path.len(),
        }
    }

    /// Spends one step; false when the budget is gone.
    #[inline(always)]
    fn step(&mut self) -> bool {
        if self.steps == 0 {
            self.exhausted = true;
            return false;
        }
        self.steps -= 1;
        true
    }

    /// At a terminal with the whole path consumed: true when it holds a route for the method.
    #[inline(always)]
    fn terminal(&mut self, t: u32) -> bool {
        if t == NONE {
            return false;
        }
        let term = &self.tree.terminals[t as usize];
        if term.mask & self.want != 0 {
            self.route = term.lookup(self.key);
            return true;
        }
        self.allowed |= term.mask;
        false
    }

    /// The static child of `n` starting with the byte at `pos` whose whole prefix matches
    /// there: `(child, position after its prefix)`.
    #[inline(always)]
    fn static_child(&self, n: &Node, pos: usize) -> Option<(u32, usize)> {
        let b = self.byte(pos);
        let slot = n.first.iter().position(|&f| f == b)?;
        let id = n.children[slot];
        let c = &self.tree.nodes[id as usize];
        let len = c.len as usize;
        if self.len() - pos >= len && self.eq_at(pos, self.tree.prefix(c)) {
            Some((id, pos + len))
        } else {
            None
        }
    }

    /// Node `id`'s prefix has matched and ends at `pos`: try its children in priority order
    /// (static, param by increasing length, catch-all). True when the search is over (found
    /// or out of steps). Spans pushed by a failed branch are dropped by the frame that tries
    /// the next alternative; a branch with no alternative left continues in this loop.
    fn after_static(&mut self, mut id: u32, mut pos: usize) -> bool {
        loop {
            let n = &self.tree.nodes[id as usize];
            if pos == self.len() {
                return self.terminal(n.terminal);
            }
            if !self.step() {
                return true;
            }
            let wild = n.param != NONE || n.catch_all != NONE;
            if let Some((c, next)) = self.static_child(n, pos) {
                if !wild {
                    id = c;
                    pos = next;
                    continue;
                }
                let mark = self.params.len();
                if self.after_static(c, next) {
                    return true;
                }
                self.params.truncate(mark);
            }
            if n.param != NONE {
                let p = &self.tree.nodes[n.param as usize];
                let end = self.segment_end(pos);
                if end > pos {
                    let mark = self.params.len();
                    if p.segment_only && n.catch_all == NONE {
                        // Last alternative: continue in this loop.
                        if self.params.try_push((pos as u16, end as u16)).is_err() {
                            return false;
                        }
                        if end == self.len() {
                            return self.terminal(p.terminal);
                        }
                        match self.static_child(p, end) {
                            Some((c, next)) => {
                                id = c;
                                pos = next;
                                continue;
                            }
                            None => return false,
                        }
                    }
                    if p.segment_only {
                        if self.after_param(n.param, pos, end) {
                            return true;
                        }
                        self.params.truncate(mark);
                    } else {
                        for q in pos + 1..=end {
                            if q < self.len() && !p.first.contains(&self.byte(q)) {
                                continue;
                            }
                            if !self.step() {
                                return true;
                            }
                            if self.after_param(n.param, pos, q) {
                                return true;
                            }
                            self.params.truncate(mark);
                        }
                    }
                }
            }
            if n.catch_all != NONE {
                let c = &self.tree.nodes[n.catch_all as usize];
                if self
                    .params
                    .try_push((pos as u16, self.len() as u16))
                    .is_ok()
                {
                    return self.terminal(c.terminal);
                }
            }
            return false;
        }
    }

    /// The param of node `id` spans `pos..q`: record it and continue after it. The caller
    /// drops the span on failure.
    #[inline(always)]
    fn after_param(&mut self, id: u32, pos: usize, q: usize) -> bool {
        if self.params.try_push((pos as u16, q as u16)).is_err() {
            return false;
        }
        let n = &self.tree.nodes[id as usize];
        if q == self.len() {
            return self.terminal(n.terminal);
        }
        match self.static_child(n, q) {
            Some((c, next)) => self.after_static(c, next),
            None => false,
        }
    }
}

/// `a == b` for slices of equal length, with word-sized loads instead of a `memcmp` call
/// (prefixes are short: a call costs more than the comparison).
#[inline(always)]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let w8 = |s: &[u8], i: usize| u64::from_ne_bytes(s[i..i + 8].try_into().unwrap_or([0; 8]));
    let w4 = |s: &[u8], i: usize| u32::from_ne_bytes(s[i..i + 4].try_into().unwrap_or([0; 4]));
    if n >= 8 {
        let mut i = 0;
        while i + 8 < n {
            if w8(a, i) != w8(b, i) {
                return false;
            }
            i += 8;
        }
        // The last word may overlap the previous one.
        w8(a, n - 8) == w8(b, n - 8)
    } else if n >= 4 {
        w4(a, 0) == w4(b, 0) && w4(a, n - 4) == w4(b, n - 4)
    } else {
        a.iter().zip(b).all(|(x, y)| x == y)
    }
}
