//! brisk-hpack: HPACK (RFC 7541) header compression for HTTP/2: static and dynamic tables,
//! table-driven Huffman coding, an encoder and a decoder hardened against HPACK bombs.
//! (Not built yet: issue 5.)
