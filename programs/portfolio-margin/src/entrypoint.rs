//! The deployed program's entrypoint (feature `sbf-entrypoint`, which `scripts/build-sbf` turns on),
//! in place of the one Anchor's `#[program]` emits. The same steps: the SDK's `deserialize` of the
//! runtime's input, then Anchor's generated `entry` (program id check, dispatch, handlers).
//!
//! One difference: the account infos are not dropped when the handler returns. Dropping them only
//! decrements two reference counts per account (the allocator never frees), and the program exits
//! right after; measured 37 CU per account passed, so 74 per held position (asset and oracle) in
//! every health check. Nothing reads them after `entry`, so leaving them is unobservable.
//!
//! Built without this feature (plain `cargo build-sbf`), the program gets Anchor's entrypoint and
//! behaves the same, a little dearer.

/// # Safety
/// Called by the runtime with its serialized input (the SBF loader's ABI).
#[no_mangle]
pub unsafe extern "C" fn entrypoint(input: *mut u8) -> u64 {
    use anchor_lang::solana_program::entrypoint::{deserialize, SUCCESS};
    // SAFETY: `input` is the runtime's serialized instruction input.
    let (program_id, accounts, data) = unsafe { deserialize(input) };
    let accounts = core::mem::ManuallyDrop::new(accounts);
    match crate::entry(program_id, &accounts, data) {
        Ok(()) => SUCCESS,
        Err(error) => error.into(),
    }
}

anchor_lang::solana_program::entrypoint::custom_heap_default!();
anchor_lang::solana_program::entrypoint::custom_panic_default!();
