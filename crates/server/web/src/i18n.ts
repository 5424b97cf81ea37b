// Every string of the join page, in English and German. Placeholders look like {name};
// their values are inserted as text, never as markup.

const en = {
  page_title: 'Remote support',
  brand: 'Lifeline',
  brand_sub: 'Remote support',
  language: 'Language',
  loading: 'One moment…',
  noscript: 'This page needs JavaScript to work.',
  key_heading: 'Join a support session',
  key_intro: 'Enter the 9-digit support key your technician gave you.',
  key_label: 'Support key',
  key_hint: 'For example 482 913 605',
  key_submit: 'Continue',
  key_invalid: 'A support key has 9 digits, like 482 913 605.',
  key_unknown:
    'We could not find this support key. Please check the digits or ask your technician for a new key.',
  key_expired:
    'This support key has expired. Keys are valid for 60 minutes; please ask your technician for a new one.',
  key_used: 'This support key has already been used. Please ask your technician for a new one.',
  key_ended:
    'The session for this support key has ended. If you still need help, please ask your technician for a new key.',
  key_retry: 'You can enter another key below.',
  join_heading: '{tech} is ready to help you',
  join_company: 'Support from {company}',
  join_name_label: 'Your name (optional)',
  join_name_hint: 'So {tech} knows who you are.',
  join_submit: 'Join session',
  join_note: 'Nothing gets installed. You chat with {tech} right here on this page.',
  chat_company: '{company}',
  end: 'End session',
  end_question: 'End this session for both of you?',
  end_yes: 'Yes, end session',
  cancel: 'Cancel',
  message_label: 'Message',
  message_placeholder: 'Write a message…',
  send: 'Send',
  attach: 'Send a file',
  you: 'You',
  joined_self: 'You joined the session.',
  joined_self_named: 'You joined the session as {name}.',
  welcome_hint: '{tech} will answer here. Please keep this page open.',
  typing: '{tech} is typing…',
  status_pending: 'Sending…',
  status_sent: 'Sent',
  status_delivered: 'Delivered',
  status_read: 'Read',
  status_failed: 'Not sent',
  retry: 'Retry',
  conn_connecting: 'Connecting…',
  conn_reconnecting: 'Reconnecting…',
  conn_online: 'Connected',
  presence_online: 'Online',
  presence_offline: 'Not connected',
  download: 'Download',
  file_from_you: 'You sent a file',
  file_from_tech: '{tech} sent a file',
  upload_hashing: 'Preparing…',
  upload_sending: 'Uploading… {percent} %',
  upload_verifying: 'Checking…',
  upload_failed: 'Upload failed: {reason}',
  upload_too_big: '“{name}” is too big to send. The limit is {max}.',
  upload_retrying: 'Connection lost, retrying…',
  upload_progress_label: 'Upload progress of {name}',
  consent_view_screen: '{tech} asks to see your screen.',
  consent_control: '{tech} asks to control your screen.',
  consent_allow: 'Allow',
  consent_decline: 'Decline',
  consent_view_screen_allowed: 'You allowed {tech} to see your screen.',
  consent_view_screen_declined: 'You declined to show your screen.',
  consent_control_allowed: 'You allowed {tech} to control your screen.',
  consent_control_declined: 'You declined remote control.',
  share_explain:
    'If you allow it, your browser asks which screen, window or tab to share. {tech} sees only that, until you stop.',
  share_control_explain:
    'If you allow it, your browser first shares what you choose; then this page offers the small Lifeline app, which lets {tech} control your computer until you stop it.',
  share_unsupported:
    'This browser cannot share its screen (phones and tablets cannot). You can keep chatting with {tech}.',
  share_bar: 'Your screen is visible to {tech}',
  share_stop: 'Stop sharing',
  share_started: 'Your screen is visible to {tech} now.',
  share_stopped_by_you: 'You stopped sharing your screen.',
  share_stopped_by_tech: '{tech} stopped viewing your screen.',
  share_stopped_ended: 'Screen sharing ended with the session.',
  share_stopped_lost: 'Screen sharing stopped: the connection was lost.',
  share_started_app:
    'The Lifeline app shows your screen to {tech}, who can control it until you stop it in the app.',
  share_stopped_handed_to_app: 'The Lifeline app shows your screen to {tech} now, with control.',
  app_offer:
    'To let {tech} control your computer, run the Lifeline app. It joins this session by itself, needs no installation or administrator rights, and removes itself when the session ends.',
  app_download: 'Download for {platform}',
  app_linux_hint: 'On Linux, allow the downloaded file to run first: in its Properties, or with chmod +x.',
  app_download_started: 'Start the downloaded file. {tech} sees your screen here until it runs.',
  app_unavailable:
    'Remote control needs the Lifeline app, which this service does not offer. {tech} can still see what you share.',
  app_downloaded: 'You downloaded the Lifeline app.',
  app_joined: 'The Lifeline app joined from {host}.',
  app_left: 'You closed the Lifeline app.',
  app_cancelled: '{tech} no longer waits for the Lifeline app.',
  share_failed_picker_cancelled: 'You did not choose anything to share, so {tech} does not see your screen.',
  share_failed_unsupported: 'This browser cannot share its screen, so {tech} does not see it.',
  share_failed_failed: 'Your browser could not share the screen, so {tech} does not see it.',
  ended: 'This session has ended. You can close this page now.',
  ended_by_technician: '{tech} ended the session.',
  ended_by_end_user: 'You ended the session.',
  error_network: 'The server cannot be reached. Please check your connection.',
  error_generic: 'Something went wrong. Please try again.',
  session_gone: 'This session is no longer available.',
  dismiss: 'Dismiss',
  drop_here: 'Drop files here to send them',
  too_long: 'A message can have at most {max} characters.',
  announce_message: '{who}: {text}',
  announce_file: '{who} sent the file {name}',
  new_title: '({count}) {title}',
} as const;

