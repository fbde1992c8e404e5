//! The [`Router`] facade: routes by method and pattern, lookups, removal and listing.

use std::fmt;
use std::sync::Arc;

use crate::config::Config;
use crate::error::{InsertError, MatchError};
use crate::method::{
    is_tchar, normalized, standard, standard_index, Method, MethodSet, RouteMethod, ANY_BIT,
    MAX_EXTENSION_METHODS, STANDARD_COUNT,
};
use crate::params::{Match, Params, MAX_PARAMS};
use crate::pattern::Part;
use crate::pattern::{self, Pattern};
use crate::segments::{self, SegIndex};
use crate::statics::StaticMap;
use crate::tree::{Outcome, Spans, Tree, ANY_KEY, NONE, UNKNOWN_KEY};

/// Longest path [`Router::at`] looks up (params are stored as 16-bit offsets); longer paths get
/// [`MatchError::PathTooLong`]. HTTP servers commonly cap the request target at 8 KiB.
pub const MAX_PATH_LEN: usize = u16::MAX as usize;

/// One stored route.
struct Entry<T> {
    key: u8,
    pattern: Box<str>,
    names: Box<[Box<str>]>,
    terminal: u32,
    value: T,
}

/// A router from `(method, path)` to a value of type `T`.
///
/// # Examples
///
/// ```
/// use brisk_router::{MatchError, Method, Router};
///
/// # fn main() -> Result<(), brisk_router::InsertError> {
/// let mut router = Router::new();
/// router.insert(Method::Get, "/users/new", "new form")?;
/// router.insert(Method::Get, "/users/{id}", "show")?;
/// router.insert(Method::Get, "/users/{id}/edit", "edit")?;
///
/// // Static beats param; a failed static branch is retried as a param.
/// assert_eq!(*router.at(Method::Get, "/users/new").unwrap().value(), "new form");
/// assert_eq!(*router.at(Method::Get, "/users/new/edit").unwrap().value(), "edit");
/// assert!(matches!(router.at(Method::Post, "/users/7"), Err(MatchError::MethodNotAllowed { .. })));
/// # Ok(())
/// # }
/// ```
///
/// # Implementation notes
///
/// One trie holds every method: a node where a pattern ends keeps one route per method, so a
/// lookup that finds the path but not the method has the `Allow` set at hand. Two patterns
/// conflict exactly when they have the same *shape* (the pattern with parameter names
/// erased), which is a property of the pair alone, so the verdict never depends on the
/// insertion order.
pub struct Router<T> {
    tree: Tree,
    routes: Vec<Entry<T>>,
    /// Shared with the [`MethodSet`]s of `405` answers, so they borrow nothing.
    extensions: Arc<Vec<Box<str>>>,
    config: Config,
    /// Fully static patterns (case-sensitive routers only), for the lookup fast path.
    statics: StaticMap,
    /// The routes again, by whole segments, while every route's params span whole segments.
    segments: SegIndex,
    /// Every route inserted so far fits `segments` (and the router is case-sensitive).
    all_segments: bool,
    /// Lookups use `segments`: `all_segments`, and the trie is small enough that its search
    /// can never run out of steps (each node is visited at most once for such routes), so
    /// both searches give the same answers.
    pub(crate) fast: bool,
}

impl<T> Default for Router<T> {
    fn default() -> Self {
        Router::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for Router<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.routes()).finish()
    }
}

impl<T> Router<T> {
    /// An empty router with the default [`Config`].
    ///
    /// # Examples
    ///
    /// ```
    /// let router: brisk_router::Router<()> = brisk_router::Router::new();
    /// assert!(router.is_empty());
    /// ```
    pub fn new() -> Router<T> {
        Router::with_config(Config::default())
    }

    /// An empty router with `config`.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_router::{Config, Router};
    ///
    /// let mut config = Config::default();
    /// config.max_params = 4;
    /// let router: Router<()> = Router::with_config(config);
    /// assert_eq!(router.config().max_params, 4);
    /// ```
    pub fn with_config(mut config: Config) -> Router<T> {
        config.max_params = config.max_params.min(MAX_PARAMS);
        Router {
            tree: Tree::new(),
            routes: Vec::new(),
            extensions: Arc::new(Vec::new()),
            all_segments: !config.ignore_case,
            config,
            statics: StaticMap::default(),
            segments: SegIndex::new(),
            fast: false,
        }
    }

