//! A ready market for tests: a group with its risk model, registered assets (classic SPL Token or
//! Token-2022 mints) with Pyth PriceUpdateV2 oracle accounts the test controls, and traders.
use anchor_lang::prelude::{Clock, Pubkey};
use anchor_lang::solana_program::program_pack::Pack;
use anchor_lang::solana_program::system_instruction::create_account;
use anchor_lang::AccountSerialize;
use anchor_spl::token::spl_token;
use anchor_spl::token_2022::spl_token_2022;
use portfolio_margin::instructions::RegisterAssetArgs;
use portfolio_margin::state::RiskModel;
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};
use solana_keypair::Keypair;
use solana_signer::Signer;

use anchor_lang::solana_program::instruction::Instruction;
use portfolio_margin_client::instructions::{self as pix, AddRiskKeys, AssetKeys, LiquidateKeys};

use crate::{create_group_ix, default_params, group_address, Outcome, Vm, World};

/// One asset as the test describes it.
#[derive(Clone, Copy, Debug)]
pub struct AssetSpec {
    pub decimals: u8,
    /// USD per whole token.
    pub price: f64,
    /// Daily volatility used for the bootstrap variance.
    pub daily_vol: f64,
    pub token_2022: bool,
}

/// A registered asset and the accounts around it.
#[derive(Clone, Copy, Debug)]
pub struct AssetAccounts {
    pub index: u16,
    pub mint: Pubkey,
    pub token_program: Pubkey,
    pub asset: Pubkey,
    pub vault: Pubkey,
    pub insurance_vault: Pubkey,
    pub oracle: Pubkey,
    pub feed_id: [u8; 32],
    pub decimals: u8,
}

impl AssetAccounts {
    /// The client's view of the asset's accounts (instructions are built by the client crate).
    pub fn keys(&self) -> AssetKeys {
        AssetKeys {
            index: self.index,
            asset: self.asset,
            mint: self.mint,
            vault: self.vault,
            insurance_vault: self.insurance_vault,
            token_program: self.token_program,
            oracle: self.oracle,
        }
    }
}

pub struct Market {
    pub group: Pubkey,
    pub risk_model: Pubkey,
    pub assets: Vec<AssetAccounts>,
}

/// A trader with a margin account and a funded token account per asset.
pub struct Trader {
    pub key: Keypair,
    pub margin_account: Pubkey,
    pub tokens: Vec<Pubkey>,
}

pub const PRICE_EXPONENT: i32 = -8;

pub fn feed_id(index: usize) -> [u8; 32] {
    let mut f = [0u8; 32];
    f[0] = 0xfe;
    f[31] = index as u8;
    f
}

/// PriceUpdateV2 account data (discriminator + borsh), as the Pyth receiver would write it.
pub fn price_update_data(
    feed: [u8; 32],
    price: f64,
    conf: f64,
    publish_time: i64,
    level: VerificationLevel,
) -> Vec<u8> {
    let scale = 10f64.powi(-PRICE_EXPONENT);
    let update = PriceUpdateV2 {
        write_authority: Pubkey::new_unique(),
        verification_level: level,
        price_message: PriceFeedMessage {
            feed_id: feed,
            price: (price * scale).round() as i64,
            conf: (conf * scale).round() as u64,
            exponent: PRICE_EXPONENT,
            publish_time,
            prev_publish_time: publish_time - 1,
            ema_price: (price * scale).round() as i64,
            ema_conf: (conf * scale).round() as u64,
        },
        posted_slot: 1,
    };
    let mut data = Vec::new();
    update.try_serialize(&mut data).unwrap();
    data
}

impl World {
    pub async fn clock(&mut self) -> Clock {
        match &mut self.vm {
            Vm::Bank(ctx) => ctx.banks_client.get_sysvar::<Clock>().await.unwrap(),
            Vm::Fast(f) => f.clock(),
        }
    }

