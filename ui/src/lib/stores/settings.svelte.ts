import { type Locale, type MessageKey, systemLocale, translate } from '../i18n';

export type LanguageChoice = 'system' | Locale;
export type ThemeChoice = 'system' | 'light' | 'dark';

/** What the UI keeps between starts. No secret ever goes here (it is localStorage). */
type Stored = {
  language: LanguageChoice;
  theme: ThemeChoice;
  notifications: boolean;
  /** The clipboard follows both ways while controlling a computer, without asking. */
  clipboardAuto: boolean;
  serverUrl: string;
  email: string;
  remember: boolean;
  /** After how many minutes an end user's wait for an answer shows as overdue. */
  waitWarnMinutes: number;
};

const KEY = 'lifeline.settings';
const defaults: Stored = {
  language: 'system',
  theme: 'system',
  notifications: true,
  clipboardAuto: false,
  serverUrl: '',
  email: '',
  remember: false,
  waitWarnMinutes: 2,
};

function load(storage: Storage | undefined): Stored {
  try {
    const raw = storage?.getItem(KEY);
    return raw ? { ...defaults, ...(JSON.parse(raw) as Partial<Stored>) } : { ...defaults };
  } catch {
    return { ...defaults };
  }
}

export class Settings {
  language = $state<LanguageChoice>('system');
  theme = $state<ThemeChoice>('system');
  notifications = $state(true);
  clipboardAuto = $state(false);
  serverUrl = $state('');
  email = $state('');
  remember = $state(false);
  waitWarnMinutes = $state(2);
  readonly locale: Locale = $derived(this.language === 'system' ? systemLocale() : this.language);

  constructor(private readonly storage: Storage | undefined = globalThis.localStorage) {
    const stored = load(storage);
    this.language = stored.language;
    this.theme = stored.theme;
    this.notifications = stored.notifications;
    this.clipboardAuto = stored.clipboardAuto;
    this.serverUrl = stored.serverUrl;
    this.email = stored.email;
    this.remember = stored.remember;
    this.waitWarnMinutes = validWaitMinutes(stored.waitWarnMinutes);
  }

  t = (key: MessageKey, params?: Record<string, string | number>): string =>
    translate(this.locale, key, params);

  /** "Something went wrong: …" for any failure, in the UI's language. */
  failure = (err: unknown): string => this.t('error.generic', { message: errorMessage(err) });

  save(): void {
    const stored: Stored = {
      language: this.language,
      theme: this.theme,
      notifications: this.notifications,
      clipboardAuto: this.clipboardAuto,
      serverUrl: this.serverUrl,
      email: this.email,
      remember: this.remember,
      waitWarnMinutes: validWaitMinutes(this.waitWarnMinutes),
    };
    this.storage?.setItem(KEY, JSON.stringify(stored));
  }
}

/** The human part of any thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The overdue threshold kept within 1 to 60 minutes, whatever was stored or typed. */
export function validWaitMinutes(value: unknown): number {
  const minutes = Math.round(Number(value));
  return Number.isFinite(minutes) ? Math.min(60, Math.max(1, minutes)) : 2;
}