    /// The router's configuration.
    ///
    /// # Examples
    ///
    /// ```
    /// let router: brisk_router::Router<()> = brisk_router::Router::new();
    /// assert!(!router.config().ignore_case);
    /// ```
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Number of routes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_router::{Method, Router};
    /// let mut router = Router::new();
    /// router.insert(Method::Get, "/", ()).unwrap();
    /// assert_eq!(router.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// True when the router holds no route.
    ///
    /// # Examples
    ///
    /// ```
    /// let router: brisk_router::Router<()> = brisk_router::Router::new();
    /// assert!(router.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Method key of a route method; `Ok(None)` for an extension not registered yet.
    fn route_key(&self, method: RouteMethod<'_>) -> Result<Option<u8>, InsertError> {
        match method {
            RouteMethod::Any => Ok(Some(ANY_KEY)),
            RouteMethod::Only(m) => match normalized(m) {
                Method::Other(name) => {
                    if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
                        return Err(InsertError::InvalidMethod {
                            method: String::from_utf8_lossy(name).into_owned(),
                        });
                    }
                    Ok(self
                        .extensions
                        .iter()
                        .position(|e| e.as_bytes() == name)
                        .map(|i| (STANDARD_COUNT + i) as u8))
                }
                m => Ok(standard_index(&m).map(|i| i as u8)),
            },
        }
    }

    /// Method key of a request method (`UNKNOWN_KEY` if no route uses it).
    #[inline]
    fn request_key(&self, method: Method<'_>) -> u8 {
        match standard_index(&method) {
            Some(i) => i as u8,
            None => match normalized(method) {
                Method::Other(name) => self
                    .extensions
                    .iter()
                    .position(|e| e.as_bytes() == name)
                    .map_or(UNKNOWN_KEY, |i| (STANDARD_COUNT + i) as u8),
                m => standard_index(&m).map_or(UNKNOWN_KEY, |i| i as u8),
            },
        }
    }

    fn parse(&self, pattern: &str) -> Result<Pattern, InsertError> {
        pattern::parse(pattern, self.config.ignore_case, self.config.max_params)
    }

    /// Adds a route.
    ///
    /// Pattern syntax:
    ///
    /// - static text matches itself (ASCII case folded if [`Config::ignore_case`]);
    ///   `{{` and `}}` stand for literal braces;
    /// - `{name}` matches one or more bytes other than `/`; it may share a segment with static
    ///   text (`/{name}.json`, `/v{version}/`), also with another param when static text
    ///   separates them (`/{file}.{ext}`): each param then takes the **shortest** value that
    ///   lets the rest match (`/a.tar.gz` gives `file = a`, `ext = tar.gz`);
    /// - `{*name}` (catch-all) matches the rest of the path, one or more bytes, `/` included;
    ///   it must start a segment and end the pattern, and it never matches an empty rest
    ///   (add a route for `/files/` if that must match too).
    ///
    /// Priority, at every byte where two candidate routes differ: static text beats a param,
    /// a shorter param value beats a longer one, a param beats a catch-all; a route for the
    /// request's method beats an [`RouteMethod::Any`] route of the same shape. A path that
    /// fails down one branch is retried down the next, so the best route always wins.
    ///
    /// # Errors
    ///
    /// An [`InsertError`] naming the problem for an invalid pattern or method, and
    /// [`InsertError::Conflict`] (naming both patterns) when a route of the same method has
    /// the same shape: the same pattern up to parameter names, so both would match the same
    /// paths with the same priority. On error the router is unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_router::{InsertError, Method, RouteMethod, Router};
    ///
    /// let mut router = Router::new();
    /// router.insert(Method::Get, "/x/{a}.json", 1).unwrap();
    /// router.insert(Method::Post, "/x/{b}.json", 2).unwrap(); // another method: fine
    /// router.insert(RouteMethod::Any, "/x/{c}.json", 3).unwrap(); // any method: fine
    /// assert!(matches!(
    ///     router.insert(Method::Get, "/x/{b}.json", 4),
    ///     Err(InsertError::Conflict { .. })
    /// ));
    /// assert!(matches!(
    ///     router.insert(Method::Get, "/{*rest}/x", 5),
    ///     Err(InsertError::CatchAllNotAtEnd { .. })
    /// ));
    /// ```
    pub fn insert<'m>(
        &mut self,
        method: impl Into<RouteMethod<'m>>,
        pattern: &str,
        value: T,
    ) -> Result<(), InsertError> {
        let method = method.into();
        let key = self.route_key(method)?;
        let parsed = self.parse(pattern)?;
        let key = match key {
            Some(k) => k,
            None => {
                if self.extensions.len() >= MAX_EXTENSION_METHODS {
                    return Err(InsertError::TooManyMethods {
                        method: method.to_string(),
                    });
                }
                // Registered only once the route is known to fit (below).
                (STANDARD_COUNT + self.extensions.len()) as u8
            }
        };
        if let Some(t) = self.tree.find(&parsed.parts) {
            let r = self.tree.terminals[t as usize].get(key);
            if r != NONE {
                return Err(InsertError::Conflict {
                    method: method.to_string(),
                    pattern: pattern.to_owned(),
                    existing: self.routes[r as usize].pattern.to_string(),
                });
            }
        }
        if key as usize >= STANDARD_COUNT + self.extensions.len() && key != ANY_KEY {
            if let RouteMethod::Only(m) = method {
                // Valid tokens are ASCII (checked by `route_key`), so `as_str` is the token.
                Arc::make_mut(&mut self.extensions).push(m.as_str().into());
            }
        }
        let t = self.tree.insert(&parsed.parts);
        if let [Part::Static(bytes)] = &parsed.parts[..] {
            if !self.config.ignore_case {
                self.statics.insert(bytes, t);
            }
        }
        if self.all_segments {
            match segments::split(&parsed.parts) {
                Some(segs) => self.segments.insert(&segs, t),
                None => self.all_segments = false,
            }
        }
        self.fast = self.all_segments && self.tree.node_count() <= self.config.max_steps as usize;
        let index = self.routes.len() as u32;
        self.tree.terminals[t as usize].set(key, index);
        self.routes.push(Entry {
            key,
            pattern: pattern.into(),
            names: parsed.names.into_boxed_slice(),
            terminal: t,
            value,
        });
        Ok(())
    }

    /// Removes the route of `method` whose pattern has the same shape as `pattern` (the same
    /// pattern up to parameter names: the route `pattern` would conflict with) and returns
    /// its value, or `None` when there is no such route or `pattern` is invalid.
    ///
    /// Listing order: the last route takes the place of the removed one.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_router::{Method, Router};
    /// let mut router = Router::new();
    /// router.insert(Method::Get, "/users/{id}", 1).unwrap();
    /// assert_eq!(router.remove(Method::Get, "/users/{id}"), Some(1));
    /// assert_eq!(router.remove(Method::Get, "/users/{id}"), None);
    /// assert!(router.at(Method::Get, "/users/1").is_err());
    /// ```
    pub fn remove<'m>(&mut self, method: impl Into<RouteMethod<'m>>, pattern: &str) -> Option<T> {
        let key = self.route_key(method.into()).ok()??;
        let parsed = self.parse(pattern).ok()?;
        let t = self.tree.find(&parsed.parts)?;
        let r = self.tree.terminals[t as usize].get(key);
        if r == NONE {
            return None;
        }
        self.tree.terminals[t as usize].set(key, NONE);
        let entry = self.routes.swap_remove(r as usize);
        if let Some(moved) = self.routes.get(r as usize) {
            self.tree.terminals[moved.terminal as usize].set(moved.key, r);
        }
        Some(entry.value)
    }

    /// Every route, in insertion order (until a removal, see [`Router::remove`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_router::{Method, RouteMethod, Router};
    ///
    /// let mut router = Router::new();
    /// router.insert(Method::Get, "/a", 1).unwrap();
    /// router.insert(RouteMethod::Any, "/b/{x}", 2).unwrap();
    /// let listed: Vec<String> =
    ///     router.routes().map(|r| format!("{} {} {}", r.method(), r.pattern(), r.value())).collect();
    /// assert_eq!(listed, ["GET /a 1", "* /b/{x} 2"]);
    /// ```
    pub fn routes(&self) -> Routes<'_, T> {
        Routes {
            router: self,
            next: 0,
        }
    }

    /// The method set of `bits` ([`MethodSet::bits`] of a set this router gave), with this
    /// router's extension methods.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_router::{Method, Router, MatchError};
    /// let mut router = Router::new();
    /// router.insert(Method::from_bytes(b"PURGE"), "/", ()).unwrap();
    /// let Err(MatchError::MethodNotAllowed { allowed }) = router.at(Method::Get, "/") else { panic!() };
    /// assert_eq!(router.methods(allowed.bits()).to_string(), "PURGE");
    /// ```
    pub fn methods(&self, bits: u64) -> MethodSet {
        MethodSet {
            bits,
            extensions: Arc::clone(&self.extensions),
        }
    }

    fn method_of(&self, key: u8) -> RouteMethod<'_> {
        let k = key as usize;
        if key == ANY_KEY {
            RouteMethod::Any
        } else if k < STANDARD_COUNT {
            RouteMethod::Only(standard(k))
        } else {
            RouteMethod::Only(Method::Other(
                self.extensions[k - STANDARD_COUNT].as_bytes(),
            ))
        }
    }

    /// Finds the route for `method` and `path`.
    ///
    /// `path` is the request target's path, without query (the caller strips `?...`) and not
    /// percent-decoded. Never allocates.
    ///
    /// # Errors
    ///
    /// - [`MatchError::MethodNotAllowed`] when routes match the path but none for `method`;
    /// - [`MatchError::NotFound`] when no route matches, with `trailing_slash` set when the
    ///   path with its final `/` removed (or one added) has a route for `method`;
    /// - [`MatchError::TooComplex`] when the search needs more than [`Config::max_steps`];
    /// - [`MatchError::PathTooLong`] for a path longer than [`MAX_PATH_LEN`] (65,535 bytes).
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_router::{MatchError, Method, Router};
    ///
    /// # fn main() -> Result<(), brisk_router::InsertError> {
    /// let mut router = Router::new();
    /// router.insert(Method::Get, "/a/b/c", 1)?;
    /// router.insert(Method::Get, "/a/{x}/d", 2)?;
    /// router.insert(Method::Get, "/{*rest}", 3)?;
    /// assert_eq!(*router.at(Method::Get, "/a/b/c").unwrap().value(), 1);
    /// assert_eq!(*router.at(Method::Get, "/a/b/d").unwrap().value(), 2);
    /// let m = router.at(Method::Get, "/a/b/e").unwrap();
    /// assert_eq!((*m.value(), m.params().get("rest")), (3, Some("a/b/e")));
    /// assert_eq!(router.at(Method::Get, "/"), Err(MatchError::NotFound { trailing_slash: false }));
    /// # Ok(())
    /// # }
    /// ```
    // Inlined into the caller: the `Match` is then built in place instead of being written
    // by a call and copied back (a store-forwarding stall on every lookup).
    #[inline(always)]
    pub fn at<'r, 'p>(
        &'r self,
        method: Method<'_>,
        path: &'p str,
    ) -> Result<Match<'r, 'p, T>, MatchError> {
        if path.len() > MAX_PATH_LEN {
            return Err(MatchError::PathTooLong);
        }
        let key = self.request_key(method);
        let want = if key == UNKNOWN_KEY {
            ANY_BIT
        } else {
            (1u64 << key) | ANY_BIT
        };
        let bytes = path.as_bytes();
        let mut spans = Spans::new();
        let t = self.statics.get(bytes);
        let outcome = if t != NONE && self.tree.terminals[t as usize].mask & want != 0 {
            Outcome::Found(self.tree.terminals[t as usize].lookup(key))
        } else if self.fast {
            match self
                .segments
                .search(&self.tree.terminals, bytes, key, want, &mut spans)
            {
                Ok(r) => Outcome::Found(r),
                Err(allowed) => Outcome::Missing {
                    allowed: allowed & !ANY_BIT,
                },
            }
        } else {
            self.trie_search(bytes, key, want, &mut spans)
        };
        match outcome {
            Outcome::Found(r) => {
                let e = &self.routes[r as usize];
                Ok(Match {
                    value: &e.value,
                    pattern: &e.pattern,
                    params: Params {
                        path,
                        names: &e.names,
                        spans,
                    },
                })
            }
            outcome => Err(self.miss(outcome, bytes, key, want)),
        }
    }

    /// The trie's search (routes with params inside segments, case-insensitive routers).
    #[inline(never)]
    fn trie_search(&self, bytes: &[u8], key: u8, want: u64, spans: &mut Spans) -> Outcome {
        let steps = self.config.max_steps;
        if self.config.ignore_case {
            self.tree
                .search::<true, false>(bytes, key, want, steps, spans)
        } else {
            self.tree
                .search::<false, false>(bytes, key, want, steps, spans)
        }
    }

    /// The error for a search that found no route.
    #[cold]
    #[inline(never)]
    fn miss(&self, outcome: Outcome, bytes: &[u8], key: u8, want: u64) -> MatchError {
        match outcome {
            Outcome::Missing { allowed } if allowed != 0 => MatchError::MethodNotAllowed {
                allowed: self.methods(allowed),
            },
            Outcome::Missing { .. } => MatchError::NotFound {
                trailing_slash: self.trailing_slash(bytes, key, want),
            },
            _ => MatchError::TooComplex,
        }
    }

    /// Whether `path` with its final `/` toggled has a route for the method.
    #[cold]
    fn trailing_slash(&self, path: &[u8], key: u8, want: u64) -> bool {
        let steps = self.config.max_steps;
        let ci = self.config.ignore_case;
        let s = &mut Spans::new();
        let outcome = match path.split_last() {
            None => return false,
            Some((b'/', [])) => return false,
            Some((b'/', rest)) if ci => self.tree.search::<true, false>(rest, key, want, steps, s),
            Some((b'/', rest)) => self.tree.search::<false, false>(rest, key, want, steps, s),
            Some(_) if ci => self.tree.search::<true, true>(path, key, want, steps, s),
            Some(_) => self.tree.search::<false, true>(path, key, want, steps, s),
        };
        matches!(outcome, Outcome::Found(..))
    }
}