    /// Moves the bank's clock forward by `seconds`. Only the Clock sysvar changes: warping slots
    /// races with solana-program-test's background blockhash task (it can freeze the bank that task
    /// is writing to).
    pub async fn advance_time(&mut self, seconds: i64) {
        let mut clock = self.clock().await;
        clock.unix_timestamp += seconds;
        match &mut self.vm {
            Vm::Bank(ctx) => ctx.set_sysvar(&clock),
            Vm::Fast(f) => f.set_clock(clock),
        }
    }

    /// Writes an oracle account owned by the Pyth receiver program.
    pub fn set_oracle(&mut self, address: Pubkey, data: Vec<u8>) {
        let account = solana_account::Account {
            lamports: 10_000_000,
            data,
            owner: pyth_solana_receiver_sdk::ID,
            executable: false,
            rent_epoch: 0,
        };
        self.set_account(address, account);
    }

    /// Writes an address lookup table (no addresses) owned by `owner`: active unless `deactivated`,
    /// with `authority` (`None`: frozen).
    pub fn set_lookup_table_account(
        &mut self,
        address: Pubkey,
        authority: Option<Pubkey>,
        deactivated: bool,
        owner: Pubkey,
    ) {
        let mut data = vec![0u8; 56];
        data[..4].copy_from_slice(&1u32.to_le_bytes());
        let deactivation = if deactivated { 5u64 } else { u64::MAX };
        data[4..12].copy_from_slice(&deactivation.to_le_bytes());
        if let Some(a) = authority {
            data[21] = 1;
            data[22..54].copy_from_slice(a.as_ref());
        }
        let account = solana_account::Account { lamports: 10_000_000, data, owner, executable: false, rent_epoch: 0 };
        self.set_account(address, account);
    }

    /// Writes a fresh, fully verified price (confidence 0.1% of price) published now.
    pub async fn set_price(&mut self, a: &AssetAccounts, price: f64) {
        let now = self.clock().await.unix_timestamp;
        self.set_oracle(a.oracle, price_update_data(a.feed_id, price, price * 0.001, now, VerificationLevel::Full));
    }

    pub async fn create_mint(&mut self, decimals: u8, token_2022: bool) -> (Pubkey, Pubkey) {
        self.create_mint_with(decimals, token_2022, None).await
    }

    /// A mint whose authority is the payer, with an optional freeze authority.
    pub async fn create_mint_with(
        &mut self,
        decimals: u8,
        token_2022: bool,
        freeze: Option<&Pubkey>,
    ) -> (Pubkey, Pubkey) {
        let mint = Keypair::new();
        let program = if token_2022 { spl_token_2022::ID } else { spl_token::ID };
        let len = spl_token::state::Mint::LEN;
        let payer = self.payer();
        let init = if token_2022 {
            spl_token_2022::instruction::initialize_mint2(&program, &mint.pubkey(), &payer, freeze, decimals).unwrap()
        } else {
            spl_token::instruction::initialize_mint2(&program, &mint.pubkey(), &payer, freeze, decimals).unwrap()
        };
        let ixs = [create_account(&payer, &mint.pubkey(), self.rent_exempt(len).await, len as u64, &program), init];
        self.send(&ixs, &[&mint]).await.ok();
        (mint.pubkey(), program)
    }

    /// A token account of `owner` holding `amount` freshly minted tokens.
    pub async fn token_account(&mut self, a: &AssetAccounts, owner: &Pubkey, amount: u64) -> Pubkey {
        let account = Keypair::new();
        let len = spl_token::state::Account::LEN;
        let payer = self.payer();
        let (init, mint_to) = if a.token_program == spl_token_2022::ID {
            (
                spl_token_2022::instruction::initialize_account3(&a.token_program, &account.pubkey(), &a.mint, owner)
                    .unwrap(),
                spl_token_2022::instruction::mint_to(&a.token_program, &a.mint, &account.pubkey(), &payer, &[], amount)
                    .unwrap(),
            )
        } else {
            (
                spl_token::instruction::initialize_account3(&a.token_program, &account.pubkey(), &a.mint, owner)
                    .unwrap(),
                spl_token::instruction::mint_to(&a.token_program, &a.mint, &account.pubkey(), &payer, &[], amount)
                    .unwrap(),
            )
        };
        let mut ixs = vec![
            create_account(&payer, &account.pubkey(), self.rent_exempt(len).await, len as u64, &a.token_program),
            init,
        ];
        if amount > 0 {
            ixs.push(mint_to);
        }
        self.send(&ixs, &[&account]).await.ok();
        account.pubkey()
    }

