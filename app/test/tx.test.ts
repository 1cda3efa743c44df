import { AccountRole, address, type Instruction } from '@solana/kit';
import { describe, expect, it } from 'vitest';
import { computeUnitMargin, MAX_COMPUTE_UNIT_LIMIT, priorityFee, writtenAccounts } from '../src/lib/tx';

describe('compute budget', () => {
  it('asks for the simulated units plus 10% and 1,000, at most 1.4M', () => {
    expect(computeUnitMargin(100_000)).toBe(111_000);
    expect(computeUnitMargin(0)).toBe(1_000);
    expect(computeUnitMargin(1_300_000)).toBe(MAX_COMPUTE_UNIT_LIMIT);
  });

  it('prices at the 75th percentile of recent fees, capped, 0 without any', () => {
    expect(priorityFee([], 1_000_000n)).toBe(0n);
    expect(priorityFee([5n], 1_000_000n)).toBe(5n);
    expect(priorityFee([40n, 10n, 30n, 20n], 1_000_000n)).toBe(30n);
    expect(priorityFee([0n, 0n, 0n, 9_000_000n], 1_000_000n)).toBe(0n);
    expect(priorityFee([9_000_000n, 9_000_000n], 1_000_000n)).toBe(1_000_000n);
  });

  it('competes for the accounts the transaction writes, not its signers or reads', () => {
    const [a, b, c, d] = [
      address('So11111111111111111111111111111111111111112'),
      address('TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA'),
      address('SysvarC1ock11111111111111111111111111111111'),
      address('11111111111111111111111111111111'),
    ];
    const ix: Instruction = {
      programAddress: d,
      accounts: [
        { address: a, role: AccountRole.WRITABLE },
        { address: b, role: AccountRole.WRITABLE_SIGNER },
        { address: c, role: AccountRole.READONLY },
        { address: a, role: AccountRole.WRITABLE },
      ],
    };
    expect(writtenAccounts([ix])).toEqual([a]);
  });
});
