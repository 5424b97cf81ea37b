import { de } from './de';
import { en, type MessageKey } from './en';

export type { MessageKey };
export type Locale = 'en' | 'de';

const catalogs: Record<Locale, Record<MessageKey, string>> = { en, de };

/** The OS (browser) language when it is German, else English. */
export function systemLocale(languages: readonly string[] = navigator.languages): Locale {
  return languages[0]?.toLowerCase().startsWith('de') ? 'de' : 'en';
}

/** `template` with its `{name}` placeholders filled in as text. */
export function fill(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** The message for `key` in `locale`, with `{name}` placeholders filled in as text. */
export function translate(
  locale: Locale,
  key: MessageKey,
  params: Record<string, string | number> = {},
): string {
  return fill(catalogs[locale][key], params);
}

export const catalogKeys = { en: Object.keys(en), de: Object.keys(de) };
