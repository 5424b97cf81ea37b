// Canned replies as the technician's app sends them: the text in the language asked for
// (or the other one when that is empty), with its variables filled in. The variables are
// the protocol's (REPLY_VARIABLES in crates/protocol/src/canned.rs); anything else in
// braces stays as written.
import type { CannedReply } from '../bindings/CannedReply';

/** What a reply's variables stand for in one session. */
export interface ReplyValues {
  end_user: string;
  technician: string;
  company: string;
  support_key: string;
  join_link: string;
}

const VARIABLE = /\{(end_user|technician|company|support_key|join_link)\}/g;

/** The reply's text in `locale`, variables filled in from `values`. */
export function fillReply(
  reply: Pick<CannedReply, 'text_en' | 'text_de'>,
  locale: 'en' | 'de',
  values: ReplyValues,
): string {
  const preferred = locale === 'de' ? reply.text_de : reply.text_en;
  const text = preferred.trim() ? preferred : locale === 'de' ? reply.text_en : reply.text_de;
  return text.replace(VARIABLE, (_, name: keyof ReplyValues) => values[name]);
}

/** The replies whose title or text matches what was typed after `/`, best first. */
export function matchReplies<R extends Pick<CannedReply, 'title' | 'text_en' | 'text_de'>>(
  replies: readonly R[],
  typed: string,
): R[] {
  const query = typed.trim().toLowerCase();
  if (!query) return [...replies];
  const starts = replies.filter((r) => r.title.toLowerCase().startsWith(query));
  const contains = replies.filter(
    (r) =>
      !starts.includes(r) &&
      [r.title, r.text_en, r.text_de].some((text) => text.toLowerCase().includes(query)),
  );
  return [...starts, ...contains];
}
