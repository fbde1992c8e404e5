//! brisk-router: a radix-trie HTTP router with static, `{param}` and `{*rest}` segments per
//! method, 405 answers with the allowed methods, and order-free conflict detection.
//! (Not built yet: issue 6.)
