//! A header field as the decoder reports it and the encoder takes it.

/// One header field. Borrowed from the block or the decoder's table/scratch.
///
/// # Examples
///
/// ```
/// use brisk_hpack::Field;
///
/// let f = Field::new(b"content-type", b"text/html");
/// assert!(!f.never_indexed);
/// assert_eq!(f.size(), 12 + 9 + 32);
/// let secret = Field::never_indexed(b"authorization", b"Bearer x");
/// assert!(secret.never_indexed);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The field name, as sent (HPACK does not change case).
    pub name: &'a [u8],
    /// The field value.
    pub value: &'a [u8],
    /// Decoder: the field came as "never indexed" (RFC 7541 §6.2.3). Encoder: force never-indexed.
    pub never_indexed: bool,
}

impl<'a> Field<'a> {
    /// A field with `never_indexed` false.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = brisk_hpack::Field::new(b":method", b"GET");
    /// assert_eq!(f.name, b":method");
    /// ```
    pub const fn new(name: &'a [u8], value: &'a [u8]) -> Self {
        Field {
            name,
            value,
            never_indexed: false,
        }
    }

    /// A field the encoder must send as a never-indexed literal (RFC 7541 §6.2.3).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(brisk_hpack::Field::never_indexed(b"x-token", b"secret").never_indexed);
    /// ```
    pub const fn never_indexed(name: &'a [u8], value: &'a [u8]) -> Self {
        Field {
            name,
            value,
            never_indexed: true,
        }
    }

    /// The size RFC 7541 §4.1 and RFC 9113 §6.5.2 give the field: name + value + 32 octets.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_hpack::Field::new(b"a", b"bc").size(), 35);
    /// ```
    pub const fn size(&self) -> usize {
        self.name.len() + self.value.len() + 32
    }
}
