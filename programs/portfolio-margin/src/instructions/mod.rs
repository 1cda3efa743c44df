//! One file per instruction, grouped by who calls them.
pub mod admin;
pub mod keeper;
pub mod perp;
pub mod user;
pub mod view;

pub use admin::*;
pub use keeper::*;
pub use perp::*;
pub use user::*;
pub use view::*;
