//! `keeper migrate --config migrations/<cluster>.toml`: creates the group, its risk model and every
//! asset (with its Pyth feed id and a bootstrap covariance computed from price history with the
//! risk engine), and brings the parameters to the config's. Idempotent: what already exists and
//! matches is left alone, so a second run sends nothing.
use std::path::{Path, PathBuf};

use anchor_lang::prelude::Pubkey;
use anyhow::{bail, Context, Result};
use portfolio_margin::instructions::RegisterAssetArgs;
use portfolio_margin::state::{Asset, Group, RiskParams, RiskParamsArgs};
use portfolio_margin_client::chain::{send_ixs, Chain, SendOptions};
use portfolio_margin_client::instructions as pix;
use portfolio_margin_client::state::load;
use portfolio_margin_client::{address, token, Keypair, Signer};
use serde::Deserialize;

use crate::model::EwmaModel;
use crate::prices::{PriceTable, Selection};

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub group_id: u32,
    /// Pyth push-oracle shard whose feed accounts the assets use.
    #[serde(default)]
    pub pyth_shard: u16,
    /// Who may change risk parameters (default: the admin).
    pub risk_authority: Option<String>,
    pub params: ParamsConfig,
    pub bootstrap: Bootstrap,
    pub assets: Vec<AssetConfig>,
    /// The perp vault and markets (absent: none).
    #[serde(default)]
    pub perps: Option<PerpsConfig>,
}

/// The group's perp vault (in a quote asset) and one market per listed asset, with
/// `PerpParamsArgs::defaults` at each market's open-interest cap.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerpsConfig {
    /// Symbol of the quote asset (perp PnL settles in it).
    pub quote: String,
    /// Share of the vault's tokens the markets' stressed net positions may use × 10⁶.
    pub max_utilization_e6: u32,
    /// In market order (market i is the i-th listed).
    pub markets: Vec<PerpMarketConfig>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerpMarketConfig {
    pub symbol: String,
    /// Open-interest cap per side, whole tokens.
    pub oi_cap_tokens: u64,
}

/// The group's risk parameters, as `create_group` takes them.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamsConfig {
    pub lambda_e9: u64,
    pub sample_interval_seconds: u32,
    pub horizon_seconds: u32,
    pub z_e6: u32,
    pub spike_alpha_e6: u32,
    pub breakdown_beta_e6: u32,
    pub stress_vol_multiplier_e6: u32,
    pub joint_move_sigmas_e6: u32,
    pub initial_multiplier_e6: u32,
    pub conf_k_e6: u32,
    pub oracle_max_age_seconds: u32,
    pub max_conf_ratio_e6: u32,
    pub liquidator_fee_e6: u32,
    pub insurance_fee_e6: u32,
    pub hedge_floor_e6: u32,
    pub slow_lambda_e9: u64,
    pub vol_floor_weight_e6: u32,
    pub short_lambda_e9: u64,
    pub short_vol_weight_e6: u32,
}

impl ParamsConfig {
    pub fn args(&self) -> RiskParamsArgs {
        RiskParamsArgs {
            lambda_e9: self.lambda_e9,
            sample_interval_seconds: self.sample_interval_seconds,
            horizon_seconds: self.horizon_seconds,
            z_e6: self.z_e6,
            spike_alpha_e6: self.spike_alpha_e6,
            breakdown_beta_e6: self.breakdown_beta_e6,
            stress_vol_multiplier_e6: self.stress_vol_multiplier_e6,
            joint_move_sigmas_e6: self.joint_move_sigmas_e6,
            initial_multiplier_e6: self.initial_multiplier_e6,
            conf_k_e6: self.conf_k_e6,
            oracle_max_age_seconds: self.oracle_max_age_seconds,
            max_conf_ratio_e6: self.max_conf_ratio_e6,
            liquidator_fee_e6: self.liquidator_fee_e6,
            insurance_fee_e6: self.insurance_fee_e6,
            hedge_floor_e6: self.hedge_floor_e6,
            slow_lambda_e9: self.slow_lambda_e9,
            vol_floor_weight_e6: self.vol_floor_weight_e6,
            short_lambda_e9: self.short_lambda_e9,
            short_vol_weight_e6: self.short_vol_weight_e6,
        }
    }
}

