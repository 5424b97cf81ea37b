// The attended app: once the end user allows control, the page offers the Lifeline app
// for their system as a one-time download with this session inside it. Each click asks
// the service for a fresh single-use ticket and posts it in a form, so the ticket never
// sits in an address. The offer goes once the app has joined, been cancelled, or the
// session ends; the screen view in the browser goes on meanwhile.
import type { AttendedApp } from '../../../protocol/ts/session';
import { api, RequestFailed } from './api';
import { byId } from './dom';
import { type Key, setText, t } from './i18n';
import { announce, systemLine } from './log';
import { describe, page, showError, tech } from './page';
import type { AgentDownloadOffer, SessionEvent } from './wire';

const offerEl = byId('app-offer');
const buildsEl = byId('app-builds');
let loading = false;

/** `<os>-<arch>` of this browser's system, as the service names builds. */
function myPlatform(): string | null {
  const ua = navigator.userAgent;
  if (/Windows/i.test(ua)) return 'windows-x86_64';
  if (/Mac OS X|Macintosh/i.test(ua)) return 'macos-aarch64';
  if (/Android|iPhone|iPad/i.test(ua)) return null;
  if (/Linux/i.test(ua)) return /aarch64|arm64/i.test(ua) ? 'linux-aarch64' : 'linux-x86_64';
  return null;
}

/** The platform as people call it. */
function platformName(platform: string): string {
  const [os, arch] = platform.split('-');
  const name =
    os === 'windows' ? 'Windows' : os === 'macos' ? 'macOS' : os === 'linux' ? 'Linux' : (os ?? platform);
  return arch ? `${name} (${arch})` : name;
}

async function fetchOffer(): Promise<AgentDownloadOffer> {
  const s = page.session;
  if (!s) throw new RequestFailed(0, 'unknown', 'no session');
  return api<AgentDownloadOffer>('POST', `/api/v1/sessions/${s.session_id}/agent-download`, {
    token: s.end_user_token,
  });
}

/** Posts a fresh ticket for `platform`: the browser saves the download and stays here. */
async function download(platform: string, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    const offer = await fetchOffer();
    const form = document.createElement('form');
    form.method = 'POST';
    form.action = '/attended/download';
    form.hidden = true;
    for (const [name, value] of [
      ['ticket', offer.ticket],
      ['platform', platform],
    ] as const) {
      const field = document.createElement('input');
      field.type = 'hidden';
      field.name = name;
      field.value = value;
      form.append(field);
    }
    document.body.append(form);
    form.submit();
    form.remove();
    setText(byId('app-started'), 'app_download_started', { tech: tech() });
    byId('app-started').hidden = false;
  } catch (err) {
    showError(describe(err));
  } finally {
    button.disabled = false;
  }
}

function renderBuilds(platforms: string[]): void {
  buildsEl.replaceChildren();
  const mine = myPlatform();
  const ordered = [...platforms].sort((a, b) => Number(b === mine) - Number(a === mine));
  for (const platform of ordered) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = platform === mine ? 'btn btn-primary btn-sm' : 'btn btn-outline btn-sm';
    button.dataset.testid = `app-download-${platform}`;
    button.textContent = t('app_download', { platform: platformName(platform) });
    button.addEventListener('click', () => void download(platform, button));
    buildsEl.append(button);
  }
  byId('app-linux-hint').hidden = !(mine?.startsWith('linux') ?? false);
}

/** Shows the offer while the app is awaited; hides it otherwise. */
export async function showAppOffer(app: AttendedApp): Promise<void> {
  if (app !== 'waiting' || page.ended) {
    offerEl.hidden = true;
    return;
  }
  if (loading || !offerEl.hidden) return;
  loading = true;
  try {
    setText(byId('app-offer-text'), 'app_offer', { tech: tech() });
    byId('app-started').hidden = true;
    // The platforms come with a ticket; the ticket itself is spent only by a click.
    const offer = await fetchOffer();
    if (page.app !== 'waiting' || page.ended) return;
    renderBuilds(offer.platforms);
    offerEl.hidden = false;
    announce(t('app_offer', { tech: tech() }));
  } catch (err) {
    // A service without builds cannot hand over control: the browser's view goes on.
    if (err instanceof RequestFailed && err.code === 'not_found') {
      setText(byId('app-offer-text'), 'app_unavailable', { tech: tech() });
      buildsEl.replaceChildren();
      offerEl.hidden = false;
    } else if (!(err instanceof RequestFailed && err.code === 'consent_required')) {
      showError(describe(err));
    }
  } finally {
    loading = false;
  }
}

/** The app's events as log lines. */
export function appLine(
  seq: number,
  data: Extract<SessionEvent['data'], { type: 'agent_downloaded' | 'agent_joined' | 'agent_left' }>,
): void {
  let key: Key;
  const args: Record<string, string> = { tech: tech() };
  if (data.type === 'agent_downloaded') key = 'app_downloaded';
  else if (data.type === 'agent_joined') {
    key = 'app_joined';
    args.host = data.hostname;
  } else key = data.by === 'technician' ? 'app_cancelled' : 'app_left';
  systemLine(seq, key, args);
}