export type Key = keyof typeof en;

const de: Record<Key, string> = {
  page_title: 'Fernsupport',
  brand: 'Lifeline',
  brand_sub: 'Fernsupport',
  language: 'Sprache',
  loading: 'Einen Moment…',
  noscript: 'Diese Seite benötigt JavaScript.',
  key_heading: 'Einer Supportsitzung beitreten',
  key_intro: 'Geben Sie den 9-stelligen Support-Schlüssel ein, den Sie von Ihrem Techniker erhalten haben.',
  key_label: 'Support-Schlüssel',
  key_hint: 'Zum Beispiel 482 913 605',
  key_submit: 'Weiter',
  key_invalid: 'Ein Support-Schlüssel hat 9 Ziffern, zum Beispiel 482 913 605.',
  key_unknown:
    'Dieser Support-Schlüssel wurde nicht gefunden. Bitte prüfen Sie die Ziffern oder fragen Sie Ihren Techniker nach einem neuen Schlüssel.',
  key_expired:
    'Dieser Support-Schlüssel ist abgelaufen. Schlüssel gelten 60 Minuten; bitte fragen Sie Ihren Techniker nach einem neuen.',
  key_used:
    'Dieser Support-Schlüssel wurde bereits verwendet. Bitte fragen Sie Ihren Techniker nach einem neuen.',
  key_ended:
    'Die Sitzung zu diesem Support-Schlüssel ist beendet. Wenn Sie weitere Hilfe brauchen, fragen Sie Ihren Techniker nach einem neuen Schlüssel.',
  key_retry: 'Unten können Sie einen anderen Schlüssel eingeben.',
  join_heading: '{tech} hilft Ihnen gern',
  join_company: 'Support von {company}',
  join_name_label: 'Ihr Name (optional)',
  join_name_hint: 'Damit {tech} weiß, wer Sie sind.',
  join_submit: 'Sitzung beitreten',
  join_note: 'Es wird nichts installiert. Sie chatten mit {tech} direkt auf dieser Seite.',
  chat_company: '{company}',
  end: 'Sitzung beenden',
  end_question: 'Diese Sitzung für beide Seiten beenden?',
  end_yes: 'Ja, Sitzung beenden',
  cancel: 'Abbrechen',
  message_label: 'Nachricht',
  message_placeholder: 'Nachricht schreiben…',
  send: 'Senden',
  attach: 'Datei senden',
  you: 'Sie',
  joined_self: 'Sie sind der Sitzung beigetreten.',
  joined_self_named: 'Sie sind der Sitzung als {name} beigetreten.',
  welcome_hint: '{tech} antwortet hier. Bitte lassen Sie diese Seite geöffnet.',
  typing: '{tech} schreibt…',
  status_pending: 'Wird gesendet…',
  status_sent: 'Gesendet',
  status_delivered: 'Zugestellt',
  status_read: 'Gelesen',
  status_failed: 'Nicht gesendet',
  retry: 'Erneut versuchen',
  conn_connecting: 'Verbinde…',
  conn_reconnecting: 'Verbindung wird wiederhergestellt…',
  conn_online: 'Verbunden',
  presence_online: 'Online',
  presence_offline: 'Nicht verbunden',
  download: 'Herunterladen',
  file_from_you: 'Sie haben eine Datei gesendet',
  file_from_tech: '{tech} hat eine Datei gesendet',
  upload_hashing: 'Wird vorbereitet…',
  upload_sending: 'Wird hochgeladen… {percent} %',
  upload_verifying: 'Wird geprüft…',
  upload_failed: 'Hochladen fehlgeschlagen: {reason}',
  upload_too_big: '„{name}“ ist zu groß. Die Grenze liegt bei {max}.',
  upload_retrying: 'Verbindung unterbrochen, neuer Versuch…',
  upload_progress_label: 'Fortschritt beim Hochladen von {name}',
  consent_view_screen: '{tech} möchte Ihren Bildschirm sehen.',
  consent_control: '{tech} möchte Ihren Bildschirm steuern.',
  consent_allow: 'Erlauben',
  consent_decline: 'Ablehnen',
  consent_view_screen_allowed: 'Sie haben {tech} erlaubt, Ihren Bildschirm zu sehen.',
  consent_view_screen_declined: 'Sie haben das Teilen Ihres Bildschirms abgelehnt.',
  consent_control_allowed: 'Sie haben {tech} erlaubt, Ihren Bildschirm zu steuern.',
  consent_control_declined: 'Sie haben die Fernsteuerung abgelehnt.',
  share_explain:
    'Wenn Sie es erlauben, fragt Ihr Browser, welchen Bildschirm, welches Fenster oder welchen Tab Sie teilen. {tech} sieht nur das, bis Sie beenden.',
  share_control_explain:
    'Wenn Sie es erlauben, teilt Ihr Browser zuerst, was Sie auswählen; dann bietet diese Seite die kleine Lifeline-App an, mit der {tech} Ihren Computer steuern kann, bis Sie beenden.',
  share_unsupported:
    'Dieser Browser kann seinen Bildschirm nicht teilen (Smartphones und Tablets können es nicht). Sie können weiter mit {tech} schreiben.',
  share_bar: 'Ihr Bildschirm ist für {tech} sichtbar',
  share_stop: 'Freigabe beenden',
  share_started: 'Ihr Bildschirm ist jetzt für {tech} sichtbar.',
  share_stopped_by_you: 'Sie haben die Freigabe Ihres Bildschirms beendet.',
  share_stopped_by_tech: '{tech} sieht Ihren Bildschirm nicht mehr.',
  share_stopped_ended: 'Die Bildschirmfreigabe endete mit der Sitzung.',
  share_stopped_lost: 'Die Bildschirmfreigabe wurde beendet: Die Verbindung ist abgebrochen.',
  share_started_app:
    'Die Lifeline-App zeigt {tech} Ihren Bildschirm; {tech} kann ihn steuern, bis Sie in der App beenden.',
  share_stopped_handed_to_app: 'Die Lifeline-App zeigt {tech} Ihren Bildschirm jetzt, mit Steuerung.',
  app_offer:
    'Damit {tech} Ihren Computer steuern kann, starten Sie die Lifeline-App. Sie tritt dieser Sitzung selbst bei, braucht weder Installation noch Administratorrechte und entfernt sich am Ende der Sitzung selbst.',
  app_download: 'Herunterladen für {platform}',
  app_linux_hint:
    'Unter Linux erlauben Sie zuerst das Ausführen der heruntergeladenen Datei: in ihren Eigenschaften oder mit chmod +x.',
  app_download_started:
    'Starten Sie die heruntergeladene Datei. Bis dahin sieht {tech} Ihren Bildschirm hier.',
  app_unavailable:
    'Für die Fernsteuerung braucht es die Lifeline-App, die dieser Dienst nicht anbietet. {tech} sieht weiterhin, was Sie teilen.',
  app_downloaded: 'Sie haben die Lifeline-App heruntergeladen.',
  app_joined: 'Die Lifeline-App ist von {host} aus beigetreten.',
  app_left: 'Sie haben die Lifeline-App geschlossen.',
  app_cancelled: '{tech} wartet nicht mehr auf die Lifeline-App.',
  share_failed_picker_cancelled:
    'Sie haben nichts zum Teilen ausgewählt, daher sieht {tech} Ihren Bildschirm nicht.',
  share_failed_unsupported:
    'Dieser Browser kann seinen Bildschirm nicht teilen, daher sieht {tech} ihn nicht.',
  share_failed_failed: 'Ihr Browser konnte den Bildschirm nicht teilen, daher sieht {tech} ihn nicht.',
  ended: 'Diese Sitzung ist beendet. Sie können diese Seite jetzt schließen.',
  ended_by_technician: '{tech} hat die Sitzung beendet.',
  ended_by_end_user: 'Sie haben die Sitzung beendet.',
  error_network: 'Der Server ist nicht erreichbar. Bitte prüfen Sie Ihre Verbindung.',
  error_generic: 'Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.',
  session_gone: 'Diese Sitzung ist nicht mehr verfügbar.',
  dismiss: 'Schließen',
  drop_here: 'Dateien hier ablegen, um sie zu senden',
  too_long: 'Eine Nachricht darf höchstens {max} Zeichen haben.',
  announce_message: '{who}: {text}',
  announce_file: '{who} hat die Datei {name} gesendet',
  new_title: '({count}) {title}',
};

