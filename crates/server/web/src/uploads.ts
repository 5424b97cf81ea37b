// Files from the end user: one row each with progress, sent one after another, from
// the picker or dropped on the chat.
import { byId, el, formatBytes } from './dom';
import { lang, setText, t } from './i18n';
import { describe, page } from './page';
import { cancelUpload, uploadFile } from './upload';

const uploads = byId('uploads');
const drop = byId('drop');
const chat = byId('view-chat');
const log = byId('log');

let uploadChain: Promise<void> = Promise.resolve();

interface Row {
  node: HTMLElement;
  progress: HTMLProgressElement;
  status: HTMLElement;
  button: HTMLButtonElement;
}

export function queueFiles(files: FileList | File[]): void {
  for (const file of Array.from(files)) {
    const row = uploadRow(file);
    if (file.size > page.maxUpload) {
      failRow(row, t('upload_too_big', { name: file.name, max: formatBytes(page.maxUpload, lang()) }));
      continue;
    }
    uploadChain = uploadChain.then(() => runUpload(file, row));
  }
}

export function uploadRow(file: File): Row {
  const progress = el('progress', { max: '100', 'data-testid': 'upload-progress' });
  progress.value = 0;
  progress.setAttribute('data-i18n-aria-label', 'upload_progress_label');
  progress.setAttribute('data-i18n-args', JSON.stringify({ name: file.name }));
  progress.setAttribute('aria-label', t('upload_progress_label', { name: file.name }));
  const status = el('span', { class: 'upload-status', 'data-testid': 'upload-status' });
  setText(status, 'upload_hashing');
  const button = el('button', {
    type: 'button',
    class: 'btn btn-sm btn-link',
    'data-testid': 'upload-cancel',
  });
  setText(button, 'cancel');
  const node = el(
    'div',
    { class: 'upload', 'data-testid': 'upload', 'data-state': 'queued' },
    el(
      'div',
      { class: 'upload-top' },
      el('span', { class: 'file-name', 'data-testid': 'upload-name' }, file.name),
      el('span', { class: 'file-size' }, formatBytes(file.size, lang())),
    ),
    progress,
    el('div', { class: 'upload-bottom' }, status, button),
  );
  uploads.append(node);
  return { node, progress, status, button };
}

export function failRow(row: Row, message: string): void {
  row.node.dataset.state = 'failed';
  row.progress.hidden = true;
  row.status.removeAttribute('data-i18n');
  row.status.textContent = message;
  row.status.setAttribute('role', 'alert');
  setText(row.button, 'dismiss');
  row.button.onclick = () => row.node.remove();
}

export async function runUpload(file: File, row: Row): Promise<void> {
  const s = page.session;
  if (!s || page.ended || !row.node.isConnected) return;
  const abort = new AbortController();
  let url: string | null = null;
  const cancel = (): void => {
    abort.abort();
    if (url) cancelUpload(url, s.end_user_token);
    row.node.remove();
  };
  row.button.onclick = cancel;
  row.node.addEventListener('lifeline:cancel', cancel);
  try {
    const info = await uploadFile(file, s.session_id, s.end_user_token, abort.signal, {
      created: (fileId, uploadUrl) => {
        url = uploadUrl;
        row.node.dataset.fileId = fileId;
      },
      progress: (phase, fraction) => {
        row.node.dataset.state = phase;
        const pct = Math.floor(fraction * 100);
        if (phase === 'hashing') {
          row.progress.value = pct;
          setText(row.status, 'upload_hashing');
        } else if (phase === 'retrying') {
          setText(row.status, 'upload_retrying');
        } else if (phase === 'verifying') {
          row.progress.value = 100;
          setText(row.status, 'upload_verifying');
        } else {
          row.progress.value = pct;
          setText(row.status, 'upload_sending', { percent: String(pct) });
        }
      },
    });
    row.node.dataset.state = 'done';
    row.button.hidden = true;
    row.progress.value = 100;
    setText(row.status, 'status_sent');
    // The file_shared event removes the row when it arrives (or already did).
    if (info && log.querySelector(`[data-file-id="${info.id}"]`)) row.node.remove();
  } catch (err) {
    if (abort.signal.aborted) return;
    if (url) cancelUpload(url, s.end_user_token);
    failRow(row, t('upload_failed', { reason: describe(err) }));
  }
}

export function setupDrop(): void {
  let depth = 0;
  const hasFiles = (e: DragEvent): boolean => Array.from(e.dataTransfer?.types ?? []).includes('Files');
  chat.addEventListener('dragenter', (e) => {
    if (!hasFiles(e) || page.ended) return;
    e.preventDefault();
    depth += 1;
    drop.hidden = false;
  });
  chat.addEventListener('dragover', (e) => {
    if (!hasFiles(e) || page.ended) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
  });
  chat.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) drop.hidden = true;
  });
  chat.addEventListener('drop', (e) => {
    depth = 0;
    drop.hidden = true;
    if (!hasFiles(e) || page.ended) return;
    e.preventDefault();
    if (e.dataTransfer?.files.length) queueFiles(e.dataTransfer.files);
  });
}
