//! Choosing a precompressed variant by `Accept-Encoding` (RFC 9110 §12.5.3).
//!
//! For a compressible file `x.js`, the variants looked for are `x.js.br`, `x.js.zst` and
//! `x.js.gz`. Each coding's weight is its own `q` if listed, else that of `*` if listed, else
//! 0 (not acceptable). `identity` is acceptable unless listed with `q=0`, or `*;q=0` is
//! listed without `identity`. A variant is a candidate when its weight is above 0 and at
//! least identity's; candidates are tried by weight, ties broken by size (`br`, then `zstd`,
//! then `gzip`). No `Accept-Encoding` at all, or an empty one, means identity only. When
//! identity is refused and no acceptable variant exists, the file is sent as it is (as nginx
//! does) rather than with 406: the client said what it prefers, not what it can read.

/// A content coding with a precompressed variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Coding {
    Br,
    Zstd,
    Gzip,
}

impl Coding {
    /// In tie-breaking order (smallest output first).
    pub(super) const ALL: [Coding; 3] = [Coding::Br, Coding::Zstd, Coding::Gzip];

    /// The file name suffix of the variant.
    pub(super) fn suffix(self) -> &'static str {
        match self {
            Coding::Br => ".br",
            Coding::Zstd => ".zst",
            Coding::Gzip => ".gz",
        }
    }

    /// The `Content-Encoding` token.
    pub(super) fn token(self) -> &'static str {
        match self {
            Coding::Br => "br",
            Coding::Zstd => "zstd",
            Coding::Gzip => "gzip",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The weights of one request's `Accept-Encoding`, in thousandths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Accept {
    codings: [u16; 3],
    identity: u16,
}

/// Parses every `Accept-Encoding` line of a request (a list field: lines combine).
/// Elements that do not parse (a bad `q`) are ignored, as a recipient may.
pub(super) fn parse<'a>(lines: impl Iterator<Item = &'a [u8]>) -> Accept {
    let mut explicit: [Option<u16>; 3] = [None; 3];
    let mut identity = None;
    let mut star = None;
    let mut any = false;
    for line in lines {
        any = true;
        for elem in line.split(|&b| b == b',') {
            let mut parts = elem.split(|&b| b == b';');
            let token = trim(parts.next().unwrap_or(b""));
            if token.is_empty() {
                continue;
            }
            let mut q = Some(1000);
            for p in parts {
                let p = trim(p);
                if p.len() >= 2 && p[..2].eq_ignore_ascii_case(b"q=") {
                    q = qvalue(trim(&p[2..]));
                }
            }
            let Some(q) = q else { continue };
            let slot = if token.eq_ignore_ascii_case(b"br") {
                &mut explicit[Coding::Br.index()]
            } else if token.eq_ignore_ascii_case(b"zstd") {
                &mut explicit[Coding::Zstd.index()]
            } else if token.eq_ignore_ascii_case(b"gzip") || token.eq_ignore_ascii_case(b"x-gzip") {
                &mut explicit[Coding::Gzip.index()]
            } else if token.eq_ignore_ascii_case(b"identity") {
                &mut identity
            } else if token == b"*" {
                &mut star
            } else {
                continue;
            };
            *slot = Some(q);
        }
    }
    if !any {
        return Accept {
            codings: [0; 3],
            identity: 1000,
        };
    }
    Accept {
        codings: explicit.map(|q| q.or(star).unwrap_or(0)),
        identity: identity.or(star).unwrap_or(1000),
    }
}

impl Accept {
    /// The variants worth trying, best first (see the module documentation).
    pub(super) fn candidates(&self) -> impl Iterator<Item = Coding> + '_ {
        let mut order = Coding::ALL;
        // Stable: equal weights keep the br, zstd, gzip order.
        order.sort_by_key(|c| std::cmp::Reverse(self.codings[c.index()]));
        order.into_iter().filter(move |c| {
            let q = self.codings[c.index()];
            q > 0 && q >= self.identity
        })
    }
}

