pub mod collect_protocol_fees;
pub mod crank_risk_model;

#[allow(ambiguous_glob_reexports)]
pub use collect_protocol_fees::*;
pub use crank_risk_model::*;