/// One route as listed by [`Router::routes`].
///
/// # Examples
///
/// ```
/// # use brisk_router::{Method, RouteMethod, Router};
/// let mut router = Router::new();
/// router.insert(Method::Put, "/items/{id}", 'p').unwrap();
/// let r = router.routes().next().unwrap();
/// assert_eq!(r.method(), RouteMethod::Only(Method::Put));
/// assert_eq!(r.pattern(), "/items/{id}");
/// assert_eq!(r.param_names().collect::<Vec<_>>(), ["id"]);
/// assert_eq!(*r.value(), 'p');
/// ```
pub struct Route<'r, T> {
    method: RouteMethod<'r>,
    pattern: &'r str,
    names: &'r [Box<str>],
    value: &'r T,
}

impl<'r, T> Route<'r, T> {
    /// The route's method.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_router::{RouteMethod, Router};
    /// let mut router = Router::new();
    /// router.insert(RouteMethod::Any, "/", ()).unwrap();
    /// assert_eq!(router.routes().next().unwrap().method(), RouteMethod::Any);
    /// ```
    pub fn method(&self) -> RouteMethod<'r> {
        self.method
    }

    /// The pattern as inserted.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_router::{Method, Router};
    /// let mut router = Router::new();
    /// router.insert(Method::Get, "/{{literal}}", ()).unwrap();
    /// assert_eq!(router.routes().next().unwrap().pattern(), "/{{literal}}");
    /// ```
    pub fn pattern(&self) -> &'r str {
        self.pattern
    }

    /// The parameter names, in pattern order (catch-all included, without its `*`).
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_router::{Method, Router};
    /// let mut router = Router::new();
    /// router.insert(Method::Get, "/{a}/{*b}", ()).unwrap();
    /// assert_eq!(router.routes().next().unwrap().param_names().collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    pub fn param_names(&self) -> impl Iterator<Item = &'r str> + 'r {
        self.names.iter().map(|n| &**n)
    }

    /// The route's value.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_router::{Method, Router};
    /// let mut router = Router::new();
    /// router.insert(Method::Get, "/", 5u8).unwrap();
    /// assert_eq!(*router.routes().next().unwrap().value(), 5);
    /// ```
    pub fn value(&self) -> &'r T {
        self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Route<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("method", &self.method)
            .field("pattern", &self.pattern)
            .field("value", self.value)
            .finish()
    }
}

/// Iterator over the routes of a [`Router`], from [`Router::routes`].
///
/// # Examples
///
/// ```
/// # use brisk_router::{Method, Router};
/// let mut router = Router::new();
/// router.insert(Method::Get, "/a", ()).unwrap();
/// router.insert(Method::Get, "/b", ()).unwrap();
/// assert_eq!(router.routes().count(), 2);
/// ```
pub struct Routes<'r, T> {
    router: &'r Router<T>,
    next: usize,
}

impl<T> fmt::Debug for Routes<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Routes").field("next", &self.next).finish()
    }
}

impl<'r, T> Iterator for Routes<'r, T> {
    type Item = Route<'r, T>;
    fn next(&mut self) -> Option<Route<'r, T>> {
        let e = self.router.routes.get(self.next)?;
        self.next += 1;
        Some(Route {
            method: self.router.method_of(e.key),
            pattern: &e.pattern,
            names: &e.names,
            value: &e.value,
        })
    }
}
