//! The keeper library: everything the `keeper` binary runs, importable by its tests and benchmarks.
pub mod backend;
pub mod backtest;
pub mod crank;
pub mod inspect;
pub mod liquidator;
pub mod lookup_tables;
pub mod metrics;
pub mod migrate;
pub mod model;
pub mod prices;
pub mod reactive;
pub mod simulate;
pub mod stress;
pub mod verify;
pub mod view;
