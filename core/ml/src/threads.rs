//! The training thread as one of rayon's workers.
//!
//! Every parallel loop of training (dfdx's matrix products through `gemm`,
//! the `*_cpu` operations, the optimizer) runs on rayon's global pool. Called
//! from a thread outside the pool, each one hands its work to the pool and
//! puts the caller to sleep until it is done: two context switches per
//! loop, thousands of loops per second, and on a machine with as many pool
//! threads as cores, the caller competes with them for the cores. With the
//! training thread made worker 0 of the pool, a parallel loop runs on the
//! caller's own queue and the other workers steal from it; nothing sleeps.
//!
//! A thread that joins the pool must outlive every use of it, so only a
//! workbench worker process (one training per process, on the thread that
//! lives as long as the process) joins: the worker sets [`ENV`] for itself
//! and the plugins call [`join_pool`] when they start training.

/// Set (to anything) in a worker process's environment by the workbench.
pub const ENV: &str = "WORKBENCH_WORKER_PROCESS";

/// In a workbench worker process, makes the calling thread worker 0 of
/// rayon's global pool (of `RAYON_NUM_THREADS` threads, default one per
/// core) and returns `true`; elsewhere, or when the pool already exists,
/// does nothing and returns `false`.
pub fn join_pool() -> bool {
    std::env::var_os(ENV).is_some()
        && rayon::ThreadPoolBuilder::new()
            .use_current_thread()
            .build_global()
            .is_ok()
}
