//! One table per routing rule of issue 6, through the public API only.

use brisk_router::{
    percent_decode, Config, DecodeError, InsertError, MatchError, Method, RouteMethod, Router,
};

const GET: Method<'static> = Method::Get;

fn router(routes: &[&str]) -> Router<String> {
    let mut r = Router::new();
    for p in routes {
        r.insert(GET, p, p.to_string())
            .unwrap_or_else(|e| panic!("{p}: {e}"));
    }
    r
}

/// `(path, Some((pattern, params)))` or `(path, None)` for 404.
type Case<'a> = (&'a str, Option<(&'a str, &'a [(&'a str, &'a str)])>);

fn check(name: &str, routes: &[&str], cases: &[Case<'_>]) {
    let r = router(routes);
    for (path, want) in cases {
        let got = r.at(GET, path);
        match (want, got) {
            (Some((pattern, params)), Ok(m)) => {
                assert_eq!(m.value(), pattern, "{name}: {path}");
                let got: Vec<(&str, &str)> = m.params().iter().collect();
                assert_eq!(&got[..], *params, "{name}: {path}");
            }
            (None, Err(MatchError::NotFound { .. })) => {}
            (want, got) => panic!("{name}: {path}: want {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn static_param_catch_all() {
    check(
        "basics",
        &["/", "/users", "/users/{id}", "/files/{*path}"],
        &[
            ("/", Some(("/", &[]))),
            ("/users", Some(("/users", &[]))),
            ("/users/42", Some(("/users/{id}", &[("id", "42")]))),
            ("/users/", None), // a param is never empty
            ("/users/42/x", None),
            (
                "/files/a/b/c.txt",
                Some(("/files/{*path}", &[("path", "a/b/c.txt")])),
            ),
            ("/files/", None), // nor is a catch-all
            ("/files", None),
            ("", None),
            ("users", None),
        ],
    );
}

#[test]
fn params_inside_a_segment() {
    check(
        "in-segment",
        &[
            "/{name}.json",
            "/v{version}/items",
            "/dl/{file}.{ext}",
            "/pre{a}mid{b}post",
        ],
        &[
            (
                "/report.json",
                Some(("/{name}.json", &[("name", "report")])),
            ),
            ("/a.b.json", Some(("/{name}.json", &[("name", "a.b")]))),
            ("/.json", None),
            (
                "/v2/items",
                Some(("/v{version}/items", &[("version", "2")])),
            ),
            ("/v/items", None),
            // Shortest match for the first param.
            (
                "/dl/archive.tar.gz",
                Some((
                    "/dl/{file}.{ext}",
                    &[("file", "archive"), ("ext", "tar.gz")],
                )),
            ),
            ("/dl/.x", None),
            ("/dl/x.", None),
            (
                "/preXmidYpost",
                Some(("/pre{a}mid{b}post", &[("a", "X"), ("b", "Y")])),
            ),
            (
                "/premidmidmidpost",
                Some(("/pre{a}mid{b}post", &[("a", "mid"), ("b", "mid")])),
            ),
        ],
    );
}

#[test]
fn escaped_braces() {
    check(
        "escapes",
        &["/{{id}}", "/x/{{{name}}}"],
        &[
            ("/{id}", Some(("/{{id}}", &[]))),
            ("/7", None),
            ("/x/{abc}", Some(("/x/{{{name}}}", &[("name", "abc")]))),
        ],
    );
}

#[test]
fn priority_and_backtracking() {
    check(
        "users",
        &["/users/new", "/users/{id}", "/users/{id}/edit"],
        &[
            ("/users/new", Some(("/users/new", &[]))),
            ("/users/7", Some(("/users/{id}", &[("id", "7")]))),
            // Fails down the static `new` branch, retried as a param.
            (
                "/users/new/edit",
                Some(("/users/{id}/edit", &[("id", "new")])),
            ),
            ("/users/newer", Some(("/users/{id}", &[("id", "newer")]))),
        ],
    );
    check(
        "abc",
        &["/a/b/c", "/a/{x}/d", "/{*rest}"],
        &[
            ("/a/b/c", Some(("/a/b/c", &[]))),
            ("/a/b/d", Some(("/a/{x}/d", &[("x", "b")]))),
            ("/a/b/e", Some(("/{*rest}", &[("rest", "a/b/e")]))),
            ("/a/b", Some(("/{*rest}", &[("rest", "a/b")]))),
            ("/", None),
        ],
    );
    check(
        "static beats param beats catch-all",
        &["/x/{a}", "/x/{*b}", "/x/y", "/{a}.json", "/{a}.{b}"],
        &[
            ("/x/y", Some(("/x/y", &[]))),
            ("/x/z", Some(("/x/{a}", &[("a", "z")]))),
            ("/x/z/w", Some(("/x/{*b}", &[("b", "z/w")]))),
            ("/k.json", Some(("/{a}.json", &[("a", "k")]))),
            ("/k.xml", Some(("/{a}.{b}", &[("a", "k"), ("b", "xml")]))),
        ],
    );
}

#[test]
fn insert_errors_name_the_problem() {
    let cases: &[(&str, &str)] = &[
        ("users", "pattern \"users\" does not start with '/'"),
        ("", "pattern \"\" does not start with '/'"),
        (
            "/{id",
            "pattern \"/{id\" has an unclosed '{' (write '{{' for a literal brace)",
        ),
        (
            "/id}",
            "pattern \"/id}\" has an unmatched '}' (write '}}' for a literal brace)",
        ),
        ("/{}", "pattern \"/{}\" has a parameter with an empty name"),
        (
            "/{*}",
            "pattern \"/{*}\" has a parameter with an empty name",
        ),
        (
            "/{a*b}",
            "pattern \"/{a*b}\" has an invalid parameter name \"a*b\" (no '{', '/' or inner '*')",
        ),
        (
            "/{a}/{a}",
            "pattern \"/{a}/{a}\" uses the parameter name \"a\" twice",
        ),
        (
            "/{a}{b}",
            "pattern \"/{a}{b}\" has two parameters with no static text between them",
        ),
        (
            "/{*rest}/x",
            "pattern \"/{*rest}/x\" has a catch-all that is not at the end",
        ),
        (
            "/x{*rest}",
            "pattern \"/x{*rest}\" has a catch-all that does not follow a '/'",
        ),
        (
            "/{a}{*rest}",
            "pattern \"/{a}{*rest}\" has two parameters with no static text between them",
        ),
    ];
    for (pattern, message) in cases {
        let mut r = Router::new();
        let err = r.insert(GET, pattern, ()).unwrap_err();
        assert_eq!(err.to_string(), *message, "{pattern}");
        assert!(r.is_empty());
    }
    let mut config = Config::default();
    config.max_params = 2;
    let mut r = Router::with_config(config);
    let err = r.insert(GET, "/{a}/{b}/{c}", ()).unwrap_err();
    assert_eq!(
        err,
        InsertError::TooManyParams {
            pattern: "/{a}/{b}/{c}".into(),
            max: 2
        }
    );
    assert_eq!(
        err.to_string(),
        "pattern \"/{a}/{b}/{c}\" has more than 2 parameters"
    );
    r.insert(GET, "/{a}/{b}", ()).unwrap();

    let err = r.insert(Method::Other(b"BAD METHOD"), "/", ()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "method \"BAD METHOD\" is not a valid token"
    );

    let mut r = Router::new();
    for i in 0..brisk_router::MAX_EXTENSION_METHODS {
        let m = format!("EXT{i}");
        r.insert(Method::Other(m.as_bytes()), "/", ()).unwrap();
    }
    let err = r.insert(Method::Other(b"ONEMORE"), "/", ()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "method \"ONEMORE\" does not fit: a router holds at most 54 extension methods"
    );
    // A method already known still fits.
    r.insert(Method::Other(b"EXT0"), "/other", ()).unwrap();
}

#[test]
fn conflicts_name_both_patterns() {
    let cases: &[(&str, &str)] = &[
        ("/{a}", "/{b}"),
        ("/x/{a}.json", "/x/{b}.json"),
        ("/files/{*a}", "/files/{*b}"),
        ("/{a}.{b}", "/{c}.{d}"),
        ("/same", "/same"),
        ("/{{x}}", "/{{x}}"),
    ];
    for (first, second) in cases {
        let mut r = Router::new();
        r.insert(GET, first, 1).unwrap();
        let err = r.insert(GET, second, 2).unwrap_err();
        assert_eq!(
            err,
            InsertError::Conflict {
                method: "GET".into(),
                pattern: second.to_string(),
                existing: first.to_string()
            }
        );
        assert_eq!(
            err.to_string(),
            format!("route GET {second} conflicts with GET {first}: both match the same paths with the same priority")
        );
        // The failed insert left the router unchanged.
        assert_eq!(r.len(), 1);
        assert_eq!(
            *r.at(GET, &second.replace("{*b}", "z").replace(['{', '}'], ""))
                .map(|m| *m.value())
                .as_ref()
                .unwrap_or(&1),
            1
        );
    }
    // Different shapes or methods never conflict.
    let mut r = Router::new();
    for (m, p) in [
        (RouteMethod::Only(GET), "/{a}"),
        (RouteMethod::Only(GET), "/{a}.json"),
        (RouteMethod::Only(GET), "/{a}.{b}"),
        (RouteMethod::Only(GET), "/{*a}"),
        (RouteMethod::Only(GET), "/x"),
        (RouteMethod::Only(GET), "/{a}/"),
        (RouteMethod::Only(Method::Post), "/{b}"),
        (RouteMethod::Any, "/{c}"),
        (RouteMethod::Only(Method::Other(b"PURGE")), "/{d}"),
    ] {
        r.insert(m, p, ()).unwrap_or_else(|e| panic!("{p}: {e}"));
    }
    let err = r.insert(RouteMethod::Any, "/{z}", ()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "route * /{z} conflicts with * /{c}: both match the same paths with the same priority"
    );
}

#[test]
fn not_found_vs_method_not_allowed() {
    let mut r = Router::new();
    r.insert(Method::Put, "/items/{id}", 1).unwrap();
    r.insert(Method::Get, "/items/{id}", 2).unwrap();
    r.insert(Method::Other(b"PURGE"), "/items/{x}", 3).unwrap();
    r.insert(Method::Delete, "/items/{id}/{*rest}", 4).unwrap();
    match r.at(Method::Post, "/items/9") {
        Err(MatchError::MethodNotAllowed { allowed }) => {
            assert_eq!(allowed.to_string(), "GET, PUT, PURGE");
            let v: Vec<Method<'_>> = allowed.iter().collect();
            assert_eq!(v, [Method::Get, Method::Put, Method::Other(b"PURGE")]);
            assert!(allowed.contains(Method::Other(b"PURGE")));
            assert!(!allowed.contains(Method::Delete));
        }
        other => panic!("{other:?}"),
    }
    // The allowed set covers every route matching the path, not just the best one.
    match r.at(Method::Post, "/items/9/a") {
        Err(MatchError::MethodNotAllowed { allowed }) => assert_eq!(allowed.to_string(), "DELETE"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        r.at(Method::Get, "/nothing"),
        Err(MatchError::NotFound {
            trailing_slash: false
        })
    );
    // Unknown extension methods get 405 too.
    assert!(matches!(
        r.at(Method::Other(b"FOO"), "/items/1"),
        Err(MatchError::MethodNotAllowed { .. })
    ));
    assert_eq!(
        MatchError::NotFound {
            trailing_slash: false
        }
        .to_string(),
        "no route matches the path"
    );
    assert_eq!(
        r.at(Method::Post, "/items/1").unwrap_err().to_string(),
        "method not allowed for this path (allowed: GET, PUT, PURGE)"
    );
    assert_eq!(
        MatchError::TooComplex.to_string(),
        "path needs too many steps to match"
    );
    assert_eq!(
        MatchError::PathTooLong.to_string(),
        "path is longer than 65535 bytes"
    );
}

#[test]
fn any_method_routes() {
    let mut r = Router::new();
    r.insert(RouteMethod::Any, "/x/{a}", "any").unwrap();
    r.insert(Method::Get, "/x/{b}", "get").unwrap();
    r.insert(Method::Post, "/x/y", "post").unwrap();
    assert_eq!(*r.at(Method::Get, "/x/1").unwrap().value(), "get");
    assert_eq!(
        r.at(Method::Get, "/x/1").unwrap().params().get("b"),
        Some("1")
    );
    assert_eq!(*r.at(Method::Delete, "/x/1").unwrap().value(), "any");
    assert_eq!(
        r.at(Method::Delete, "/x/1").unwrap().params().get("a"),
        Some("1")
    );
    assert_eq!(*r.at(Method::Other(b"X"), "/x/1").unwrap().value(), "any");
    // Static beats param even across methods: POST /x/y; others fall back to the param route.
    assert_eq!(*r.at(Method::Post, "/x/y").unwrap().value(), "post");
    assert_eq!(*r.at(Method::Get, "/x/y").unwrap().value(), "get");
    assert_eq!(*r.at(Method::Put, "/x/y").unwrap().value(), "any");
}

#[test]
fn trailing_slash_hint() {
    let r = router(&["/users", "/docs/", "/files/{*p}", "/a/{x}"]);
    let hint = |p: &str| r.at(GET, p).unwrap_err();
    assert_eq!(
        hint("/users/"),
        MatchError::NotFound {
            trailing_slash: true
        }
    );
    assert_eq!(
        hint("/docs"),
        MatchError::NotFound {
            trailing_slash: true
        }
    );
    // `/files/` would not match either: a catch-all is never empty.
    assert_eq!(
        hint("/files"),
        MatchError::NotFound {
            trailing_slash: false
        }
    );
    assert_eq!(
        hint("/a/b/"),
        MatchError::NotFound {
            trailing_slash: true
        }
    );
    assert_eq!(
        hint("/nope/"),
        MatchError::NotFound {
            trailing_slash: false
        }
    );
    assert_eq!(
        hint("/a/"),
        MatchError::NotFound {
            trailing_slash: false
        }
    );
    assert_eq!(hint("/nope").status(), 404);
    assert_eq!(hint("/users/").status(), 308);
    // Only a route of the request's method counts.
    let mut r = Router::new();
    r.insert(Method::Post, "/only-post", ()).unwrap();
    assert_eq!(
        r.at(GET, "/only-post/"),
        Err(MatchError::NotFound {
            trailing_slash: false
        })
    );
}

#[test]
fn case_insensitive_is_opt_in() {
    let r = router(&["/About/{Page}"]);
    assert!(r.at(GET, "/about/x").is_err());
    assert_eq!(
        r.at(GET, "/About/Team").unwrap().params().get("Page"),
        Some("Team")
    );

    let mut config = Config::default();
    config.ignore_case = true;
    let mut r = Router::with_config(config);
    r.insert(GET, "/About/{page}", 1).unwrap();
    r.insert(GET, "/about/us", 2).unwrap();
    assert_eq!(*r.at(GET, "/ABOUT/US").unwrap().value(), 2);
    assert_eq!(
        r.at(GET, "/aBoUt/TEAM").unwrap().params().get("page"),
        Some("TEAM")
    );
    let err = r.insert(GET, "/ABOUT/{x}", 3).unwrap_err();
    assert!(matches!(err, InsertError::Conflict { .. }), "{err}");
    assert_eq!(
        r.at(GET, "/ABOUT/"),
        Err(MatchError::NotFound {
            trailing_slash: false
        })
    );
}

#[test]
fn params_are_raw_slices_and_decoding_is_separate() {
    let r = router(&["/f/{name}", "/f/{name}/meta"]);
    let m = r.at(GET, "/f/a%2Fb").unwrap();
    assert_eq!(m.value(), "/f/{name}");
    let v = m.params().get("name").unwrap();
    assert_eq!(v, "a%2Fb");
    assert_eq!(percent_decode(v).unwrap(), "a/b");
    assert!(matches!(
        percent_decode("plain"),
        Ok(std::borrow::Cow::Borrowed("plain"))
    ));
    assert_eq!(percent_decode("%e2%82%AC+"), Ok("€+".into()));
    assert_eq!(
        percent_decode("%zz"),
        Err(DecodeError::InvalidEscape { at: 0 })
    );
    assert_eq!(
        percent_decode("ab%"),
        Err(DecodeError::InvalidEscape { at: 2 })
    );
    assert_eq!(percent_decode("%c3"), Err(DecodeError::InvalidUtf8));
    assert_eq!(
        DecodeError::InvalidEscape { at: 3 }.to_string(),
        "invalid percent escape at byte 3"
    );
    // Non-ASCII paths and patterns slice on char boundaries.
    let r = router(&["/café/{x}", "/{a}é{b}"]);
    assert_eq!(
        r.at(GET, "/café/thé").unwrap().params().get("x"),
        Some("thé")
    );
    assert_eq!(
        r.at(GET, "/ééé")
            .unwrap()
            .params()
            .iter()
            .collect::<Vec<_>>(),
        [("a", "é"), ("b", "é")]
    );
}

#[test]
fn method_from_token_bytes() {
    let cases: &[(&[u8], Result<Method<'_>, ()>)] = &[
        (b"GET", Ok(Method::Get)),
        (b"HEAD", Ok(Method::Head)),
        (b"POST", Ok(Method::Post)),
        (b"PUT", Ok(Method::Put)),
        (b"DELETE", Ok(Method::Delete)),
        (b"CONNECT", Ok(Method::Connect)),
        (b"OPTIONS", Ok(Method::Options)),
        (b"TRACE", Ok(Method::Trace)),
        (b"PATCH", Ok(Method::Patch)),
        (b"get", Ok(Method::Other(b"get"))),
        (b"M-SEARCH", Ok(Method::Other(b"M-SEARCH"))),
        (b"", Err(())),
        (b"GE T", Err(())),
        (b"GET\r", Err(())),
        (b"\xff", Err(())),
    ];
    // brisk-http1's `Method::from_bytes` maps any bytes; the router validates the token when a
    // route is inserted (InsertError::InvalidMethod).
    for (token, want) in cases {
        let m = Method::from_bytes(token);
        let got = Router::new().insert(m, "/", ()).map(|()| m).map_err(|_| ());
        assert_eq!(&got, want, "{token:?}");
        if let Ok(m) = got {
            assert_eq!(m.as_bytes(), *token);
        }
    }
    // An extension spelled like a standard method is the standard method.
    let mut r = Router::new();
    r.insert(Method::Other(b"GET"), "/", ()).unwrap();
    assert!(r.at(Method::Get, "/").is_ok());
}

#[test]
fn remove_and_list() {
    let mut r = Router::new();
    r.insert(GET, "/a", 1).unwrap();
    r.insert(GET, "/b/{x}", 2).unwrap();
    r.insert(Method::Post, "/b/{x}", 3).unwrap();
    r.insert(RouteMethod::Any, "/c/{*r}", 4).unwrap();
    let listed: Vec<String> = r
        .routes()
        .map(|x| format!("{} {} {}", x.method(), x.pattern(), x.value()))
        .collect();
    assert_eq!(
        listed,
        ["GET /a 1", "GET /b/{x} 2", "POST /b/{x} 3", "* /c/{*r} 4"]
    );
    assert_eq!(r.remove(GET, "/b/{y}"), Some(2)); // same shape
    assert_eq!(r.remove(GET, "/b/{y}"), None);
    assert_eq!(r.remove(GET, "/nope"), None);
    assert_eq!(r.remove(GET, "/{bad"), None);
    assert_eq!(r.remove(RouteMethod::Any, "/c/{*r}"), Some(4));
    assert_eq!(r.len(), 2);
    assert_eq!(*r.at(Method::Post, "/b/1").unwrap().value(), 3);
    assert_eq!(
        r.at(GET, "/b/1").unwrap_err().to_string(),
        "method not allowed for this path (allowed: POST)"
    );
    assert_eq!(
        r.at(GET, "/c/1"),
        Err(MatchError::NotFound {
            trailing_slash: false
        })
    );
    // Re-inserting after removal works and is found.
    r.insert(GET, "/b/{z}", 5).unwrap();
    assert_eq!(r.at(GET, "/b/1").unwrap().params().get("z"), Some("1"));
}

#[test]
fn backtracking_is_bounded() {
    let mut r = Router::new();
    r.insert(GET, "/{a}x{b}x{c}x{d}y", ()).unwrap();
    let path = format!("/{}z", "ax".repeat(2000));
    assert_eq!(r.at(GET, &path), Err(MatchError::TooComplex));
    assert_eq!(MatchError::TooComplex.status(), 414);
    // The same shape of path but small enough is answered exactly.
    let path = format!("/{}y", "ax".repeat(5));
    let m = r.at(GET, &path).unwrap();
    assert_eq!(m.params().get("a"), Some("a"));
    assert_eq!(m.params().get("d"), Some("axax"));
    // A single in-segment param over a long segment stays within the default budget.
    let mut r = Router::new();
    r.insert(GET, "/{name}.json", ()).unwrap();
    let path = format!("/{}.json", ".".repeat(20_000));
    assert!(r.at(GET, &path).is_ok());
    // Paths past the documented maximum are refused, not truncated.
    let long = format!("/{}", "a".repeat(brisk_router::MAX_PATH_LEN));
    assert_eq!(r.at(GET, &long), Err(MatchError::PathTooLong));
    assert_eq!(
        r.at(GET, &long[..brisk_router::MAX_PATH_LEN]),
        Err(MatchError::NotFound {
            trailing_slash: false
        })
    );
}

/// Issue 23: `MatchError` borrowed the router (`MatchError<'r>`), so `router.at(..)?` could not
/// go into a `Box<dyn Error>` (which needs `'static`). It borrows nothing now.
#[test]
fn match_error_goes_into_box_dyn_error() {
    fn lookup(
        router: &Router<u32>,
        method: Method<'_>,
        path: &str,
    ) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
        let m = router.at(method, path)?;
        Ok(*m.value())
    }
    let mut r = Router::new();
    r.insert(Method::Get, "/users/{id}", 7).unwrap();
    r.insert(Method::Other(b"PURGE"), "/users/{id}", 8).unwrap();
    assert_eq!(lookup(&r, Method::Get, "/users/1").unwrap(), 7);
    let err = lookup(&r, Method::Post, "/users/1").unwrap_err();
    // The error outlives the borrow of the router and still names the allowed methods.
    drop(r);
    let err = err.downcast::<brisk_router::MatchError>().unwrap();
    assert_eq!(err.status(), 405);
    assert_eq!(
        err.to_string(),
        "method not allowed for this path (allowed: GET, PURGE)"
    );
}
