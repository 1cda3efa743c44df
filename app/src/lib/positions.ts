// Positions of a margin account: native amounts, and the health accounts withdraw/borrow need.
import type { Address } from '@solana/kit';
import type { Asset, MarginAccount } from '../generated';
import { bits, ceilToInt, floorToInt, mulCeil, mulFloor } from './fixed';

export type ActionKind = 'deposit' | 'withdraw' | 'borrow' | 'repay';

export type PositionView = { slot: number; assetIndex: number; shares: bigint };

/** Active positions in slot order. */
export function activePositions(acc: MarginAccount): PositionView[] {
  return acc.positions.flatMap((p, slot) => (p.active === 1 ? [{ slot, assetIndex: p.assetIndex, shares: bits(p.shares) }] : []));
}

/** Signed native amount of a position: deposits rounded down, debts rounded up (more negative). */
export function positionAmount(asset: Asset, shares: bigint): bigint {
  if (shares >= 0n) return floorToInt(mulFloor(shares, bits(asset.depositIndex)));
  return -ceilToInt(mulCeil(-shares, bits(asset.borrowIndex)));
}

/**
 * Asset indices of the positions open after `kind` of `amount`, in slot order: what withdraw and
 * borrow take as remaining accounts (asset, oracle per position). A full withdrawal frees its slot;
 * a first borrow opens the lowest free slot.
 */
export function healthAssetsAfter(
  acc: MarginAccount | null,
  kind: ActionKind,
  assetIndex: number,
  amount: bigint,
  asset: Asset,
): number[] {
  const slots: (number | null)[] = Array.from({ length: 16 }, () => null);
  for (const p of acc ? activePositions(acc) : []) slots[p.slot] = p.assetIndex;
  const held = slots.indexOf(assetIndex);
  if (kind === 'withdraw' && held >= 0) {
    // Withdrawing the whole value (shares × index, rounded down) burns every share.
    const shares = bits(acc!.positions[held]!.shares);
    if (amount === floorToInt(mulFloor(shares, bits(asset.depositIndex)))) slots[held] = null;
  }
  if (kind === 'borrow' && held < 0) {
    const free = slots.indexOf(null);
    if (free >= 0) slots[free] = assetIndex;
  }
  return slots.filter((s): s is number => s !== null);
}

export type HealthAccount = { asset: Address; oracle: Address };
