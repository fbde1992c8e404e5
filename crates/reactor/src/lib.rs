//! brisk-reactor: a mio event loop with one poll per worker thread, fixed buffer pools, a hashed
//! timer wheel, backpressure and graceful shutdown, for any byte-stream protocol.
//! (Not built yet: issue 8.)
