//! `trade_perp` replayed off-chain: the program's own `book_trade` (funding, fill, limit price,
//! open-interest caps, maximum notional, the vault's stress budget, the position and the market's
//! books) on copies of the market and the account, then the program's `judge_trade_health` on the
//! book after, built as the program's health check builds it. The VM test
//! `a_perp_trade_previews_to_the_bit` checks fill, position and health against the program's
//! `PerpTraded` event.
use portfolio_margin::instructions::perp::trade_perp::{book_trade, judge_trade_health, BookedTrade};
use risk_engine::perp::PerpHolding;

use crate::books::{account_health, perp_entries, Books, Health, Market, Refusal};

/// A trade: market index, signed native base units, limit price (USD × 10⁶ per whole token).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trade {
    pub market: u16,
    pub base_delta: i64,
    pub limit_price_e6: u64,
}

/// What the program would do with a trade.
pub struct TradeEvaluation {
    /// The booked trade, or why `book_trade` refuses it.
    pub booked: Result<BookedTrade, Refusal>,
    /// Health after (when the trade books).
    pub after: Option<Result<Health, Refusal>>,
    /// `Ok` when the program accepts the trade.
    pub verdict: Result<(), Refusal>,
}

/// Replays `trade` at `now` on copies of the books.
pub fn evaluate_trade(market: &Market, books: &Books, trade: Trade, now: i64) -> Result<TradeEvaluation, Refusal> {
    let p = market
        .perps
        .as_ref()
        .ok_or_else(|| Refusal::request("a trade needs perp_vault, perp_vault_tokens and perp_markets"))?;
    let mut m = *p
        .markets
        .get(trade.market as usize)
        .ok_or_else(|| Refusal::request(format!("perp market {} is not in the request", trade.market)))?;
    let asset = books.assets.get(m.asset_index as usize).ok_or_else(|| {
        Refusal::request(format!("perp market {} is on asset {}, not in the request", m.market_index, m.asset_index))
    })?;
    let price = market.price(asset, now)?;
    let mut after_books = books.clone();
    let vault = || Ok((p.vault, p.tokens));
    let booked = book_trade(
        &mut m,
        &mut after_books.account,
        &market.group,
        &price,
        now,
        trade.base_delta,
        trade.limit_price_e6,
        vault,
    )
    .map_err(Refusal::anchor);
    let Ok(b) = booked else {
        let e = booked.clone().err().unwrap();
        return Ok(TradeEvaluation { booked, after: None, verdict: Err(e) });
    };
    // The program's health check reads the traded market as the trade left it.
    let mut after_market = market.clone();
    if let Some(pp) = after_market.perps.as_mut() {
        pp.markets[trade.market as usize] = m;
    }
    let after = account_health(&after_market, &after_books, now);
    let verdict = match &after {
        Ok(h) => judge(&after_market, &after_books, now, &h.holdings, &b),
        Err(e) => Err(e.clone()),
    };
    Ok(TradeEvaluation { booked: Ok(b), after: Some(after), verdict })
}

fn judge(
    market: &Market,
    books: &Books,
    now: i64,
    holdings: &[risk_engine::Holding],
    b: &BookedTrade,
) -> Result<(), Refusal> {
    let entries = perp_entries(market, books, now)?;
    let perps: Vec<PerpHolding> = entries.iter().map(|(_, h)| *h).collect();
    let traded = || {
        let j = entries
            .iter()
            .position(|(lp, _)| lp.market.market_index == b.market_index)
            .ok_or(anchor_lang::error!(portfolio_margin::error::ErrorCode::WrongPerpMarket))?;
        Ok((j, entries[j].0.pricing(&market.group)))
    };
    judge_trade_health(&market.group, &market.model, holdings, &perps, b, traded).map_err(Refusal::anchor)?;
    Ok(())
}
