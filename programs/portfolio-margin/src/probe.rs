//! Compute-unit marks for profiling (`scripts/bench --profile`): the engine's `probe!`, enabled by
//! this crate's `cu-probes` feature (which turns on the engine's).

/// Marks the end of a stage of the health check (see `risk_engine::probe!`).
#[macro_export]
macro_rules! probe {
    ($stage:literal) => {
        risk_engine::probe!($stage)
    };
}
