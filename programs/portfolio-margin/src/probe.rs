//! Compute-unit marks for profiling (`scripts/bench --profile`): with the `cu-probes` feature,
//! `probe!("stage")` logs `probe: stage` and the compute units left; without it, nothing at all
//! (the deployed binary has no probes).

/// Marks the end of a stage of the health check.
#[macro_export]
macro_rules! probe {
    ($stage:literal) => {
        #[cfg(feature = "cu-probes")]
        {
            ::anchor_lang::solana_program::log::sol_log(concat!("probe: ", $stage));
            $crate::probe::log_compute_units();
        }
    };
}

/// `sol_log_compute_units` (anchor-lang's `solana_program` facade does not re-export it).
#[cfg(feature = "cu-probes")]
pub fn log_compute_units() {
    #[cfg(target_os = "solana")]
    // SAFETY: the runtime's syscall; it takes no arguments and only writes to the log.
    unsafe {
        solana_define_syscall::definitions::sol_log_compute_units_()
    }
}
