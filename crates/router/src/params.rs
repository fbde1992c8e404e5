//! A successful lookup: the route's value and its parameters, borrowed from the path.

use std::fmt;

use arrayvec::ArrayVec;

/// Capacity of [`Params`]: no pattern may have more parameters than this (and
/// [`Config::max_params`](crate::Config::max_params) may lower it).
pub const MAX_PARAMS: usize = 8;

/// The parameters of a match: names from the route's pattern, values as zero-copy slices of
/// the path (never percent-decoded: see [`percent_decode`](crate::percent_decode)).
///
/// # Examples
///
/// ```
/// use brisk_router::{Method, Router};
///
/// let mut router = Router::new();
/// router.insert(Method::Get, "/repos/{owner}/{repo}", ()).unwrap();
/// let m = router.at(Method::Get, "/repos/rust-lang/rust").unwrap();
/// assert_eq!(m.params().get("owner"), Some("rust-lang"));
/// assert_eq!(m.params().get("nope"), None);
/// let pairs: Vec<(&str, &str)> = m.params().iter().collect();
/// assert_eq!(pairs, [("owner", "rust-lang"), ("repo", "rust")]);
/// ```
#[derive(Clone)]
pub struct Params<'r, 'p> {
    pub(crate) path: &'p str,
    /// The route's parameter names.
    pub(crate) names: &'r [Box<str>],
    /// INVARIANT: one span per name, each on `char` boundaries of `path`.
    pub(crate) spans: ArrayVec<(u16, u16), MAX_PARAMS>,
}

impl<'r, 'p> Params<'r, 'p> {
    /// No parameters (what a route without `{…}` gives, and what a server hands a handler
    /// that no route matched).
    ///
    /// # Examples
    ///
    /// ```
    /// let p = brisk_router::Params::new();
    /// assert!(p.is_empty());
    /// assert_eq!(p.get("id"), None);
    /// ```
    pub const fn new() -> Params<'r, 'p> {
        Params {
            path: "",
            names: &[],
            spans: ArrayVec::new_const(),
        }
    }

    /// Parameters made again from spans of `path`, one per name in order: for a caller that
    /// kept a match's value positions (as byte ranges, say while a request body arrives) and
    /// holds the same path again. [`Route::param_names`](crate::Route::param_names) gives
    /// the names.
    ///
    /// Returns `None` when there are more spans than names or than [`MAX_PARAMS`], or a span
    /// is not a `char`-boundary range of `path` (or lies beyond 65,535 bytes).
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_router::Params;
    ///
    /// let names: Box<[Box<str>]> = Box::new(["owner".into(), "repo".into()]);
    /// let p = Params::from_spans(&names, "/repos/rust-lang/rust", [7..16, 17..21]).unwrap();
    /// assert_eq!(p.get("owner"), Some("rust-lang"));
    /// assert_eq!(p.get("repo"), Some("rust"));
    /// assert!(Params::from_spans(&names, "/x", [7..16]).is_none());
    /// ```
    pub fn from_spans(
        names: &'r [Box<str>],
        path: &'p str,
        spans: impl IntoIterator<Item = std::ops::Range<usize>>,
    ) -> Option<Params<'r, 'p>> {
        let mut p = Params {
            path,
            names,
            spans: ArrayVec::new_const(),
        };
        for r in spans {
            path.get(r.clone())?;
            let s = u16::try_from(r.start).ok()?;
            let e = u16::try_from(r.end).ok()?;
            if p.spans.len() >= names.len() {
                return None;
            }
            p.spans.try_push((s, e)).ok()?;
        }
        Some(p)
    }

