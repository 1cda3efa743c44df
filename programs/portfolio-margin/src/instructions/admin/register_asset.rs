use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use risk_engine::covariance::validate_new_column;
use risk_engine::fixed_point::fx_ratio;
use risk_engine::interest::InterestCurve;
use risk_engine::procyclicality::initial_memory;
use risk_engine::{tri_index, Fx, FxExt, RiskError};

use crate::error::{math, ErrorCode};
use crate::events::AssetRegistered;
use crate::state::params::E6;
use crate::state::{seeds, Asset, Group, ModelView, RiskModel, MAX_ASSETS};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct RegisterAssetArgs {
    /// Pyth price feed id of the asset (USD quote).
    pub feed_id: [u8; 32],
    /// The PriceUpdateV2 account the asset is priced from (Pyth's push-oracle account of the feed,
    /// which anyone can update); the only oracle account the program will accept for this asset.
    pub oracle: Pubkey,
    /// Minimum margin per USD of |exposure| × 10⁶, in [0, 1].
    pub floor_rate_e6: u32,
    /// De-peg gap × 10⁶, in [0, 1]: for a stablecoin, the sudden fall its holders are margined for
    /// on top of their book's VaR (0 for assets margined on their volatility alone).
    pub depeg_gap_e6: u32,
    /// Most that may be deposited, native units.
    pub deposit_cap: u64,
    /// Most that may be borrowed, native units.
    pub borrow_cap: u64,
    /// Annual borrow rates × 10⁶ at 0%, at the kink and at 100% utilisation; kink utilisation × 10⁶.
    pub base_rate_e6: u32,
    pub optimal_utilization_e6: u32,
    pub rate_at_optimal_e6: u32,
    pub max_rate_e6: u32,
    /// Share of interest kept by the protocol × 10⁶, in [0, 0.5].
    pub protocol_share_e6: u32,
    /// Bootstrap covariances per sample interval × 10¹⁸: one per registered asset (in index order),
    /// then the new asset's variance.
    pub covariance_row_e18: Vec<i64>,
}

#[derive(Accounts)]
pub struct RegisterAsset<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin, has_one = risk_model @ ErrorCode::WrongRiskModel)]
    pub group: AccountLoader<'info, Group>,
    #[account(mut)]
    pub risk_model: AccountLoader<'info, RiskModel>,
    #[account(mint::token_program = token_program)]
    pub mint: InterfaceAccount<'info, Mint>,
    #[account(
        init,
        payer = admin,
        space = Asset::SPACE,
        seeds = [seeds::ASSET, group.key().as_ref(), mint.key().as_ref()],
        bump,
    )]
    pub asset: AccountLoader<'info, Asset>,
    #[account(
        init,
        payer = admin,
        seeds = [seeds::VAULT, asset.key().as_ref()],
        bump,
        token::mint = mint,
        token::authority = asset,
        token::token_program = token_program,
    )]
    pub vault: InterfaceAccount<'info, TokenAccount>,
    #[account(
        init,
        payer = admin,
        seeds = [seeds::INSURANCE, asset.key().as_ref()],
        bump,
        token::mint = mint,
        token::authority = asset,
        token::token_program = token_program,
    )]
    pub insurance_vault: InterfaceAccount<'info, TokenAccount>,
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

fn e6(v: u32) -> Result<Fx> {
    fx_ratio(v as i128, E6).map_err(math)
}

/// `v × 10⁻¹⁸` as fixed point, rounded down.
fn e18(v: i64) -> Result<Fx> {
    fx_ratio(v as i128, 1_000_000_000_000_000_000).map_err(math)
}

fn invalid(name: &str, reason: &str) -> Error {
    msg!("invalid asset parameter `{}`: {}", name, reason);
    error!(ErrorCode::InvalidRiskParameter)
}

/// Most mint decimals: valuations scale amounts by 10^decimals in fixed point.
const MAX_DECIMALS: u8 = 18;

/// Size of a mint account without extensions.
const BASE_MINT_LEN: usize = 82;