    /// Mints `amount` tokens of `a` into `dest` (the payer is every test mint's authority).
    pub async fn mint_to(&mut self, a: &AssetAccounts, dest: Pubkey, amount: u64) {
        let payer = self.payer();
        let ix = if a.token_program == spl_token_2022::ID {
            spl_token_2022::instruction::mint_to(&a.token_program, &a.mint, &dest, &payer, &[], amount).unwrap()
        } else {
            spl_token::instruction::mint_to(&a.token_program, &a.mint, &dest, &payer, &[], amount).unwrap()
        };
        self.send(&[ix], &[]).await.ok();
    }

    /// Token balance of a token account (classic or 2022).
    pub async fn token_balance(&mut self, address: Pubkey) -> u64 {
        let data = self.account_data(address).await.expect("token account exists");
        u64::from_le_bytes(data[64..72].try_into().unwrap())
    }
}

/// Arguments for registering an asset with sensible defaults; its oracle account and `cov_row_e18`
/// given by the caller.
pub fn register_args(feed: [u8; 32], oracle: Pubkey, cov_row_e18: Vec<i64>) -> RegisterAssetArgs {
    RegisterAssetArgs {
        feed_id: feed,
        oracle,
        floor_rate_e6: 10_000,
        depeg_gap_e6: 0,
        deposit_cap: u64::MAX / 4,
        borrow_cap: u64::MAX / 4,
        base_rate_e6: 0,
        optimal_utilization_e6: 800_000,
        rate_at_optimal_e6: 100_000,
        max_rate_e6: 1_000_000,
        protocol_share_e6: 100_000,
        covariance_row_e18: cov_row_e18,
    }
}

pub fn register_asset_ix(
    admin: &Pubkey,
    market: &Market,
    mint: Pubkey,
    token_program: Pubkey,
    args: RegisterAssetArgs,
) -> Instruction {
    pix::register_asset(admin, market.group, market.risk_model, mint, token_program, args)
}

pub use portfolio_margin_client::address::{asset as asset_address, margin_account as margin_account_address, pda};

impl Market {
    /// Group (admin = payer, daily parameters), risk model, and `specs` registered with a
    /// bootstrap covariance of correlation `rho` between every pair, prices published now.
    pub async fn new(w: &mut World, specs: &[AssetSpec], rho: f64) -> Market {
        Self::with_group_id(w, 0, specs, rho).await
    }

    /// Like [`Market::new`] for group number `group_id` of the payer.
    pub async fn with_group_id(w: &mut World, group_id: u32, specs: &[AssetSpec], rho: f64) -> Market {
        let admin = w.payer();
        w.send(&[create_group_ix(&admin, &admin, group_id, admin, default_params())], &[]).await.ok();
        let group = group_address(&admin, group_id);
        let model = Keypair::new();
        let ixs = pix::create_risk_model(&admin, group, &model.pubkey(), w.rent_exempt(RiskModel::SPACE).await);
        w.send(&ixs, &[&model]).await.ok();
        let mut market = Market { group, risk_model: model.pubkey(), assets: vec![] };
        for (i, spec) in specs.iter().enumerate() {
            market.add_asset(w, *spec, i, rho, specs).await.ok();
        }
        market
    }

    /// Registers asset `i` of `specs` (covariances with the earlier ones from `rho`).
    pub async fn add_asset(
        &mut self,
        w: &mut World,
        spec: AssetSpec,
        i: usize,
        rho: f64,
        specs: &[AssetSpec],
    ) -> Outcome {
        self.add_asset_with(w, spec, i, rho, specs, |_| {}).await
    }

