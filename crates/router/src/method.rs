//! The methods a route answers ([`RouteMethod`]) and the set of methods a path allows (for
//! `405 Method Not Allowed` + `Allow`). The method type itself is brisk-http1's [`Method`].

use std::fmt;
use std::sync::Arc;

pub use brisk_http1::Method;

/// Number of standard methods; their indexes in a [`MethodSet`] are `0..STANDARD_COUNT`.
pub(crate) const STANDARD_COUNT: usize = 9;

/// Most extension methods one router can hold (each takes one bit of a `u64` set).
pub const MAX_EXTENSION_METHODS: usize = 54;

/// Bit of the "any method" routes in a terminal's method mask.
pub(crate) const ANY_BIT: u64 = 1 << 63;

/// `tchar` of RFC 9110 §5.6.2.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Index of a standard method in `0..9`, `None` for an extension (a hand-built
/// `Other(b"GET")` included: [`normalized`] folds it first where that matters).
#[inline]
pub(crate) fn standard_index(m: &Method<'_>) -> Option<usize> {
    Some(match m {
        Method::Get => 0,
        Method::Head => 1,
        Method::Post => 2,
        Method::Put => 3,
        Method::Delete => 4,
        Method::Connect => 5,
        Method::Options => 6,
        Method::Trace => 7,
        Method::Patch => 8,
        _ => return None,
    })
}

/// The standard method with index `i` (`0..9`).
pub(crate) fn standard(i: usize) -> Method<'static> {
    const ALL: [Method<'static>; STANDARD_COUNT] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Delete,
        Method::Connect,
        Method::Options,
        Method::Trace,
        Method::Patch,
    ];
    ALL[i]
}

/// `Other(b"GET")` and friends are folded into the standard variant.
pub(crate) fn normalized(m: Method<'_>) -> Method<'_> {
    match m {
        Method::Other(b) => Method::from_bytes(b),
        m => m,
    }
}

/// The methods a route answers: one method, or any method.
///
/// A route for a specific method takes precedence over an `Any` route with the same pattern,
/// so `GET /x` and `Any /x` can coexist: `GET /x` gets the first, `POST /x` the second.
///
/// # Examples
///
/// ```
/// use brisk_router::{Method, RouteMethod, Router};
///
/// # fn main() -> Result<(), brisk_router::InsertError> {
/// let mut router = Router::new();
/// router.insert(Method::Get, "/x", "get")?;
/// router.insert(RouteMethod::Any, "/x", "any")?;
/// assert_eq!(*router.at(Method::Get, "/x").unwrap().value(), "get");
/// assert_eq!(*router.at(Method::Post, "/x").unwrap().value(), "any");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteMethod<'a> {
    /// Only this method.
    Only(Method<'a>),
    /// Every method, unless a route for the request's own method has the same pattern.
    Any,
}

impl<'a> From<Method<'a>> for RouteMethod<'a> {
    fn from(m: Method<'a>) -> Self {
        RouteMethod::Only(m)
    }
}

impl fmt::Display for RouteMethod<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteMethod::Only(m) => f.write_str(m.as_str()),
            RouteMethod::Any => f.write_str("*"),
        }
    }
}

/// The methods that some route matching a path answers, as carried by
/// [`MatchError::MethodNotAllowed`](crate::MatchError::MethodNotAllowed).
///
/// It is a bit set plus a shared handle on the router's extension names (an `Arc`, so the set
/// and the [`MatchError`](crate::MatchError) carrying it borrow nothing and building it never
/// allocates),
/// iterating yields the methods (standard ones first, in `GET, HEAD, POST, PUT, DELETE, CONNECT,
/// OPTIONS, TRACE, PATCH` order, then extensions in the order the router first saw them), and
/// `Display` writes the value of an `Allow` header (RFC 9110 §10.2.1), e.g. `GET, POST`.
/// The router does not add `HEAD` for `GET` routes nor `OPTIONS`: that is the server's policy.
///
/// # Examples
///
/// ```
/// use brisk_router::{MatchError, Method, Router};
///
/// # fn main() -> Result<(), brisk_router::InsertError> {
/// let mut router = Router::new();
/// router.insert(Method::Post, "/users", 1)?;
/// router.insert(Method::Get, "/users", 2)?;
/// router.insert(Method::Other(b"PURGE"), "/users", 3)?;
/// match router.at(Method::Delete, "/users") {
///     Err(MatchError::MethodNotAllowed { allowed }) => {
///         assert_eq!(allowed.to_string(), "GET, POST, PURGE");
///         assert!(allowed.contains(Method::Get));
///         assert_eq!(allowed.iter().count(), 3);
///     }
///     other => panic!("unexpected {other:?}"),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct MethodSet {
    pub(crate) bits: u64,
    pub(crate) extensions: Arc<Vec<Box<str>>>,
}

