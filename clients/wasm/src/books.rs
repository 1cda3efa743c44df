//! The accounts as the program sees them, the state changes of deposit, withdraw, borrow and repay
//! replayed step for step, and health computed by the program's own functions.
//!
//! Every type here is the program crate's (`Asset`, `Group`, `MarginAccount`, `RiskModel`), read from
//! raw account bytes after the same 8-byte discriminator check Anchor's `AccountLoader` makes. Health
//! goes through `oracle::read_price` on a host-built `AccountInfo`, `health::holding` and
//! `health::holdings_health`, exactly as the program's `account_health`; [`apply`] calls the same
//! bookkeeping functions the handlers call (`MarginAccount::{deposit, withdraw, borrow, repay}` in
//! `programs/portfolio-margin/src/state/bookkeeping.rs`) after the same accrual: only the
//! `Context`, the CPI transfers and the events stay in the handlers.
use anchor_lang::prelude::{AccountInfo, Pubkey};
use anchor_lang::Discriminator;
use portfolio_margin::error::ErrorCode;
use portfolio_margin::health::{holding, holdings_health, LoadedPerp};
use portfolio_margin::oracle::{read_price, OraclePrice};
use portfolio_margin::state::{Asset, Group, MarginAccount, PerpMarket, PerpVault, RiskModel};
use risk_engine::perp::PerpHolding;
use risk_engine::{BookHealth, Fx, FxExt, Holding};

/// Why something cannot be done or shown: an error name (the program's `ErrorCode` variant or Anchor
/// error name where the program would fail the same way; otherwise a name of ours such as
/// `BadRequest`) and a plain sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: String,
    pub message: String,
}

impl Refusal {
    /// The program's own error, with its own message.
    pub fn program(code: ErrorCode) -> Self {
        Refusal { code: code.name(), message: code.to_string() }
    }

    /// An Anchor error as returned by the program's functions.
    pub fn anchor(e: anchor_lang::error::Error) -> Self {
        match e {
            anchor_lang::error::Error::AnchorError(a) => {
                Refusal { code: a.error_name.clone(), message: a.error_msg.clone() }
            }
            anchor_lang::error::Error::ProgramError(p) => {
                Refusal { code: "ProgramError".into(), message: p.program_error.to_string() }
            }
        }
    }

    /// The request itself is malformed (bad base64, wrong account type, missing account…).
    pub fn request(message: impl Into<String>) -> Self {
        Refusal { code: "BadRequest".into(), message: message.into() }
    }

    /// Appends a detail the program writes to its log beside the error.
    pub fn detail(mut self, d: impl AsRef<str>) -> Self {
        self.message = format!("{} ({})", self.message, d.as_ref());
        self
    }
}

impl core::fmt::Display for Refusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// Any failure of the engine's checked arithmetic, as the program maps it (`error::math`).
fn math<E>(_: E) -> Refusal {
    Refusal::program(ErrorCode::MathOverflow)
}

/// A zero-copy account from its raw data with the program's own decoder (`state::decode`).
pub fn read_zero_copy<T: bytemuck::Pod + Discriminator>(data: &[u8], what: &str) -> Result<T, Refusal> {
    portfolio_margin::state::decode(data).map_err(|e| Refusal::request(format!("{what}: {e}")))
}

/// Amount of an SPL Token / Token-2022 account (the `amount` field at bytes 64..72), checking its mint.
pub fn token_amount(data: &[u8], mint: &Pubkey, what: &str) -> Result<u64, Refusal> {
    if data.len() < 165 {
        return Err(Refusal::request(format!("{what}: not a token account ({} bytes)", data.len())));
    }
    if &data[..32] != mint.as_ref() {
        return Err(Refusal::request(format!("{what}: token account of another mint than the asset's")));
    }
    let mut b = [0u8; 8];
    b.copy_from_slice(&data[64..72]);
    Ok(u64::from_le_bytes(b))
}

