//! `--config FILE`: a TOML document whose top-level keys are the flags without their dashes
//! (`workers = 4`, `max-body = "1M"`, `bind = ["127.0.0.1:8080", "localhost:8081"]`). Every
//! error names the line and the key: a syntax error, an unknown key, a value of the wrong type,
//! a value out of range.

use std::path::Path;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::config::{kind, Kind, Overrides, KEYS};

/// Reads and checks the file at `path`.
///
/// # Errors
///
/// `PATH: message` when it cannot be read, `PATH:LINE: message` for what is wrong inside.
pub fn load(path: &Path) -> Result<Overrides, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("--config {}: {e}", path.display()))?;
    parse(&text).map_err(|(line, msg)| format!("{}:{line}: {msg}", path.display()))
}

/// Checks a configuration document; an error comes with its line (from 1).
pub fn parse(text: &str) -> Result<Overrides, (usize, String)> {
    let line = |at: usize| text[..at.min(text.len())].matches('\n').count() + 1;
    let doc = DeTable::parse(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        (line(at), format!("TOML syntax: {}", e.message().trim_end()))
    })?;
    // In the file's order, so that the first error reported is the first in the file.
    let mut entries: Vec<_> = doc.get_ref().iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    let mut o = Overrides::default();
    for (key, value) in entries {
        let name: &str = key.get_ref();
        let at = line(key.span().start);
        let Some(kind) = kind(name) else {
            return Err((
                at,
                format!("unknown key '{name}' (allowed: {})", KEYS.join(", ")),
            ));
        };
        set(&mut o, name, kind, value).map_err(|(span_at, msg)| (line(span_at), msg))?;
    }
    Ok(o)
}

/// Sets `key` from a TOML value of the kinds it accepts; errors with the byte offset of the
/// value at fault.
fn set(
    o: &mut Overrides,
    key: &str,
    kind: Kind,
    value: &Spanned<DeValue<'_>>,
) -> Result<(), (usize, String)> {
    let at = value.span().start;
    let bad = |v: &str, why: String| (at, format!("key '{key}': bad value {v}: {why}"));
    let wrong = |v: &DeValue<'_>, want: &str| {
        (
            at,
            format!("key '{key}' must be {want}, not {}", type_name(v)),
        )
    };
    match (kind, value.get_ref()) {
        (Kind::Addrs, DeValue::String(s)) => {
            o.set(key, s).map_err(|e| bad(&format!("\"{s}\""), e))?;
        }
        (Kind::Addrs, DeValue::Array(items)) => {
            if items.is_empty() {
                return Err((at, format!("key '{key}': the list of addresses is empty")));
            }
            for item in items {
                let DeValue::String(s) = item.get_ref() else {
                    let item_at = item.span().start;
                    let msg = format!(
                        "key '{key}': each address must be a string, not {}",
                        type_name(item.get_ref())
                    );
                    return Err((item_at, msg));
                };
                o.set(key, s).map_err(|e| {
                    (
                        item.span().start,
                        format!("key '{key}': bad value \"{s}\": {e}"),
                    )
                })?;
            }
        }
        (Kind::Addrs, v) => {
            return Err(wrong(v, "a string or an array of strings"));
        }
        (Kind::Count | Kind::Size | Kind::Duration, DeValue::Integer(i)) => {
            let text = i128::from_str_radix(i.as_str(), i.radix())
                .map(|n| n.to_string())
                .unwrap_or_else(|_| i.as_str().to_string());
            o.set(key, &text).map_err(|e| bad(&text, e))?;
        }
        (Kind::Size | Kind::Duration | Kind::Path | Kind::Text, DeValue::String(s)) => {
            o.set(key, s).map_err(|e| bad(&format!("\"{s}\""), e))?;
        }
        (Kind::Count, v) => return Err(wrong(v, "an integer")),
        (Kind::Size, v) => {
            return Err(wrong(
                v,
                "a string such as \"1M\" or an integer number of bytes",
            ));
        }
        (Kind::Duration, v) => {
            return Err(wrong(
                v,
                "a string such as \"10s\" or an integer number of seconds",
            ));
        }
        (Kind::Path | Kind::Text, v) => return Err(wrong(v, "a string")),
    }
    Ok(())
}

fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::listen::Bind;
    use std::time::Duration;

    #[test]
    fn every_key() {
        let o = parse(
            "# comment\nbind = [\"127.0.0.1:1\", \"localhost:2\"]\nworkers = 3\n\
             header-timeout = \"500ms\"\nidle-timeout = 120\nmax-body = \"64K\"\n\
             shutdown-timeout = \"1.5\"\ndir = \"/srv/www\"\n",
        )
        .unwrap();
        let mut s = Settings::default();
        s.apply(&o);
        assert_eq!(
            s.bind,
            vec![
                Bind::parse("127.0.0.1:1").unwrap(),
                Bind::parse("localhost:2").unwrap()
            ]
        );
        assert_eq!(s.workers, 3);
        assert_eq!(s.header_timeout, Duration::from_millis(500));
        assert_eq!(s.idle_timeout, Duration::from_secs(120));
        assert_eq!(s.max_body, 65536);
        assert_eq!(s.shutdown_timeout, Duration::from_millis(1500));
        assert_eq!(s.dir.as_deref(), Some(Path::new("/srv/www")));
        let o = parse("bind = \"[::1]:9\"\nmax-body = 1000\nworkers = 0x10\n").unwrap();
        assert_eq!(o.bind, vec![Bind::parse("[::1]:9").unwrap()]);
        assert_eq!(o.max_body, Some(1000));
        assert_eq!(o.workers, Some(16));
        assert_eq!(parse("").unwrap(), Overrides::default());
    }

    #[test]
    fn errors_name_the_line_and_the_key() {
        let rows: &[(&str, usize, &str)] = &[
            ("workers = 2\nport = 80\n", 2, "unknown key 'port' (allowed: bind,"),
            ("\n\n[server]\nworkers = 2\n", 3, "unknown key 'server'"),
            ("workers = \"4\"\n", 1, "key 'workers' must be an integer, not a string"),
            ("workers = 2.5\n", 1, "key 'workers' must be an integer, not a float"),
            ("\nworkers = 0\n", 2, "key 'workers': bad value 0: expected a whole number from 1 to 1024"),
            ("workers = -3\n", 1, "key 'workers': bad value -3"),
            ("max-body = \"1T\"\n", 1, "key 'max-body': bad value \"1T\": expected bytes"),
            ("max-body = true\n", 1, "key 'max-body' must be a string such as \"1M\" or an integer number of bytes, not a boolean"),
            ("idle-timeout = \"soon\"\n", 1, "key 'idle-timeout': bad value \"soon\": expected a duration"),
            ("idle-timeout = 0\n", 1, "key 'idle-timeout': bad value 0"),
            ("shutdown-timeout = 1.5\n", 1, "key 'shutdown-timeout' must be a string such as \"10s\""),
            ("dir = 3\n", 1, "key 'dir' must be a string, not an integer"),
            ("dir = \"\"\n", 1, "key 'dir': bad value \"\": expected the path of a directory"),
            ("bind = 8080\n", 1, "key 'bind' must be a string or an array of strings, not an integer"),
            ("bind = []\n", 1, "key 'bind': the list of addresses is empty"),
            ("bind = [\n  \"127.0.0.1:1\",\n  2,\n]\n", 3, "key 'bind': each address must be a string, not an integer"),
            ("bind = [\n  \"127.0.0.1:1\",\n  \"localhost\",\n]\n", 3, "key 'bind': bad value \"localhost\": expected IP:PORT"),
            ("workers = 2\nworkers = 3\n", 2, "TOML syntax:"),
            ("workers = 2\n\nbind = \n", 3, "TOML syntax:"),
            ("workers = 2\nmax-body = \"1T\"\nport = 1\n", 2, "key 'max-body'"),
        ];
        for (text, line, want) in rows {
            let (got_line, msg) = parse(text).unwrap_err();
            assert!(msg.contains(want), "{text:?}: {msg}");
            assert_eq!(got_line, *line, "{text:?}: {msg}");
        }
    }

    #[test]
    fn print_config_reads_back_to_the_same_settings() {
        let mut s = Settings::default();
        let mut o = Overrides::default();
        for (k, v) in [
            ("bind", "127.0.0.1:0"),
            ("bind", "localhost:8081"),
            ("bind", "[::1]:9"),
            ("workers", "7"),
            ("header-timeout", "1.25ms"),
            ("idle-timeout", "2m"),
            ("max-body", "1536K"),
            ("shutdown-timeout", "1.5"),
            ("dir", "/srv/a \"quoted\" \\ dir"),
        ] {
            o.set(k, v).unwrap();
        }
        s.apply(&o);
        for s in [Settings::default(), s] {
            let text = s.to_toml();
            let mut back = Settings {
                workers: 999,
                ..Settings::default()
            };
            back.apply(&parse(&text).unwrap_or_else(|e| panic!("{e:?} in\n{text}")));
            assert_eq!(back, s, "{text}");
        }
    }
}
