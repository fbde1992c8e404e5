//! Route patterns: parsing `"/users/{id}/files/{*path}"` into static text, params and a
//! catch-all, with every syntax error reported as an [`InsertError`].

use crate::error::InsertError;

/// One piece of a parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Part {
    /// Literal bytes (braces unescaped; ASCII-lowercased when the router ignores case).
    Static(Vec<u8>),
    /// `{name}`: one or more bytes other than `/`.
    Param,
    /// `{*name}`: one or more bytes (any, `/` included) up to the end of the path.
    CatchAll,
}

/// A parsed pattern. `parts` is its *shape*: two patterns with the same shape match exactly the
/// same paths with exactly the same priority, whatever their parameter names.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    pub(crate) parts: Vec<Part>,
    pub(crate) names: Vec<Box<str>>,
}

/// Parses `pattern`. `ignore_case` lowercases the static bytes (ASCII only).
pub(crate) fn parse(
    pattern: &str,
    ignore_case: bool,
    max_params: usize,
) -> Result<Pattern, InsertError> {
    let err_pattern = || pattern.to_owned();
    let bytes = pattern.as_bytes();
    if bytes.first() != Some(&b'/') {
        return Err(InsertError::MissingLeadingSlash {
            pattern: err_pattern(),
        });
    }
    let mut parts: Vec<Part> = Vec::new();
    let mut names: Vec<Box<str>> = Vec::new();
    let mut text: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                text.push(b'{');
                i += 2;
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => {
                text.push(b'}');
                i += 2;
            }
            b'}' => {
                return Err(InsertError::UnmatchedBrace {
                    pattern: err_pattern(),
                })
            }
            b'{' => {
                let close = match bytes[i + 1..].iter().position(|&c| c == b'}') {
                    Some(n) => i + 1 + n,
                    None => {
                        return Err(InsertError::UnclosedBrace {
                            pattern: err_pattern(),
                        })
                    }
                };
                let inner = &pattern[i + 1..close];
                let (catch_all, name) = match inner.strip_prefix('*') {
                    Some(rest) => (true, rest),
                    None => (false, inner),
                };
                if name.is_empty() {
                    return Err(InsertError::EmptyParamName {
                        pattern: err_pattern(),
                    });
                }
                if name.bytes().any(|c| matches!(c, b'{' | b'/' | b'*')) {
                    return Err(InsertError::InvalidParamName {
                        pattern: err_pattern(),
                        name: name.to_owned(),
                    });
                }
                if names.iter().any(|n| &**n == name) {
                    return Err(InsertError::DuplicateParam {
                        pattern: err_pattern(),
                        name: name.to_owned(),
                    });
                }
                if !text.is_empty() {
                    parts.push(Part::Static(std::mem::take(&mut text)));
                } else if matches!(parts.last(), Some(Part::Param)) {
                    return Err(InsertError::AdjacentParams {
                        pattern: err_pattern(),
                    });
                }
                if catch_all {
                    if close + 1 != bytes.len() {
                        return Err(InsertError::CatchAllNotAtEnd {
                            pattern: err_pattern(),
                        });
                    }
                    let after_slash =
                        matches!(parts.last(), Some(Part::Static(s)) if s.last() == Some(&b'/'));
                    if !after_slash {
                        return Err(InsertError::CatchAllNotSegment {
                            pattern: err_pattern(),
                        });
                    }
                    parts.push(Part::CatchAll);
                } else {
                    parts.push(Part::Param);
                }
                names.push(name.into());
                if names.len() > max_params {
                    return Err(InsertError::TooManyParams {
                        pattern: err_pattern(),
                        max: max_params,
                    });
                }
                i = close + 1;
            }
            _ => {
                text.push(if ignore_case {
                    b.to_ascii_lowercase()
                } else {
                    b
                });
                i += 1;
            }
        }
    }
    if !text.is_empty() {
        parts.push(Part::Static(text));
    }
    Ok(Pattern { parts, names })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let p = parse("/a/{x}.{y}/{{z}}/{*rest}", false, 8).unwrap();
        assert_eq!(
            p.parts,
            vec![
                Part::Static(b"/a/".to_vec()),
                Part::Param,
                Part::Static(b".".to_vec()),
                Part::Param,
                Part::Static(b"/{z}/".to_vec()),
                Part::CatchAll,
            ]
        );
        assert_eq!(
            p.names,
            vec!["x".into(), "y".into(), "rest".into()] as Vec<Box<str>>
        );
        let q = parse("/A/{b}", true, 8).unwrap();
        assert_eq!(q.parts, vec![Part::Static(b"/a/".to_vec()), Part::Param]);
    }
}
