//! A trader's margin account: up to 16 spot positions, each signed shares of one asset's pool, and
//! up to 16 perp positions.
use anchor_lang::prelude::*;
use risk_engine::perp::PerpPosition;
use risk_engine::{Fx, WrappedI80F48};

/// Most spot positions one account can hold.
pub const MAX_POSITIONS: usize = 16;
/// Most perp positions one account can hold.
pub const MAX_PERP_POSITIONS: usize = 16;
/// Most positions of both kinds together. Every liquidation must fit a transaction's 64 account
/// locks: `liquidate` names 11 accounts of its own, two per position and the perp vault's two
/// (≤ 13 + 2n unique keys with the program ids), so n ≤ 25. Without this bound an owner could hold
/// 16 deposits (deposits take no health accounts) and open perps until its book could still be
/// traded (`trade_perp` needs fewer accounts) but no longer liquidated.
pub const MAX_TOTAL_POSITIONS: usize = 25;

/// One perp position: `risk_engine::perp::PerpPosition` in storage.
#[zero_copy]
#[derive(Debug, Default)]
pub struct PerpSlot {
    /// Signed native base units (long > 0), i128 little-endian.
    pub base_le: [u8; 16],
    /// Cash booked, USD (see `PerpPosition::quote`).
    pub quote: WrappedI80F48,
    /// Its side's funding index when last touched.
    pub funding_index: WrappedI80F48,
    /// The market's index among the group's perp markets.
    pub market_index: u16,
    /// 1 if the slot is in use.
    pub active: u8,
    pub _padding: [u8; 5],
}

impl PerpSlot {
    pub fn position(&self) -> PerpPosition {
        PerpPosition {
            base: i128::from_le_bytes(self.base_le),
            quote: self.quote.get(),
            funding_index: self.funding_index.get(),
        }
    }

    pub fn set(&mut self, p: &PerpPosition) {
        self.base_le = p.base.to_le_bytes();
        self.quote.set(p.quote);
        self.funding_index.set(p.funding_index);
    }
}

#[zero_copy]
#[derive(Debug, Default)]
pub struct Position {
    /// Deposit shares if > 0, borrow shares if < 0 (of the asset's pool).
    pub shares: WrappedI80F48,
    /// The asset's index in the group.
    pub asset_index: u16,
    /// 1 if the slot is in use.
    pub active: u8,
    /// Deposit generation of the asset these deposit shares belong to (little-endian u32; see
    /// `Asset::deposit_epoch`).
    pub deposit_epoch_le: [u8; 4],
    pub _padding: [u8; 1],
}

impl Position {
    pub fn deposit_epoch(&self) -> u32 {
        u32::from_le_bytes(self.deposit_epoch_le)
    }
}

#[account(zero_copy)]
#[derive(Debug)]
pub struct MarginAccount {
    pub group: Pubkey,
    pub owner: Pubkey,
    pub positions: [Position; MAX_POSITIONS],
    /// Chosen by the owner; part of the PDA seeds.
    pub index: u8,
    pub bump: u8,
    pub _padding: [u8; 6],
    /// Room for fields added by upgrades, zeroed.
    pub _reserved: [u8; 64],
    pub perps: [PerpSlot; MAX_PERP_POSITIONS],
}

impl MarginAccount {
    pub const SPACE: usize = 8 + core::mem::size_of::<MarginAccount>();

    /// The slot holding `asset_index`, if any.
    pub fn find(&self, asset_index: u16) -> Option<usize> {
        self.positions.iter().position(|p| p.active == 1 && p.asset_index == asset_index)
    }

    /// The slot for `asset_index`, opening a free one if needed (`None` when all 16 are used).
    pub fn find_or_open(&mut self, asset_index: u16) -> Option<usize> {
        if let Some(i) = self.find(asset_index) {
            return Some(i);
        }
        if self.open_positions() >= MAX_TOTAL_POSITIONS {
            return None;
        }
        let i = self.positions.iter().position(|p| p.active == 0)?;
        self.positions[i] = Position { shares: WrappedI80F48::ZERO, asset_index, active: 1, ..Default::default() };
        Some(i)
    }

