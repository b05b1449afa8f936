//! The memory budget: how much heap a run may use, and how much each replication has used.
//!
//! A replication runs start to finish on one thread (rayon runs each job to its end on the
//! worker that took it; nothing inside a replication is parallel), so the heap a replication
//! holds is the net number of bytes its thread allocated since it started. The binary installs
//! [`CountingAllocator`] as its global allocator, which keeps that number per thread; the world
//! reads it every few thousand kernel events ([`thread_net_bytes`]) and stops a replication
//! that outgrows its share of the budget (see `world::run_replication_within`).
//!
//! Counting requested sizes rather than asking the operating system keeps the stop point a
//! function of the replication alone — the same bytes are requested in the same order
//! whatever the thread count — so a stopped run stops at the same simulated instant on one
//! thread or eight. Without the counting allocator (the library used from another program,
//! benchmarks) the counters stay at zero and nothing is ever stopped: the budget then costs
//! nothing.
//!
//! [`Budget::machine`] derives the default budget from the machine: three quarters of the
//! smallest of physical memory, the cgroup's memory limit and half the address-space limit
//! (`ulimit -v`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

thread_local! {
    /// Const-initialised and without a destructor, so reading or writing them never allocates
    /// and never recurses into the allocator.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    static NET_BYTES: Cell<i64> = const { Cell::new(0) };
}

/// Whether a [`CountingAllocator`] is installed (set by its first allocation).
static COUNTING: AtomicBool = AtomicBool::new(false);

/// `System`, counting per thread the allocations made and the net bytes held (allocated minus
/// freed). Install it with `#[global_allocator]`.
pub struct CountingAllocator;

#[inline]
fn count(allocations: u64, bytes: i64) {
    // `try_with`: never panic inside the allocator, even during thread teardown.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + allocations));
    let _ = NET_BYTES.try_with(|n| n.set(n.get() + bytes));
}

#[inline]
fn mark_installed() {
    // A relaxed load first: the store happens once, the load is a plain read.
    if !COUNTING.load(Ordering::Relaxed) {
        COUNTING.store(true, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` unchanged; counting has no effect on memory.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        mark_installed();
        count(1, layout.size() as i64);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        mark_installed();
        count(1, layout.size() as i64);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(1, new_size as i64 - layout.size() as i64);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(0, -(layout.size() as i64));
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Whether allocations are counted (a [`CountingAllocator`] is the global allocator).
pub fn counting() -> bool {
    COUNTING.load(Ordering::Relaxed)
}

/// Allocations and reallocations made by this thread so far (0 without the counting
/// allocator).
pub fn thread_allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// Bytes allocated minus bytes freed by this thread so far (0 without the counting
/// allocator). Memory freed by another thread than the one that allocated it makes the
/// numbers of both threads drift; a replication allocates and frees on its own thread.
pub fn thread_net_bytes() -> i64 {
    NET_BYTES.with(Cell::get)
}

/// A memory budget \[bytes\] for a whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Bytes the run may hold at once.
    pub bytes: u64,
    /// Where the number comes from (for messages).
    pub origin: BudgetOrigin,
}

/// Where a budget comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BudgetOrigin {
    /// `--max-memory`.
    Given,
    /// Derived from the machine ([`Budget::machine`]).
    Machine,
}

impl Budget {
    /// A budget the user gave.
    pub fn given(bytes: u64) -> Self {
        Self {
            bytes,
            origin: BudgetOrigin::Given,
        }
    }

    /// The default budget: three quarters of the smallest of physical memory, the cgroup's
    /// memory limit and half the address-space limit (which counts reserved, untouched
    /// pages too); 4 GiB where none can be read.
    pub fn machine() -> Self {
        let limits = [
            physical_memory(),
            cgroup_limit(),
            address_space_limit().map(|b| b / 2),
        ];
        let smallest = limits.into_iter().flatten().min().unwrap_or(4 << 30);
        Self {
            bytes: smallest / 4 * 3,
            origin: BudgetOrigin::Machine,
        }
    }

    /// One replication's share when `parallel` replications may run at once. Half of it is
    /// the stopping line: a buffer that doubles past the line then still fits in the share.
    pub fn per_replication(&self, parallel: usize) -> u64 {
        self.bytes / parallel.max(1) as u64
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Bytes(self.bytes))?;
        match self.origin {
            BudgetOrigin::Given => f.write_str(" (--max-memory)"),
            BudgetOrigin::Machine => {
                f.write_str(" (the default: 3/4 of this machine's memory limit)")
            }
        }
    }
}

/// A byte count printed with a binary unit (`512 MiB`, `3.2 GiB`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
        let mut v = self.0 as f64;
        let mut unit = 0;
        while v >= 1024.0 && unit + 1 < UNITS.len() {
            v /= 1024.0;
            unit += 1;
        }
        if unit == 0 || v >= 100.0 {
            write!(f, "{v:.0} {}", UNITS[unit])
        } else {
            write!(f, "{v:.1} {}", UNITS[unit])
        }
    }
}

/// Parses a size such as `512M`, `2G`, `1.5GiB`, `800MB` or `1048576` (bytes). Units are
/// binary (K = 1024); a size below 1 MiB is refused, since no run fits in it.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}`: expected a size such as 512M, 2G or 1.5GiB"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => {
            return Err(format!(
                "`{text}`: unknown unit `{other}` (use K, M, G or T; binary units)"
            ));
        }
    };
    let bytes = value * scale as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(format!("`{text}` is too large"));
    }
    if bytes < (1 << 20) as f64 {
        return Err(format!("`{text}`: at least 1M is needed"));
    }
    Ok(bytes as u64)
}

fn physical_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn cgroup_limit() -> Option<u64> {
    // cgroup v2, then v1; "max" (v2) or a huge number (v1) mean no limit.
    for path in [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ] {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(v) = text.trim().parse::<u64>()
            && v < 1 << 60
        {
            return Some(v);
        }
    }
    None
}

#[cfg(target_os = "linux")]
fn address_space_limit() -> Option<u64> {
    // /proc/self/limits: "Max address space  <soft> <hard> bytes"; "unlimited" means none.
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max address space"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

#[cfg(not(target_os = "linux"))]
fn address_space_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_binary_units() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("800 MB"), Ok(800 << 20));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        for bad in ["", "M", "12X", "1e400G", "100K", "-5M"] {
            assert!(parse_size(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn bytes_print_with_a_unit() {
        assert_eq!(Bytes(512).to_string(), "512 B");
        assert_eq!(Bytes(3 << 29).to_string(), "1.5 GiB");
        assert_eq!(Bytes(200 << 20).to_string(), "200 MiB");
    }

    #[test]
    fn the_machine_budget_is_positive_and_below_physical_memory() {
        let b = Budget::machine();
        assert!(b.bytes > 0);
        if let Some(p) = physical_memory() {
            assert!(b.bytes <= p);
        }
    }
}