/// Where the bootstrap covariance comes from: daily closes, EWMA with the group's λ.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bootstrap {
    /// CSV of daily closes (relative paths are relative to the config file).
    pub prices: PathBuf,
    pub start: String,
    pub end: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetConfig {
    /// Column of the bootstrap price file.
    pub symbol: String,
    /// Pyth feed id, hex (with or without 0x).
    pub feed_id: String,
    /// An existing mint, or absent to create one (local networks): its address is derived from
    /// the admin key, group id and symbol, so re-runs find it again.
    pub mint: Option<String>,
    /// Decimals of a created mint.
    #[serde(default = "default_decimals")]
    pub decimals: u8,
    #[serde(default)]
    pub token_2022: bool,
    #[serde(default = "default_floor")]
    pub floor_rate_e6: u32,
    /// De-peg gap × 10⁶ (stablecoins; default 0).
    #[serde(default)]
    pub depeg_gap_e6: u32,
    #[serde(default = "max_cap")]
    pub deposit_cap: u64,
    #[serde(default = "max_cap")]
    pub borrow_cap: u64,
    #[serde(default)]
    pub base_rate_e6: u32,
    #[serde(default = "default_optimal")]
    pub optimal_utilization_e6: u32,
    #[serde(default = "default_rate_at_optimal")]
    pub rate_at_optimal_e6: u32,
    #[serde(default = "default_max_rate")]
    pub max_rate_e6: u32,
    #[serde(default = "default_protocol_share")]
    pub protocol_share_e6: u32,
}

fn default_decimals() -> u8 {
    6
}
fn default_floor() -> u32 {
    10_000
}
fn max_cap() -> u64 {
    u64::MAX / 4
}
fn default_optimal() -> u32 {
    800_000
}
fn default_rate_at_optimal() -> u32 {
    100_000
}
fn default_max_rate() -> u32 {
    1_000_000
}
fn default_protocol_share() -> u32 {
    100_000
}

impl Config {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut c: Config = toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        if c.bootstrap.prices.is_relative() {
            c.bootstrap.prices = path.parent().unwrap_or(Path::new(".")).join(&c.bootstrap.prices);
        }
        Ok(c)
    }
}

pub fn parse_feed_id(s: &str) -> Result<[u8; 32]> {
    let h = s.trim_start_matches("0x");
    if h.len() != 64 {
        bail!("feed id `{s}`: expected 32 bytes of hex");
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&h[2 * i..2 * i + 2], 16).with_context(|| format!("feed id `{s}`: not hex"))?;
    }
    Ok(out)
}

/// The keypair of a mint migrate creates: derived from the admin's secret, the group and the
/// symbol (nobody else can derive it; the admin finds it again on every run).
pub fn derived_mint(admin: &Keypair, group_id: u32, symbol: &str) -> Keypair {
    derive_keypair(&[b"portfolio-margin mint", &admin.secret_bytes()[..], &group_id.to_le_bytes(), symbol.as_bytes()])
}

/// A keypair whose secret is the SHA-256 of `parts` (deterministic test and simulation keys).
pub fn derive_keypair(parts: &[&[u8]]) -> Keypair {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    Keypair::new_from_array(h.finalize().into())
}

