pub mod account_layouts;

pub use account_layouts::*;
