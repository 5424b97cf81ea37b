// The agent window's strings, for the person at the computer, in English and German.
// The glossary in DESIGN.md fixes the product terms.
import { fill, type Locale } from '../lib/i18n';

export const en = {
  title: 'Lifeline support session',
  'enroll.intro':
    'Your technician gave you a security code. Type it here to let them support this computer for the next 24 hours.',
  'enroll.code': 'Security code',
  'enroll.submit': 'Connect',
  'enroll.busy': 'Connecting…',
  'enroll.wrongCode':
    'This security code is not right, or it is no longer valid. Check it with your technician.',
  'enroll.cannot': 'This copy cannot start a session: {problem}',
  'enroll.waiting': 'Waiting for {technician} to confirm from their Lifeline app…',
  'enroll.waitingHint':
    'Keep this window open. If nothing happens, ask {technician} to open Lifeline on their computer.',
  'status.with': 'Connected to {technician} until {until}',
  'status.online': 'Ready: your technician can connect when needed.',
  'status.offline': 'Connecting to the Lifeline service…',
  'status.connectedNow': '{technician} is connected to this computer now',
  'status.nobody': 'No technician is connected now',
  'alert.wrongPassword':
    'Someone tried to connect as {technician} with a wrong password. The connection was refused.',
  'chat.title': 'Chat',
  'chat.placeholder': 'Type a message',
  'chat.send': 'Send',
  'chat.sendFile': 'Send file…',
  'chat.unavailable': 'Chat opens when your technician connects.',
  'chat.you': 'You',
  'log.technicianConnected': '{technician} connected',
  'log.technicianLeft': '{technician} disconnected',
  'log.fileReceived': 'Received {name}, saved in your downloads as {saved}',
  'log.fileSent': 'Sent {name}',
  'ask.viewScreen': '{technician} asks to see your screen.',
  'ask.control': '{technician} asks to see and control your screen.',
  'ask.allow': 'Allow',
  'ask.countdown': 'Declined by itself in {seconds} s if nobody answers.',
  'log.consentExpired': 'Nobody answered {technician}’s request in time, so it was declined',
  'ask.deny': 'Deny',
  'sharing.bar': '{technician} is viewing this screen',
  'sharing.barControl': '{technician} is controlling this computer',
  'sharing.stop': 'Stop',
  'log.screenShared': '{technician} started viewing your screen',
  'log.controlStarted': '{technician} started controlling this computer',
  'log.controlStopped': '{technician} stopped controlling this computer',
  'log.controlStoppedHere': 'You ended {technician}’s control of this computer',
  'log.shownNobodyHere':
    'Nobody was using this computer, so {technician} was let in without asking, as your company’s setting allows.',
  'log.shownByPolicy': 'Your company’s setting lets {technician} in without asking.',
  'log.screenStopped': '{technician} stopped viewing your screen',
  'log.screenStoppedHere': 'You stopped showing your screen',
  'log.reconnecting': 'Connection lost; reconnecting…',
  'log.problem': 'Problem: {problem}',
  'end.button': 'End session',
  'end.confirm':
    '{technician} will no longer be able to connect, and this app removes everything it set up on this computer.',
  'end.yes': 'End session',
  'end.no': 'Keep it running',
  'ended.ended': 'The session has ended.',
  'ended.left': 'You closed the app. The chat goes on in your browser.',
  'ended.cancelled': 'The technician closed this app’s access.',
  'attended.joining': 'Joining the support session…',
  'attended.joined': 'In the support session with {technician}',
  'attended.idle': '{technician} does not see this screen now.',
  'attended.about':
    'This app keeps nothing on this computer and removes itself when the session ends. Chat and files stay in your browser.',
  'attended.leave': 'Close the app',
  'ended.expired': 'The session’s 24 hours are over.',
  'ended.refused': 'The session is no longer valid.',
  'ended.cleaned': 'Everything this app set up was removed. You can close this window.',
  'ended.problem': 'Cleaning up did not finish: {problem}',
  'ended.close': 'Close',
  'files.pick': 'Send a file to your technician',
  'files.where': 'Files from your technician are saved in {folder}.',
  'error.network': 'The Lifeline service cannot be reached. Check the internet connection and try again.',
  'error.generic': 'Something went wrong: {message}',
};

export type AgentMessageKey = keyof typeof en;