pub fn handle_register_asset(ctx: Context<RegisterAsset>, args: RegisterAssetArgs) -> Result<()> {
    // Token-2022 extensions (transfer fees, hooks, permanent delegates, confidential transfers…) can
    // move or withhold tokens outside the vault's books; only plain mints are accepted for now.
    let mint_info = ctx.accounts.mint.to_account_info();
    if mint_info.data_len() > BASE_MINT_LEN {
        msg!("mint {} carries Token-2022 extensions ({} bytes)", mint_info.key, mint_info.data_len());
        return err!(ErrorCode::UnsupportedMintExtensions);
    }
    let mut group = ctx.accounts.group.load_mut()?;
    let mut model = ctx.accounts.risk_model.load_mut()?;
    let index = group.asset_count as usize;
    if index >= MAX_ASSETS {
        return err!(ErrorCode::TooManyAssets);
    }
    if args.covariance_row_e18.len() != index + 1 {
        msg!("covariance row has {} entries, expected {}", args.covariance_row_e18.len(), index + 1);
        return err!(ErrorCode::CovarianceRowLength);
    }
    if args.floor_rate_e6 > 1_000_000 {
        return Err(invalid("floor_rate_e6", "must be in [0, 1000000]"));
    }
    if args.depeg_gap_e6 > 1_000_000 {
        return Err(invalid("depeg_gap_e6", "must be in [0, 1000000]"));
    }
    if args.protocol_share_e6 > 500_000 {
        return Err(invalid("protocol_share_e6", "must be in [0, 500000]"));
    }
    let curve = InterestCurve {
        base_rate: e6(args.base_rate_e6)?,
        optimal_utilization: e6(args.optimal_utilization_e6)?,
        rate_at_optimal: e6(args.rate_at_optimal_e6)?,
        max_rate: e6(args.max_rate_e6)?,
    };
    if let Err(risk_engine::RiskError::InvalidParameter { name, reason }) = curve.validate() {
        return Err(invalid(name, reason));
    }

    if ctx.accounts.mint.decimals > MAX_DECIMALS {
        msg!("mint has {} decimals, at most {} are supported", ctx.accounts.mint.decimals, MAX_DECIMALS);
        return err!(ErrorCode::TooManyDecimals);
    }
    if args.oracle == Pubkey::default() {
        return Err(invalid("oracle", "must be the feed's price account"));
    }

    // Bootstrap column, converted once and checked by the engine against the stored matrix.
    let row = args.covariance_row_e18.iter().map(|&c| e18(c)).collect::<Result<Vec<Fx>>>()?;
    let var = row[index];
    match validate_new_column(&ModelView { model: &*model }, &row) {
        Ok(()) => {}
        Err(RiskError::NonPositiveVariance { .. }) => return err!(ErrorCode::NonPositiveVariance),
        Err(RiskError::CorrelationOutOfBounds { i, .. }) => {
            msg!("covariance with asset {} exceeds the bound", i);
            return err!(ErrorCode::CovarianceOutOfBounds);
        }
        Err(RiskError::NotPositiveSemidefinite { pivot }) => {
            msg!("the matrix with the new asset has a negative pivot at {}", pivot);
            return err!(ErrorCode::CovarianceNotPositiveSemidefinite);
        }
        Err(e) => return Err(math(e)),
    }
    for (j, &cov) in row.iter().enumerate() {
        model.covariance[tri_index(j, index)].set(cov);
    }
    model.volatility[index].set(var.sqrt_ceil().map_err(math)?);
    let (slow, short, scale) = initial_memory(var, &group.params.vol_floor_params()).map_err(math)?;
    model.slow_variance[index].set(slow);
    model.short_variance[index].set(short);
    model.depeg_gap[index].set(e6(args.depeg_gap_e6)?);
    model.vol_scale[index].set(scale);
    model.refresh_kernel(index..index + 1).map_err(math)?;
    model.feed_ids[index] = args.feed_id;
    model.oracles[index] = args.oracle;
    model.asset_count = (index + 1) as u16;
    group.asset_count = (index + 1) as u16;

    let now = Clock::get()?.unix_timestamp;
    let mut asset = ctx.accounts.asset.load_init()?;
    asset.group = ctx.accounts.group.key();
    asset.mint = ctx.accounts.mint.key();
    asset.token_program = ctx.accounts.token_program.key();
    asset.vault = ctx.accounts.vault.key();
    asset.insurance_vault = ctx.accounts.insurance_vault.key();
    asset.feed_id = args.feed_id;
    asset.oracle = args.oracle;
    let freeze_authority: Option<Pubkey> = ctx.accounts.mint.freeze_authority.into();
    if let Some(f) = freeze_authority {
        asset.freeze_authority = f;
        asset.has_freeze_authority = 1;
    }
    asset.set_pool(&risk_engine::interest::Pool::new(now));
    asset.base_rate.set(curve.base_rate);
    asset.optimal_utilization.set(curve.optimal_utilization);
    asset.rate_at_optimal.set(curve.rate_at_optimal);
    asset.max_rate.set(curve.max_rate);
    asset.protocol_share.set(e6(args.protocol_share_e6)?);
    asset.floor_rate.set(e6(args.floor_rate_e6)?);
    asset.deposit_cap = args.deposit_cap;
    asset.borrow_cap = args.borrow_cap;
    asset.index = index as u16;
    asset.decimals = ctx.accounts.mint.decimals;
    asset.bump = ctx.bumps.asset;
    asset.vault_bump = ctx.bumps.vault;
    asset.insurance_bump = ctx.bumps.insurance_vault;

    emit!(AssetRegistered {
        group: asset.group,
        asset: ctx.accounts.asset.key(),
        mint: asset.mint,
        index: asset.index,
        decimals: asset.decimals,
        feed_id: args.feed_id,
        freeze_authority,
        args: args.clone(),
    });
    Ok(())
}