export type Lang = 'en' | 'de';
export type Args = Record<string, string>;

const LANG_KEY = 'lifeline.lang';
let current: Lang = 'en';

function asLang(value: string | null | undefined): Lang | null {
  if (!value) return null;
  const v = value.toLowerCase();
  if (v.startsWith('de')) return 'de';
  if (v.startsWith('en')) return 'en';
  return null;
}

/** Picks the language: the visitor's own choice, else what the service put in `lang`. */
export function initLang(): Lang {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(LANG_KEY);
  } catch {
    // Storage may be disabled; the page still works.
  }
  current = asLang(stored) ?? asLang(document.documentElement.lang) ?? 'en';
  document.documentElement.lang = current;
  return current;
}

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  current = next;
  document.documentElement.lang = next;
  try {
    localStorage.setItem(LANG_KEY, next);
  } catch {
    // Not remembered; fine.
  }
  relabel(document);
}

export function t(key: Key, args?: Args): string {
  const table: Record<Key, string> = current === 'de' ? de : en;
  const template = table[key] ?? en[key];
  if (!args) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => args[name] ?? whole);
}

/** Sets an element's text and remembers how, so a language switch can redo it. */
export function setText(el: Element, key: Key, args?: Args): void {
  el.setAttribute('data-i18n', key);
  if (args) el.setAttribute('data-i18n-args', JSON.stringify(args));
  else el.removeAttribute('data-i18n-args');
  el.textContent = t(key, args);
}

function argsOf(el: Element): Args | undefined {
  const raw = el.getAttribute('data-i18n-args');
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as Args;
  } catch {
    return undefined;
  }
}

const KEYS: ReadonlySet<string> = new Set(Object.keys(en));

function isKey(value: string | null): value is Key {
  return value !== null && KEYS.has(value);
}

/** Re-translates every marked element under `root`. */
export function relabel(root: ParentNode): void {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    const key = el.getAttribute('data-i18n');
    if (isKey(key)) el.textContent = t(key, argsOf(el));
  }
  for (const attr of ['placeholder', 'aria-label', 'title'] as const) {
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) {
      const key = el.getAttribute(`data-i18n-${attr}`);
      if (isKey(key)) el.setAttribute(attr, t(key, argsOf(el)));
    }
  }
}
