// Turns what a failed transaction reports (kit's SolanaError chain, RPC errors, simulation logs)
// into one plain sentence: the program's own messages from its IDL for codes 6000+, Anchor's
// framework errors, SPL Token errors, and the common transaction-level failures.
import {
  SOLANA_ERROR__TRANSACTION_ERROR__ACCOUNT_NOT_FOUND,
  SOLANA_ERROR__TRANSACTION_ERROR__ALREADY_PROCESSED,
  SOLANA_ERROR__TRANSACTION_ERROR__BLOCKHASH_NOT_FOUND,
  SOLANA_ERROR__TRANSACTION_ERROR__INSUFFICIENT_FUNDS_FOR_FEE,
  SOLANA_ERROR__TRANSACTION_ERROR__INSUFFICIENT_FUNDS_FOR_RENT,
} from '@solana/kit';
import programErrors from '../generated/programErrors.json';

export type ProgramError = { code: number; name: string; msg: string };

const PROGRAM_ERRORS = new Map<number, ProgramError>(programErrors.errors.map((e) => [e.code, e]));
export const PROGRAM_ADDRESS: string = programErrors.address;

const TOKEN_PROGRAMS = new Set(['TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA', 'TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb']);

/** Anchor framework errors a trader can meet (anchor-lang-error 1.2.2). */
const ANCHOR_ERRORS: Record<number, string> = {
  2000: 'A mut constraint was violated',
  2001: 'An account does not belong where it was passed (has-one constraint)',
  2002: 'A required signature is missing',
  2003: 'A raw constraint was violated',
  2004: 'An account is owned by the wrong program',
  2006: 'An address does not match its expected derivation (seeds constraint)',
  2012: 'An address constraint was violated',
  2014: 'The token account holds a different mint than the asset',
  2015: 'The token account belongs to someone else',
  2021: 'The token account belongs to a different token program',
  3001: 'No discriminator was found on the account',
  3002: 'An account is of the wrong type',
  3003: 'An account could not be deserialised',
  3005: 'Not enough accounts were given to the instruction',
  3007: 'An account is owned by a different program than expected',
  3008: 'Program id was not as expected',
  3010: 'An account that must sign did not',
  3012: 'An account the program needs does not exist yet',
};

/** SPL Token program errors (spl-token TokenError). */
const TOKEN_ERRORS: Record<number, string> = {
  0: 'The token account lacks the rent-exempt balance',
  1: 'Insufficient token balance for this amount',
  2: 'Invalid mint',
  3: 'The token account is not of this mint',
  4: 'The token account belongs to someone else',
  5: 'The mint has a fixed supply',
  6: 'The token account is already in use',
  12: 'The token account does not support this operation',
  17: 'The token account is frozen',
};

/** Transaction-level failures: kit's error codes, and the RPC's names for them (meta.err). */
const TRANSACTION_ERRORS: [number, RegExp, string][] = [
  [SOLANA_ERROR__TRANSACTION_ERROR__INSUFFICIENT_FUNDS_FOR_FEE, /InsufficientFundsForFee/, 'The wallet has no SOL to pay the transaction fee'],
  [SOLANA_ERROR__TRANSACTION_ERROR__INSUFFICIENT_FUNDS_FOR_RENT, /InsufficientFundsForRent/, 'The wallet does not have enough SOL to pay for a new account'],
  [SOLANA_ERROR__TRANSACTION_ERROR__BLOCKHASH_NOT_FOUND, /BlockhashNotFound/, 'The transaction expired before it landed; try again'],
  [SOLANA_ERROR__TRANSACTION_ERROR__ACCOUNT_NOT_FOUND, /AccountNotFound/, 'The fee payer account does not exist on this cluster (fund it with SOL first)'],
  [SOLANA_ERROR__TRANSACTION_ERROR__ALREADY_PROCESSED, /AlreadyProcessed/, 'This transaction was already processed'],
];

export function programErrorMessage(code: number): string | undefined {
  return PROGRAM_ERRORS.get(code)?.msg;
}

export function programErrorName(code: number): string | undefined {
  return PROGRAM_ERRORS.get(code)?.name;
}

