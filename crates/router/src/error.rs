//! Errors: [`InsertError`] when a route cannot be added, [`MatchError`] when a lookup has no
//! route to give.

use std::fmt;

use crate::method::MethodSet;

/// Why [`Router::insert`](crate::Router::insert) refused a route. Every variant names the
/// offending pattern.
///
/// # Examples
///
/// ```
/// use brisk_router::{Method, Router};
///
/// let mut router = Router::new();
/// router.insert(Method::Get, "/users/{id}", 1).unwrap();
/// let err = router.insert(Method::Get, "/users/{name}", 2).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "route GET /users/{name} conflicts with GET /users/{id}: both match the same paths with the same priority"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InsertError {
    /// The pattern does not start with `/`.
    MissingLeadingSlash {
        /// The pattern.
        pattern: String,
    },
    /// A `{` has no matching `}` (write `{{` for a literal brace).
    UnclosedBrace {
        /// The pattern.
        pattern: String,
    },
    /// A `}` has no matching `{` (write `}}` for a literal brace).
    UnmatchedBrace {
        /// The pattern.
        pattern: String,
    },
    /// `{}` or `{*}`: a parameter needs a name.
    EmptyParamName {
        /// The pattern.
        pattern: String,
    },
    /// A parameter name holds `{`, `/` or a `*` that is not its first byte.
    InvalidParamName {
        /// The pattern.
        pattern: String,
        /// The name as written between the braces.
        name: String,
    },
    /// Two parameters of one pattern have the same name.
    DuplicateParam {
        /// The pattern.
        pattern: String,
        /// The repeated name.
        name: String,
    },
    /// Two parameters follow each other with no static text between them (`{a}{b}`), so where
    /// one ends would be arbitrary.
    AdjacentParams {
        /// The pattern.
        pattern: String,
    },
    /// A catch-all `{*name}` is followed by more of the pattern.
    CatchAllNotAtEnd {
        /// The pattern.
        pattern: String,
    },
    /// A catch-all `{*name}` does not start a segment (it must come right after a `/`).
    CatchAllNotSegment {
        /// The pattern.
        pattern: String,
    },
    /// The pattern has more parameters than [`Config::max_params`](crate::Config::max_params).
    TooManyParams {
        /// The pattern.
        pattern: String,
        /// The limit.
        max: usize,
    },
    /// The route's extension method is not a valid token (RFC 9110 §9.1).
    InvalidMethod {
        /// The method as given.
        method: String,
    },
    /// The router already holds [`MAX_EXTENSION_METHODS`](crate::MAX_EXTENSION_METHODS)
    /// distinct extension methods.
    TooManyMethods {
        /// The method that did not fit.
        method: String,
    },
    /// A route with the same method (or both "any method") and the same pattern shape exists:
    /// both would match the same paths with the same priority.
    Conflict {
        /// The method of both routes (`*` for any method).
        method: String,
        /// The pattern being inserted.
        pattern: String,
        /// The pattern already in the router.
        existing: String,
    },
}