    /// [`Market::add_asset`] with the registration arguments adjusted by `tweak`.
    pub async fn add_asset_with(
        &mut self,
        w: &mut World,
        spec: AssetSpec,
        i: usize,
        rho: f64,
        specs: &[AssetSpec],
        tweak: impl FnOnce(&mut RegisterAssetArgs),
    ) -> Outcome {
        let admin = w.payer();
        let (mint, token_program) = w.create_mint(spec.decimals, spec.token_2022).await;
        let var = |s: &AssetSpec| s.daily_vol * s.daily_vol;
        let mut row: Vec<i64> =
            (0..i).map(|j| (rho * specs[j].daily_vol * spec.daily_vol * 1e18).round() as i64).collect();
        row.push((var(&spec) * 1e18).round() as i64);
        let feed = feed_id(i);
        let oracle = Pubkey::new_unique();
        // The positive-semidefiniteness check of the bootstrap matrix is O(n³): a full budget.
        let mut args = register_args(feed, oracle, row);
        tweak(&mut args);
        let reg = register_asset_ix(&admin, self, mint, token_program, args);
        let out = w.send(&[crate::compute_limit_ix(1_400_000), reg], &[]).await;
        let asset = asset_address(&self.group, &mint);
        let a = AssetAccounts {
            index: i as u16,
            mint,
            token_program,
            asset,
            vault: portfolio_margin_client::address::vault(&asset),
            insurance_vault: portfolio_margin_client::address::insurance_vault(&asset),
            oracle,
            feed_id: feed,
            decimals: spec.decimals,
        };
        if out.result.is_ok() {
            w.set_price(&a, spec.price).await;
            self.assets.push(a);
        }
        out
    }

    /// A trader with margin account 0 and `amounts[i]` tokens of asset i.
    pub async fn trader(&self, w: &mut World, amounts: &[u64]) -> Trader {
        let key = w.funded_keypair().await;
        let mut tokens = vec![];
        for (i, a) in self.assets.iter().enumerate() {
            tokens.push(w.token_account(a, &key.pubkey(), amounts.get(i).copied().unwrap_or(0)).await);
        }
        let margin_account = margin_account_address(&self.group, &key.pubkey(), 0);
        w.send(&[pix::create_margin_account(&key.pubkey(), self.group, 0)], &[&key]).await.ok();
        Trader { key, margin_account, tokens }
    }

    pub fn deposit_ix(&self, t: &Trader, asset: usize, amount: u64) -> Instruction {
        let k = self.assets[asset].keys();
        pix::deposit(&t.key.pubkey(), self.group, t.margin_account, &k, t.tokens[asset], amount)
    }

    pub fn repay_ix(&self, t: &Trader, asset: usize, amount: u64) -> Instruction {
        let k = self.assets[asset].keys();
        pix::repay(&t.key.pubkey(), self.group, t.margin_account, &k, t.tokens[asset], amount)
    }

    /// The health accounts of `held` (asset indices in position order).
    fn health(&self, held: &[usize]) -> Vec<AssetKeys> {
        held.iter().map(|&h| self.assets[h].keys()).collect()
    }

    fn add_risk_keys<'a>(&self, t: &Trader, asset: &'a AssetKeys, health: &'a [AssetKeys]) -> AddRiskKeys<'a> {
        AddRiskKeys {
            owner: t.key.pubkey(),
            group: self.group,
            risk_model: self.risk_model,
            account: t.margin_account,
            asset,
            destination: t.tokens[asset.index as usize],
            health,
        }
    }

    /// Withdraw with the health accounts of `held` (asset indices in position order).
    pub fn withdraw_ix(&self, t: &Trader, asset: usize, amount: u64, held: &[usize]) -> Instruction {
        let (k, h) = (self.assets[asset].keys(), self.health(held));
        pix::withdraw(self.add_risk_keys(t, &k, &h), amount)
    }

    /// Borrow with the health accounts of `held` (asset indices in position order).
    pub fn borrow_ix(&self, t: &Trader, asset: usize, amount: u64, held: &[usize]) -> Instruction {
        let (k, h) = (self.assets[asset].keys(), self.health(held));
        pix::borrow(self.add_risk_keys(t, &k, &h), amount)
    }

