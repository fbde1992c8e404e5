//! hyper peer for the load comparison: answers every request with "Hello, World!" over HTTP/1.1
//! (keep-alive, pipelining) and h2c prior knowledge, on a current-thread tokio runtime (one worker).
//! Usage: hyper-hello 127.0.0.1:8082
use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{body::Incoming, service::service_fn, Request, Response};
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
};

async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut res = Response::new(Full::new(Bytes::from_static(b"Hello, World!")));
    res.headers_mut()
        .insert("content-type", "text/plain".parse().expect("static header value"));
    Ok(res)
}

fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8082".to_string());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("tokio runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let _ = stream.set_nodelay(true);
            tokio::task::spawn_local(async move {
                let mut builder = auto::Builder::new(TokioExecutor::new());
                builder.http1().pipeline_flush(true);
                let _ = builder
                    .serve_connection(TokioIo::new(stream), service_fn(hello))
                    .await;
            });
        }
    });
}
