pub mod create_group;
pub mod create_risk_model;
pub mod register_asset;
pub mod set_lookup_table;
pub mod update_risk_params;

pub use create_group::*;
pub use create_risk_model::*;
pub use register_asset::*;
pub use set_lookup_table::*;
pub use update_risk_params::*;
