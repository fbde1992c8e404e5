//! Reference model: a deliberately naive router (an ordered list of routes, each matched on
//! its own by brute-force backtracking, the winner picked by comparing match traces), and
//! proptest properties checking that the trie agrees with it on every answer, and that the
//! conflict verdict does not depend on the insertion order.

use std::collections::BTreeSet;

use brisk_router::{Config, InsertError, MatchError, Method, RouteMethod, Router};
use proptest::prelude::*;

// ===== the model =====

#[derive(Debug, Clone, PartialEq, Eq)]
enum Atom {
    Byte(u8),
    Param,
    CatchAll,
}

#[derive(Debug, Clone)]
struct ModelRoute {
    /// `None`: any method.
    method: Option<String>,
    pattern: String,
    atoms: Vec<Atom>,
    names: Vec<String>,
    value: usize,
}

/// Naive pattern reader for the patterns the generator writes (valid by construction).
fn atoms_of(pattern: &str, ignore_case: bool) -> (Vec<Atom>, Vec<String>) {
    let b = pattern.as_bytes();
    let (mut atoms, mut names) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'{' && b.get(i + 1) == Some(&b'{') {
            atoms.push(Atom::Byte(b'{'));
            i += 2;
        } else if b[i] == b'}' && b.get(i + 1) == Some(&b'}') {
            atoms.push(Atom::Byte(b'}'));
            i += 2;
        } else if b[i] == b'{' {
            let close = i + pattern[i..].find('}').unwrap();
            let name = &pattern[i + 1..close];
            if let Some(n) = name.strip_prefix('*') {
                atoms.push(Atom::CatchAll);
                names.push(n.to_string());
            } else {
                atoms.push(Atom::Param);
                names.push(name.to_string());
            }
            i = close + 1;
        } else {
            atoms.push(Atom::Byte(if ignore_case {
                b[i].to_ascii_lowercase()
            } else {
                b[i]
            }));
            i += 1;
        }
    }
    (atoms, names)
}

/// One element of a match trace; the derived order is the priority order
/// (static < shorter param < longer param < catch-all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Byte,
    Param(usize),
    CatchAll,
}

/// All ways `atoms` can match `path`, depth-first with shorter params first: the first one
/// found is the route's best (smallest) trace.
fn first_match(
    atoms: &[Atom],
    path: &[u8],
    pos: usize,
    ignore_case: bool,
    trace: &mut Vec<Step>,
    spans: &mut Vec<(usize, usize)>,
) -> bool {
    let Some(atom) = atoms.first() else {
        return pos == path.len();
    };
    match atom {
        Atom::Byte(c) => {
            let ok = path.get(pos).is_some_and(|&p| {
                (if ignore_case {
                    p.to_ascii_lowercase()
                } else {
                    p
                }) == *c
            });
            if !ok {
                return false;
            }
            trace.push(Step::Byte);
            if first_match(&atoms[1..], path, pos + 1, ignore_case, trace, spans) {
                return true;
            }
            trace.pop();
            false
        }
        Atom::Param => {
            let mut len = 1;
            while pos + len <= path.len() && !path[pos..pos + len].contains(&b'/') {
                trace.push(Step::Param(len));
                spans.push((pos, pos + len));
                if first_match(&atoms[1..], path, pos + len, ignore_case, trace, spans) {
                    return true;
                }
                trace.pop();
                spans.pop();
                len += 1;
            }
            false
        }
        Atom::CatchAll => {
            if pos < path.len() && atoms.len() == 1 {
                trace.push(Step::CatchAll);
                spans.push((pos, path.len()));
                return true;
            }
            false
        }
    }
}

/// Trace, any-method flag, value, params of the best match so far.
type Best = (Vec<Step>, bool, usize, Vec<(String, String)>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Found {
        value: usize,
        params: Vec<(String, String)>,
    },
    NotAllowed(BTreeSet<String>),
    NotFound {
        trailing_slash: bool,
    },
}

