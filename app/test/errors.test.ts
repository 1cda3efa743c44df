import {
  SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM,
  SOLANA_ERROR__JSON_RPC__SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE,
  SOLANA_ERROR__TRANSACTION_ERROR__INSUFFICIENT_FUNDS_FOR_FEE,
  SolanaError,
} from '@solana/kit';
import { describe, expect, it } from 'vitest';
import programErrors from '../src/generated/programErrors.json';
import { PROGRAM_ADDRESS, explainError, programErrorMessage } from '../src/lib/errors';

const PROGRAM = 'GcBf6SJFvsFyrWsacm5UtohYNbqYkBDW3aU4eBHQGjwX';
const TOKEN = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';

/** What kit throws when preflight simulation fails with a custom program error. */
function preflight(code: number, index: number, logs: string[]) {
  const cause = new SolanaError(SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM, { code, index });
  return new SolanaError(SOLANA_ERROR__JSON_RPC__SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE, {
    cause,
    logs,
    accounts: null,
    unitsConsumed: 1000n,
    returnData: null,
  } as never);
}

describe('program errors from the IDL', () => {
  it('knows every error of the IDL', () => {
    expect(PROGRAM_ADDRESS).toBe(PROGRAM);
    expect(programErrors.errors.length).toBeGreaterThan(30);
    for (const e of programErrors.errors) expect(programErrorMessage(e.code)).toBe(e.msg);
  });

  it('turns a refused withdrawal into the program sentence', () => {
    const logs = [
      `Program ${PROGRAM} invoke [1]`,
      'Program log: AnchorError thrown in programs/portfolio-margin/src/instructions/user/withdraw.rs:27. Error Code: InsufficientDeposit. Error Number: 6017.',
      `Program ${PROGRAM} failed: custom program error: 0x1781`,
    ];
    const e = explainError(preflight(6017, 2, logs), ['ComputeBudget111111111111111111111111111111', 'ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL', PROGRAM]);
    expect(e.message).toBe('The account has no deposit of this asset large enough for this withdrawal.');
    expect(e.name).toBe('InsufficientDeposit');
    expect(e.code).toBe(6017);
    expect(e.logs).toEqual(logs);
  });

  it('explains the initial-margin refusal', () => {
    expect(explainError(preflight(6023, 0, []), [PROGRAM]).message).toBe(
      'The action would leave the account below its initial margin requirement.',
    );
  });

  it('maps Anchor framework errors, naming the account', () => {
    const logs = [
      'Program log: AnchorError caused by account: owner_tokens. Error Code: AccountNotInitialized. Error Number: 3012. Error Message: The program expected this account to be already initialized.',
      `Program ${PROGRAM} failed: custom program error: 0xbc4`,
    ];
    expect(explainError(preflight(3012, 0, logs), [PROGRAM]).message).toBe('An account the program needs does not exist yet (account: owner tokens).');
  });

  it('attributes token-program failures inside a CPI to the token program', () => {
    const logs = [
      `Program ${PROGRAM} invoke [1]`,
      `Program ${TOKEN} invoke [2]`,
      'Program log: Error: insufficient funds',
      `Program ${TOKEN} failed: custom program error: 0x1`,
      `Program ${PROGRAM} failed: custom program error: 0x1`,
    ];
    expect(explainError(preflight(1, 0, logs), [PROGRAM]).message).toBe('Insufficient token balance for this amount.');
  });

  it('reads raw transaction errors (meta.err) too', () => {
    expect(explainError({ InstructionError: [1, { Custom: 6016 }] }, ['x', PROGRAM]).message).toBe(
      'The vault does not hold enough unborrowed tokens for this.',
    );
    expect(explainError({ InstructionError: [0, { Custom: 6016 }], logs: [] }, [TOKEN]).message).toMatch(/token program/);
  });

  it('maps transaction-level failures and unknown errors', () => {
    const fee = new SolanaError(SOLANA_ERROR__TRANSACTION_ERROR__INSUFFICIENT_FUNDS_FOR_FEE);
    expect(explainError(fee).message).toBe('The wallet has no SOL to pay the transaction fee.');
    expect(explainError('BlockhashNotFound').message).toBe('The transaction expired before it landed; try again.');
    expect(explainError(new Error('User rejected the request')).message).toBe('The wallet declined to sign.');
    expect(explainError(preflight(42, 0, []), ['Other1111111111111111111111111111111111111']).message).toBe(
      'Program Other1111111111111111111111111111111111111 failed with custom error 42.',
    );
    expect(explainError(new Error('something odd')).message).toBe('something odd.');
  });
});

describe('transaction-level errors in raw RPC shape', () => {
  it('names the error when the RPC gives only its name', () => {
    expect(explainError({ DuplicateInstruction: 1, logs: [] }).message).toBe('The transaction failed (DuplicateInstruction).');
  });
});
