pub mod crank_risk_model;

#[allow(ambiguous_glob_reexports)]
pub use crank_risk_model::*;
