import { describe, expect, it } from 'vitest';
import { formatHoursLeft, formatUptime, looksLikeEmail, passwordProblem } from './adhoc';

describe('the ad-hoc password rule', () => {
  it('takes 10 characters of three kinds, or 16 of any', () => {
    expect(passwordProblem('Sunny-Day-42', 'Sunny-Day-42')).toBeNull();
    expect(passwordProblem('correct horse battery', 'correct horse battery')).toBeNull();
  });
  it('refuses weak and mismatched passwords, weakness first', () => {
    expect(passwordProblem('password12', 'password12')).toBe('adhoc.passwordWeak');
    expect(passwordProblem('Sh0rt!', 'x')).toBe('adhoc.passwordWeak');
    expect(passwordProblem('Sunny-Day-42', 'Sunny-Day-43')).toBe('adhoc.passwordsDiffer');
  });
});

describe('inputs and times', () => {
  it('checks email addresses loosely', () => {
    expect(looksLikeEmail(' erika@example.test ')).toBe(true);
    expect(looksLikeEmail('erika@example')).toBe(false);
    expect(looksLikeEmail('not an email')).toBe(false);
  });
  it('shows the time left in hours and minutes, rounded up', () => {
    expect(formatHoursLeft(24 * 3_600_000)).toBe('24 h 0 min');
    expect(formatHoursLeft(61_000)).toBe('2 min');
    expect(formatHoursLeft(-5)).toBe('0 min');
  });
  it('shows uptimes from days down to minutes', () => {
    expect(formatUptime(90_061)).toBe('1 d 1 h 1 min');
    expect(formatUptime(125)).toBe('2 min');
  });
});
