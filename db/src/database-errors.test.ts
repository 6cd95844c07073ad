import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { isUnavailable, uniqueViolation } from './database-errors.ts';

const serverError = (code: string, constraint?: string) =>
  Object.assign(new pg.DatabaseError('from the server', 0, 'error'), { code, constraint });
const socketError = (code: string) =>
  Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: 'connect', errno: -111 });

describe('isUnavailable', () => {
  it.each(['08006', '08001', '57P01', '57P03', '53300', '57014', '40001', '40P01'])(
    'is true for SQLSTATE %s',
    (code) => expect(isUnavailable(serverError(code))).toBe(true),
  );

  it.each(['23505', '23514', '42501', '22P02', '42P01'])('is false for SQLSTATE %s, a refusal', (code) =>
    expect(isUnavailable(serverError(code))).toBe(false),
  );

  it('is true for a socket that failed, and for node-postgres losing its connection', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'])
      expect(isUnavailable(socketError(code))).toBe(true);
    expect(isUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
  });

  it('is false for a bug in the work itself', () => {
    expect(isUnavailable(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(isUnavailable('a string')).toBe(false);
  });
});

describe('uniqueViolation', () => {
  it('names the constraint of a unique violation only', () => {
    expect(uniqueViolation(serverError('23505', 'flags_live_key'))).toBe('flags_live_key');
    expect(uniqueViolation(serverError('23514', 'flags_live_key'))).toBeNull();
    expect(uniqueViolation(new Error('23505'))).toBeNull();
  });
});
