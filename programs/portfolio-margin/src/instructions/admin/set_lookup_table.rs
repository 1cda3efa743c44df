//! The group's address lookup tables: where clients find the table(s) listing the group's accounts.
//! The program never reads through them (the runtime resolves a v0 transaction's accounts before
//! the program runs); recording them on the group makes them discoverable and attributable.
use anchor_lang::prelude::*;

use crate::error::ErrorCode;
use crate::events::LookupTableSet;
use crate::state::{Group, MAX_LOOKUP_TABLES};

/// The address lookup table program (a core BPF program on every cluster).
pub const ADDRESS_LOOKUP_TABLE_PROGRAM: Pubkey = pubkey!("AddressLookupTab1e1111111111111111111111111");

/// LookupTableMeta as the lookup table program stores it: u32 type (1 = table), deactivation slot
/// (u64::MAX while active), last extended slot, its start index, then the authority as an
/// `Option<Pubkey>` (tag byte, 32 bytes).
const TYPE_LOOKUP_TABLE: u32 = 1;
const DEACTIVATION_SLOT: core::ops::Range<usize> = 4..12;
const AUTHORITY_TAG: usize = 21;
const AUTHORITY: core::ops::Range<usize> = 22..54;

#[derive(Accounts)]
pub struct SetLookupTable<'info> {
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin)]
    pub group: AccountLoader<'info, Group>,
    /// CHECK: owner checked here, contents checked in the handler (an active table whose
    /// authority is the admin).
    #[account(owner = ADDRESS_LOOKUP_TABLE_PROGRAM @ ErrorCode::LookupTableInvalid)]
    pub lookup_table: UncheckedAccount<'info>,
}

/// True when `data` is an active lookup table whose authority is `admin`.
pub fn is_admins_active_table(data: &[u8], admin: &Pubkey) -> bool {
    let Some(meta) = data.get(..AUTHORITY.end) else { return false };
    let kind = u32::from_le_bytes(meta[..4].try_into().unwrap());
    let deactivation = u64::from_le_bytes(meta[DEACTIVATION_SLOT].try_into().unwrap());
    kind == TYPE_LOOKUP_TABLE
        && deactivation == u64::MAX
        && meta[AUTHORITY_TAG] == 1
        && meta[AUTHORITY] == admin.as_ref()[..]
}

pub fn handle_set_lookup_table(ctx: Context<SetLookupTable>, index: u8) -> Result<()> {
    let slot = index as usize;
    require!(slot < MAX_LOOKUP_TABLES, ErrorCode::LookupTableIndex);
    let admin = ctx.accounts.admin.key();
    require!(
        is_admins_active_table(&ctx.accounts.lookup_table.try_borrow_data()?, &admin),
        ErrorCode::LookupTableInvalid
    );
    let table = ctx.accounts.lookup_table.key();
    ctx.accounts.group.load_mut()?.lookup_tables[slot] = table;
    emit!(LookupTableSet { group: ctx.accounts.group.key(), index, lookup_table: table });
    Ok(())
}
