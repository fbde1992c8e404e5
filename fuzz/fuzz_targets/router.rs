//! Fuzz target `router`: random inserts (patterns built from pieces, or raw strings) and
//! removals, then random lookups. Besides "no panic", every answer is checked against a
//! naive per-route matcher:
//! - a match's pattern, with its params substituted, spells the path; param values are
//!   non-empty and `/`-free (catch-all: non-empty); the route has the request's method (or
//!   any); no other route of that method matches with a strictly better trace;
//! - a 405 lists exactly the methods of the routes that match, never the request's own;
//! - a 404 means no route matches at all, and its trailing-slash hint is right.
#![no_main]

use arbitrary::Arbitrary;
use brisk_router::{Config, MatchError, Method, RouteMethod, Router};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Piece {
    Slash,
    Lit(u8),
    Param,
    CatchAll,
    OpenEsc,
    CloseEsc,
}

#[derive(Arbitrary, Debug)]
enum PatternSrc {
    Pieces(Vec<Piece>),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum Op {
    Insert(u8, PatternSrc),
    Remove(u8, PatternSrc),
    Lookup(u8, String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    ignore_case: bool,
    ops: Vec<Op>,
}

const METHODS: [&str; 5] = ["GET", "POST", "PURGE", "*", "DELETE"];
const LITS: &[u8] = b"abA.-x";

fn build(src: &PatternSrc) -> String {
    match src {
        PatternSrc::Raw(s) => s.clone(),
        PatternSrc::Pieces(pieces) => {
            let mut s = String::from("/");
            for (i, p) in pieces.iter().take(24).enumerate() {
                match p {
                    Piece::Slash => s.push('/'),
                    Piece::Lit(b) => s.push(LITS[*b as usize % LITS.len()] as char),
                    Piece::Param => s.push_str(&format!("{{p{i}}}")),
                    Piece::CatchAll => s.push_str(&format!("{{*c{i}}}")),
                    Piece::OpenEsc => s.push_str("{{"),
                    Piece::CloseEsc => s.push_str("}}"),
                }
            }
            s
        }
    }
}

fn route_method(m: u8) -> RouteMethod<'static> {
    match METHODS[m as usize % METHODS.len()] {
        "*" => RouteMethod::Any,
        name => RouteMethod::Only(Method::from_bytes(name.as_bytes())),
    }
}

fn request_method(m: u8) -> Method<'static> {
    match METHODS[m as usize % METHODS.len()] {
        "*" => Method::Other(b"OTHER"),
        name => Method::from_bytes(name.as_bytes()),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Atom {
    Byte(u8),
    Param,
    CatchAll,
}

fn atoms(pattern: &str, ci: bool) -> Vec<Atom> {
    let b = pattern.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if (b[i] == b'{' || b[i] == b'}') && b.get(i + 1) == Some(&b[i]) {
            out.push(Atom::Byte(b[i]));
            i += 2;
        } else if b[i] == b'{' {
            let close = i + b[i..].iter().position(|&c| c == b'}').unwrap();
            out.push(if b[i + 1] == b'*' {
                Atom::CatchAll
            } else {
                Atom::Param
            });
            i = close + 1;
        } else {
            out.push(Atom::Byte(if ci {
                b[i].to_ascii_lowercase()
            } else {
                b[i]
            }));
            i += 1;
        }
    }
    out
}

/// Best trace of one route on `path` (0 = byte, 1 + len = param, MAX = catch-all).
fn trace(a: &[Atom], p: &[u8], pos: usize, ci: bool, t: &mut Vec<usize>, budget: &mut u32) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    let Some(first) = a.first() else {
        return pos == p.len();
    };
    match *first {
        Atom::Byte(c) => {
            let ok = p
                .get(pos)
                .is_some_and(|&x| (if ci { x.to_ascii_lowercase() } else { x }) == c);
            if ok {
                t.push(0);
                if trace(&a[1..], p, pos + 1, ci, t, budget) {
                    return true;
                }
                t.pop();
            }
            false
        }
        Atom::Param => {
            let mut l = 1;
            while pos + l <= p.len() && p[pos + l - 1] != b'/' {
                t.push(1 + l);
                if trace(&a[1..], p, pos + l, ci, t, budget) {
                    return true;
                }
                t.pop();
                l += 1;
            }
            false
        }
        Atom::CatchAll => {
            if pos < p.len() {
                t.push(usize::MAX);
                return true;
            }
            false
        }
    }
}

struct Live {
    method: RouteMethod<'static>,
    pattern: String,
}