type Facts = { custom?: number; index?: number; logs: string[]; kitCodes: number[]; names: string[]; messages: string[] };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Walks an error and its causes collecting custom codes, logs and error names. */
function collect(err: unknown, facts: Facts = { logs: [], kitCodes: [], names: [], messages: [] }, depth = 0): Facts {
  if (!isObject(err) || depth > 8) {
    if (typeof err === 'string') facts.messages.push(err);
    return facts;
  }
  const context = isObject(err.context) ? err.context : undefined;
  if (context) {
    if (typeof context.code === 'number' && typeof context.index === 'number' && facts.custom === undefined) {
      facts.custom = context.code;
      facts.index = context.index;
    }
    if (Array.isArray(context.logs)) facts.logs.push(...context.logs.filter((l): l is string => typeof l === 'string'));
    if (typeof context.__code === 'number') facts.kitCodes.push(context.__code);
    if (typeof context.errorName === 'string') facts.names.push(context.errorName);
  }
  // Raw RPC shapes: {InstructionError: [index, {Custom: code}]} (transaction meta.err).
  const ie = (err as { InstructionError?: unknown }).InstructionError;
  if (Array.isArray(ie) && ie.length === 2) {
    const [index, inner] = ie as [unknown, unknown];
    if (isObject(inner) && 'Custom' in inner && facts.custom === undefined) {
      facts.custom = Number(inner.Custom);
      facts.index = Number(index);
    } else if (typeof inner === 'string') {
      facts.names.push(inner);
    }
  }
  // Raw RPC shapes of other transaction errors: {DuplicateInstruction: 1}, {InsufficientFundsForRent: {...}}.
  for (const key of Object.keys(err)) if (/^[A-Z][A-Za-z]+$/.test(key) && key !== 'InstructionError') facts.names.push(key);
  if (typeof err.message === 'string') facts.messages.push(err.message);
  if (typeof err.name === 'string' && err.name !== 'Error' && err.name !== 'SolanaError') facts.names.push(err.name);
  if (typeof err.code === 'number') facts.kitCodes.push(err.code);
  if (Array.isArray(err.logs)) facts.logs.push(...err.logs.filter((l): l is string => typeof l === 'string'));
  collect(err.cause, facts, depth + 1);
  if (isObject(err.err)) collect(err.err, facts, depth + 1);
  return facts;
}

/** The program whose `custom program error` ended the run, from the logs (innermost failure first). */
function failingProgram(logs: string[]): string | undefined {
  for (const line of logs) {
    const m = /^Program (\w+) failed: custom program error/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/** The account Anchor names in "AnchorError caused by account: X". */
function anchorAccount(logs: string[]): string | undefined {
  for (const line of logs) {
    const m = /AnchorError caused by account: (\w+)/.exec(line);
    if (m) return m[1]!.replace(/_/g, ' ');
  }
  return undefined;
}

function sentence(s: string): string {
  const t = s.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

export type Explained = { message: string; code?: number; name?: string; logs: string[] };

/**
 * One plain sentence for a failed send/simulation. `instructionPrograms` are the program ids of the
 * transaction's instructions (to attribute a custom code when the logs do not say).
 */
export function explainError(err: unknown, instructionPrograms: string[] = []): Explained {
  const facts = collect(err);
  const logs = facts.logs;
  if (facts.custom !== undefined) {
    const code = facts.custom;
    const byLogs = failingProgram(logs);
    const byIndex = facts.index !== undefined ? instructionPrograms[facts.index] : undefined;
    const program = byLogs ?? byIndex;
    if (program !== undefined && TOKEN_PROGRAMS.has(program)) {
      return { message: sentence(TOKEN_ERRORS[code] ?? `The token program refused the transfer (error ${code})`), code, logs };
    }
    if (program === undefined || program === PROGRAM_ADDRESS) {
      const own = PROGRAM_ERRORS.get(code);
      if (own) return { message: sentence(own.msg), code, name: own.name, logs };
      const anchor = ANCHOR_ERRORS[code];
      if (anchor) {
        const account = anchorAccount(logs);
        return { message: sentence(account ? `${anchor} (account: ${account})` : anchor), code, logs };
      }
    }
    return { message: sentence(`Program ${program ?? 'unknown'} failed with custom error ${code}`), code, logs };
  }
  const text = [...facts.names, ...facts.messages].join(' ');
  for (const [code, re, msg] of TRANSACTION_ERRORS) {
    if (facts.kitCodes.includes(code) || re.test(text)) return { message: sentence(msg), logs };
  }
  if (/insufficient (funds|lamports)/i.test(text) || /InsufficientFunds/.test(text)) {
    return { message: sentence('The wallet does not have enough SOL for this transaction'), logs };
  }
  if (/rejected|denied|cancel/i.test(text)) return { message: 'The wallet declined to sign.', logs };
  if (/fetch|network|ECONNREFUSED/i.test(text)) return { message: 'The RPC endpoint cannot be reached.', logs };
  const first = facts.messages.find((m) => m.trim().length > 0);
  const named = facts.names[0] !== undefined ? `The transaction failed (${facts.names[0]})` : 'The transaction failed';
  return { message: sentence(first ?? named), logs };
}