/// Bootstrap covariance rows: EWMA over the configured history, scaled from the data's interval
/// to the group's sample interval; row i holds cov(j, i) for j ≤ i, e18.
pub fn bootstrap_rows(config: &Config) -> Result<Vec<Vec<i64>>> {
    let symbols: Vec<String> = config.assets.iter().map(|a| a.symbol.clone()).collect();
    let table = PriceTable::load(
        &config.bootstrap.prices,
        &Selection {
            assets: symbols,
            start: Some(config.bootstrap.start.clone()),
            end: Some(config.bootstrap.end.clone()),
        },
    )?;
    if table.rows() < 30 {
        bail!("bootstrap window has {} rows where every asset has a price; need ≥ 30", table.rows());
    }
    let lambda = config.params.lambda_e9 as f64 / 1e9;
    let mut m = EwmaModel::new(table.assets.len(), lambda, None)?;
    // Seed Σ₀ with the sample covariance of the first 20 returns, then run the EWMA over the rest.
    let r: Vec<Vec<f64>> = (1..=20)
        .map(|t| (0..table.assets.len()).map(|i| table.prices[t][i] / table.prices[t - 1][i] - 1.0).collect())
        .collect();
    for i in 0..table.assets.len() {
        for j in i..table.assets.len() {
            let c = r.iter().map(|x| x[i] * x[j]).sum::<f64>() / r.len() as f64;
            m.matrix.set(i, j, risk_engine::Fx::from_num(c));
        }
    }
    for row in &table.prices[20..] {
        m.observe(row)?;
    }
    let scale = config.params.sample_interval_seconds as f64 / table.sample_interval_seconds();
    let dense = m.dense();
    Ok((0..dense.len()).map(|i| (0..=i).map(|j| (dense[j][i] * scale * 1e18).round() as i64).collect()).collect())
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Migration {
    pub group: Pubkey,
    pub risk_model: Pubkey,
    pub mints: Vec<Pubkey>,
    /// Each change sent, in order; empty when everything already matched.
    pub changes: Vec<String>,
}

pub async fn migrate<C: Chain>(chain: &C, admin: &Keypair, config: &Config, opts: &SendOptions) -> Result<Migration> {
    let me = admin.pubkey();
    let group = address::group(&me, config.group_id);
    let args = config.params.args();
    let wanted = RiskParams::from_args(&args).map_err(|e| anyhow::anyhow!("invalid params in config: {e}"))?;
    let mut run = Migration { group, ..Default::default() };
    let risk_authority = match &config.risk_authority {
        Some(s) => s.parse().with_context(|| format!("risk_authority `{s}`"))?,
        None => me,
    };
    let mut g = match chain.account(&group).await? {
        None => {
            let out =
                send_ixs(chain, admin, &[], &[pix::create_group(&me, config.group_id, risk_authority, args)], opts)
                    .await?;
            out.check("create_group")?;
            run.changes.push(format!("created group {group}"));
            load::<Group>(&chain.account(&group).await?.context("group after creation")?.data)?
        }
        Some(a) => load::<Group>(&a.data)?,
    };
    if bytemuck::bytes_of(&g.params) != bytemuck::bytes_of(&wanted) {
        if g.risk_authority != me {
            bail!(
                "the config's risk parameters differ from the group's, and only its risk authority {} may change them",
                g.risk_authority
            );
        }
        let out = send_ixs(chain, admin, &[], &[pix::update_risk_params(&me, group, args)], opts).await?;
        out.check("update_risk_params")?;
        run.changes.push("updated risk parameters".into());
    }
    if g.risk_model == Pubkey::default() {
        let model = Keypair::new();
        let rent = chain.rent_exempt_minimum(portfolio_margin::state::RiskModel::SPACE).await?;
        let out =
            send_ixs(chain, admin, &[&model], &pix::create_risk_model(&me, group, &model.pubkey(), rent), opts).await?;
        out.check("create_risk_model")?;
        run.changes.push(format!("created risk model {}", model.pubkey()));
        g = load::<Group>(&chain.account(&group).await?.context("group")?.data)?;
    }
    run.risk_model = g.risk_model;

    let rows = bootstrap_rows(config)?;
    for (i, a) in config.assets.iter().enumerate() {
        let feed_id = parse_feed_id(&a.feed_id)?;
        let token_program = if a.token_2022 { anchor_spl::token_2022::ID } else { anchor_spl::token::ID };
        let mint = match &a.mint {
            Some(m) => m.parse().with_context(|| format!("mint of {}", a.symbol))?,
            None => {
                let k = derived_mint(admin, config.group_id, &a.symbol);
                if chain.account(&k.pubkey()).await?.is_none() {
                    let rent = chain.rent_exempt_minimum(token::MINT_LEN).await?;
                    let ixs = token::create_mint(&me, &k.pubkey(), &me, a.decimals, &token_program, rent);
                    let out = send_ixs(chain, admin, &[&k], &ixs, opts).await?;
                    out.check(&format!("creating mint {}", a.symbol))?;
                    run.changes.push(format!("created mint {} for {}", k.pubkey(), a.symbol));
                }
                k.pubkey()
            }
        };
        run.mints.push(mint);
        let asset = address::asset(&group, &mint);
        match chain.account(&asset).await? {
            Some(existing) => {
                let existing: Asset = load(&existing.data)?;
                if existing.index as usize != i || existing.feed_id != feed_id {
                    bail!(
                        "{} is registered as asset {} with another feed; the config lists it as asset {i}",
                        a.symbol,
                        existing.index
                    );
                }
            }
            None => {
                if g.asset_count as usize != i {
                    bail!("{} would be asset {i} but the group has {} assets: the config must list assets in registration order", a.symbol, g.asset_count);
                }
                let args = RegisterAssetArgs {
                    feed_id,
                    oracle: address::pyth_price_feed(config.pyth_shard, &feed_id),
                    floor_rate_e6: a.floor_rate_e6,
                    depeg_gap_e6: a.depeg_gap_e6,
                    deposit_cap: a.deposit_cap,
                    borrow_cap: a.borrow_cap,
                    base_rate_e6: a.base_rate_e6,
                    optimal_utilization_e6: a.optimal_utilization_e6,
                    rate_at_optimal_e6: a.rate_at_optimal_e6,
                    max_rate_e6: a.max_rate_e6,
                    protocol_share_e6: a.protocol_share_e6,
                    covariance_row_e18: rows[i].clone(),
                };
                let o = opts.with_fallback_limit(1_400_000);
                let ix = pix::register_asset(&me, group, g.risk_model, mint, token_program, args);
                let out = send_ixs(chain, admin, &[], &[ix], &o).await?;
                out.check(&format!("register_asset {}", a.symbol))?;
                run.changes.push(format!("registered {} as asset {i} (mint {mint})", a.symbol));
                g.asset_count += 1;
            }
        }
    }
    let state = portfolio_margin_client::state::GroupState::fetch(chain, &group).await?;
    if let Some(p) = &config.perps {
        run.changes.extend(ensure_perps(chain, admin, config, p, &state, opts).await?);
    }
    let state = portfolio_margin_client::state::GroupState::fetch(chain, &group).await?;
    run.changes.extend(crate::lookup_tables::ensure(chain, admin, &state, opts).await?);
    Ok(run)
}

/// Creates the perp vault and the configured markets that do not exist yet (in market order).
async fn ensure_perps<C: Chain>(
    chain: &C,
    admin: &Keypair,
    config: &Config,
    p: &PerpsConfig,
    state: &portfolio_margin_client::state::GroupState,
    opts: &SendOptions,
) -> Result<Vec<String>> {
    use portfolio_margin::state::PerpParamsArgs;
    use portfolio_margin_client::perp as pp;
    let me = admin.pubkey();
    let index_of = |symbol: &str| {
        config
            .assets
            .iter()
            .position(|a| a.symbol == symbol)
            .with_context(|| format!("perp asset {symbol} is not registered"))
    };
    let quote = &state.assets[index_of(&p.quote)?];
    let vault = pp::PerpVaultKeys::new(state.address, quote.keys);
    let mut changes = vec![];
    if chain.account(&vault.perp_vault).await?.is_none() {
        let out =
            send_ixs(chain, admin, &[], &[pp::create_perp_vault(&me, &vault, p.max_utilization_e6)], opts).await?;
        out.check("create_perp_vault")?;
        changes.push(format!("created the perp vault {} in {}", vault.perp_vault, p.quote));
    }
    for (i, m) in p.markets.iter().enumerate() {
        let asset = &state.assets[index_of(&m.symbol)?];
        let address = address::perp_market(&state.address, asset.keys.index);
        match chain.account(&address).await? {
            Some(a) => {
                let market: portfolio_margin::state::PerpMarket = load(&a.data)?;
                if market.market_index as usize != i {
                    bail!("the {} perp is market {}; the config lists it as market {i}", m.symbol, market.market_index);
                }
            }
            None => {
                let cap = m.oi_cap_tokens.saturating_mul(10u64.saturating_pow(asset.account.decimals as u32));
                let ix = pp::create_perp_market(&me, &vault, &asset.keys, PerpParamsArgs::defaults(cap));
                send_ixs(chain, admin, &[], &[ix], opts).await?.check(&format!("create_perp_market {}", m.symbol))?;
                changes.push(format!("created the {} perp market ({i})", m.symbol));
            }
        }
    }
    Ok(changes)
}