    /// The value of parameter `name`, if the pattern has one.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_router::{Method, Router};
    /// let mut router = Router::new();
    /// router.insert(Method::Get, "/{file}.{ext}", ()).unwrap();
    /// let m = router.at(Method::Get, "/archive.tar.gz").unwrap();
    /// assert_eq!(m.params().get("file"), Some("archive"));
    /// assert_eq!(m.params().get("ext"), Some("tar.gz"));
    /// ```
    pub fn get(&self, name: &str) -> Option<&'p str> {
        let i = self.names.iter().position(|n| &**n == name)?;
        self.value(i)
    }

    fn value(&self, i: usize) -> Option<&'p str> {
        let (s, e) = *self.spans.get(i)?;
        self.path.get(s as usize..e as usize)
    }

    /// Number of parameters.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_router::{Method, Router};
    /// let mut router = Router::new();
    /// router.insert(Method::Get, "/a/{x}", ()).unwrap();
    /// assert_eq!(router.at(Method::Get, "/a/1").unwrap().params().len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when the route has no parameters.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_router::{Method, Router};
    /// let mut router = Router::new();
    /// router.insert(Method::Get, "/a", ()).unwrap();
    /// assert!(router.at(Method::Get, "/a").unwrap().params().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// `(name, value)` pairs in pattern order.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_router::{Method, Router};
    /// let mut router = Router::new();
    /// router.insert(Method::Get, "/files/{*path}", ()).unwrap();
    /// let m = router.at(Method::Get, "/files/a/b.txt").unwrap();
    /// assert_eq!(m.params().iter().next(), Some(("path", "a/b.txt")));
    /// ```
    pub fn iter(&self) -> ParamsIter<'_, 'r, 'p> {
        ParamsIter {
            params: self,
            next: 0,
        }
    }
}

impl Default for Params<'_, '_> {
    fn default() -> Self {
        Params::new()
    }
}

impl fmt::Debug for Params<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl PartialEq for Params<'_, '_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Params<'_, '_> {}

/// Iterator over the `(name, value)` pairs of [`Params`].
///
/// # Examples
///
/// ```
/// # use brisk_router::{Method, Router};
/// let mut router = Router::new();
/// router.insert(Method::Get, "/{a}/{b}", ()).unwrap();
/// let m = router.at(Method::Get, "/x/y").unwrap();
/// assert_eq!(m.params().iter().map(|(_, v)| v).collect::<String>(), "xy");
/// ```
#[derive(Debug, Clone)]
pub struct ParamsIter<'a, 'r, 'p> {
    params: &'a Params<'r, 'p>,
    next: usize,
}

impl<'r, 'p> Iterator for ParamsIter<'_, 'r, 'p> {
    type Item = (&'r str, &'p str);
    fn next(&mut self) -> Option<Self::Item> {
        let i = self.next;
        let name = self.params.names.get(i)?;
        self.next += 1;
        Some((&**name, self.params.value(i).unwrap_or("")))
    }
}

/// A successful lookup: the route's value, its pattern and the parameters.
///
/// # Examples
///
/// ```
/// use brisk_router::{Method, Router};
///
/// let mut router = Router::new();
/// router.insert(Method::Get, "/users/{id}", "user").unwrap();
/// let m = router.at(Method::Get, "/users/42").unwrap();
/// assert_eq!(*m.value(), "user");
/// assert_eq!(m.pattern(), "/users/{id}");
/// assert_eq!(m.params().get("id"), Some("42"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match<'r, 'p, T> {
    pub(crate) value: &'r T,
    /// Behind the route's own box: borrowing it needs no load at match time, only the
    /// route's address.
    #[allow(clippy::borrowed_box)] // on purpose: see above
    pub(crate) pattern: &'r Box<str>,
    pub(crate) params: Params<'r, 'p>,
}

impl<'r, 'p, T> Match<'r, 'p, T> {
    /// The value given to [`Router::insert`](crate::Router::insert).
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_router::{Method, Router};
    /// let mut router = Router::new();
    /// router.insert(Method::Get, "/", 7).unwrap();
    /// assert_eq!(*router.at(Method::Get, "/").unwrap().value(), 7);
    /// ```
    pub fn value(&self) -> &'r T {
        self.value
    }

    /// The pattern of the matched route, as inserted.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_router::{Method, Router};
    /// let mut router = Router::new();
    /// router.insert(Method::Get, "/{x}", ()).unwrap();
    /// assert_eq!(router.at(Method::Get, "/a").unwrap().pattern(), "/{x}");
    /// ```
    pub fn pattern(&self) -> &'r str {
        self.pattern
    }

    /// The parameters.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_router::{Method, Router};
    /// let mut router = Router::new();
    /// router.insert(Method::Get, "/{x}", ()).unwrap();
    /// assert_eq!(router.at(Method::Get, "/a").unwrap().params().get("x"), Some("a"));
    /// ```
    pub fn params(&self) -> &Params<'r, 'p> {
        &self.params
    }
}
