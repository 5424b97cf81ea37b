// Consent prompts for a screen view or control, and the screen share that an allowed
// view starts (see share.ts for the stream itself).
import { api, RequestFailed } from './api';
import { byId } from './dom';
import { type Key, setText, t } from './i18n';
import { announce, systemLine } from './log';
import { noteUnseen } from './marks';
import { describe, focusComposer, page, showError, tech } from './page';
import { canShareScreen, pickScreen, ScreenShare, type ShareEnd } from './share';
import type { ConsentAnswer, ConsentKind, SessionEvent } from './wire';

const consentEl = byId('consent');
const shareBar = byId('share-bar');
const consents = new Map<string, { kind: ConsentKind; answered: boolean }>();
let consentShown: string | null = null;
let share: ScreenShare | null = null;

/** A request arrived; it shows unless another waits for an answer. */
export function noteConsentRequested(requestId: string, kind: ConsentKind, live: boolean): void {
  consents.set(requestId, { kind, answered: false });
  showConsent(requestId, live);
}

/** A request was answered (here or in another tab). */
export function noteConsentAnswered(requestId: string): void {
  const known = consents.get(requestId);
  if (known) known.answered = true;
  if (consentShown === requestId) hideConsent();
}

/** The session ended: no prompt, no share. */
export function endConsentAndSharing(): void {
  consentEl.hidden = true;
  share?.stop();
  shareBar.hidden = true;
}

export function showConsent(requestId: string, live: boolean): void {
  const c = consents.get(requestId);
  if (!c || c.answered || page.ended) return;
  consentShown = requestId;
  consentEl.hidden = false;
  consentEl.dataset.requestId = requestId;
  consentEl.dataset.kind = c.kind;
  const key: Key = c.kind === 'control' ? 'consent_control' : 'consent_view_screen';
  setText(byId('consent-text'), key, { tech: tech() });
  const explain: Key = !canShareScreen()
    ? 'share_unsupported'
    : c.kind === 'control'
      ? 'share_control_explain'
      : 'share_explain';
  setText(byId('consent-explain'), explain, { tech: tech() });
  if (live) {
    announce(t(key, { tech: tech() }));
    noteUnseen();
  }
}

export function hideConsent(): void {
  consentShown = null;
  consentEl.hidden = true;
  // Another request may still wait for an answer.
  for (const [id, c] of consents) {
    if (!c.answered) {
      showConsent(id, false);
      break;
    }
  }
}

export async function answerConsent(accepted: boolean): Promise<void> {
  const s = page.session;
  const requestId = consentShown;
  if (!s || !requestId) return;
  const buttons = consentEl.querySelectorAll('button');
  for (const b of buttons) b.disabled = true;
  try {
    await api<unknown>('POST', `/api/v1/sessions/${s.session_id}/consent/${requestId}`, {
      body: { accepted } satisfies ConsentAnswer,
      token: s.end_user_token,
    });
    const c = consents.get(requestId);
    if (c) c.answered = true;
    if (consentShown === requestId) hideConsent();
    focusComposer();
    // With the Lifeline app running, the app shows the screen; else the browser does
    // (and, for control, the page offers the app).
    if (accepted && page.app !== 'joined') await beginSharing();
  } catch (err) {
    if (err instanceof RequestFailed && (err.code === 'conflict' || err.code === 'not_found')) {
      // Already answered or withdrawn.
      const c = consents.get(requestId);
      if (c) c.answered = true;
      hideConsent();
    }
    showError(describe(err));
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

/** After the person allowed a view: the browser's picker, then the stream. */
export async function beginSharing(): Promise<void> {
  const s = page.session;
  if (!s || share || page.ended) return;
  const picked = await pickScreen();
  if (typeof picked === 'string') {
    try {
      await api<unknown>('POST', `/api/v1/sessions/${s.session_id}/screen-share/failed`, {
        body: { reason: picked },
        token: s.end_user_token,
      });
    } catch (err) {
      showError(describe(err));
    }
    return;
  }
  const current = new ScreenShare(picked, {
    token: s.end_user_token,
    sessionId: s.session_id,
    onLive: () => {
      setText(byId('share-text'), 'share_bar', { tech: tech() });
      shareBar.hidden = false;
    },
    onEnd: (reason: ShareEnd) => {
      if (share === current) share = null;
      shareBar.hidden = true;
      if (reason === 'connection_lost' && !page.ended) announce(t('share_stopped_lost'));
    },
  });
  share = current;
  try {
    await current.start();
  } catch (err) {
    current.stop();
    showError(describe(err));
  }
}

export function shareLine(seq: number, data: SessionEvent['data']): void {
  const args = { tech: tech() };
  if (data.type === 'screen_share_started') {
    systemLine(seq, data.source === 'agent' ? 'share_started_app' : 'share_started', args);
  } else if (data.type === 'screen_share_stopped') {
    const key: Key =
      data.reason === 'session_ended'
        ? 'share_stopped_ended'
        : data.reason === 'connection_lost'
          ? 'share_stopped_lost'
          : data.reason === 'handed_to_app'
            ? 'share_stopped_handed_to_app'
            : data.by === 'technician'
              ? 'share_stopped_by_tech'
              : 'share_stopped_by_you';
    systemLine(seq, key, args);
  } else if (data.type === 'screen_share_failed') {
    systemLine(seq, `share_failed_${data.reason}` as Key, args);
  }
}

/** Stop sharing, from the page's bar. */
export function stopSharing(): void {
  share?.stop();
}
