import type { MessageKey } from './i18n';

/**
 * The ad-hoc password rule, checked as the technician types so the message is in their
 * language. The client crate applies the same rule before anything is sent.
 */
export function passwordProblem(password: string, confirmation: string): MessageKey | null {
  const length = [...password].length;
  const kinds = [/\p{Ll}/u, /\p{Lu}/u, /\p{N}/u, /[^\p{L}\p{N}]/u].filter((kind) =>
    kind.test(password),
  ).length;
  if (!(length >= 16 || (length >= 10 && kinds >= 3))) return 'adhoc.passwordWeak';
  if (password !== confirmation) return 'adhoc.passwordsDiffer';
  return null;
}

/** A plausible email address: one `@` with something on both sides and a dot after it. */
export function looksLikeEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value.trim());
}

/** `23 h 59 min` for what is left of an ad-hoc session's 24 hours (rounded up). */
export function formatHoursLeft(ms: number): string {
  const minutes = Math.ceil(Math.max(0, ms) / 60_000);
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
}

/** `1 d 2 h 5 min` for an uptime in seconds. */
export function formatUptime(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  return [days > 0 ? `${days} d` : '', days > 0 || hours > 0 ? `${hours} h` : '', `${minutes % 60} min`]
    .filter(Boolean)
    .join(' ');
}