    /// The slot for a deposit of `asset_index` in deposit generation `epoch`: an open slot whose
    /// shares belong to an older generation (wiped out) is reset to zero shares first.
    pub fn find_or_open_deposit(&mut self, asset_index: u16, epoch: u32) -> Option<usize> {
        let i = self.find_or_open(asset_index)?;
        let p = &mut self.positions[i];
        if p.shares.get() > Fx::ZERO && p.deposit_epoch() != epoch {
            p.shares = WrappedI80F48::ZERO;
        }
        if p.shares.get() >= Fx::ZERO {
            p.deposit_epoch_le = epoch.to_le_bytes();
        }
        Some(i)
    }

    /// Frees slots whose shares reached zero.
    pub fn close_empty(&mut self) {
        for p in self.positions.iter_mut() {
            if p.active == 1 && p.shares.get() == Fx::ZERO {
                *p = Position::default();
            }
        }
    }

    /// Active positions in slot order.
    pub fn active(&self) -> impl Iterator<Item = &Position> {
        self.positions.iter().filter(|p| p.active == 1)
    }

    pub fn active_count(&self) -> usize {
        self.active().count()
    }

    /// Spot and perp positions open (each takes two health accounts).
    pub fn open_positions(&self) -> usize {
        self.active_count() + self.active_perps().count()
    }

    /// The perp slot of market `market_index`, if any.
    pub fn find_perp(&self, market_index: u16) -> Option<usize> {
        self.perps.iter().position(|p| p.active == 1 && p.market_index == market_index)
    }

    /// The perp slot of `market_index`, opening a free one if needed (`None` when all are used).
    pub fn find_or_open_perp(&mut self, market_index: u16) -> Option<usize> {
        if let Some(i) = self.find_perp(market_index) {
            return Some(i);
        }
        if self.open_positions() >= MAX_TOTAL_POSITIONS {
            return None;
        }
        let i = self.perps.iter().position(|p| p.active == 0)?;
        self.perps[i] = PerpSlot { market_index, active: 1, ..Default::default() };
        Some(i)
    }

    /// Frees perp slots with no base and nothing booked.
    pub fn close_empty_perps(&mut self) {
        for p in self.perps.iter_mut() {
            let pos = p.position();
            if p.active == 1 && pos.base == 0 && pos.quote == Fx::ZERO {
                *p = PerpSlot::default();
            }
        }
    }

    /// Active perp positions in slot order.
    pub fn active_perps(&self) -> impl Iterator<Item = &PerpSlot> {
        self.perps.iter().filter(|p| p.active == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spot_and_perp_positions_together_stop_at_the_liquidation_bound() {
        let mut acc: MarginAccount = bytemuck::Zeroable::zeroed();
        for a in 0..MAX_POSITIONS as u16 {
            let i = acc.find_or_open(a).unwrap();
            acc.positions[i].shares = WrappedI80F48::new(Fx::ONE);
        }
        for m in 0..(MAX_TOTAL_POSITIONS - MAX_POSITIONS) as u16 {
            assert!(acc.find_or_open_perp(m).is_some(), "perp {m}");
        }
        assert_eq!(acc.open_positions(), MAX_TOTAL_POSITIONS);
        assert_eq!(acc.find_or_open_perp(100), None, "one more perp would make the book unliquidatable");
        // An existing slot is still found.
        assert_eq!(acc.find_or_open_perp(0), Some(0));
        // With a spot slot freed, one more perp fits, and then no new spot slot does.
        acc.positions[0] = Position::default();
        assert!(acc.find_or_open_perp(100).is_some());
        assert_eq!(acc.find_or_open(0), None);
    }
}
