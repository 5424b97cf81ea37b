import { describe, expect, it } from 'vitest';
import { formatRemaining, remainingMs } from './countdown';
import { catalogKeys, systemLocale, translate } from './i18n';
import { mailtoUrl } from './mailto';
import { isEmailAddress, normalizePhone } from './phone';

describe('normalizePhone', () => {
  it.each([
    ['+49 151 12345678', '+4915112345678'],
    ['0049 (151) 123-456-78', '+4915112345678'],
    ['+1 415.555.0100', '+14155550100'],
  ])('accepts %s as %s', (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });

  it.each(['12', '0151 12345678', '+0 151 1234567', 'call me', '+49 151 1234 5678 9012 34'])(
    'refuses %s',
    (input) => {
      expect(normalizePhone(input)).toBeNull();
    },
  );
});

describe('isEmailAddress', () => {
  it('wants a name, an @ and a domain', () => {
    expect(isEmailAddress('erika@example.com')).toBe(true);
    expect(isEmailAddress('erika@example')).toBe(false);
    expect(isEmailAddress('erika example.com')).toBe(false);
  });
});

describe('countdown', () => {
  it('shows minutes and seconds left, rounded up, and stops at zero', () => {
    expect(formatRemaining(remainingMs(60 * 60_000, 0))).toBe('60:00');
    expect(formatRemaining(59_001)).toBe('1:00');
    expect(formatRemaining(remainingMs(1000, 5000))).toBe('0:00');
  });
});

describe('mailtoUrl', () => {
  it('encodes the subject and the body with its link', () => {
    const url = mailtoUrl('Remote support', 'Open http://x/join/123456789 & join');
    expect(url).toBe(
      'mailto:?subject=Remote%20support&body=Open%20http%3A%2F%2Fx%2Fjoin%2F123456789%20%26%20join',
    );
  });
});

describe('i18n', () => {
  it('has every English string in German too', () => {
    expect(catalogKeys.de.sort()).toEqual(catalogKeys.en.sort());
  });

  it('uses the glossary’s German terms', () => {
    expect(translate('de', 'support.instant.start')).toBe('Remotesupportsitzung starten');
    expect(translate('de', 'session.copy')).toBe('In Zwischenablage kopieren');
    expect(translate('de', 'session.requestControl')).toBe(
      'Bei Eintreffen des Endbenutzers Fernsteuerung anfordern',
    );
  });

  it('fills placeholders as plain text', () => {
    expect(translate('en', 'sms.sent', { number: '+4915112345678' })).toBe(
      'The invitation was sent to +4915112345678.',
    );
  });

  it('picks German for a German OS and English otherwise', () => {
    expect(systemLocale(['de-AT', 'en'])).toBe('de');
    expect(systemLocale(['fr-FR'])).toBe('en');
    expect(systemLocale([])).toBe('en');
  });
});