    /// The crank for assets `first..first + oracles.len()`.
    pub fn crank_ix(&self, first: u16, oracles: &[Pubkey]) -> Instruction {
        pix::crank_risk_model(self.group, self.risk_model, first, oracles)
    }

    pub fn oracles(&self) -> Vec<Pubkey> {
        self.assets.iter().map(|a| a.oracle).collect()
    }
}

impl Market {
    /// `liquidate` of `account` by `liquidator` (its token accounts per asset, its margin account
    /// receives the collateral), repaying asset `liability` against asset `collateral`, with the
    /// account's health accounts for `held`.
    pub fn liquidate_ix(
        &self,
        liquidator: &Trader,
        account: &Trader,
        liability: usize,
        collateral: usize,
        max_repay: u64,
        held: &[usize],
    ) -> Instruction {
        let (l, c, h) = (self.assets[liability].keys(), self.assets[collateral].keys(), self.health(held));
        pix::liquidate(
            LiquidateKeys {
                liquidator: liquidator.key.pubkey(),
                group: self.group,
                risk_model: self.risk_model,
                account: account.margin_account,
                liquidator_account: liquidator.margin_account,
                liability: &l,
                liquidator_liability_tokens: liquidator.tokens[liability],
                collateral: &c,
                health: &h,
            },
            max_repay,
        )
    }
}

/// An account's holdings exactly as the program builds them for a health check now (the program's
/// own `health::holding`), given the prices the test published (confidence 0.1%), in position order.
pub async fn account_holdings(w: &mut World, m: &Market, t: &Trader, prices: &[f64]) -> Vec<risk_engine::Holding> {
    account_holdings_touching(w, m, t, prices, &[]).await
}

/// [`account_holdings`] as an instruction that first accrues the assets it `touched` sees them
/// (a liquidation accrues its liability and collateral, a withdraw or borrow its asset).
pub async fn account_holdings_touching(
    w: &mut World,
    m: &Market,
    t: &Trader,
    prices: &[f64],
    touched: &[usize],
) -> Vec<risk_engine::Holding> {
    use portfolio_margin::oracle::OraclePrice;
    use portfolio_margin::state::{Asset, MarginAccount};
    use risk_engine::valuation::price_from_oracle;
    let now = w.clock().await.unix_timestamp;
    let acc: MarginAccount = w.zero_copy(t.margin_account).await;
    let mut out = vec![];
    for p in acc.active() {
        let mut a: Asset = w.zero_copy(m.assets[p.asset_index as usize].asset).await;
        if touched.contains(&(p.asset_index as usize)) {
            a.accrue(now).unwrap();
        }
        let scale = 10f64.powi(-PRICE_EXPONENT);
        let px = prices[p.asset_index as usize];
        let price = OraclePrice {
            price: price_from_oracle((px * scale).round() as i64, PRICE_EXPONENT, false).unwrap(),
            conf: price_from_oracle((px * 0.001 * scale).round() as i64, PRICE_EXPONENT, true).unwrap(),
            publish_time: now,
        };
        out.push(portfolio_margin::health::holding(&a, p, &price, now).unwrap());
    }
    out
}

/// What the engine needs to liquidate `t`: its holdings as the program builds them for a
/// liquidation (deposits of the `unpriced` assets left out), the pair's positions in them, and the
/// group's parameters and risk model.
pub struct LiquidationInputs {
    pub holdings: Vec<risk_engine::Holding>,
    pub liability: usize,
    pub collateral: usize,
    pub group: portfolio_margin::state::Group,
    pub model: Box<RiskModel>,
}

impl LiquidationInputs {
    pub async fn read(
        w: &mut World,
        m: &Market,
        t: &Trader,
        prices: &[f64],
        unpriced: &[usize],
        liability: usize,
        collateral: usize,
    ) -> Self {
        // The program accrues the liability and the collateral before it values the book.
        let mut holdings = account_holdings_touching(w, m, t, prices, &[liability, collateral]).await;
        holdings.retain(|x| !(unpriced.contains(&x.asset) && x.amount > 0));
        let l = holdings.iter().position(|x| x.asset == liability).expect("liability held");
        let c = holdings.iter().position(|x| x.asset == collateral).expect("collateral held");
        let group = w.zero_copy(m.group).await;
        let model = Box::new(w.zero_copy(m.risk_model).await);
        LiquidationInputs { holdings, liability: l, collateral: c, group, model }
    }

