//! The process-wide runtime: the backend, its parameter store and the seeded generator.

use std::sync::{Mutex, MutexGuard, OnceLock};

use pyo3::PyResult;
use rkeras_core::{Cpu, Feed, HostTensor, Program, Rng, Store};

use crate::errors::to_py;

/// Backend, variables and random state shared by every graph and program of the process.
pub struct Runtime {
    /// The compute backend.
    pub backend: Cpu,
    /// Variables (weights, optimizer state).
    pub store: Store<Cpu>,
    /// The one random generator.
    pub rng: Rng,
}

static RUNTIME: OnceLock<Mutex<Runtime>> = OnceLock::new();

/// Locks the runtime. A panic caught while it was held leaves the store consistent (programs
/// write variables only after every kernel succeeded), so the lock is recovered, not poisoned.
pub fn lock() -> PyResult<MutexGuard<'static, Runtime>> {
    Ok(RUNTIME
        .get_or_init(|| {
            Mutex::new(Runtime {
                backend: Cpu,
                store: Store::new(),
                rng: Rng::seeded(0x5eed),
            })
        })
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()))
}

/// Runs a program on the runtime's backend, store and generator.
pub fn run(program: &mut Program<Cpu>, feeds: &[Option<Feed<'_>>]) -> PyResult<Vec<HostTensor>> {
    let mut rt = lock()?;
    let rt = &mut *rt;
    program
        .run(&rt.backend, &mut rt.store, feeds, &mut rt.rng)
        .map_err(to_py)
}
