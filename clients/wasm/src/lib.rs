//! The program's health code for the web app, compiled to WebAssembly (`scripts/wasm`).
//!
//! A preview of a deposit, withdraw, borrow or repay equals what the program then enforces because
//! it is computed by the program crate itself (`portfolio-margin` with `no-entrypoint`): its account
//! types read from raw account bytes, `oracle::read_price`, `health::holding`,
//! `health::holdings_health`, `health::require_initial_health`, `Asset::available_liquidity`, the
//! handlers' own bookkeeping (`MarginAccount::{deposit, withdraw, borrow, repay}`, called by
//! [`books::apply`]) and the risk engine's pool arithmetic; the VM test `tests/tests/vm/preview.rs`
//! checks it against the real SBF program bit for bit.
//!
//! JavaScript API (`--target web`), JSON strings in and out, described in [`api`]:
//! - `preview(request) -> {ok, error, error_code, health_error, before, after, shares_after_bits,
//!   available_liquidity, liquidity_exact}`
//! - `max_amount(request) -> {ok, error, amount, limited_by, liquidity_exact}`
//! - `decode(request) -> {ok, error, group, assets, model, account}`
//! - `preview_trade(request) -> {ok, error, error_code, fill_price, position_after, before, after}`
//!   (a `trade_perp`, replayed by [`trade`])
pub mod api;
pub mod books;
pub mod trade;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen::prelude::wasm_bindgen;

/// Health before and after `action` (see [`api::preview`]).
#[cfg_attr(target_arch = "wasm32", wasm_bindgen)]
pub fn preview(request_json: &str) -> String {
    api::run(request_json, api::preview)
}

/// Largest amount of `action.kind` on `action.asset` the program accepts (see [`api::max_amount`]).
#[cfg_attr(target_arch = "wasm32", wasm_bindgen)]
pub fn max_amount(request_json: &str) -> String {
    api::run(request_json, api::max_amount)
}

/// A perp trade judged like `trade_perp` (see [`api::preview_trade`]).
#[cfg_attr(target_arch = "wasm32", wasm_bindgen)]
pub fn preview_trade(request_json: &str) -> String {
    api::run(request_json, api::preview_trade)
}

/// The accounts as floats for display (see [`api::decode`]).
#[cfg_attr(target_arch = "wasm32", wasm_bindgen)]
pub fn decode(request_json: &str) -> String {
    api::run(request_json, api::decode)
}

#[cfg(test)]
mod tests;
