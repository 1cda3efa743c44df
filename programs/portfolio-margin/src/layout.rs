//! Account layouts as this build sees them. The same table is evaluated by the host build (keeper,
//! app, tests) and by the SBF build (returned by the `account_layouts` view), so a test can prove
//! that everything decoding accounts agrees with what the program writes.
use core::mem::{align_of, offset_of, size_of};

use risk_engine::WrappedI80F48;

use crate::state::{Group, RiskParams};

/// `(name, value)`; the order is the wire order of `account_layouts`' return data (u32 LE each).
pub const LAYOUT: [(&str, usize); 16] = [
    ("Group.size", size_of::<Group>()),
    ("Group.align", align_of::<Group>()),
    ("Group.admin", offset_of!(Group, admin)),
    ("Group.risk_authority", offset_of!(Group, risk_authority)),
    ("Group.params", offset_of!(Group, params)),
    ("Group.group_id", offset_of!(Group, group_id)),
    ("Group.asset_count", offset_of!(Group, asset_count)),
    ("Group.bump", offset_of!(Group, bump)),
    ("Group.created_at", offset_of!(Group, created_at)),
    ("RiskParams.size", size_of::<RiskParams>()),
    ("RiskParams.align", align_of::<RiskParams>()),
    ("RiskParams.insurance_fee", offset_of!(RiskParams, insurance_fee)),
    ("RiskParams.sample_interval_seconds", offset_of!(RiskParams, sample_interval_seconds)),
    ("RiskParams.oracle_max_age_seconds", offset_of!(RiskParams, oracle_max_age_seconds)),
    ("WrappedI80F48.size", size_of::<WrappedI80F48>()),
    ("WrappedI80F48.align", align_of::<WrappedI80F48>()),
];

/// The table's values as u32 LE bytes.
pub fn encode() -> alloc::vec::Vec<u8> {
    LAYOUT.iter().flat_map(|(_, v)| (*v as u32).to_le_bytes()).collect()
}