export const de: Record<AgentMessageKey, string> = {
  title: 'Lifeline-Supportsitzung',
  'enroll.intro':
    'Ihr Techniker hat Ihnen einen Sicherheitscode gegeben. Geben Sie ihn hier ein, damit er diesen Computer in den nächsten 24 Stunden betreuen kann.',
  'enroll.code': 'Sicherheitscode',
  'enroll.submit': 'Verbinden',
  'enroll.busy': 'Verbindung wird hergestellt…',
  'enroll.wrongCode':
    'Dieser Sicherheitscode ist falsch oder nicht mehr gültig. Prüfen Sie ihn mit Ihrem Techniker.',
  'enroll.cannot': 'Mit dieser Kopie kann keine Sitzung beginnen: {problem}',
  'enroll.waiting': 'Warten auf die Bestätigung von {technician} in der Lifeline-App…',
  'enroll.waitingHint':
    'Lassen Sie dieses Fenster geöffnet. Passiert nichts, bitten Sie {technician}, Lifeline auf dem eigenen Computer zu öffnen.',
  'status.with': 'Verbunden mit {technician} bis {until}',
  'status.online': 'Bereit: Ihr Techniker kann sich bei Bedarf verbinden.',
  'status.offline': 'Verbindung zum Lifeline-Dienst wird hergestellt…',
  'status.connectedNow': '{technician} ist jetzt mit diesem Computer verbunden',
  'status.nobody': 'Zurzeit ist kein Techniker verbunden',
  'alert.wrongPassword':
    'Jemand hat versucht, sich als {technician} mit einem falschen Passwort zu verbinden. Die Verbindung wurde abgelehnt.',
  'chat.title': 'Chat',
  'chat.placeholder': 'Nachricht eingeben',
  'chat.send': 'Senden',
  'chat.sendFile': 'Datei senden…',
  'chat.unavailable': 'Der Chat öffnet sich, sobald Ihr Techniker verbunden ist.',
  'chat.you': 'Sie',
  'log.technicianConnected': '{technician} hat sich verbunden',
  'log.technicianLeft': '{technician} hat die Verbindung getrennt',
  'log.fileReceived': '{name} empfangen, in Ihren Downloads gespeichert als {saved}',
  'log.fileSent': '{name} gesendet',
  'ask.viewScreen': '{technician} möchte Ihren Bildschirm sehen.',
  'ask.control': '{technician} möchte Ihren Bildschirm sehen und steuern.',
  'ask.allow': 'Erlauben',
  'ask.countdown': 'Wird in {seconds} s von selbst abgelehnt, wenn niemand antwortet.',
  'log.consentExpired':
    'Niemand hat die Anfrage von {technician} rechtzeitig beantwortet, daher wurde sie abgelehnt',
  'ask.deny': 'Ablehnen',
  'sharing.bar': '{technician} sieht diesen Bildschirm',
  'sharing.barControl': '{technician} steuert diesen Computer',
  'sharing.stop': 'Beenden',
  'log.screenShared': '{technician} sieht jetzt Ihren Bildschirm',
  'log.controlStarted': '{technician} steuert jetzt diesen Computer',
  'log.controlStopped': '{technician} steuert diesen Computer nicht mehr',
  'log.controlStoppedHere': 'Sie haben die Steuerung durch {technician} beendet',
  'log.shownNobodyHere':
    'Niemand hat diesen Computer benutzt, daher wurde {technician} ohne Nachfrage hereingelassen, wie es die Einstellung Ihres Unternehmens erlaubt.',
  'log.shownByPolicy': 'Die Einstellung Ihres Unternehmens lässt {technician} ohne Nachfrage herein.',
  'log.screenStopped': '{technician} sieht Ihren Bildschirm nicht mehr',
  'log.screenStoppedHere': 'Sie haben die Bildschirmfreigabe beendet',
  'log.reconnecting': 'Verbindung unterbrochen, wird wiederhergestellt…',
  'log.problem': 'Problem: {problem}',
  'end.button': 'Sitzung beenden',
  'end.confirm':
    '{technician} kann sich danach nicht mehr verbinden, und diese App entfernt alles, was sie auf diesem Computer eingerichtet hat.',
  'end.yes': 'Sitzung beenden',
  'end.no': 'Weiterlaufen lassen',
  'ended.ended': 'Die Sitzung wurde beendet.',
  'ended.left': 'Sie haben die App geschlossen. Der Chat geht in Ihrem Browser weiter.',
  'ended.cancelled': 'Der Techniker hat den Zugang dieser App beendet.',
  'attended.joining': 'Tritt der Supportsitzung bei…',
  'attended.joined': 'In der Supportsitzung mit {technician}',
  'attended.idle': '{technician} sieht diesen Bildschirm gerade nicht.',
  'attended.about':
    'Diese App speichert nichts auf diesem Computer und entfernt sich am Ende der Sitzung selbst. Chat und Dateien bleiben in Ihrem Browser.',
  'attended.leave': 'App schließen',
  'ended.expired': 'Die 24 Stunden der Sitzung sind vorbei.',
  'ended.refused': 'Die Sitzung ist nicht mehr gültig.',
  'ended.cleaned':
    'Alles, was diese App eingerichtet hat, wurde entfernt. Sie können dieses Fenster schließen.',
  'ended.problem': 'Das Aufräumen wurde nicht abgeschlossen: {problem}',
  'ended.close': 'Schließen',
  'files.pick': 'Datei an Ihren Techniker senden',
  'files.where': 'Dateien von Ihrem Techniker werden in {folder} gespeichert.',
  'error.network':
    'Der Lifeline-Dienst ist nicht erreichbar. Prüfen Sie die Internetverbindung und versuchen Sie es erneut.',
  'error.generic': 'Etwas ist schiefgelaufen: {message}',
};

/** The window's message for `key` in `locale`. */
export function agentText(
  locale: Locale,
  key: AgentMessageKey,
  params: Record<string, string | number> = {},
): string {
  return fill((locale === 'de' ? de : en)[key], params);
}