#[derive(Default)]
struct Model {
    routes: Vec<ModelRoute>,
    ignore_case: bool,
}

fn conflicts(a: &ModelRoute, b: &ModelRoute) -> bool {
    a.method == b.method && a.atoms == b.atoms
}

impl Model {
    /// Inserts unless a conflicting route is already there; returns the conflicting pattern.
    fn insert(&mut self, method: Option<&str>, pattern: &str, value: usize) -> Result<(), String> {
        let (atoms, names) = atoms_of(pattern, self.ignore_case);
        let r = ModelRoute {
            method: method.map(str::to_string),
            pattern: pattern.to_string(),
            atoms,
            names,
            value,
        };
        if let Some(c) = self.routes.iter().find(|e| conflicts(e, &r)) {
            return Err(c.pattern.clone());
        }
        self.routes.push(r);
        Ok(())
    }

    fn remove(&mut self, method: Option<&str>, pattern: &str) -> Option<usize> {
        let (atoms, _) = atoms_of(pattern, self.ignore_case);
        let i = self
            .routes
            .iter()
            .position(|e| e.method.as_deref() == method && e.atoms == atoms)?;
        Some(self.routes.remove(i).value)
    }

    /// Best match for `method` among the routes: smallest trace, a route of the method
    /// itself before an any-method route.
    fn best(&self, method: &str, path: &[u8]) -> Option<(usize, Vec<(String, String)>)> {
        let mut best: Option<Best> = None;
        for r in &self.routes {
            let is_any = match &r.method {
                None => true,
                Some(m) if m == method => false,
                Some(_) => continue,
            };
            let (mut trace, mut spans) = (Vec::new(), Vec::new());
            if !first_match(&r.atoms, path, 0, self.ignore_case, &mut trace, &mut spans) {
                continue;
            }
            let params = r
                .names
                .iter()
                .zip(&spans)
                .map(|(n, &(s, e))| (n.clone(), String::from_utf8(path[s..e].to_vec()).unwrap()))
                .collect();
            let better = match &best {
                None => true,
                Some((t, a, _, _)) => (&trace, is_any) < (t, *a),
            };
            if better {
                best = Some((trace, is_any, r.value, params));
            }
        }
        best.map(|(_, _, v, p)| (v, p))
    }

    fn at(&self, method: &str, path: &str) -> Answer {
        let bytes = path.as_bytes();
        if let Some((value, params)) = self.best(method, bytes) {
            return Answer::Found { value, params };
        }
        let allowed: BTreeSet<String> = self
            .routes
            .iter()
            .filter(|r| {
                let (mut t, mut s) = (Vec::new(), Vec::new());
                first_match(&r.atoms, bytes, 0, self.ignore_case, &mut t, &mut s)
            })
            .filter_map(|r| r.method.clone())
            .collect();
        if !allowed.is_empty() {
            return Answer::NotAllowed(allowed);
        }
        let toggled = match path.strip_suffix('/') {
            Some("") => None,
            Some(p) => Some(p.to_string()),
            None if path.is_empty() => None,
            None => Some(format!("{path}/")),
        };
        let trailing_slash = toggled.is_some_and(|t| self.best(method, t.as_bytes()).is_some());
        Answer::NotFound { trailing_slash }
    }
}

// ===== driving the real router the same way =====

fn method_of(m: Option<&str>) -> RouteMethod<'_> {
    match m {
        None => RouteMethod::Any,
        Some(m) => RouteMethod::Only(Method::from_bytes(m.as_bytes())),
    }
}

fn answer(router: &Router<usize>, method: &str, path: &str) -> Answer {
    match router.at(Method::from_bytes(method.as_bytes()), path) {
        Ok(m) => Answer::Found {
            value: *m.value(),
            params: m
                .params()
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        },
        Err(MatchError::MethodNotAllowed { allowed }) => {
            Answer::NotAllowed(allowed.iter().map(|m| m.as_str().to_string()).collect())
        }
        Err(MatchError::NotFound { trailing_slash }) => Answer::NotFound { trailing_slash },
        Err(e) => panic!("unexpected {e:?} for {method} {path}"),
    }
}

