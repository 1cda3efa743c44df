//! The group's address lookup tables: which addresses they hold, reading them, and the
//! instructions that create and extend them. `keeper migrate` keeps them complete; every client
//! reads them from `Group::lookup_tables` and builds v0 transactions through them when a legacy
//! transaction would not fit a packet ([`crate::chain::transaction`]).
//!
//! Layout: the group's fixed accounts, then five per asset in index order (asset, oracle, vault,
//! mint, insurance vault); table `i` holds entries `256·i ..`. New assets only append, so the
//! tables are extended, never rewritten. The admin is each table's authority.
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anyhow::{bail, Context, Result};
use portfolio_margin::state::MAX_LOOKUP_TABLES;
pub use solana_address_lookup_table_interface::instruction::{create_lookup_table, extend_lookup_table};
use solana_address_lookup_table_interface::state::{AddressLookupTable, LOOKUP_TABLE_MAX_ADDRESSES};
pub use solana_message::AddressLookupTableAccount;

use crate::chain::Chain;
use crate::instructions::AssetKeys;

pub use portfolio_margin::instructions::admin::set_lookup_table::ADDRESS_LOOKUP_TABLE_PROGRAM;

/// Addresses one extend instruction adds (keeps the transaction well under a packet).
pub const EXTEND_CHUNK: usize = 20;

/// Every address the group's tables should hold, in table order.
pub fn group_addresses(group: &Pubkey, risk_model: &Pubkey, assets: &[AssetKeys]) -> Vec<Pubkey> {
    let mut out =
        vec![*group, *risk_model, anchor_spl::token::ID, anchor_spl::token_2022::ID, anchor_lang::system_program::ID];
    for a in assets {
        out.extend([a.asset, a.oracle, a.vault, a.mint, a.insurance_vault]);
    }
    out
}

/// `wanted` split into the tables' contents (256 addresses each).
pub fn table_contents(wanted: &[Pubkey]) -> Result<Vec<&[Pubkey]>> {
    let tables: Vec<&[Pubkey]> = wanted.chunks(LOOKUP_TABLE_MAX_ADDRESSES).collect();
    if tables.len() > MAX_LOOKUP_TABLES {
        bail!("{} addresses need {} lookup tables; a group records {MAX_LOOKUP_TABLES}", wanted.len(), tables.len());
    }
    Ok(tables)
}

/// The addresses a lookup-table account holds.
pub fn addresses(data: &[u8]) -> Result<Vec<Pubkey>> {
    let t = AddressLookupTable::deserialize(data).map_err(|e| anyhow::anyhow!("not an address lookup table: {e}"))?;
    Ok(t.addresses.to_vec())
}

/// The addresses of an active table; `None` once it is deactivated (it can no longer load
/// addresses: left out, a transaction that fits without it is still sent, and one that does not
/// gets the client's clear error instead of failing on chain).
pub fn usable_addresses(data: &[u8]) -> Result<Option<Vec<Pubkey>>> {
    let t = AddressLookupTable::deserialize(data).map_err(|e| anyhow::anyhow!("not an address lookup table: {e}"))?;
    Ok((t.meta.deactivation_slot == u64::MAX).then(|| t.addresses.to_vec()))
}

/// The authority of a lookup-table account (`None`: frozen).
pub fn authority(data: &[u8]) -> Result<Option<Pubkey>> {
    let t = AddressLookupTable::deserialize(data).map_err(|e| anyhow::anyhow!("not an address lookup table: {e}"))?;
    Ok(t.meta.authority)
}

/// Reads the tables recorded on a group (`keys`: `Group::lookup_tables`; unset entries and
/// deactivated tables skipped).
pub async fn fetch<C: Chain>(chain: &C, keys: &[Pubkey]) -> Result<Vec<AddressLookupTableAccount>> {
    let mut out = vec![];
    for key in keys.iter().filter(|k| **k != Pubkey::default()) {
        let account = chain.account(key).await?.with_context(|| format!("lookup table {key} does not exist"))?;
        if account.owner != ADDRESS_LOOKUP_TABLE_PROGRAM {
            bail!("lookup table {key} is not owned by the lookup table program");
        }
        match usable_addresses(&account.data).with_context(|| format!("lookup table {key}"))? {
            Some(addresses) => out.push(AddressLookupTableAccount { key: *key, addresses }),
            None => tracing::warn!(%key, "the group's lookup table is deactivated: not used"),
        }
    }
    Ok(out)
}

/// The most recent slot of the SlotHashes sysvar: what `create_lookup_table` must name.
pub async fn recent_slot<C: Chain>(chain: &C) -> Result<u64> {
    let sysvar = anchor_lang::prelude::pubkey!("SysvarS1otHashes111111111111111111111111111");
    let a = chain.account(&sysvar).await?.context("no SlotHashes sysvar")?;
    // A u64 count, then (slot u64, hash [u8; 32]) entries, most recent first.
    let slot = a.data.get(8..16).context("the SlotHashes sysvar is empty")?;
    Ok(u64::from_le_bytes(slot.try_into().unwrap()))
}

/// `extend_lookup_table` instructions adding `new` to `table`, [`EXTEND_CHUNK`] at a time.
pub fn extend(table: Pubkey, authority: Pubkey, new: &[Pubkey]) -> Vec<Instruction> {
    new.chunks(EXTEND_CHUNK).map(|c| extend_lookup_table(table, authority, Some(authority), c.to_vec())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// LookupTableMeta (56 bytes) then the addresses.
    fn table(deactivation_slot: u64, addresses: &[Pubkey]) -> Vec<u8> {
        let mut d = vec![0u8; 56];
        d[..4].copy_from_slice(&1u32.to_le_bytes());
        d[4..12].copy_from_slice(&deactivation_slot.to_le_bytes());
        for a in addresses {
            d.extend_from_slice(a.as_ref());
        }
        d
    }

    #[test]
    fn a_deactivated_table_is_not_used_and_garbage_is_refused() {
        let a = [Pubkey::new_unique(), Pubkey::new_unique()];
        assert_eq!(usable_addresses(&table(u64::MAX, &a)).unwrap(), Some(a.to_vec()));
        assert_eq!(usable_addresses(&table(1_234, &a)).unwrap(), None);
        assert!(usable_addresses(&[0u8; 10]).is_err());
    }

    #[test]
    fn the_layout_fills_table_zero_then_table_one_and_refuses_a_third() {
        let keys: Vec<AssetKeys> = (0..64u16).map(AssetKeys::synthetic).collect();
        let all = group_addresses(&Pubkey::new_unique(), &Pubkey::new_unique(), &keys);
        assert_eq!(all.len(), 5 + 64 * 5);
        let tables = table_contents(&all).unwrap();
        assert_eq!(tables.iter().map(|t| t.len()).collect::<Vec<_>>(), vec![256, 69]);
        assert!(table_contents(&[Pubkey::default(); 513]).is_err());
    }
}
