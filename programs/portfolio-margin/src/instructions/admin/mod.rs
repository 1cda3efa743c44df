pub mod create_group;
pub mod update_risk_params;

#[allow(ambiguous_glob_reexports)]
pub use create_group::*;
pub use update_risk_params::*;