    /// The engine's plan (the smallest repay that restores initial health, or the peak).
    pub fn plan(&self) -> risk_engine::LiquidationPlan {
        let (mp, lp) = self.params();
        let cov = portfolio_margin::state::ModelView { model: &self.model };
        risk_engine::plan_liquidation(&cov, &self.holdings, self.liability, self.collateral, i128::MAX, &mp, &lp)
            .expect("liquidatable")
    }

    /// The step a liquidator sends and the program's verdict on it (`plan_or_close_out`).
    pub fn verdict(&self) -> risk_engine::liquidation::Verdict {
        let (mp, lp) = self.params();
        let cov = portfolio_margin::state::ModelView { model: &self.model };
        risk_engine::liquidation::plan_or_close_out(
            &cov,
            &self.holdings,
            self.liability,
            self.collateral,
            i128::MAX,
            &mp,
            &lp,
        )
        .expect("liquidatable")
    }

    fn params(&self) -> (risk_engine::MarginParams, risk_engine::LiquidationParams) {
        (self.group.params.margin_params().unwrap(), self.group.params.liquidation_params())
    }
}

/// The engine's liquidation plan for `t` (liability and collateral are asset indices).
pub async fn plan_for(
    w: &mut World,
    m: &Market,
    t: &Trader,
    prices: &[f64],
    liability: usize,
    collateral: usize,
) -> risk_engine::LiquidationPlan {
    LiquidationInputs::read(w, m, t, prices, &[], liability, collateral).await.plan()
}

impl Market {
    /// A lender who supplies `supply` of asset `debt`, and a trader who deposits `deposit` of asset
    /// `collateral` and borrows `borrow` of `debt` (health accounts: the two assets).
    pub async fn levered_trader(
        &self,
        w: &mut World,
        (collateral, deposit): (usize, u64),
        (debt, supply, borrow): (usize, u64, u64),
    ) -> (Trader, Trader) {
        let n = self.assets.len();
        let mut lend = vec![0; n];
        lend[debt] = supply;
        let lender = self.trader(w, &lend).await;
        w.send(&[self.deposit_ix(&lender, debt, supply)], &[&lender.key]).await.ok();
        let mut own = vec![0; n];
        own[collateral] = deposit;
        let t = self.trader(w, &own).await;
        w.send(&[self.deposit_ix(&t, collateral, deposit)], &[&t.key]).await.ok();
        w.send(&[self.borrow_ix(&t, debt, borrow, &[collateral, debt])], &[&t.key]).await.ok();
        (lender, t)
    }
}

impl Market {
    pub fn resolve_bankruptcy_ix(&self, account: &Trader, asset: usize) -> Instruction {
        pix::resolve_bankruptcy(self.group, account.margin_account, &self.assets[asset].keys(), &[])
    }

    /// `collect_protocol_fees` of an asset (permissionless): its fees to its insurance vault.
    pub fn collect_fees_ix(&self, asset: usize) -> Instruction {
        let a = &self.assets[asset];
        pix::ix(
            portfolio_margin::accounts::CollectProtocolFees {
                asset: a.asset,
                vault: a.vault,
                insurance_vault: a.insurance_vault,
                mint: a.mint,
                token_program: a.token_program,
            },
            portfolio_margin::instruction::CollectProtocolFees {},
        )
    }
}

/// Asset indices `t` holds, in position order (the health accounts a withdraw or borrow needs).
pub async fn held_assets(w: &mut World, t: &Trader) -> Vec<usize> {
    let acc: portfolio_margin::state::MarginAccount = w.zero_copy(t.margin_account).await;
    acc.active().map(|p| p.asset_index as usize).collect()
}
