//! One file per instruction, grouped by who calls them.
pub mod admin;
pub mod view;

#[allow(ambiguous_glob_reexports)]
pub use admin::*;
pub use view::*;