// ===== generators =====

const METHODS: [Option<&str>; 4] = [Some("GET"), Some("POST"), Some("PURGE"), None];
const STATICS: [&str; 6] = ["a", "b", "ab", "x", "A", "{{b}}"];
const VALUES: [&str; 9] = ["a", "b", "ab", "x", "1", "a.b", "x.json", "v1", "B"];

/// A pattern from a small grammar, so that generated routes often share prefixes, overlap
/// and conflict.
fn pattern() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        4 => (0..STATICS.len()).prop_map(|i| STATICS[i].to_string()),
        3 => Just("{P}".to_string()),
        1 => Just("{P}.json".to_string()),
        1 => Just("{P}.{P}".to_string()),
        1 => Just("v{P}".to_string()),
        1 => Just("a{P}b".to_string()),
    ];
    (prop::collection::vec(segment, 0..4), 0..4u8, any::<bool>()).prop_map(|(segs, tail, slash)| {
        let mut p = String::new();
        for s in &segs {
            p.push('/');
            p.push_str(s);
        }
        match tail {
            0 => p.push_str("/{*P}"),
            1 if slash || p.is_empty() => p.push('/'),
            _ if p.is_empty() => p.push('/'),
            _ => {}
        }
        // Number the params: names are unique within a pattern, and reused across
        // patterns so that equal shapes can carry different names.
        let mut out = String::new();
        let mut n = 0;
        for (i, part) in p.split('P').enumerate() {
            if i > 0 {
                out.push_str(&format!("p{}", n % 3 + (n / 3) * 10));
                n += 1;
            }
            out.push_str(part);
        }
        out
    })
}

fn route() -> impl Strategy<Value = (Option<&'static str>, String)> {
    ((0..METHODS.len()).prop_map(|i| METHODS[i]), pattern())
}

/// A path made from a pattern (params filled with sample values), then maybe mutated.
fn path_from(pattern: &str, picks: &[usize], mutation: u8) -> String {
    let mut out = String::new();
    let mut k = 0;
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        if rest[open..].starts_with("{{") {
            out.push_str(&rest[..open + 1]);
            rest = &rest[open + 2..];
            continue;
        }
        out.push_str(&rest[..open]);
        let close = open + rest[open..].find('}').unwrap();
        let catch_all = rest[open + 1..].starts_with('*');
        let v = VALUES[picks[k % picks.len()] % VALUES.len()];
        out.push_str(if catch_all && k % 2 == 1 { "a/b" } else { v });
        k += 1;
        rest = &rest[close + 1..];
    }
    out.push_str(&rest.replace("}}", "}"));
    let pick = picks[0] % VALUES.len();
    match mutation % 8 {
        0 => {}
        1 => {
            out.pop();
        }
        2 => out.push('/'),
        3 => out.push_str(VALUES[pick]),
        4 => {
            if let Some(i) = out.rfind('/') {
                out.truncate(i + 1);
                out.push_str(VALUES[pick]);
            }
        }
        5 => out = out.replace('a', "A"),
        6 => out.push_str("/x"),
        _ => {
            if out.len() > 2 {
                out.remove(picks[1 % picks.len()] % out.len());
            }
        }
    }
    out
}

