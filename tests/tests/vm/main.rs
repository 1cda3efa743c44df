//! Tests of the real SBF build inside the VM: one binary (one link of the agave tree), a module per
//! feature.
mod adversarial;
mod crank;
mod fuzz;
mod group;
mod layout;
mod lending;
mod liquidation;
mod perp_adversarial;
mod perps;
mod preview;
mod review;
