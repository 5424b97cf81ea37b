/**
 * A mobile number as E.164 (`+4915112345678`), from what people type: spaces, dashes,
 * dots and brackets are dropped, a leading `00` becomes `+`. `null` when it is not one.
 * The service validates again; this is for a quick answer in the dialog.
 */
export function normalizePhone(input: string): string | null {
  let compact = input.trim().replace(/[\s\-.()/]/g, '');
  if (compact.startsWith('00')) compact = `+${compact.slice(2)}`;
  return /^\+[1-9]\d{7,14}$/.test(compact) ? compact : null;
}

/** A plausible email address: something@something.tld, no spaces. */
export function isEmailAddress(input: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input.trim());
}
