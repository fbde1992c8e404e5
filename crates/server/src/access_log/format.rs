//! Access log formats: nginx `log_format` strings with `$variable` names, parsed once at start
//! into a list of literal pieces and variables.

use std::fmt;

/// nginx's `combined` format, the default.
pub(crate) const COMBINED: &str = "$remote_addr - $remote_user [$time_local] \"$request\" \
    $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"";

/// A value an access log line can hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Var {
    /// The client's IP address.
    RemoteAddr,
    /// The user name of `Authorization: Basic`, else `-`.
    RemoteUser,
    /// `06/Dec/2026:08:10:00 +0000` (UTC).
    TimeLocal,
    /// `2026-12-06T08:10:00+00:00` (UTC).
    TimeIso8601,
    /// The request line: `GET /path?q HTTP/1.1`.
    Request,
    /// The method.
    RequestMethod,
    /// The request target as sent (path and query).
    RequestUri,
    /// `HTTP/1.0`, `HTTP/1.1` or `HTTP/2.0`.
    ServerProtocol,
    /// The status sent.
    Status,
    /// Body bytes sent (the declared length of a streamed body, 0 for a chunked stream).
    BodyBytesSent,
    /// Head and body bytes sent.
    BytesSent,
    /// Seconds from the request's head to its answer, with milliseconds (`0.012`).
    RequestTime,
    /// A request header, by lowercase name with `-` (from `$http_user_agent`, `user-agent`).
    Header(Box<str>),
}

/// One piece of a parsed format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Bytes copied as they are.
    Literal(Box<str>),
    /// A variable's value.
    Var(Var),
}

/// A parsed format: what [`parse`] made of a format string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Format {
    pub(crate) pieces: Vec<Piece>,
}

/// A format string the access log cannot use.
///
/// # Examples
///
/// ```
/// let e = brisk_server::AccessLog::stdout().format("$nope").unwrap_err();
/// assert_eq!(e.to_string(), "unknown access log variable `$nope`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormatError {
    /// A `$name` that is not a known variable.
    UnknownVariable(String),
    /// A `$` with no name after it (or `${` without its `}`).
    EmptyVariable,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::UnknownVariable(v) => write!(f, "unknown access log variable `${v}`"),
            FormatError::EmptyVariable => f.write_str("`$` without a variable name"),
        }
    }
}

impl std::error::Error for FormatError {}

/// The variable called `name` (without the `$`).
fn var(name: &str) -> Result<Var, FormatError> {
    Ok(match name {
        "remote_addr" => Var::RemoteAddr,
        "remote_user" => Var::RemoteUser,
        "time_local" => Var::TimeLocal,
        "time_iso8601" => Var::TimeIso8601,
        "request" => Var::Request,
        "request_method" => Var::RequestMethod,
        "request_uri" => Var::RequestUri,
        "server_protocol" => Var::ServerProtocol,
        "status" => Var::Status,
        "body_bytes_sent" => Var::BodyBytesSent,
        "bytes_sent" => Var::BytesSent,
        "request_time" => Var::RequestTime,
        _ => match name.strip_prefix("http_") {
            Some(h) if !h.is_empty() => Var::Header(h.replace('_', "-").into()),
            _ => return Err(FormatError::UnknownVariable(name.to_string())),
        },
    })
}

/// Parses a format: `$name` (letters, digits, `_`) or `${name}` is a variable, anything else
/// is literal.
pub(crate) fn parse(s: &str) -> Result<Format, FormatError> {
    let mut pieces = Vec::new();
    let mut lit = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('$') {
        lit.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, next) = if let Some(braced) = after.strip_prefix('{') {
            let end = braced.find('}').ok_or(FormatError::EmptyVariable)?;
            (&braced[..end], &braced[end + 1..])
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        if name.is_empty() {
            return Err(FormatError::EmptyVariable);
        }
        let v = var(&name.to_ascii_lowercase())?;
        if !lit.is_empty() {
            pieces.push(Piece::Literal(std::mem::take(&mut lit).into()));
        }
        pieces.push(Piece::Var(v));
        rest = next;
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        pieces.push(Piece::Literal(lit.into()));
    }
    Ok(Format { pieces })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_parses_into_its_pieces() {
        let f = parse(COMBINED).unwrap();
        assert_eq!(f.pieces[0], Piece::Var(Var::RemoteAddr));
        assert_eq!(f.pieces[1], Piece::Literal(" - ".into()));
        assert_eq!(
            f.pieces.last(),
            Some(&Piece::Literal("\"".into())),
            "{:?}",
            f.pieces
        );
        assert!(f
            .pieces
            .contains(&Piece::Var(Var::Header("user-agent".into()))));
    }

    #[test]
    fn braces_headers_and_errors() {
        let f = parse("${status}x $http_X_Request_Id").unwrap();
        assert_eq!(
            f.pieces,
            [
                Piece::Var(Var::Status),
                Piece::Literal("x ".into()),
                Piece::Var(Var::Header("x-request-id".into())),
            ]
        );
        assert_eq!(
            parse("$bogus"),
            Err(FormatError::UnknownVariable("bogus".into()))
        );
        assert_eq!(parse("a $ b"), Err(FormatError::EmptyVariable));
        assert_eq!(parse("${status"), Err(FormatError::EmptyVariable));
        assert_eq!(
            parse("plain").unwrap().pieces,
            [Piece::Literal("plain".into())]
        );
    }
}
