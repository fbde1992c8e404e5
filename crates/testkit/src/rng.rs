//! A small deterministic RNG for tests.

/// xorshift64*: deterministic for a seed, fast, not for anything but tests.
///
/// # Examples
///
/// ```
/// let mut a = brisk_testkit::Rng::new(7);
/// let mut b = brisk_testkit::Rng::new(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!(a.below(10) < 10);
/// ```
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// An RNG from `seed` (0 is replaced: xorshift would stay at 0).
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = brisk_testkit::Rng::new(0).next_u64();
    /// ```
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_ne!(brisk_testkit::Rng::new(1).next_u64(), 0);
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_testkit::Rng::new(3).below(1), 0);
    /// ```
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Fills `buf` with random bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = [0u8; 5];
    /// brisk_testkit::Rng::new(9).fill(&mut b);
    /// ```
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let x = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&x[..chunk.len()]);
        }
    }
}