/// A `qvalue` (RFC 9110 §12.4.2): `0`, `1`, `0.xyz`, `1.000`, in thousandths.
fn qvalue(v: &[u8]) -> Option<u16> {
    let (int, frac) = match v.iter().position(|&b| b == b'.') {
        Some(i) => (&v[..i], &v[i + 1..]),
        None => (v, &b""[..]),
    };
    if int.len() != 1 || frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths = 0u16;
    for i in 0..3 {
        thousandths = thousandths * 10 + frac.get(i).map_or(0, |d| u16::from(d - b'0'));
    }
    match int[0] {
        b'0' => Some(thousandths),
        b'1' if thousandths == 0 => Some(1000),
        _ => None,
    }
}

fn trim(b: &[u8]) -> &[u8] {
    crate::response::trim(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The variants tried for one `Accept-Encoding` value (`None`: no field).
    fn order(v: Option<&str>) -> String {
        let a = parse(v.map(str::as_bytes).into_iter());
        a.candidates()
            .map(Coding::token)
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn q_values() {
        assert_eq!(qvalue(b"0"), Some(0));
        assert_eq!(qvalue(b"1"), Some(1000));
        assert_eq!(qvalue(b"1.000"), Some(1000));
        assert_eq!(qvalue(b"0.5"), Some(500));
        assert_eq!(qvalue(b"0.125"), Some(125));
        assert_eq!(qvalue(b"0."), Some(0));
        for bad in ["", "1.5", "2", "0.1234", "-1", "0.x", ".5", "01"] {
            assert_eq!(qvalue(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn every_negotiation_case() {
        // No field, or an empty one: identity only.
        assert_eq!(order(None), "");
        assert_eq!(order(Some("")), "");
        // Browsers: all three offered, tie broken br, zstd, gzip.
        assert_eq!(order(Some("gzip, deflate, br, zstd")), "br,zstd,gzip");
        assert_eq!(order(Some("gzip")), "gzip");
        assert_eq!(order(Some("x-gzip")), "gzip");
        assert_eq!(order(Some("GZIP;Q=0.5")), "");
        // Weights order the candidates...
        assert_eq!(order(Some("br;q=0.5, gzip;q=0.9")), "");
        assert_eq!(
            order(Some("br;q=0.5, gzip;q=0.9, identity;q=0.1")),
            "gzip,br"
        );
        // ... and one below identity's is not worth it.
        assert_eq!(order(Some("gzip;q=0.5, identity")), "");
        assert_eq!(order(Some("gzip;q=0.5, identity;q=0.5")), "gzip");
        // q=0 excludes.
        assert_eq!(order(Some("br;q=0, gzip")), "gzip");
        assert_eq!(order(Some("br, gzip;q=0")), "br");
        // `*` covers what is not listed, at its weight.
        assert_eq!(order(Some("*")), "br,zstd,gzip");
        assert_eq!(order(Some("*;q=0.5, gzip")), "gzip,br,zstd");
        assert_eq!(order(Some("*, br;q=0")), "zstd,gzip");
        assert_eq!(order(Some("*;q=0")), "");
        // identity refused: every acceptable coding is a candidate, whatever its weight.
        assert_eq!(order(Some("identity;q=0, gzip;q=0.1")), "gzip");
        assert_eq!(order(Some("*;q=0, br;q=0.2")), "br");
        // Unknown codings and bad weights are ignored.
        assert_eq!(order(Some("compress, deflate")), "");
        assert_eq!(order(Some("br;q=2, gzip")), "gzip");
        assert_eq!(order(Some("br;level=9")), "br");
        // Several lines combine.
        let a = parse([&b"br;q=0.1"[..], b"identity;q=0"].into_iter());
        assert_eq!(a.candidates().collect::<Vec<_>>(), [Coding::Br]);
    }

    #[test]
    fn identity_weight() {
        let w = |v: &str| parse(std::iter::once(v.as_bytes())).identity;
        assert_eq!(w("gzip"), 1000);
        assert_eq!(w("identity;q=0"), 0);
        assert_eq!(w("*;q=0"), 0);
        assert_eq!(w("*;q=0, identity"), 1000);
        assert_eq!(w("*;q=0.3"), 300);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes(v in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let a = parse(std::iter::once(&v[..]));
            proptest::prop_assert!(a.candidates().count() <= 3);
        }
    }
}
