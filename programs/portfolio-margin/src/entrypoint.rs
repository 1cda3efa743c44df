//! The deployed program's entrypoint (feature `sbf-entrypoint`, which `scripts/build-sbf` turns on),
//! in place of the one Anchor's `#[program]` emits: it reads the runtime's input (the aligned
//! serialization of the SBF loader), then calls Anchor's generated `entry` (program id check,
//! dispatch, handlers). Two differences, both measured:
//!
//! - For the instructions that read their remaining accounts and never write them
//!   ([`fixed_accounts`]: the health checks and the crank's oracles), only the fixed accounts become
//!   `AccountInfo`s. The remaining ones are left as the runtime's records and read in place
//!   (`account_view::Remaining::Records`), a repeat of a fixed account through that account's
//!   `AccountInfo`. An `AccountInfo` costs two allocations, ~100 CU; a health check reads two
//!   accounts per held position.
//! - The account infos are not dropped when the handler returns. Dropping them only decrements two
//!   reference counts per account (the allocator never frees), and the program exits right after.
//!
//! Where the handler finds the records: the first [`STASH`] bytes of the heap, which the allocator
//! below never hands out (every invocation has its own heap), written by every invocation.
//!
//! Built without this feature (plain `cargo build-sbf`), the program gets Anchor's entrypoint and
//! behaves the same, a little dearer: every remaining account is an `AccountInfo`.
use alloc::vec::Vec;
use core::mem::size_of;

use anchor_lang::prelude::{AccountInfo, ProgramError, Pubkey};
use anchor_lang::solana_program::entrypoint::{
    BumpAllocator, HEAP_LENGTH, HEAP_START_ADDRESS, MAX_PERMITTED_DATA_INCREASE, NON_DUP_MARKER, SUCCESS,
};
use anchor_lang::Discriminator;

/// The most records [`deserialize`] reads (the runtime passes at most 255 accounts to an
/// instruction; the bound keeps every offset far from overflow).
const MAX_INPUT_ACCOUNTS: usize = 1 << 16;
/// The longest account or instruction data [`deserialize`] accepts: the runtime's own limit
/// (`solana_system_interface::MAX_PERMITTED_DATA_LENGTH`, a crate the program does not depend on).
const MAX_PERMITTED_DATA_LENGTH: usize = 10 * 1024 * 1024;

/// Bytes at the start of the heap kept for [`Stash`].
const STASH: usize = 64;

/// What the entrypoint leaves for `Remaining::of`.
#[repr(C)]
struct Stash {
    /// 1 when the remaining accounts are records.
    present: u64,
    entries: *const usize,
    entries_len: usize,
    fixed: *const AccountInfo<'static>,
    fixed_len: usize,
}

const _: () = assert!(size_of::<Stash>() <= STASH);

#[global_allocator]
static ALLOCATOR: BumpAllocator =
    // SAFETY: the runtime maps HEAP_LENGTH bytes at HEAP_START_ADDRESS for every invocation; the
    // allocator gets all of it but the stash.
    unsafe { BumpAllocator::with_fixed_address_range(HEAP_START_ADDRESS as usize + STASH, HEAP_LENGTH - STASH) };

anchor_lang::solana_program::entrypoint::custom_panic_default!();

/// The number of fixed accounts of the instructions whose remaining accounts are left as records.
/// Each count is the instruction's `#[derive(Accounts)]` struct's (nested structs flattened); a
/// wrong count fails the instruction (too few: Anchor's `AccountNotEnoughKeys`; too many: the
/// surplus reaches the handler as `AccountInfo`s and `Remaining::of` refuses), and the VM tests run
/// every one of them.
fn fixed_accounts(data: &[u8]) -> Option<usize> {
    use crate::instruction as ix;
    let d = data.get(..8)?;
    [
        (ix::Withdraw::DISCRIMINATOR, 9),
        (ix::Borrow::DISCRIMINATOR, 9),
        (ix::Liquidate::DISCRIMINATOR, 11),
        (ix::LiquidatePerp::DISCRIMINATOR, 11),
        (ix::LiquidateHedge::DISCRIMINATOR, 13),
        (ix::TradePerp::DISCRIMINATOR, 8),
        (ix::CrankRiskModel::DISCRIMINATOR, 2),
    ]
    .iter()
    .find(|(disc, _)| *disc == d)
    .map(|(_, n)| *n)
}

