//! brisk-http1: a sans-IO, zero-copy, strict HTTP/1.1 (RFC 9112) request and response parser,
//! chunked body decoder and serializer. (Being built: issue 4.)
