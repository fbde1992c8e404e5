//! Lookups never allocate: a counting global allocator over 10,000 lookups of every kind
//! (static, params, in-segment params, catch-all, 404 with trailing-slash hint, 405).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::Ordering;
use std::thread::LocalKey;

use brisk_router::{MatchError, Method, RouteMethod, Router};

struct Counting;

thread_local! {
    static ALLOCATIONS_TL: Cell<usize> = const { Cell::new(0) };
}

/// A per-thread counter with the `AtomicUsize` calls used below: only what the measuring
/// thread allocates is counted, so the test harness's own threads (which may allocate while
/// a loaded machine keeps the test running) cannot disturb a measurement.
struct PerThread(&'static LocalKey<Cell<usize>>);

impl PerThread {
    fn load(&self, _: Ordering) -> usize {
        self.0.try_with(Cell::get).unwrap_or(0)
    }
    fn fetch_add(&self, n: usize, _: Ordering) -> usize {
        self.0
            .try_with(|c| c.replace(c.get().wrapping_add(n)))
            .unwrap_or(0)
    }
}

static ALLOCATIONS: PerThread = PerThread(&ALLOCATIONS_TL);

// SAFETY: forwards every call to `System` unchanged; it only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn ten_thousand_lookups_allocate_nothing() {
    // The counter is live on this thread: a deliberate allocation moves it.
    let probe = ALLOCATIONS.load(Ordering::Relaxed);
    std::hint::black_box(vec![0u8; 16]);
    assert!(
        ALLOCATIONS.load(Ordering::Relaxed) > probe,
        "the counting allocator sees this thread"
    );
    let mut router = Router::new();
    router.insert(Method::Get, "/", 0).unwrap();
    router.insert(Method::Get, "/users/new", 1).unwrap();
    router.insert(Method::Get, "/users/{id}", 2).unwrap();
    router.insert(Method::Get, "/users/{id}/edit", 3).unwrap();
    router
        .insert(Method::Get, "/files/{name}.{ext}", 4)
        .unwrap();
    router.insert(Method::Get, "/static/{*path}", 5).unwrap();
    router.insert(Method::Post, "/users", 6).unwrap();
    router
        .insert(Method::Other(b"PURGE"), "/cache/{key}", 7)
        .unwrap();
    router.insert(RouteMethod::Any, "/health", 8).unwrap();
    router
        .insert(Method::Get, "/a/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", 9)
        .unwrap();
    let purge = b"PURGE".to_vec();
    let cases: Vec<(Method<'_>, &str, i32)> = vec![
        (Method::Get, "/", 0),
        (Method::Get, "/users/new", 1),
        (Method::Get, "/users/42", 2),
        (Method::Get, "/users/new/edit", 3),
        (Method::Get, "/files/a.tar.gz", 4),
        (Method::Get, "/static/css/site.css", 5),
        (Method::Post, "/users", 6),
        (Method::from_bytes(&purge), "/cache/k", 7),
        (Method::Delete, "/health", 8),
        (Method::Get, "/a/1/2/3/4/5/6/7/8", 9),
        (Method::Get, "/users", -405),
        (Method::Get, "/users/42/", -308),
        (Method::Get, "/nope/x", -404),
    ];
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    let mut checked = 0usize;
    for i in 0..10_000 {
        let (method, path, want) = cases[i % cases.len()];
        match router.at(method, path) {
            Ok(m) => {
                assert_eq!(*m.value(), want, "{path}");
                checked += m.params().iter().map(|(_, v)| v.len()).sum::<usize>();
            }
            Err(MatchError::MethodNotAllowed { allowed }) => {
                assert_eq!(want, -405);
                checked += allowed.iter().count();
            }
            Err(e) => assert_eq!(-(e.status() as i32), want, "{path}"),
        }
    }
    let after = ALLOCATIONS.load(Ordering::SeqCst);
    assert!(checked > 0);
    assert_eq!(
        after - before,
        0,
        "lookups allocated {} times",
        after - before
    );
}