fuzz_target!(|input: Input| {
    let mut config = Config::default();
    config.ignore_case = input.ignore_case;
    config.max_steps = 4096;
    let ci = input.ignore_case;
    let mut router: Router<usize> = Router::with_config(config);
    let mut live: Vec<Live> = Vec::new();
    for op in input.ops.iter().take(64) {
        match op {
            Op::Insert(m, src) => {
                let pattern = build(src);
                let method = route_method(*m);
                match router.insert(method, &pattern, live.len()) {
                    Ok(()) => live.push(Live { method, pattern }),
                    Err(brisk_router::InsertError::Conflict { existing, .. }) => {
                        let same = |l: &Live| l.method == method && l.pattern == existing;
                        assert!(live.iter().any(same), "conflict with a route not present");
                        assert!(
                            atoms(&existing, ci) == atoms(&pattern, ci),
                            "conflict of different shapes"
                        );
                    }
                    Err(_) => {}
                }
            }
            Op::Remove(m, src) => {
                let pattern = build(src);
                let method = route_method(*m);
                if router.remove(method, &pattern).is_some() {
                    let shape = atoms(&pattern, ci);
                    let i = live
                        .iter()
                        .position(|l| l.method == method && atoms(&l.pattern, ci) == shape)
                        .expect("removed a route that was not there");
                    live.remove(i);
                }
                assert_eq!(router.len(), live.len());
            }
            Op::Lookup(m, raw) => {
                let path = if raw.starts_with('/') {
                    raw.clone()
                } else {
                    format!("/{raw}")
                };
                let method = request_method(*m);
                let matching =
                    |path: &str,
                     m: Method<'_>|
                     -> (Option<Vec<usize>>, Vec<RouteMethod<'static>>, bool) {
                        let (mut best, mut methods, mut exhausted) =
                            (None::<Vec<usize>>, Vec::new(), false);
                        for l in &live {
                            let mut t = Vec::new();
                            let mut budget = 100_000;
                            if trace(
                                &atoms(&l.pattern, ci),
                                path.as_bytes(),
                                0,
                                ci,
                                &mut t,
                                &mut budget,
                            ) {
                                methods.push(l.method);
                                if l.method == RouteMethod::Any || l.method == RouteMethod::Only(m)
                                {
                                    if best.as_ref().is_none_or(|b| t < *b) {
                                        best = Some(t);
                                    }
                                }
                            }
                            exhausted |= budget == 0;
                        }
                        (best, methods, exhausted)
                    };
                let (best, methods, exhausted) = matching(&path, method);
                if exhausted {
                    continue;
                }
                match router.at(method, &path) {
                    Ok(found) => {
                        // The params substituted into the pattern spell the path.
                        let mut spelled = String::new();
                        let mut rest = found.pattern();
                        let mut params = found.params().iter();
                        while let Some(i) = rest.find(['{', '}']) {
                            spelled.push_str(&rest[..i]);
                            if rest[i..].starts_with("{{") || rest[i..].starts_with("}}") {
                                spelled.push_str(&rest[i..i + 1]);
                                rest = &rest[i + 2..];
                                continue;
                            }
                            let close = i + rest[i..].find('}').unwrap();
                            let (name, value) =
                                params.next().expect("fewer params than the pattern");
                            assert_eq!(rest[i + 1..close].trim_start_matches('*'), name);
                            assert!(!value.is_empty());
                            if !rest[i + 1..].starts_with('*') {
                                assert!(!value.contains('/'));
                            }
                            spelled.push_str(value);
                            rest = &rest[close + 1..];
                        }
                        spelled.push_str(rest);
                        assert!(params.next().is_none());
                        if ci {
                            assert!(spelled.eq_ignore_ascii_case(&path));
                        } else {
                            assert_eq!(spelled, path);
                        }
                        // It is the best route for this method.
                        let l = live.iter().find(|l| {
                            l.pattern == found.pattern()
                                && (l.method == RouteMethod::Any
                                    || l.method == RouteMethod::Only(method))
                        });
                        assert!(l.is_some(), "matched a route of another method");
                        let mut t = Vec::new();
                        let mut budget = 100_000;
                        assert!(trace(
                            &atoms(found.pattern(), ci),
                            path.as_bytes(),
                            0,
                            ci,
                            &mut t,
                            &mut budget
                        ));
                        assert!(best.is_some_and(|b| b == t), "a better route exists");
                    }
                    Err(MatchError::MethodNotAllowed { allowed }) => {
                        assert!(best.is_none());
                        assert!(!allowed.is_empty() && !allowed.contains(method));
                        for a in allowed.iter() {
                            assert!(methods.contains(&RouteMethod::Only(a)));
                        }
                        for m in &methods {
                            match m {
                                RouteMethod::Only(m) => assert!(allowed.contains(*m)),
                                RouteMethod::Any => panic!("any-method route missed"),
                            }
                        }
                    }
                    Err(MatchError::NotFound { trailing_slash }) => {
                        assert!(methods.is_empty(), "404 but a route matches");
                        let toggled = match path.strip_suffix('/') {
                            Some("") => None,
                            Some(p) => Some(p.to_string()),
                            None => Some(format!("{path}/")),
                        };
                        let want = toggled.is_some_and(|t| {
                            let (b, _, ex) = matching(&t, method);
                            if ex {
                                trailing_slash
                            } else {
                                b.is_some()
                            }
                        });
                        assert_eq!(trailing_slash, want);
                    }
                    Err(MatchError::TooComplex) => {}
                    Err(e) => panic!("unexpected {e:?}"),
                }
            }
        }
    }
});