impl fmt::Display for InsertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InsertError::MissingLeadingSlash { pattern } => {
                write!(f, "pattern {pattern:?} does not start with '/'")
            }
            InsertError::UnclosedBrace { pattern } => {
                write!(f, "pattern {pattern:?} has an unclosed '{{' (write '{{{{' for a literal brace)")
            }
            InsertError::UnmatchedBrace { pattern } => {
                write!(f, "pattern {pattern:?} has an unmatched '}}' (write '}}}}' for a literal brace)")
            }
            InsertError::EmptyParamName { pattern } => {
                write!(f, "pattern {pattern:?} has a parameter with an empty name")
            }
            InsertError::InvalidParamName { pattern, name } => write!(
                f,
                "pattern {pattern:?} has an invalid parameter name {name:?} (no '{{', '/' or inner '*')"
            ),
            InsertError::DuplicateParam { pattern, name } => {
                write!(f, "pattern {pattern:?} uses the parameter name {name:?} twice")
            }
            InsertError::AdjacentParams { pattern } => write!(
                f,
                "pattern {pattern:?} has two parameters with no static text between them"
            ),
            InsertError::CatchAllNotAtEnd { pattern } => {
                write!(f, "pattern {pattern:?} has a catch-all that is not at the end")
            }
            InsertError::CatchAllNotSegment { pattern } => write!(
                f,
                "pattern {pattern:?} has a catch-all that does not follow a '/'"
            ),
            InsertError::TooManyParams { pattern, max } => {
                write!(f, "pattern {pattern:?} has more than {max} parameters")
            }
            InsertError::InvalidMethod { method } => {
                write!(f, "method {method:?} is not a valid token")
            }
            InsertError::TooManyMethods { method } => write!(
                f,
                "method {method:?} does not fit: a router holds at most {} extension methods",
                crate::method::MAX_EXTENSION_METHODS
            ),
            InsertError::Conflict { method, pattern, existing } => write!(
                f,
                "route {method} {pattern} conflicts with {method} {existing}: both match the same paths with the same priority"
            ),
        }
    }
}

impl std::error::Error for InsertError {}

/// Why [`Router::at`](crate::Router::at) found no route. Each variant maps to one HTTP answer,
/// given by [`MatchError::status`].
///
/// # Examples
///
/// ```
/// use brisk_router::{MatchError, Method, Router};
///
/// let mut router = Router::new();
/// router.insert(Method::Get, "/users", ()).unwrap();
/// assert_eq!(
///     router.at(Method::Get, "/users/"),
///     Err(MatchError::NotFound { trailing_slash: true })
/// );
/// assert_eq!(router.at(Method::Get, "/nope").unwrap_err().status(), 404);
/// assert_eq!(router.at(Method::Post, "/users").unwrap_err().status(), 405);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MatchError {
    /// No route matches the path, for any method.
    NotFound {
        /// True when the same path with a final `/` added (or removed) has a route for the
        /// request's method, so a server may answer `308 Permanent Redirect` to it.
        trailing_slash: bool,
    },
    /// Routes match the path, but none for the request's method.
    MethodNotAllowed {
        /// The methods that do have a route for this path (the `Allow` header value).
        allowed: MethodSet,
    },
    /// The lookup needed more than [`Config::max_steps`](crate::Config::max_steps) steps
    /// (a path crafted to make in-segment parameters backtrack).
    TooComplex,
    /// The path is longer than [`MAX_PATH_LEN`](crate::MAX_PATH_LEN) (65,535 bytes).
    PathTooLong,
}

impl MatchError {
    /// The HTTP status a server answers with: 404 (or 308 to the trailing-slash variant when
    /// `trailing_slash` is set), 405, and 414 for the two lookup limits.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_router::MatchError;
    ///
    /// assert_eq!(MatchError::NotFound { trailing_slash: true }.status(), 308);
    /// assert_eq!(MatchError::TooComplex.status(), 414);
    /// ```
    pub fn status(&self) -> u16 {
        match self {
            MatchError::NotFound {
                trailing_slash: false,
            } => 404,
            MatchError::NotFound {
                trailing_slash: true,
            } => 308,
            MatchError::MethodNotAllowed { .. } => 405,
            MatchError::TooComplex => 414,
            MatchError::PathTooLong => 414,
        }
    }
}

impl fmt::Display for MatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchError::NotFound {
                trailing_slash: false,
            } => f.write_str("no route matches the path"),
            MatchError::NotFound {
                trailing_slash: true,
            } => f.write_str(
                "no route matches the path, but one matches it with the final '/' toggled",
            ),
            MatchError::MethodNotAllowed { allowed } => {
                write!(f, "method not allowed for this path (allowed: {allowed})")
            }
            MatchError::TooComplex => f.write_str("path needs too many steps to match"),
            MatchError::PathTooLong => f.write_str("path is longer than 65535 bytes"),
        }
    }
}

impl std::error::Error for MatchError {}
