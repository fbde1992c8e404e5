//! Routes a few requests and prints the answer an HTTP server would give for each: 200 with the
//! params, 404 (with a redirect hint when only the trailing slash differs) or 405 with `Allow`.
//!
//! ```sh
//! cargo run -p brisk-router --example routes
//! cargo run -p brisk-router --example routes -- DELETE /users/7    # one request of your own
//! ```
use brisk_router::{MatchError, Method, Router};

fn main() -> Result<(), brisk_router::InsertError> {
    let mut router = Router::new();
    router.insert(Method::Get, "/users", "list users")?;
    router.insert(Method::Post, "/users", "create a user")?;
    router.insert(Method::Get, "/users/{id}", "show a user")?;
    router.insert(Method::Put, "/users/{id}", "replace a user")?;
    router.insert(Method::Get, "/files/{name}.{ext}", "download a file")?;
    router.insert(Method::Get, "/assets/{*path}", "static asset")?;

    let args: Vec<String> = std::env::args().skip(1).collect();
    let requests: Vec<(String, String)> = match args.as_slice() {
        [m, p] => vec![(m.clone(), p.clone())],
        _ => [
            ("GET", "/users/42"),
            ("GET", "/files/report.tar.gz"),
            ("GET", "/assets/css/site.css"),
            ("DELETE", "/users/42"),
            ("GET", "/users/42/"),
            ("GET", "/nowhere"),
        ]
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect(),
    };
    for (method, path) in &requests {
        // (The HTTP/1.1 parser refuses a method that is not a token before routing.)
        let m = Method::from_bytes(method.as_bytes());
        match router.at(m, path) {
            Ok(hit) => {
                let params: Vec<String> = hit
                    .params()
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                println!(
                    "{method} {path} -> 200 {} [{}]",
                    hit.value(),
                    params.join(", ")
                );
            }
            Err(MatchError::MethodNotAllowed { allowed }) => {
                println!("{method} {path} -> 405, Allow: {allowed}");
            }
            Err(MatchError::NotFound {
                trailing_slash: true,
            }) => {
                let other = match path.strip_suffix('/') {
                    Some(p) => p.to_string(),
                    None => format!("{path}/"),
                };
                println!("{method} {path} -> 404 (a route exists at {other}: redirect with 308)");
            }
            Err(e) => println!("{method} {path} -> 404 ({e})"),
        }
    }
    Ok(())
}
