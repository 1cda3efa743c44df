//! Every error the program returns, each with a message a user can act on.
use anchor_lang::prelude::*;

#[error_code]
pub enum ErrorCode {
    #[msg("A risk parameter is outside its allowed range; the log names the parameter and the range")]
    InvalidRiskParameter,
    #[msg("Fixed-point arithmetic overflowed; the amounts or prices involved are too large")]
    MathOverflow,
    #[msg("The oracle account carries a different price feed than the asset's; pass the asset's own oracle")]
    OracleFeedMismatch,
    #[msg("The oracle price is only partially verified; post a fully verified price update")]
    OracleNotFullyVerified,
    #[msg("The oracle price is older than the group's maximum age; post a fresh price update")]
    OracleStale,
    #[msg("The oracle's confidence interval is too wide relative to its price; wait for a tighter price")]
    OracleConfidenceTooWide,
    #[msg("The oracle price is zero or negative")]
    OraclePriceNotPositive,
    #[msg("The group already has the maximum number of assets")]
    TooManyAssets,
    #[msg("The covariance row must have one entry per registered asset plus the new asset's variance")]
    CovarianceRowLength,
    #[msg("The new asset's variance must be greater than zero")]
    NonPositiveVariance,
    #[msg("A covariance implies a correlation above 1 in magnitude (cov² > var·var)")]
    CovarianceOutOfBounds,
    #[msg("The risk model account does not belong to this group")]
    WrongRiskModel,
    #[msg("The group already has a risk model")]
    RiskModelAlreadySet,
    #[msg("Amount must be greater than zero")]
    ZeroAmount,
    #[msg("The deposit would exceed the asset's deposit cap")]
    DepositCapExceeded,
    #[msg("The borrow would exceed the asset's borrow cap")]
    BorrowCapExceeded,
    #[msg("The vault does not hold enough unborrowed tokens for this")]
    InsufficientLiquidity,
    #[msg("The account has no deposit of this asset large enough for this withdrawal")]
    InsufficientDeposit,
    #[msg("The amount is larger than the account's debt in this asset")]
    RepayExceedsDebt,
    #[msg("The account has no debt in this asset")]
    NoDebt,
    #[msg("The account holds a deposit of this asset: withdraw it before borrowing the same asset")]
    BorrowAgainstOwnDeposit,
    #[msg("The account owes this asset: repay the debt instead of depositing")]
    DepositIntoDebt,
    #[msg("The account already uses all of its position slots")]
    TooManyPositions,
    #[msg("The action would leave the account below its initial margin requirement")]
    InitialHealthBelowZero,
    #[msg("Pass one asset account and one oracle account per open position, in position order")]
    HealthAccountsMismatch,
    #[msg("An asset account passed for the health check belongs to another group or position")]
    WrongAssetAccount,
    #[msg("The account still has open positions; close them first")]
    AccountNotEmpty,
    #[msg("Too early for a new covariance sample; wait for the sample interval to pass")]
    SampleTooEarly,
    #[msg("The crank's oracle accounts must follow the asset order without gaps or repeats")]
    CrankOrder,
    #[msg("The account is above its maintenance margin and cannot be liquidated")]
    NotLiquidatable,
    #[msg("An account cannot be liquidated by its own owner")]
    SelfLiquidation,
    #[msg("This repayment would not improve the account's health; choose another liability or collateral")]
    LiquidationDoesNotImprove,
    #[msg("A smaller repayment already restores initial health; size it with the risk engine")]
    OverLiquidation,
    #[msg("The account still holds deposits: liquidate them before resolving bankruptcy")]
    NotBankrupt,
    #[msg("Token-2022 mints with extensions (transfer fees, hooks, delegates…) are not supported yet")]
    UnsupportedMintExtensions,
    #[msg("The oracle account is not the asset's registered price-feed account")]
    WrongOracleAccount,
    #[msg("A close-out (taking a whole position without improving health) needs an insolvent book: this one has positive equity")]
    CloseOutOfSolventBook,
    #[msg("A partial liquidation of this pair still improves health: liquidate to its peak before closing out")]
    CloseOutWhileImprovable,
    #[msg("The liquidator's margin account must be its own, in this group, and differ from the liquidated account")]
    WrongLiquidatorAccount,
    #[msg("The liability's oracle is unusable: a debt must be priced to be liquidated")]
    LiabilityUnpriced,
    #[msg("The collateral's oracle is unusable: it cannot be seized at an unknown price")]
    CollateralUnpriced,
    #[msg("The mint has too many decimals (at most 18)")]
    TooManyDecimals,
    #[msg("The bootstrap covariance matrix is not positive semidefinite")]
    CovarianceNotPositiveSemidefinite,
    #[msg(
        "The sample interval cannot change once assets are registered: the stored covariance is per sample interval"
    )]
    SampleIntervalLocked,
    #[msg("The liability and the collateral of a liquidation must be two different assets")]
    LiquidationSameAsset,
    #[msg("Not an active address lookup table whose authority is the group's admin")]
    LookupTableInvalid,
    #[msg("A group records at most two lookup tables (index 0 or 1)")]
    LookupTableIndex,
    #[msg("The group already lists the maximum number of perp markets")]
    TooManyPerpMarkets,
    #[msg("A perp market passed belongs to another group, or is not the market of this instruction")]
    WrongPerpMarket,
    #[msg("Pass one perp-market account and its oracle for every perp market of the group, in market order")]
    PerpMarketsMismatch,
    #[msg("The perp vault could not pay the stressed loss of its net positions after this")]
    PerpVaultUtilization,
    #[msg("The perp vault owes traders more than it holds: deposits are refused until it is solvent")]
    PerpVaultInsolvent,
    #[msg("The amount is too small: it would mint or pay zero")]
    AmountTooSmall,
    #[msg("The fill price is beyond the limit price")]
    LimitPriceExceeded,
    #[msg("The trade would take the market's open interest beyond its cap")]
    OpenInterestCap,
    #[msg("The position's notional would exceed the market's maximum")]
    PositionTooLarge,
    #[msg("The account has no perp position in this market")]
    NoPerpPosition,
    #[msg("The perp vault does not belong to this group or is not the one passed")]
    WrongPerpVault,
    #[msg("The account still has perp positions: liquidate and settle them before resolving bankruptcy")]
    PerpPositionsOpen,
    #[msg("The perp position does not hedge the chosen spot leg (same asset, opposite side)")]
    NotAHedge,
}

/// Any failure of the engine's checked arithmetic, as the program's error; the engine's message
/// (operation, file and line) goes to the log.
pub fn math<E: core::fmt::Display>(e: E) -> Error {
    msg!("{}", e);
    error!(ErrorCode::MathOverflow)
}
