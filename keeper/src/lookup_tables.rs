//! `keeper migrate`'s last step: the group's address lookup tables hold every address of
//! [`lookup_table::group_addresses`] and are recorded on the group. Idempotent: a complete,
//! recorded table sends nothing; a new asset extends the last table (or opens the second).
use anyhow::{bail, Result};
use portfolio_margin_client::chain::{send_ixs, Chain, SendOptions};
use portfolio_margin_client::instructions as pix;
use portfolio_margin_client::lookup_table;
use portfolio_margin_client::state::GroupState;
use portfolio_margin_client::{Keypair, Pubkey, Signer};

/// Creates, extends and records the tables `state`'s group needs; returns what it changed.
pub async fn ensure<C: Chain>(
    chain: &C,
    admin: &Keypair,
    state: &GroupState,
    opts: &SendOptions,
) -> Result<Vec<String>> {
    let me = admin.pubkey();
    let keys: Vec<_> = state.assets.iter().map(|a| a.keys).collect();
    let wanted = lookup_table::group_addresses(&state.address, &state.group.risk_model, &keys);
    let mut changes = vec![];
    let mut extended = false;
    for (i, want) in lookup_table::table_contents(&wanted)?.into_iter().enumerate() {
        let recorded = state.group.lookup_tables[i];
        let (table, held) = if recorded == Pubkey::default() {
            let slot = lookup_table::recent_slot(chain).await?;
            let (ix, table) = lookup_table::create_lookup_table(me, me, slot);
            send_ixs(chain, admin, &[], &[ix], opts).await?.check("creating a lookup table")?;
            changes.push(format!("created lookup table {i}: {table}"));
            (table, vec![])
        } else {
            let account = chain.account(&recorded).await?;
            let Some(account) = account else { bail!("the group's lookup table {i} ({recorded}) does not exist") };
            if lookup_table::authority(&account.data)? != Some(me) {
                bail!("the group's lookup table {i} ({recorded}) is not the admin's to extend");
            }
            (recorded, lookup_table::addresses(&account.data)?)
        };
        if held.len() > want.len() || held[..] != want[..held.len()] {
            bail!("lookup table {i} ({table}) holds addresses this group's layout does not put there");
        }
        for ix in lookup_table::extend(table, me, &want[held.len()..]) {
            send_ixs(chain, admin, &[], &[ix], opts).await?.check("extending a lookup table")?;
            extended = true;
        }
        if held.len() < want.len() {
            changes.push(format!(
                "lookup table {i}: {} addresses added ({} in all)",
                want.len() - held.len(),
                want.len()
            ));
        }
        if recorded != table {
            let ix = pix::set_lookup_table(&me, state.address, i as u8, table);
            send_ixs(chain, admin, &[], &[ix], opts).await?.check("set_lookup_table")?;
            changes.push(format!("recorded lookup table {i} on the group"));
        }
    }
    if extended {
        // New addresses are usable from the next slot.
        chain.next_slot().await?;
    }
    Ok(changes)
}
