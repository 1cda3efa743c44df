//! Portfolio-margin protocol: traders deposit SPL tokens as collateral and borrow against them; margin
//! comes from an on-chain EWMA covariance matrix (see the `risk-engine` crate for all the math).
//!
//! This crate holds only account plumbing. Instructions arrive with the program issue; for now the
//! crate pins the program id, the toolchain and the shared risk engine so every later piece builds on
//! one dependency tree.
use anchor_lang::prelude::*;

declare_id!("GcBf6SJFvsFyrWsacm5UtohYNbqYkBDW3aU4eBHQGjwX");

pub use risk_engine;

#[program]
pub mod portfolio_margin {}
