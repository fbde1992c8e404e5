//! A counting global allocator: per-thread counts (so the test harness's own threads cannot
//! disturb a measurement), plus a global count for threads that opt in (a reactor's workers).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A global allocator that forwards to [`System`] and counts, per thread, the allocations
/// (`alloc`, `alloc_zeroed`, `realloc`) and the live and peak bytes.
///
/// # Examples
///
/// ```no_run
/// #[global_allocator]
/// static GLOBAL: brisk_testkit::CountingAlloc = brisk_testkit::CountingAlloc;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CountingAlloc;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
    static GLOBAL_TOO: Cell<bool> = const { Cell::new(false) };
}

static GLOBAL_ALLOCS: AtomicU64 = AtomicU64::new(0);

// `try_with` everywhere: a thread-local may be gone while its thread exits.
fn grew(n: usize) {
    let _ = ALLOCS.try_with(|c| c.set(c.get().wrapping_add(1)));
    let _ = LIVE.try_with(|l| {
        let v = l.get().wrapping_add(n);
        l.set(v);
        let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
    });
    if GLOBAL_TOO.try_with(Cell::get).unwrap_or(false) {
        GLOBAL_ALLOCS.fetch_add(1, Relaxed);
    }
}

fn shrank(n: usize) {
    let _ = LIVE.try_with(|l| l.set(l.get().saturating_sub(n)));
}

// SAFETY: every call is forwarded unchanged to `System`; the counters are thread-locals with
// const initializers and an atomic, neither of which allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: same layout contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: same layout contract as our caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        // SAFETY: `ptr` was allocated by `System` through this wrapper with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        shrank(layout.size());
        grew(new_size);
        // SAFETY: `ptr` was allocated by `System` through this wrapper with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations (`alloc`, `alloc_zeroed`, `realloc`) made so far by this thread.
///
/// # Examples
///
/// ```
/// let before = brisk_testkit::allocations();
/// assert!(brisk_testkit::allocations() >= before);
/// ```
pub fn allocations() -> usize {
    ALLOCS.try_with(Cell::get).unwrap_or(0)
}

/// Bytes this thread allocated and has not freed (frees of memory other threads allocated
/// count against it too; compare two readings of one thread).
///
/// # Examples
///
/// ```
/// let _ = brisk_testkit::live_bytes();
/// ```
pub fn live_bytes() -> usize {
    LIVE.try_with(Cell::get).unwrap_or(0)
}

/// The most [`live_bytes`] reached on this thread since the last [`reset_peak`].
///
/// # Examples
///
/// ```
/// brisk_testkit::reset_peak();
/// assert!(brisk_testkit::peak_bytes() >= brisk_testkit::live_bytes());
/// ```
pub fn peak_bytes() -> usize {
    PEAK.try_with(Cell::get).unwrap_or(0)
}

/// Starts a new peak measurement on this thread, at the current [`live_bytes`].
///
/// # Examples
///
/// ```
/// brisk_testkit::reset_peak();
/// ```
pub fn reset_peak() {
    let live = live_bytes();
    let _ = PEAK.try_with(|p| p.set(live));
}

/// From now on, this thread's allocations also count in [`global_allocations`] (for threads
/// a test does not run on itself, such as a reactor's workers).
///
/// # Examples
///
/// ```
/// brisk_testkit::count_thread_globally();
/// let before = brisk_testkit::global_allocations();
/// assert!(brisk_testkit::global_allocations() >= before);
/// ```
pub fn count_thread_globally() {
    let _ = GLOBAL_TOO.try_with(|g| g.set(true));
}

/// Allocations made by the threads that called [`count_thread_globally`].
///
/// # Examples
///
/// ```
/// let _ = brisk_testkit::global_allocations();
/// ```
pub fn global_allocations() -> u64 {
    GLOBAL_ALLOCS.load(Relaxed)
}