fn paths(
    routes: &[(Option<&'static str>, String)],
    raw: &[(usize, Vec<usize>, u8)],
) -> Vec<String> {
    let mut out: Vec<String> = ["/", "", "/a", "/a/", "//", "/x.json", "/a/b/c"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if !routes.is_empty() {
        for (r, picks, m) in raw {
            out.push(path_from(&routes[r % routes.len()].1, picks, *m));
        }
    }
    out
}

fn raw_paths() -> impl Strategy<Value = Vec<(usize, Vec<usize>, u8)>> {
    prop::collection::vec(
        (
            any::<usize>(),
            prop::collection::vec(any::<usize>(), 1..4),
            any::<u8>(),
        ),
        20..40,
    )
}

fn build(
    routes: &[(Option<&'static str>, String)],
    order: &[usize],
    ignore_case: bool,
) -> (Router<usize>, Vec<Result<(), InsertError>>) {
    let mut config = Config::default();
    config.ignore_case = ignore_case;
    let mut router = Router::with_config(config);
    let results = order
        .iter()
        .map(|&i| router.insert(method_of(routes[i].0), &routes[i].1, i))
        .collect();
    (router, results)
}

const METHOD_QUERIES: [&str; 4] = ["GET", "POST", "PURGE", "DELETE"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// The trie and the model accept the same routes and give the same answer (value,
    /// params, 404 with its trailing-slash hint, 405 with its allowed list) for every path,
    /// before and after removing some routes.
    #[test]
    fn trie_agrees_with_model(
        routes in prop::collection::vec(route(), 1..12),
        raw in raw_paths(),
        ignore_case in prop::bool::weighted(0.2),
        removals in prop::collection::vec(any::<usize>(), 0..4),
    ) {
        let mut model = Model { ignore_case, ..Model::default() };
        let order: Vec<usize> = (0..routes.len()).collect();
        let (mut router, results) = build(&routes, &order, ignore_case);
        for (i, (m, p)) in routes.iter().enumerate() {
            let expected = model.insert(*m, p, i);
            match (&results[i], &expected) {
                (Ok(()), Ok(())) => {}
                (Err(InsertError::Conflict { existing, .. }), Err(with)) => {
                    prop_assert_eq!(existing, with);
                }
                (got, want) => prop_assert!(false, "insert {:?} {}: trie {:?}, model {:?}", m, p, got, want),
            }
        }
        let paths = paths(&routes, &raw);
        let check = |router: &Router<usize>, model: &Model| -> Result<(), TestCaseError> {
            for path in &paths {
                for method in METHOD_QUERIES {
                    let got = answer(router, method, path);
                    let want = model.at(method, path);
                    prop_assert_eq!(&got, &want, "{} {:?} routes {:?}", method, path, routes);
                }
            }
            Ok(())
        };
        check(&router, &model)?;
        for r in removals {
            let (m, p) = &routes[r % routes.len()];
            prop_assert_eq!(router.remove(method_of(*m), p), model.remove(*m, p));
        }
        prop_assert_eq!(router.len(), model.routes.len());
        check(&router, &model)?;
    }

    /// Order independence: a route set is conflict-free in every insertion order or in
    /// none; a conflict-free set answers identically in every order; in a conflicting set,
    /// every order rejects a route of a pair that conflicts (same method, same shape).
    #[test]
    fn conflicts_do_not_depend_on_order(
        routes in prop::collection::vec(route(), 1..10),
        shuffles in prop::collection::vec(Just(()).prop_perturb(|_, mut rng| rng.random::<u64>()), 3),
        raw in raw_paths(),
    ) {
        let model_routes: Vec<ModelRoute> = routes.iter().enumerate().map(|(i, (m, p))| {
            let (atoms, names) = atoms_of(p, false);
            ModelRoute { method: m.map(str::to_string), pattern: p.clone(), atoms, names, value: i }
        }).collect();
        let conflicting = |a: &str, b: &str| model_routes.iter().any(|x| x.pattern == a
            && model_routes.iter().any(|y| y.pattern == b && conflicts(x, y)));
        let any_conflict = (0..routes.len()).any(|i| (0..i).any(|j| conflicts(&model_routes[i], &model_routes[j])));

        let mut orders: Vec<Vec<usize>> = vec![(0..routes.len()).collect(), (0..routes.len()).rev().collect()];
        for seed in shuffles {
            let mut o: Vec<usize> = (0..routes.len()).collect();
            // Fisher-Yates with a small LCG seeded by proptest.
            let mut s = seed | 1;
            for i in (1..o.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                o.swap(i, (s >> 33) as usize % (i + 1));
            }
            orders.push(o);
        }
        let paths = paths(&routes, &raw);
        let mut reference: Option<Vec<Answer>> = None;
        for order in &orders {
            let (router, results) = build(&routes, order, false);
            let rejected: Vec<&InsertError> = results.iter().filter_map(|r| r.as_ref().err()).collect();
            prop_assert_eq!(!rejected.is_empty(), any_conflict, "order {:?}", order);
            for e in &rejected {
                match e {
                    InsertError::Conflict { pattern, existing, .. } => {
                        prop_assert!(conflicting(pattern, existing), "{} vs {}", pattern, existing)
                    }
                    other => prop_assert!(false, "unexpected {:?}", other),
                }
            }
            if !any_conflict {
                let answers: Vec<Answer> = paths.iter()
                    .flat_map(|p| METHOD_QUERIES.iter().map(move |m| (m, p)))
                    .map(|(m, p)| answer(&router, m, p))
                    .collect();
                match &reference {
                    None => reference = Some(answers),
                    Some(r) => prop_assert_eq!(r, &answers, "order {:?}", order),
                }
            }
        }
    }
}

/// A pattern whose params each span a whole segment (`/a/{p0}/{*p1}`): route sets made only
/// of these are looked up by the router's segment index rather than its trie.
fn whole_segment_pattern() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        4 => (0..STATICS.len()).prop_map(|i| STATICS[i].to_string()),
        1 => Just(String::new()),
        3 => Just("{P}".to_string()),
    ];
    (prop::collection::vec(segment, 0..5), 0..4u8).prop_map(|(segs, tail)| {
        let mut p = String::new();
        for s in &segs {
            p.push('/');
            p.push_str(s);
        }
        match tail {
            0 => p.push_str("/{*P}"),
            1 => p.push('/'),
            _ if p.is_empty() => p.push('/'),
            _ => {}
        }
        let mut out = String::new();
        for (i, part) in p.split('P').enumerate() {
            if i > 0 {
                out.push_str(&format!("p{}", (i - 1) % 2 + ((i - 1) / 2) * 10));
            }
            out.push_str(part);
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// Route sets with whole-segment params only (the router's segment-index lookups) give
    /// the model's answers, before and after removals, and after a route with a param
    /// inside a segment switches the router back to its trie.
    #[test]
    fn whole_segment_routes_agree_with_model(
        routes in prop::collection::vec(
            ((0..METHODS.len()).prop_map(|i| METHODS[i]), whole_segment_pattern()),
            1..16,
        ),
        raw in raw_paths(),
        removals in prop::collection::vec(any::<usize>(), 0..4),
    ) {
        let mut model = Model::default();
        let order: Vec<usize> = (0..routes.len()).collect();
        let (mut router, results) = build(&routes, &order, false);
        for (i, (m, p)) in routes.iter().enumerate() {
            let expected = model.insert(*m, p, i);
            prop_assert_eq!(results[i].is_ok(), expected.is_ok(), "insert {:?} {}", m, p);
        }
        let mut paths = paths(&routes, &raw);
        paths.extend(["/a/a.json", "/v1/x"].map(String::from));
        let check = |router: &Router<usize>, model: &Model| -> Result<(), TestCaseError> {
            for path in &paths {
                for method in METHOD_QUERIES {
                    let got = answer(router, method, path);
                    let want = model.at(method, path);
                    prop_assert_eq!(&got, &want, "{} {:?} routes {:?}", method, path, routes);
                }
            }
            Ok(())
        };
        check(&router, &model)?;
        for r in removals {
            let (m, p) = &routes[r % routes.len()];
            prop_assert_eq!(router.remove(method_of(*m), p), model.remove(*m, p));
        }
        check(&router, &model)?;
        let extra = routes.len();
        if router.insert(Method::Get, "/{p0}.json", extra).is_ok() {
            let accepted = model.insert(Some("GET"), "/{p0}.json", extra).is_ok();
            prop_assert!(accepted);
            check(&router, &model)?;
        }
    }
}
