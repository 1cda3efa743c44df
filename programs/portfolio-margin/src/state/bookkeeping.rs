//! Bookkeeping: every change a balance instruction makes to an asset's pool and a margin account,
//! one function each, used by the handlers and by the WebAssembly preview (so a preview cannot
//! drift from enforcement). Callers accrue the asset's interest first; token transfers, health
//! checks and events stay in the handlers. Each function checks everything before it writes.
use anchor_lang::prelude::*;
use risk_engine::{Fx, FxExt};

use super::{Asset, MarginAccount};
use crate::error::{math, ErrorCode};

impl MarginAccount {
    /// Deposits `amount` native units of `asset`: shares minted rounded down. Returns the
    /// position's shares after.
    pub fn deposit(&mut self, asset: &mut Asset, amount: u64) -> Result<Fx> {
        let mut pool = asset.pool();
        let minted = pool.deposit_shares_for(amount).map_err(math)?;
        pool.deposit_shares = pool.deposit_shares.add_checked(minted).map_err(math)?;
        if pool.total_deposits().map_err(math)? > Fx::from_num(asset.deposit_cap) {
            return err!(ErrorCode::DepositCapExceeded);
        }
        self.deposit_uncapped(asset, amount)
    }

    /// Withdraws `amount` native units of a deposit, the vault holding `vault_amount`: shares
    /// burned rounded up, and every share when `amount` is the position's whole value (rounded
    /// down), which frees the slot.
    pub fn withdraw(&mut self, asset: &mut Asset, amount: u64, vault_amount: u64) -> Result<Fx> {
        let mut pool = asset.pool();
        // The account's own deposit first (the clearer refusal), then what the vault can pay.
        let slot = self.find(asset.index).ok_or(error!(ErrorCode::InsufficientDeposit))?;
        let shares = asset.live_shares(&self.positions[slot]);
        if shares <= Fx::ZERO {
            return err!(ErrorCode::InsufficientDeposit);
        }
        let value = pool.deposit_native(shares).map_err(math)?;
        if amount as i128 > value {
            return err!(ErrorCode::InsufficientDeposit);
        }
        let burned =
            if amount as i128 == value { shares } else { pool.withdraw_shares_for(amount).map_err(math)?.min(shares) };
        if amount > asset.available_liquidity(vault_amount) {
            return err!(ErrorCode::InsufficientLiquidity);
        }
        pool.deposit_shares = pool.deposit_shares.sub_checked(burned).map_err(math)?.max(Fx::ZERO);
        let after = shares.sub_checked(burned).map_err(math)?;
        self.positions[slot].shares.set(after);
        self.close_empty();
        asset.set_pool(&pool);
        Ok(after)
    }

    /// Borrows `amount` native units, the vault holding `vault_amount`: borrow shares owed rounded
    /// up.
    pub fn borrow(&mut self, asset: &mut Asset, amount: u64, vault_amount: u64) -> Result<Fx> {
        if amount > asset.available_liquidity(vault_amount) {
            return err!(ErrorCode::InsufficientLiquidity);
        }
        let mut pool = asset.pool();
        let owed = pool.borrow_shares_for(amount).map_err(math)?;
        pool.borrow_shares = pool.borrow_shares.add_checked(owed).map_err(math)?;
        if pool.total_borrows().map_err(math)? > Fx::from_num(asset.borrow_cap) {
            return err!(ErrorCode::BorrowCapExceeded);
        }
        self.borrow_uncapped(asset, amount)
    }

    /// A borrow without the cap or the liquidity check (the callers check what applies).
    fn borrow_uncapped(&mut self, asset: &mut Asset, amount: u64) -> Result<Fx> {
        let mut pool = asset.pool();
        let owed = pool.borrow_shares_for(amount).map_err(math)?;
        pool.borrow_shares = pool.borrow_shares.add_checked(owed).map_err(math)?;
        let slot = self.find_or_open(asset.index).ok_or(error!(ErrorCode::TooManyPositions))?;
        let shares = asset.live_shares(&self.positions[slot]);
        if shares > Fx::ZERO {
            return err!(ErrorCode::BorrowAgainstOwnDeposit);
        }
        // A deposit of a wiped-out generation is worth nothing: the slot starts from zero.
        let after = shares.min(Fx::ZERO).sub_checked(owed).map_err(math)?;
        self.positions[slot].shares.set(after);
        asset.set_pool(&pool);
        Ok(after)
    }

    /// Repays `amount` native units of debt (at most the debt, rounded up): shares cleared rounded
    /// down, all of them when `amount` covers the debt.
    pub fn repay(&mut self, asset: &mut Asset, amount: u64) -> Result<Fx> {
        let mut pool = asset.pool();
        let slot = self.find(asset.index).ok_or(error!(ErrorCode::NoDebt))?;
        let shares = self.positions[slot].shares.get();
        if shares >= Fx::ZERO {
            return err!(ErrorCode::NoDebt);
        }
        let owed_shares = shares.neg_checked().map_err(math)?;
        let debt_native = pool.borrow_native(owed_shares).map_err(math)?;
        if amount as i128 > debt_native {
            msg!("debt is {} native units", debt_native);
            return err!(ErrorCode::RepayExceedsDebt);
        }
        let cleared = pool.repay(amount, owed_shares).map_err(math)?;
        let after = shares.add_checked(cleared).map_err(math)?;
        self.positions[slot].shares.set(after);
        self.close_empty();
        asset.set_pool(&pool);
        Ok(after)
    }