impl MethodSet {
    /// True when no method is in the set.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_router::{Method, Router, MatchError};
    /// let mut router = Router::new();
    /// router.insert(Method::Get, "/", ()).unwrap();
    /// let Err(MatchError::MethodNotAllowed { allowed }) = router.at(Method::Put, "/") else { panic!() };
    /// assert!(!allowed.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.bits == 0
    }

    /// True when `method` is in the set.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_router::{Method, Router, MatchError};
    /// let mut router = Router::new();
    /// router.insert(Method::Get, "/", ()).unwrap();
    /// let Err(MatchError::MethodNotAllowed { allowed }) = router.at(Method::Put, "/") else { panic!() };
    /// assert!(allowed.contains(Method::Get) && !allowed.contains(Method::Put));
    /// ```
    pub fn contains(&self, method: Method<'_>) -> bool {
        match normalized(method) {
            Method::Other(name) => self
                .extensions
                .iter()
                .position(|e| e.as_bytes() == name)
                .is_some_and(|i| self.bits & (1 << (STANDARD_COUNT + i)) != 0),
            m => self.bits & (1 << standard_index(&m).unwrap_or(0)) != 0,
        }
    }

    /// The set as bits, to keep without borrowing the router; [`Router::methods`] makes the
    /// set again.
    ///
    /// [`Router::methods`]: crate::Router::methods
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_router::{Method, Router, MatchError};
    /// let mut router = Router::new();
    /// router.insert(Method::Get, "/", ()).unwrap();
    /// let Err(MatchError::MethodNotAllowed { allowed }) = router.at(Method::Put, "/") else { panic!() };
    /// assert_eq!(router.methods(allowed.bits()), allowed);
    /// ```
    pub fn bits(&self) -> u64 {
        self.bits
    }

    /// The methods in the set, standard ones first.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_router::{Method, Router, MatchError};
    /// let mut router = Router::new();
    /// router.insert(Method::Put, "/", ()).unwrap();
    /// router.insert(Method::Get, "/", ()).unwrap();
    /// let Err(MatchError::MethodNotAllowed { allowed }) = router.at(Method::Post, "/") else { panic!() };
    /// let names: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
    /// assert_eq!(names, ["GET", "PUT"]);
    /// ```
    pub fn iter(&self) -> MethodSetIter<'_> {
        MethodSetIter {
            bits: self.bits & !ANY_BIT,
            extensions: &self.extensions,
        }
    }
}

impl fmt::Debug for MethodSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl fmt::Display for MethodSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, m) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(m.as_str())?;
        }
        Ok(())
    }
}

impl PartialEq for MethodSet {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for MethodSet {}

impl<'s> IntoIterator for &'s MethodSet {
    type Item = Method<'s>;
    type IntoIter = MethodSetIter<'s>;
    fn into_iter(self) -> MethodSetIter<'s> {
        self.iter()
    }
}

/// Iterator over a [`MethodSet`].
///
/// # Examples
///
/// ```
/// # use brisk_router::{Method, Router, MatchError};
/// let mut router = Router::new();
/// router.insert(Method::Get, "/", ()).unwrap();
/// let Err(MatchError::MethodNotAllowed { allowed }) = router.at(Method::Post, "/") else { panic!() };
/// let mut it = allowed.iter();
/// assert_eq!(it.next(), Some(Method::Get));
/// assert_eq!(it.next(), None);
/// ```
#[derive(Debug, Clone)]
pub struct MethodSetIter<'r> {
    bits: u64,
    extensions: &'r [Box<str>],
}

impl<'r> Iterator for MethodSetIter<'r> {
    type Item = Method<'r>;
    fn next(&mut self) -> Option<Method<'r>> {
        if self.bits == 0 {
            return None;
        }
        let i = self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        if i < STANDARD_COUNT {
            Some(standard(i))
        } else {
            self.extensions
                .get(i - STANDARD_COUNT)
                .map(|e| Method::Other(e.as_bytes()))
        }
    }
}
