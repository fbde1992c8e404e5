//! brisk-server: the Brisk server, HTTP/1.1 and h2c on one port, built from brisk-reactor,
//! brisk-http1, brisk-http2 and brisk-router. (Not built yet: issue 9.)