    /// Moves `taken` native units of `asset`'s deposit out of this account in a liquidation:
    /// `to_liquidator` of it is credited to `liquidator` as a deposit (shares minted rounded down;
    /// no tokens move, so a lent-out vault cannot block it) and the rest is owed to the insurance
    /// fund as protocol fees (moved by `collect_protocol_fees`). Burns shares rounded up, all of
    /// them when `taken` is the position's whole value. Returns the shares credited.
    pub fn seize_deposit(
        &mut self,
        liquidator: &mut MarginAccount,
        asset: &mut Asset,
        taken: u64,
        to_liquidator: u64,
    ) -> Result<Fx> {
        let mut pool = asset.pool();
        let slot = self.find(asset.index).ok_or(error!(ErrorCode::InsufficientDeposit))?;
        let held = asset.live_shares(&self.positions[slot]);
        let value = pool.deposit_native(held).map_err(math)?;
        if held <= Fx::ZERO || taken as i128 > value || to_liquidator > taken {
            return err!(ErrorCode::InsufficientDeposit);
        }
        let burned =
            if taken as i128 == value { held } else { pool.withdraw_shares_for(taken).map_err(math)?.min(held) };
        let credited = pool.deposit_shares_for(to_liquidator).map_err(math)?;
        let to_insurance = Fx::from_num(taken - to_liquidator);
        let lslot = liquidator
            .find_or_open_deposit(asset.index, asset.deposit_epoch)
            .ok_or(error!(ErrorCode::TooManyPositions))?;
        let lshares = liquidator.positions[lslot].shares.get();
        if lshares < Fx::ZERO {
            msg!("the liquidator's account owes this asset: it cannot receive it as a deposit");
            return err!(ErrorCode::DepositIntoDebt);
        }
        liquidator.positions[lslot].shares.set(lshares.add_checked(credited).map_err(math)?);
        liquidator.close_empty();
        self.positions[slot].shares.set(held.sub_checked(burned).map_err(math)?);
        self.close_empty();
        pool.deposit_shares =
            pool.deposit_shares.sub_checked(burned).map_err(math)?.add_checked(credited).map_err(math)?;
        pool.protocol_fees = pool.protocol_fees.add_checked(to_insurance).map_err(math)?;
        asset.set_pool(&pool);
        Ok(credited)
    }

    /// Credits `amount` native units of the quote asset from perp settlement: repays the account's
    /// debt in it first, the rest becomes a deposit. Returns the position's shares after.
    pub fn credit_settlement(&mut self, asset: &mut Asset, amount: u64) -> Result<Fx> {
        let mut left = amount;
        if let Some(slot) = self.find(asset.index) {
            let shares = self.positions[slot].shares.get();
            if shares < Fx::ZERO {
                let pool = asset.pool();
                let debt = pool.borrow_native(shares.neg_checked().map_err(math)?).map_err(math)?;
                let repay = (left as i128).min(debt) as u64;
                self.repay(asset, repay)?;
                left -= repay;
            }
        }
        if left > 0 {
            self.deposit_uncapped(asset, left)
        } else {
            Ok(self.find(asset.index).map(|i| self.positions[i].shares.get()).unwrap_or(Fx::ZERO))
        }
    }

    /// Debits `amount` native units of the quote asset for perp settlement, the vault holding
    /// `vault_amount`: from the deposit first, the rest borrowed (a settlement is never refused by
    /// the caps: the loss is already the account's). Returns the position's shares after.
    pub fn debit_settlement(&mut self, asset: &mut Asset, amount: u64, vault_amount: u64) -> Result<Fx> {
        if amount > asset.available_liquidity(vault_amount) {
            return err!(ErrorCode::InsufficientLiquidity);
        }
        let mut left = amount;
        if let Some(slot) = self.find(asset.index) {
            let shares = asset.live_shares(&self.positions[slot]);
            if shares > Fx::ZERO {
                let value = asset.pool().deposit_native(shares).map_err(math)?;
                let take = (left as i128).min(value) as u64;
                if take > 0 {
                    self.withdraw(asset, take, vault_amount)?;
                    left -= take;
                }
            }
        }
        if left == 0 {
            return Ok(self.find(asset.index).map(|i| self.positions[i].shares.get()).unwrap_or(Fx::ZERO));
        }
        self.borrow_uncapped(asset, left)
    }

    /// A deposit without the deposit cap (settlement credits: the profit is already the account's).
    fn deposit_uncapped(&mut self, asset: &mut Asset, amount: u64) -> Result<Fx> {
        let mut pool = asset.pool();
        let minted = pool.deposit_shares_for(amount).map_err(math)?;
        pool.deposit_shares = pool.deposit_shares.add_checked(minted).map_err(math)?;
        let slot =
            self.find_or_open_deposit(asset.index, asset.deposit_epoch).ok_or(error!(ErrorCode::TooManyPositions))?;
        let shares = self.positions[slot].shares.get();
        if shares < Fx::ZERO {
            return err!(ErrorCode::DepositIntoDebt);
        }
        let after = shares.add_checked(minted).map_err(math)?;
        self.positions[slot].shares.set(after);
        asset.set_pool(&pool);
        Ok(after)
    }
}
