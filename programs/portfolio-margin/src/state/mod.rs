//! Account types, one file each; PDA seeds in `seeds`.
pub mod group;
pub mod params;
pub mod seeds;

pub use group::{Group, MAX_ASSETS};
pub use params::{RiskParams, RiskParamsArgs};