/// The records the entrypoint left, if it left them: per remaining account a record's address or
/// `2·i + 1` for a repeat of account `i` (of the instruction's accounts, fixed or remaining), and
/// the fixed accounts' infos.
pub fn records<'a, 'info>() -> Option<(&'a [usize], &'a [AccountInfo<'info>])> {
    // SAFETY: the entrypoint wrote the stash before `entry`; its slices are leaked (never freed,
    // never moved) for the rest of the invocation.
    unsafe {
        let s = &*(HEAP_START_ADDRESS as usize as *const Stash);
        (s.present == 1).then(|| {
            (
                core::slice::from_raw_parts(s.entries, s.entries_len),
                core::slice::from_raw_parts(s.fixed as *const AccountInfo<'info>, s.fixed_len),
            )
        })
    }
}

/// # Safety
/// Called by the runtime with its serialized input (the SBF loader's ABI).
#[no_mangle]
pub unsafe extern "C" fn entrypoint(input: *mut u8) -> u64 {
    // SAFETY: `input` is the runtime's serialized input for this invocation.
    let Some((program_id, accounts, data)) = (unsafe { deserialize(input) }) else {
        return ProgramError::InvalidArgument.into();
    };
    match crate::entry(program_id, &accounts, data) {
        Ok(()) => SUCCESS,
        Err(error) => error.into(),
    }
}

/// The input's records, then the instruction data and the program id; infos for the fixed accounts
/// (all of them unless [`fixed_accounts`] names the instruction), the rest left in the stash.
///
/// # Safety
/// `input` is the runtime's serialized input. The offsets below follow its layout and stay inside
/// it (the runtime wrote every length).
///
/// Overflow: every length the offsets add is checked against the runtime's own bound first (at
/// most [`MAX_INPUT_ACCOUNTS`] records, no data longer than `MAX_PERMITTED_DATA_LENGTH`), so no
/// offset can exceed `8 + 2^16·(2^24 + 10,351) + 2^24 < 2^41`: the adds after those checks are
/// proven not to wrap, and written as wrapping adds. One comparison per record instead of an
/// overflow check per add: measured on this entrypoint, checked adds cost 146 CU per instruction
/// and 34 per held position of a health check. An input beyond those limits (which the runtime
/// never writes) fails with `InvalidArgument` before anything runs.
#[inline(always)]
#[allow(clippy::arithmetic_side_effects)]
unsafe fn deserialize<'a>(
    input: *mut u8,
) -> Option<(&'a Pubkey, core::mem::ManuallyDrop<Vec<AccountInfo<'a>>>, &'a [u8])> {
    unsafe {
        let count = *(input as *const u64) as usize;
        if count > MAX_INPUT_ACCOUNTS {
            return None;
        }
        // Where each record starts: a non-duplicate's address, or a duplicate's marker.
        let mut starts: Vec<usize> = Vec::with_capacity(count);
        let sp = starts.as_mut_ptr();
        let mut offset = size_of::<u64>();
        for n in 0..count {
            let at = input.add(offset);
            offset = if *at == NON_DUP_MARKER {
                sp.add(n).write(at as usize);
                // Header, data, the realloc reserve and the rent epoch, 8-aligned.
                let data_len = *(at.add(80) as *const u64) as usize;
                if data_len > MAX_PERMITTED_DATA_LENGTH {
                    return None;
                }
                offset.wrapping_add(88 + MAX_PERMITTED_DATA_INCREASE + size_of::<u64>() + 7).wrapping_add(data_len) & !7
            } else {
                // A repeat names the first occurrence by index (the runtime marks every repeat):
                // kept as 2·i + 1 (a record's address is 8-aligned, so even).
                sp.add(n).write(((*at as usize) << 1) | 1);
                offset.wrapping_add(8)
            };
        }
        starts.set_len(count);
        let data_len = *(input.add(offset) as *const u64) as usize;
        if data_len > MAX_PERMITTED_DATA_LENGTH {
            return None;
        }
        let data_at = offset.wrapping_add(size_of::<u64>());
        let data = core::slice::from_raw_parts(input.add(data_at), data_len);
        let program_id = &*(input.add(data_at.wrapping_add(data_len)) as *const Pubkey);

        let fixed = fixed_accounts(data).map_or(count, |n| n.min(count));
        let mut infos: Vec<AccountInfo<'a>> = Vec::with_capacity(fixed);
        let ip = infos.as_mut_ptr();
        for n in 0..fixed {
            let e = *sp.add(n);
            // A repeat names an earlier account, whose info is already written.
            let info = if e & 1 == 0 { account_info(e as *mut u8) } else { (*ip.add(e >> 1)).clone() };
            ip.add(n).write(info);
        }
        infos.set_len(fixed);
        // Written on every invocation (the heap starts zeroed, but nothing here relies on it).
        let stash = &mut *(HEAP_START_ADDRESS as usize as *mut Stash);
        stash.present = 0;
        if fixed < count {
            *stash = Stash {
                present: 1,
                entries: sp.add(fixed),
                entries_len: count - fixed,
                fixed: infos.as_ptr() as *const AccountInfo<'static>,
                fixed_len: fixed,
            };
            core::mem::forget(starts);
        }
        Some((program_id, core::mem::ManuallyDrop::new(infos), data))
    }
}

/// The `AccountInfo` of the non-duplicate record at `at`, as the SDK's `deserialize` builds it
/// (including the original data length it stores in the header's padding for `resize`).
#[inline(always)]
unsafe fn account_info<'a>(at: *mut u8) -> AccountInfo<'a> {
    unsafe {
        let is_signer = *at.add(1) != 0;
        let is_writable = *at.add(2) != 0;
        let executable = *at.add(3) != 0;
        let key = &*(at.add(8) as *const Pubkey);
        let owner = &*(at.add(40) as *const Pubkey);
        let lamports = &mut *(at.add(72) as *mut u64);
        let data_len = *(at.add(80) as *const u64) as usize;
        *(at.add(4) as *mut u32) = data_len as u32;
        let data = core::slice::from_raw_parts_mut(at.add(88), data_len);
        AccountInfo::new(key, is_signer, is_writable, lamports, data, owner, executable)
    }
}