/// What the program reads but never writes during a balance change: group, model, oracle and vault
/// accounts.
#[derive(Clone)]
pub struct Market {
    pub group: Group,
    pub model: Box<RiskModel>,
    /// PriceUpdateV2 data per asset index (`None`: no such account).
    pub oracles: Vec<Option<Vec<u8>>>,
    /// Vault token amount per asset index (`None`: not given, estimated from the books).
    pub vaults: Vec<Option<u64>>,
    /// The perp vault, its token amount and every perp market (market order), when given.
    pub perps: Option<PerpBooks>,
}

/// What a health check of an account with perp positions reads besides the spot accounts.
#[derive(Clone)]
pub struct PerpBooks {
    pub vault: PerpVault,
    pub tokens: u64,
    pub markets: Vec<PerpMarket>,
}

impl PerpBooks {
    /// Decodes the perp vault, its token account and the markets (market `i` at index `i`), all of
    /// `group`.
    pub fn load(group: &Pubkey, vault: &[u8], tokens: &[u8], markets: &[Vec<u8>]) -> Result<Self, Refusal> {
        let vault: PerpVault = read_zero_copy(vault, "perp_vault")?;
        if vault.group != *group {
            return Err(Refusal::request("the perp vault belongs to another group"));
        }
        let tokens = token_amount(tokens, &vault.mint, "perp_vault_tokens")?;
        let mut out = Vec::with_capacity(markets.len());
        for (i, data) in markets.iter().enumerate() {
            let m: PerpMarket = read_zero_copy(data, &format!("perp_markets[{i}]"))?;
            if m.group != *group || m.market_index as usize != i {
                return Err(Refusal::request(format!(
                    "perp_markets[{i}] is market {} of another group or order: pass every market in order",
                    m.market_index
                )));
            }
            out.push(m);
        }
        Ok(Self { vault, tokens, markets: out })
    }
}

/// What a balance change writes: the assets (pools) and the margin account.
#[derive(Clone)]
pub struct Books {
    pub assets: Vec<Asset>,
    pub account: MarginAccount,
}

/// Decoded accounts of a request, checked for consistency (same group everywhere, asset `i` at index
/// `i`, vault of the asset's mint).
pub fn load(
    group: &[u8],
    risk_model: &[u8],
    assets: &[Vec<u8>],
    oracles: &[Option<Vec<u8>>],
    vaults: &[Option<Vec<u8>>],
    margin_account: Option<&[u8]>,
) -> Result<(Market, Books), Refusal> {
    let group: Group = read_zero_copy(group, "group")?;
    let model: Box<RiskModel> = Box::new(read_zero_copy(risk_model, "risk_model")?);
    let mut decoded = Vec::with_capacity(assets.len());
    for (i, data) in assets.iter().enumerate() {
        let a: Asset = read_zero_copy(data, &format!("assets[{i}]"))?;
        if a.index as usize != i {
            return Err(Refusal::request(format!(
                "assets[{i}] is the asset of index {}: pass assets in index order",
                a.index
            )));
        }
        decoded.push(a);
    }
    let group_key = decoded.first().map(|a| a.group).unwrap_or(model.group);
    if model.group != group_key || decoded.iter().any(|a| a.group != group_key) {
        return Err(Refusal::request("the risk model and the assets do not all belong to the same group"));
    }
    if group.asset_count as usize != decoded.len() {
        return Err(Refusal::request(format!(
            "the group has {} assets, the request {}: pass every asset in index order",
            group.asset_count,
            decoded.len()
        )));
    }
    let account = match margin_account {
        Some(data) => {
            let acc: MarginAccount = read_zero_copy(data, "margin_account")?;
            if acc.group != group_key {
                return Err(Refusal::request("the margin account belongs to another group"));
            }
            acc
        }
        None => {
            // A new, empty account as create_margin_account leaves it.
            let mut acc: MarginAccount = bytemuck::Zeroable::zeroed();
            acc.group = group_key;
            acc
        }
    };
    let mut vault_amounts = vec![None; decoded.len()];
    for (i, v) in vaults.iter().enumerate() {
        if let (Some(data), Some(a)) = (v, decoded.get(i)) {
            vault_amounts[i] = Some(token_amount(data, &a.mint, &format!("vaults[{i}]"))?);
        }
    }
    let mut oracle_data = vec![None; decoded.len()];
    for (i, o) in oracles.iter().enumerate().take(decoded.len()) {
        oracle_data[i] = o.clone();
    }
    Ok((
        Market { group, model, oracles: oracle_data, vaults: vault_amounts, perps: None },
        Books { assets: decoded, account },
    ))
}

