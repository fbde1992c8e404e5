//! Router options and limits.

use crate::params::MAX_PARAMS;

/// Options and limits of a [`Router`](crate::Router), fixed when it is built (changing them
/// later could change which routes conflict).
///
/// # Examples
///
/// ```
/// use brisk_router::{Config, Method, Router};
///
/// let mut config = Config::default();
/// config.ignore_case = true;
/// let mut router = Router::with_config(config);
/// router.insert(Method::Get, "/About/{page}", ()).unwrap();
/// let m = router.at(Method::Get, "/aBOUT/Team").unwrap();
/// assert_eq!(m.params().get("page"), Some("Team")); // params keep their case
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Compare static text ASCII-case-insensitively (`/About` matches `/about`); patterns
    /// that differ only in case then conflict. Parameter values keep the path's case.
    /// Default: false.
    pub ignore_case: bool,
    /// Most parameters (catch-all included) in one pattern, checked at insert; values above
    /// [`MAX_PARAMS`] (8) act as 8. Default: 8.
    pub max_params: usize,
    /// Most search steps (node visits and candidate lengths of in-segment parameters) one
    /// lookup may take before it gives up with
    /// [`MatchError::TooComplex`](crate::MatchError::TooComplex). Route sets whose params
    /// span whole segments need about one step per node on the way; the limit guards against
    /// paths crafted to make patterns like `/{a}.{b}.{c}` backtrack (polynomial blow-up).
    /// Default: 65,536.
    pub max_steps: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            ignore_case: false,
            max_params: MAX_PARAMS,
            max_steps: 65_536,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_docs() {
        let c = Config::default();
        assert!(!c.ignore_case);
        assert_eq!(c.max_params, 8);
        assert_eq!(c.max_steps, 65_536);
    }
}
