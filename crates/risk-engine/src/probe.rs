//! Compute-unit marks for profiling (`scripts/bench --profile`): with the `cu-probes` feature, on
//! the SBF target, `probe!("stage")` logs `probe: stage` and the compute units left; otherwise it
//! is nothing at all (the deployed binary and every host build have no probes). The program's
//! marks and the engine's are this one macro.

/// Marks the end of a stage of the health check.
#[macro_export]
macro_rules! probe {
    ($stage:literal) => {
        #[cfg(all(feature = "cu-probes", target_os = "solana"))]
        $crate::probe::mark(concat!("probe: ", $stage));
    };
}

/// Logs `message` and the compute units left (`sol_log_`, `sol_log_compute_units_`).
#[cfg(all(feature = "cu-probes", target_os = "solana"))]
pub fn mark(message: &str) {
    // SAFETY: the runtime's syscalls; they read `message` (pointer and length) and write the log.
    unsafe {
        solana_define_syscall::definitions::sol_log_(message.as_ptr(), message.len() as u64);
        solana_define_syscall::definitions::sol_log_compute_units_();
    }
}