impl Market {
    /// The vault's token amount: the account's own if given, else the books' lower bound
    /// `floor(deposits − borrows + protocol fees)` (the vault holds at least that; exact = false).
    pub fn vault_amount(&self, index: usize, asset: &Asset) -> Result<(u64, bool), Refusal> {
        if let Some(Some(v)) = self.vaults.get(index) {
            return Ok((*v, true));
        }
        let pool = asset.pool();
        let books = pool
            .total_deposits()
            .map_err(math)?
            .sub_checked(pool.total_borrows().map_err(math)?)
            .map_err(math)?
            .add_checked(pool.protocol_fees)
            .map_err(math)?;
        let v = risk_engine::fixed_point::floor_to_int(books).clamp(0, u64::MAX as i128) as u64;
        Ok((v, false))
    }

    /// An asset's oracle price as the program reads it at `now` (`oracle::require_price`).
    pub fn price(&self, asset: &Asset, now: i64) -> Result<OraclePrice, Refusal> {
        let Some(Some(data)) = self.oracles.get(asset.index as usize) else {
            return Err(Refusal {
                code: "OracleMissing".into(),
                message: format!("no oracle account was given for asset {}", asset.index),
            });
        };
        // The caller passes the asset's registered oracle (`Asset::oracle`), owned by the Pyth
        // receiver program: address and owner checks pass by construction.
        let key = asset.oracle;
        let owner = pyth_solana_receiver_sdk::ID;
        let mut lamports = 0u64;
        let mut bytes = data.clone();
        let info = AccountInfo::new(&key, false, false, &mut lamports, &mut bytes, &owner, false);
        match read_price(&info, &asset.oracle, &asset.feed_id, now, &self.group.params) {
            Ok(Ok(p)) => Ok(p),
            Ok(Err(why)) => Err(Refusal::program(why.error()).detail(format!("oracle of asset {}", asset.index))),
            Err(e) => Err(Refusal::anchor(e).detail(format!("oracle of asset {}", asset.index))),
        }
    }
}

