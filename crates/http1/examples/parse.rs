//! Reads one HTTP/1.1 request from standard input, parses it in strict mode and prints what it
//! found: method, target and its form, version, each header, framing, keep-alive,
//! `Expect: 100-continue`, `Upgrade`, and the body; or the exact error and the status a
//! server would answer.
//!
//! ```sh
//! printf 'GET /hello?x=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n' \
//!   | cargo run --release -p brisk-http1 --example parse
//! ```
use std::io::Read;
use std::process::ExitCode;

use brisk_http1::{Body, Chunk, ChunkedDecoder, Error, Header, RequestParser, Status};

fn fail(what: &str, e: Error) -> ExitCode {
    println!("error ({what}): {e}");
    println!("  kind:   Error::{e:?}");
    println!(
        "  answer: {} (what a server would send before closing)",
        e.status()
    );
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        eprintln!("cannot read stdin: {e}");
        return ExitCode::FAILURE;
    }
    let mut headers = [Header::EMPTY; 100];
    let req = match RequestParser::new().parse(&input, &mut headers) {
        Ok(Status::Complete(req)) => req,
        Ok(Status::Partial) => {
            println!("incomplete: the head does not end with an empty line (CRLF CRLF) yet");
            println!(
                "  ({} bytes read; a server would wait for more)",
                input.len()
            );
            return ExitCode::FAILURE;
        }
        Err(e) => return fail("head", e),
    };
    println!("method:   {}", req.method);
    println!(
        "target:   {} ({:?}-form)",
        req.target.as_str(),
        req.target.form()
    );
    println!("  path:   {}", req.target.path().escape_ascii());
    if let Some(q) = req.target.query() {
        println!("  query:  {}", q.escape_ascii());
    }
    println!("version:  {}", req.version);
    println!("headers:  {}", req.headers.len());
    for h in req.headers {
        println!("  {}: {}", h.name_str(), h.value.escape_ascii());
    }
    let facts = match req.facts() {
        Ok(f) => f,
        Err(e) => return fail("framing", e),
    };
    println!("host:     {}", facts.host.escape_ascii());
    println!("framing:  Body::{:?}", facts.body);
    println!("keep-alive:      {}", facts.keep_alive);
    println!("expect-continue: {}", facts.expect_continue);
    match facts.upgrade {
        Some(u) => println!("upgrade:         {u:?}"),
        None => println!("upgrade:         none"),
    }
    let rest = &input[req.head_len..];
    match facts.body {
        Body::None => {
            if !rest.is_empty() {
                println!(
                    "after the head: {} more bytes (the next pipelined request)",
                    rest.len()
                );
            }
        }
        Body::Length(n) => {
            let have = rest.len().min(usize::try_from(n).unwrap_or(usize::MAX));
            println!("body:     {}", rest[..have].escape_ascii());
            if (have as u64) < n {
                println!("  (incomplete: {have} of {n} bytes)");
            }
        }
        Body::Chunked => {
            let mut dec = ChunkedDecoder::new();
            let mut rest = rest;
            let mut body = Vec::new();
            loop {
                match dec.decode(rest) {
                    Err(e) => return fail("chunked body", e),
                    Ok((n, chunk)) => {
                        rest = &rest[n..];
                        match chunk {
                            Some(Chunk::Data(d)) => body.extend_from_slice(d),
                            Some(Chunk::Trailer(h)) => {
                                println!("trailer:  {}: {}", h.name_str(), h.value.escape_ascii())
                            }
                            Some(Chunk::End) => break,
                            None => {
                                println!("body so far: {}", body.escape_ascii());
                                return fail("chunked body", dec.finish().unwrap_err());
                            }
                        }
                    }
                }
            }
            println!("body:     {}", body.escape_ascii());
        }
        Body::CloseDelimited => println!("body:     runs to the end of the connection"),
    }
    ExitCode::SUCCESS
}
