//! brisk-http2: a sans-IO HTTP/2 (RFC 9113) connection for servers and clients: frame codec,
//! connection and stream state machines, flow control and attack limits. (Not built yet: issue 7.)