/// The four balance changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Deposit,
    Withdraw,
    Borrow,
    Repay,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "deposit" => Some(Kind::Deposit),
            "withdraw" => Some(Kind::Withdraw),
            "borrow" => Some(Kind::Borrow),
            "repay" => Some(Kind::Repay),
            _ => None,
        }
    }

    /// Withdraw and borrow need initial health ≥ 0 afterwards; deposit and repay only reduce risk.
    pub fn adds_risk(self) -> bool {
        matches!(self, Kind::Withdraw | Kind::Borrow)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Action {
    pub kind: Kind,
    pub asset: u16,
    pub amount: u64,
}

/// `interest::accrue` without its event: the program's `Asset::accrue`.
pub fn accrue(asset: &mut Asset, now: i64) -> Result<(), Refusal> {
    asset.accrue(now).map_err(math)?;
    Ok(())
}

/// Runs the state change of `action`'s handler on `books` at `now` (its accrual, then its
/// `MarginAccount` bookkeeping method), with the asset's vault holding
/// `vault_amount` (read by withdraw and borrow only). Returns the position's shares after, as the
/// `BalanceChanged` event reports them. On `Err`, `books` may be partly changed (the transaction
/// would have reverted): callers work on a copy.
pub fn apply(books: &mut Books, action: Action, now: i64, vault_amount: u64) -> Result<Fx, Refusal> {
    let Books { assets, account: acc } = books;
    let asset = assets
        .get_mut(action.asset as usize)
        .ok_or_else(|| Refusal::request(format!("asset {} is not in the request", action.asset)))?;
    let amount = action.amount;
    if amount == 0 {
        return Err(Refusal::program(ErrorCode::ZeroAmount));
    }
    accrue(asset, now)?;
    match action.kind {
        Kind::Deposit => acc.deposit(asset, amount),
        Kind::Withdraw => acc.withdraw(asset, amount, vault_amount),
        Kind::Borrow => acc.borrow(asset, amount, vault_amount),
        Kind::Repay => acc.repay(asset, amount),
    }
    .map_err(|e| {
        let r = Refusal::anchor(e);
        // The program logs the debt beside this refusal; the preview says it too.
        let debt = acc.find(asset.index).and_then(|s| asset.position_amount(&asset.pool(), &acc.positions[s]).ok());
        match (r.code.as_str(), debt) {
            ("RepayExceedsDebt", Some(d)) => r.detail(format!("debt is {} native units", -d)),
            _ => r,
        }
    })
}

/// Health of an account with the holdings it was computed from.
#[derive(Clone, Debug)]
pub struct Health {
    pub book: BookHealth,
    /// The engine's holdings, in slot order, as `health::load_holdings` builds them.
    pub holdings: Vec<Holding>,
}

/// `health::account_health` off-chain: every open position in slot order through `health::holding`
/// (its asset's interest accrued to `now` in memory), its oracle read at `now`, then
/// `holdings_health`. The first unusable price is the error, as in the program.
pub fn account_health(market: &Market, books: &Books, now: i64) -> Result<Health, Refusal> {
    let mut holdings = Vec::with_capacity(books.account.active_count());
    for pos in books.account.active() {
        let asset = books.assets.get(pos.asset_index as usize).ok_or_else(|| {
            Refusal::request(format!("the account holds asset {}, not in the request", pos.asset_index))
        })?;
        let price = market.price(asset, now)?;
        holdings.push(holding(asset, pos, &price, now).map_err(math)?);
    }
    let perps = perp_holdings(market, books, now)?;
    let book = holdings_health(&market.group, &market.model, &holdings, &perps).map_err(Refusal::anchor)?;
    Ok(Health { book, holdings })
}

/// The account's perp positions as the program's health check builds them
/// (`health::perp_entry`), each priced from its asset's oracle; an account with perp positions
/// needs the perp accounts in the request (a preview without them would not be the program's).
pub fn perp_holdings(market: &Market, books: &Books, now: i64) -> Result<Vec<PerpHolding>, Refusal> {
    Ok(perp_entries(market, books, now)?.into_iter().map(|(_, h)| h).collect())
}

/// [`perp_holdings`] with each position's market as the health check loaded it (slot order).
pub fn perp_entries(market: &Market, books: &Books, now: i64) -> Result<Vec<(LoadedPerp, PerpHolding)>, Refusal> {
    let slots: Vec<_> = books.account.active_perps().copied().collect();
    if slots.is_empty() {
        return Ok(vec![]);
    }
    let Some(p) = &market.perps else {
        return Err(Refusal::request(
            "the account holds perp positions: pass perp_vault, perp_vault_tokens and perp_markets",
        ));
    };
    let share = portfolio_margin::health::vault_share(&p.vault, p.tokens).map_err(Refusal::anchor)?;
    let mut out = Vec::with_capacity(slots.len());
    for slot in &slots {
        let m = p.markets.get(slot.market_index as usize).ok_or_else(|| {
            Refusal::request(format!("the account holds perp market {}, not in the request", slot.market_index))
        })?;
        let asset = books.assets.get(m.asset_index as usize).ok_or_else(|| {
            Refusal::request(format!(
                "perp market {} is on asset {}, not in the request",
                slot.market_index, m.asset_index
            ))
        })?;
        let price = market.price(asset, now)?;
        out.push(
            portfolio_margin::health::perp_entry(&market.group, m, slot, price, share, now).map_err(Refusal::anchor)?,
        );
    }
    Ok(out)
}

/// The program's rule for withdraw and borrow (`health::require_initial_health`).
pub fn initial_health_ok(h: &BookHealth) -> Result<(), Refusal> {
    portfolio_margin::health::require_initial_health(&h.levels()).map_err(Refusal::anchor)
}

/// One action judged like the program would: the state change, then (for withdraw and borrow, or
/// when asked) health after.
pub struct Evaluation {
    pub action: Action,
    /// The books after the change (meaningful when `state` is `Ok`).
    pub books: Books,
    /// Shares of the position after, or why the handler refuses.
    pub state: Result<Fx, Refusal>,
    /// Health after the change: computed when the state change succeeded, for withdraw and borrow
    /// (the program checks it) or when asked for.
    pub after: Option<Result<Health, Refusal>>,
    /// Vault amount used for the liquidity check, and whether it came from the vault account (else
    /// the books' lower bound).
    pub vault: (u64, bool),
}

impl Evaluation {
    /// `Ok` when the program would accept the instruction (token transfers aside): the state change
    /// succeeds and, for withdraw and borrow, initial health after is ≥ 0 with usable prices.
    pub fn verdict(&self) -> Result<(), Refusal> {
        if let Err(e) = &self.state {
            return Err(e.clone());
        }
        if !self.action.kind.adds_risk() {
            return Ok(());
        }
        match &self.after {
            Some(Ok(h)) => initial_health_ok(&h.book),
            Some(Err(e)) => Err(e.clone()),
            None => Err(Refusal::request("health after was not computed")),
        }
    }
}

/// Replays `action` on a copy of `books`; computes the health after for withdraw and borrow, or for
/// any action if `want_health`.
pub fn evaluate(market: &Market, books: &Books, action: Action, now: i64, want_health: bool) -> Evaluation {
    let mut after_books = books.clone();
    let vault = match books.assets.get(action.asset as usize) {
        Some(a) => market.vault_amount(action.asset as usize, a),
        None => Err(Refusal::request(format!("asset {} is not in the request", action.asset))),
    };
    let (state, vault) = match vault {
        Ok(v) => (apply(&mut after_books, action, now, v.0), v),
        Err(e) => (Err(e), (0, false)),
    };
    let after = match &state {
        Ok(_) if want_health || action.kind.adds_risk() => Some(account_health(market, &after_books, now)),
        _ => None,
    };
    Evaluation { action, books: after_books, state, after, vault }
}

/// What limits [`max_amount`].
#[derive(Clone, Debug)]
pub struct MaxAmount {
    pub amount: u64,
    /// Why `amount + 1` is refused (`None` when `amount` is `u64::MAX`).
    pub limited_by: Option<Refusal>,
}

/// The largest amount of `kind` on `asset` the program accepts at `now` (0 when none is). Bisection
/// over [`evaluate`]'s verdict, which is monotone in the amount for every refusal (liquidity, caps,
/// the position, the debt) and for initial health whenever initial margin moves by less than a
/// dollar per dollar of exposure removed (always, for sane parameters); the result is checked: it
/// passes and one more unit fails.
pub fn max_amount(market: &Market, books: &Books, kind: Kind, asset: u16, now: i64) -> Result<MaxAmount, Refusal> {
    let a = books
        .assets
        .get(asset as usize)
        .ok_or_else(|| Refusal::request(format!("asset {asset} is not in the request")))?;
    // Upper bound: what the vault could pay out after accrual (withdraw, borrow), the debt (repay).
    let mut accrued = *a;
    accrue(&mut accrued, now)?;
    let hi: u64 = match kind {
        Kind::Withdraw | Kind::Borrow => accrued.available_liquidity(market.vault_amount(asset as usize, a)?.0),
        Kind::Repay | Kind::Deposit => u64::MAX,
    };
    let ok = |amount: u64| -> Result<(), Refusal> {
        if amount == 0 {
            return Ok(());
        }
        evaluate(market, books, Action { kind, asset, amount }, now, false).verdict()
    };
    let refusal = |amount: u64| -> Option<Refusal> {
        if amount == 0 {
            return Some(Refusal::program(ErrorCode::ZeroAmount));
        }
        ok(amount).err()
    };
    if ok(hi).is_ok() {
        let limited_by = if hi == u64::MAX { None } else { refusal(hi + 1) };
        return Ok(MaxAmount { amount: hi, limited_by });
    }
    // Invariant: ok(lo), !ok(hi).
    let (mut lo, mut hi) = (0u64, hi);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid).is_ok() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(MaxAmount { amount: lo, limited_by: refusal(hi) })
}
