//! Decoding the program's zero-copy accounts, and one consistent read of a whole group.
use anchor_lang::prelude::Pubkey;
use anchor_lang::Discriminator;
use anyhow::{bail, Context, Result};
use portfolio_margin::state::{Asset, Group, MarginAccount, PerpMarket, PerpVault, RiskModel};
use solana_account::Account;

use crate::chain::{Chain, Filter};
use crate::instructions::AssetKeys;

/// Reads a zero-copy account of type `T` with the program's decoder (discriminator checked).
pub fn load<T: bytemuck::Pod + Discriminator>(data: &[u8]) -> Result<T> {
    portfolio_margin::state::decode(data)
        .map_err(|e| anyhow::anyhow!("{}: {e}", std::any::type_name::<T>().rsplit("::").next().unwrap_or("account")))
}

/// Filters selecting accounts of type `T` of `group` (every account type stores its group right
/// after the discriminator).
pub fn filters_for<T: Discriminator>(space: usize, group: &Pubkey) -> Vec<Filter> {
    vec![
        Filter::DataSize(space as u64),
        Filter::Memcmp { offset: 0, bytes: T::DISCRIMINATOR.to_vec() },
        Filter::Memcmp { offset: 8, bytes: group.as_ref().to_vec() },
    ]
}

/// A registered asset: its keys and its account.
#[derive(Clone, Debug)]
pub struct AssetState {
    pub keys: AssetKeys,
    pub account: Asset,
}

/// The group's perp vault and markets (by market index), read together.
#[derive(Clone)]
pub struct PerpState {
    pub keys: crate::perp::PerpVaultKeys,
    pub vault: PerpVault,
    /// The vault's quote tokens when read.
    pub tokens: u64,
    pub markets: Vec<(crate::perp::PerpMarketKeys, PerpMarket)>,
}

/// The group, its risk model and its assets (by index), read together.
#[derive(Clone)]
pub struct GroupState {
    pub address: Pubkey,
    pub group: Group,
    pub model: Box<RiskModel>,
    pub assets: Vec<AssetState>,
    /// The group's address lookup tables as they are now (`Group::lookup_tables`).
    pub lookup_tables: Vec<crate::lookup_table::AddressLookupTableAccount>,
    /// The perp vault and markets, when the group has a vault.
    pub perps: Option<PerpState>,
}

impl GroupState {
    /// Reads `group` (each asset's oracle is the one it registered).
    pub async fn fetch<C: Chain>(chain: &C, group: &Pubkey) -> Result<Self> {
        let g = chain.account(group).await?.with_context(|| format!("group {group} does not exist"))?;
        let g: Group = load(&g.data).with_context(|| format!("group {group}"))?;
        let m = chain.account(&g.risk_model).await?.context("the group's risk model does not exist")?;
        let model: Box<RiskModel> = Box::new(load(&m.data)?);
        let mut assets: Vec<AssetState> = chain
            .program_accounts(&portfolio_margin::ID, &filters_for::<Asset>(Asset::SPACE, group))
            .await?
            .into_iter()
            .map(|(k, a)| {
                let account: Asset = load(&a.data)?;
                Ok(AssetState { keys: AssetKeys::new(k, &account), account })
            })
            .collect::<Result<_>>()?;
        assets.sort_by_key(|a| a.account.index);
        for (i, a) in assets.iter().enumerate() {
            if a.account.index as usize != i {
                bail!("asset index {} missing from group {group}", i);
            }
        }
        let lookup_tables = crate::lookup_table::fetch(chain, &g.lookup_tables).await?;
        let perps = Self::fetch_perps(chain, group, &assets).await?;
        Ok(GroupState { address: *group, group: g, model, assets, lookup_tables, perps })
    }

    async fn fetch_perps<C: Chain>(chain: &C, group: &Pubkey, assets: &[AssetState]) -> Result<Option<PerpState>> {
        let address = crate::address::perp_vault(group);
        let Some(v) = chain.account(&address).await? else { return Ok(None) };
        let vault: PerpVault = load(&v.data).context("perp vault")?;
        let quote =
            assets.iter().find(|a| a.keys.asset == vault.quote_asset).context("the perp vault's quote asset")?;
        let keys = crate::perp::PerpVaultKeys::new(*group, quote.keys);
        let tokens = match chain.account(&keys.tokens).await? {
            Some(a) => token_amount(&a)?,
            None => 0,
        };
        let mut markets: Vec<(crate::perp::PerpMarketKeys, PerpMarket)> = chain
            .program_accounts(&portfolio_margin::ID, &filters_for::<PerpMarket>(PerpMarket::SPACE, group))
            .await?
            .into_iter()
            .map(|(k, a)| {
                let m: PerpMarket = load(&a.data)?;
                let keys =
                    crate::perp::PerpMarketKeys { market_index: m.market_index, perp_market: k, oracle: m.oracle };
                Ok((keys, m))
            })
            .collect::<Result<_>>()?;
        markets.sort_by_key(|(k, _)| k.market_index);
        for (i, (k, _)) in markets.iter().enumerate() {
            if k.market_index as usize != i {
                bail!("perp market {i} missing from group {group}");
            }
        }
        Ok(Some(PerpState { keys, vault, tokens, markets }))
    }

    /// The keys of the assets an account holds, in position order (its spot health accounts).
    pub fn health_keys(&self, account: &MarginAccount) -> Vec<AssetKeys> {
        account.active().map(|p| self.assets[p.asset_index as usize].keys).collect()
    }

    /// The perp markets an account holds, in slot order (its perp health accounts).
    pub fn perp_health_keys(&self, account: &MarginAccount) -> Vec<crate::perp::PerpMarketKeys> {
        let Some(p) = &self.perps else { return vec![] };
        account.active_perps().filter_map(|s| p.markets.get(s.market_index as usize).map(|m| m.0)).collect()
    }

    /// Appends an account's perp health accounts (markets, then the vault and its tokens) to an
    /// instruction that already carries its spot health accounts.
    pub fn push_perp_health(
        &self,
        ix: &mut anchor_lang::solana_program::instruction::Instruction,
        account: &MarginAccount,
    ) {
        if let Some(p) = &self.perps {
            crate::perp::push_health(ix, &[], &self.perp_health_keys(account), &p.keys);
        }
    }

    /// `opts` sending through this group's lookup tables.
    pub fn send_options(&self, opts: &crate::chain::SendOptions) -> crate::chain::SendOptions {
        opts.with_lookup_tables(&self.lookup_tables)
    }

    pub fn oracles(&self) -> Vec<Pubkey> {
        self.assets.iter().map(|a| a.keys.oracle).collect()
    }
}

/// Every margin account of `group`.
pub async fn margin_accounts<C: Chain>(chain: &C, group: &Pubkey) -> Result<Vec<(Pubkey, MarginAccount)>> {
    chain
        .program_accounts(&portfolio_margin::ID, &filters_for::<MarginAccount>(MarginAccount::SPACE, group))
        .await?
        .into_iter()
        .map(|(k, a)| Ok((k, load::<MarginAccount>(&a.data)?)))
        .collect()
}

/// The amount held by an SPL Token or Token-2022 account.
pub fn token_amount(account: &Account) -> Result<u64> {
    let b = account.data.get(64..72).context("not a token account")?;
    Ok(u64::from_le_bytes(b.try_into().unwrap()))
}
