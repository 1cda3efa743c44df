//! Every PDA seed of the program, in one place.

/// `[GROUP, admin, group_id (u32 LE)]` → [`crate::state::Group`].
pub const GROUP: &[u8] = b"group";
