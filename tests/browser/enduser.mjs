#!/usr/bin/env node

// The end user's browser, driven by a test over stdin/stdout with JSON lines.
//
//   stdin:  {"id":1,"cmd":"open","url":"http://127.0.0.1:8080/join/482913605"}
//   stdout: {"id":1,"ok":true,"result":{...}}   or   {"id":1,"ok":false,"error":"..."}
//
// Commands run one after another, each waiting for its observable outcome (15 s unless
// `timeout_ms` says otherwise). Only answers go to stdout; logs go to stderr.
// Environment: CHROMIUM (path of the browser, default /usr/bin/chromium),
// PUPPET_HEADED=1 to watch it, PUPPET_TRUSTED_CA (a PEM CA certificate the browser
// trusts, through an NSS store in a home of its own), PUPPET_LOOPBACK_HOSTS (host names,
// comma-separated, that resolve to 127.0.0.1).

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const DEFAULT_TIMEOUT_MS = 15_000;

// Nothing but answers may reach stdout.
const stdout = process.stdout;
console.log = (...args) => console.error(...args);
const log = (...args) => console.error('[enduser]', ...args);

let browser = null;
let context = null;
let page = null;
let downloadDir = null;
/** Session events the page received over its WebSockets, counted by `type/by`. */
let receivedEvents = {};

/**
 * What the page's screen picker does, set before the page loads:
 * - `tab`: shares the page's own tab, as if the person picked it;
 * - `cancel`: the person closes the picker without choosing;
 * - `unsupported`: a browser without screen capture, like a phone's.
 */
function pickerScript(screen) {
  if (screen === 'tab') {
    return () => {
      const md = navigator.mediaDevices;
      const original = md.getDisplayMedia.bind(md);
      md.getDisplayMedia = (options) =>
        original({ ...options, preferCurrentTab: true, selfBrowserSurface: 'include' });
    };
  }
  if (screen === 'cancel') {
    return () => {
      navigator.mediaDevices.getDisplayMedia = () =>
        Promise.reject(new DOMException('Permission denied by user', 'NotAllowedError'));
    };
  }
  if (screen === 'unsupported') {
    return () => {
      Object.defineProperty(MediaDevices.prototype, 'getDisplayMedia', {
        value: undefined,
        configurable: true,
      });
    };
  }
  return null;
}

/** Counts the session events in each frame the page receives, as the page sees them. */
function countFrames(ws) {
  ws.on('framereceived', ({ payload }) => {
    if (typeof payload !== 'string') return;
    try {
      const frame = JSON.parse(payload);
      if (frame?.type !== 'event') return;
      const data = frame.event?.data ?? {};
      const key = data.by ? `${data.type}/${data.by}` : String(data.type);
      receivedEvents[key] = (receivedEvents[key] ?? 0) + 1;
    } catch {
      // Not JSON: not a session event.
    }
  });
}

function reply(msg) {
  stdout.write(`${JSON.stringify(msg)}\n`);
}

/**
 * A home whose NSS store trusts the CA, so Chromium checks the service's certificate
 * as it would any other, against a root it was told to trust.
 */
async function homeTrusting(caFile) {
  const home = await mkdtemp(path.join(tmpdir(), 'enduser-home-'));
  const db = path.join(home, '.pki', 'nssdb');
  await mkdir(db, { recursive: true });
  execFileSync('certutil', ['-d', `sql:${db}`, '-N', '--empty-password']);
  execFileSync('certutil', ['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', 'lifeline-test-ca', '-i', caFile]);
  log('trusting the CA in', caFile);
  return home;
}

async function launch() {
  if (browser) return browser;
  const env = { ...process.env };
  if (process.env.PUPPET_TRUSTED_CA) env.HOME = await homeTrusting(process.env.PUPPET_TRUSTED_CA);
  const hosts = (process.env.PUPPET_LOOPBACK_HOSTS ?? '').split(',').filter(Boolean);
  const hostRules = hosts.length
    ? [`--host-resolver-rules=${hosts.map((h) => `MAP ${h} 127.0.0.1`).join(',')}`]
    : [];
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: process.env.PUPPET_HEADED !== '1',
    env,
    args: [
      ...hostRules,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // A screen share picks this tab by itself (see `screen` in `open`).
      '--auto-accept-this-tab-capture',
    ],
  });
  browser.on('disconnected', () => log('browser disconnected'));
  return browser;
}

function needPage() {
  if (!page) throw new Error('no page is open: send "open" first');
  return page;
}

const tid = (testid) => `[data-testid="${testid}"]`;

/** A short description of what the page shows, for error messages. */
async function pageState() {
  if (!page) return 'no page';
  try {
    return await page.evaluate(() => {
      const text = (sel) => {
        const el = document.querySelector(sel);
        return el && !el.hidden ? (el.textContent || '').trim().replace(/\s+/g, ' ') : null;
      };
      const parts = [`view=${document.getElementById('app')?.dataset.view ?? '?'}`];
      const conn = document.querySelector('[data-testid="connection-state"]');
      if (conn) parts.push(`connection=${conn.dataset.state}`);
      for (const [name, sel] of [
        ['error', '[data-testid="error-banner"]'],
        ['key', '[data-testid="key-state"]'],
        ['ended', '[data-testid="ended-banner"]'],
      ]) {
        const value = text(sel);
        if (value) parts.push(`${name}="${value}"`);
      }
      const failed = [...document.querySelectorAll('[data-testid="upload"][data-state="failed"]')];
      for (const row of failed) {
        const status = row.querySelector('[data-testid="upload-status"]');
        parts.push(`upload="${(status?.textContent || '').trim()}"`);
      }
      return parts.join(', ');
    });
  } catch (err) {
    return `unreadable (${err.message})`;
  }
}

/** Waits until `fn(arg)` run in the page returns a truthy value, and returns it. */
async function until(what, fn, arg, timeout) {
  try {
    const handle = await needPage().waitForFunction(fn, arg, { timeout, polling: 100 });
    const value = await handle.jsonValue();
    await handle.dispose();
    return value;
  } catch (err) {
    if (err?.name === 'TimeoutError') {
      throw new Error(`timed out after ${timeout} ms waiting for ${what} (page: ${await pageState()})`);
    }
    throw err;
  }
}

async function visible(testid, timeout, what = testid) {
  return until(
    what,
    (sel) => {
      const el = document.querySelector(sel);
      return !!el && el.getClientRects().length > 0;
    },
    tid(testid),
    timeout,
  );
}

async function hidden(testid, timeout, what = `${testid} to close`) {
  return until(
    what,
    (sel) => {
      const el = document.querySelector(sel);
      return !el || el.getClientRects().length === 0;
    },
    tid(testid),
    timeout,
  );
}

function sha256File(file) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Acknowledged bubbles of `from` with exactly `text`, as [{seq}] in page order. */
function ackedMessages(from, text) {
  return needPage().evaluate(
    ({ from, text }) =>
      [...document.querySelectorAll('#log [data-testid="message"][data-seq]')]
        .filter(
          (el) =>
            el.dataset.from === from &&
            (el.querySelector('[data-testid="message-text"]')?.textContent ?? '') === text,
        )
        .map((el) => Number(el.dataset.seq)),
    { from, text },
  );
}

function filesNamed(from, name) {
  return needPage().evaluate(
    ({ from, name }) =>
      [...document.querySelectorAll('#log [data-testid="file"]')]
        .filter(
          (el) =>
            el.dataset.from === from &&
            (el.querySelector('[data-testid="file-name"]')?.textContent ?? '') === name,
        )
        .map((el) => el.dataset.fileId),
    { from, name },
  );
}

async function sessionId() {
  return needPage().evaluate(() => {
    try {
      return JSON.parse(sessionStorage.getItem('lifeline.session') || 'null')?.session_id ?? null;
    } catch {
      return null;
    }
  });
}

async function waitOnline(timeout) {
  await visible('chat-panel', timeout, 'the chat panel');
  await until(
    'the chat to connect',
    () => {
      const state = document.querySelector('[data-testid="connection-state"]')?.dataset.state;
      return state === 'online' || state === 'ended';
    },
    null,
    timeout,
  );
}

const commands = {
  async open({ url, locale, viewport, screen }, timeout) {
    if (typeof url !== 'string') throw new Error('open needs "url"');
    await launch();
    if (context) await context.close().catch(() => undefined);
    context = await browser.newContext({
      acceptDownloads: true,
      ...(locale ? { locale } : {}),
      ...(viewport ? { viewport } : {}),
    });
    page = await context.newPage();
    receivedEvents = {};
    page.on('websocket', countFrames);
    const picker = pickerScript(screen);
    if (picker) await page.addInitScript(picker);
    page.setDefaultTimeout(timeout);
    page.on('console', (m) => log(`console.${m.type()}:`, m.text()));
    page.on('pageerror', (e) => log('page error:', e.message));
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout });
    // The page has settled once it shows something other than "loading".
    const view = await until(
      'the page to load',
      () => {
        const v = document.getElementById('app')?.dataset.view;
        return v && v !== 'loading' ? v : null;
      },
      null,
      timeout,
    );
    return { url: page.url(), view };
  },

  async viewport({ width, height }) {
    await needPage().setViewportSize({ width, height });
    return null;
  },

  async enter_key({ key }, timeout) {
    if (typeof key !== 'string') throw new Error('enter_key needs "key"');
    const p = needPage();
    await visible('key-input', timeout, 'the key input');
    await p.locator(tid('key-input')).fill(key);
    await p.locator(tid('key-submit')).click();
    // Either the join step shows, or the key form says what is wrong.
    return until(
      'the key to be checked',
      () => {
        const app = document.getElementById('app');
        const state = document.querySelector('[data-testid="key-state"]');
        if (app?.dataset.view === 'join') return { view: 'join', state: null };
        if (app?.dataset.view === 'key' && state && !state.hidden) {
          return { view: 'key', state: state.dataset.state ?? null, text: (state.textContent || '').trim() };
        }
        return null;
      },
      null,
      timeout,
    );
  },

  async join({ name }, timeout) {
    const p = needPage();
    await visible('join-button', timeout, 'the join button');
    if (typeof name === 'string') await p.locator(tid('name-input')).fill(name);
    await p.locator(tid('join-button')).click();
    const outcome = await until(
      'the chat panel',
      () => {
        const app = document.getElementById('app');
        if (app?.dataset.view === 'chat') return 'chat';
        const error = document.querySelector('[data-testid="error-banner"]');
        if (error && !error.hidden) return 'error';
        if (app?.dataset.view === 'key') return 'key';
        return null;
      },
      null,
      timeout,
    );
    if (outcome !== 'chat') throw new Error(`join failed (page: ${await pageState()})`);
    return { session_id: await sessionId() };
  },

  async text({ testid }, timeout) {
    if (typeof testid !== 'string') throw new Error('text needs "testid"');
    const loc = needPage().locator(tid(testid)).first();
    await loc.waitFor({ state: 'attached', timeout });
    return ((await loc.textContent()) ?? '').trim();
  },

  async wait_text({ text }, timeout) {
    if (typeof text !== 'string') throw new Error('wait_text needs "text"');
    await until(`the text "${text}"`, (t) => document.body.innerText.includes(t), text, timeout);
    return null;
  },

  async wait_testid({ testid, state = 'visible' }, timeout) {
    if (state === 'hidden') await hidden(testid, timeout);
    else await visible(testid, timeout);
    return null;
  },

  async click({ testid }, timeout) {
    await needPage().locator(tid(testid)).first().click({ timeout });
    return null;
  },

  async fill({ testid, text }, timeout) {
    await needPage()
      .locator(tid(testid))
      .first()
      .fill(String(text ?? ''), { timeout });
    return null;
  },

  async send({ text }, timeout) {
    if (typeof text !== 'string') throw new Error('send needs "text"');
    const p = needPage();
    const expected = text.trim();
    const before = (await ackedMessages('end_user', expected)).length;
    const failedBefore = await p.locator(`${tid('message')}[data-status="failed"]`).count();
    const box = p.locator(tid('message-input'));
    await box.waitFor({ state: 'visible', timeout });
    await box.fill(text);
    await box.press('Enter');
    const seq = await until(
      `the message "${expected}" to be acknowledged`,
      ({ text, before, failedBefore }) => {
        const matches = [...document.querySelectorAll('[data-testid="message"]')].filter(
          (el) =>
            el.dataset.from === 'end_user' &&
            (el.querySelector('[data-testid="message-text"]')?.textContent ?? '') === text,
        );
        const failed = [...document.querySelectorAll('[data-testid="message"][data-status="failed"]')];
        if (failed.length > failedBefore) {
          const last = failed[failed.length - 1];
          return { failed: (last.querySelector('.msg-error')?.textContent ?? 'not sent').trim() };
        }
        const acked = matches.filter((el) => el.dataset.seq && el.closest('#log'));
        return acked.length > before ? { seq: Number(acked[acked.length - 1].dataset.seq) } : null;
      },
      { text: expected, before, failedBefore },
      timeout,
    );
    if (seq.failed) throw new Error(`the message was refused: ${seq.failed}`);
    return seq;
  },

  async wait_message({ text, from = 'technician' }, timeout) {
    if (typeof text !== 'string') throw new Error('wait_message needs "text"');
    return until(
      `a message "${text}" from ${from}`,
      ({ text, from }) => {
        const found = [...document.querySelectorAll('#log [data-testid="message"][data-seq]')].filter(
          (el) =>
            el.dataset.from === from &&
            (el.querySelector('[data-testid="message-text"]')?.textContent ?? '') === text &&
            el.getClientRects().length > 0,
        );
        return found.length ? { seq: Number(found[found.length - 1].dataset.seq) } : null;
      },
      { text, from },
      timeout,
    );
  },

  async download({ name }, timeout) {
    if (typeof name !== 'string') throw new Error('download needs "name"');
    const p = needPage();
    await until(
      `the file "${name}"`,
      (name) =>
        [...document.querySelectorAll('#log [data-testid="file"]')].some(
          (el) => (el.querySelector('[data-testid="file-name"]')?.textContent ?? '') === name,
        ),
      name,
      timeout,
    );
    const file = p
      .locator(`#log ${tid('file')}`)
      .filter({ has: p.locator(tid('file-name'), { hasText: name }) })
      .last();
    const [download] = await Promise.all([
      p.waitForEvent('download', { timeout }),
      file.locator(tid('file-download')).click({ timeout }),
    ]);
    const failure = await download.failure();
    if (failure) throw new Error(`the download failed: ${failure}`);
    downloadDir ??= await mkdtemp(path.join(tmpdir(), 'lifeline-enduser-'));
    const target = path.join(await mkdtemp(path.join(downloadDir, 'd-')), download.suggestedFilename());
    await download.saveAs(target);
    const { size } = await stat(target);
    return {
      path: target,
      sha256: await sha256File(target),
      size,
      suggested_filename: download.suggestedFilename(),
    };
  },

  async upload({ path: file }, timeout) {
    if (typeof file !== 'string') throw new Error('upload needs "path"');
    const p = needPage();
    const name = path.basename(file);
    const before = await filesNamed('end_user', name);
    const failedBefore = await p.locator(`${tid('upload')}[data-state="failed"]`).count();
    await p.locator(tid('upload-input')).setInputFiles(file, { timeout });
    const outcome = await until(
      `the upload of "${name}" to complete`,
      ({ name, before, failedBefore }) => {
        const failed = [...document.querySelectorAll('[data-testid="upload"][data-state="failed"]')];
        if (failed.length > failedBefore) {
          const row = failed[failed.length - 1];
          const status = row.querySelector('[data-testid="upload-status"]');
          return { failed: (status?.textContent || '').trim() };
        }
        const ids = [...document.querySelectorAll('#log [data-testid="file"]')]
          .filter(
            (el) =>
              el.dataset.from === 'end_user' &&
              (el.querySelector('[data-testid="file-name"]')?.textContent ?? '') === name,
          )
          .map((el) => el.dataset.fileId);
        const fresh = ids.filter((id) => !before.includes(id));
        return fresh.length ? { file_id: fresh[fresh.length - 1] } : null;
      },
      { name, before, failedBefore },
      timeout,
    );
    if (outcome.failed) throw new Error(`the upload failed: ${outcome.failed}`);
    return outcome;
  },

  async consent({ accept }, timeout) {
    if (typeof accept !== 'boolean') throw new Error('consent needs "accept": true|false');
    const p = needPage();
    await visible('consent-prompt', timeout, 'the consent prompt');
    const prompt = p.locator(tid('consent-prompt'));
    const request = {
      request_id: await prompt.getAttribute('data-request-id'),
      kind: await prompt.getAttribute('data-kind'),
    };
    await p.locator(tid(accept ? 'consent-allow' : 'consent-decline')).click({ timeout });
    await hidden('consent-prompt', timeout, 'the consent prompt to close');
    return request;
  },

  async end(_args, timeout) {
    const p = needPage();
    await p.locator(tid('end-button')).click({ timeout });
    await p.locator(tid('end-confirm')).click({ timeout });
    await visible('ended-banner', timeout, 'the ended state');
    return { text: ((await p.locator(tid('ended-banner')).textContent()) ?? '').trim() };
  },

  async wait_ended(_args, timeout) {
    await visible('ended-banner', timeout, 'the ended state');
    return { text: ((await needPage().locator(tid('ended-banner')).textContent()) ?? '').trim() };
  },

  async reload(_args, timeout) {
    const p = needPage();
    await p.reload({ waitUntil: 'domcontentloaded', timeout });
    await waitOnline(timeout);
    return { session_id: await sessionId() };
  },

  async screenshot({ path: file, full_page = true }, timeout) {
    if (typeof file !== 'string') throw new Error('screenshot needs "path"');
    await needPage().screenshot({ path: file, fullPage: full_page, timeout });
    return { path: file };
  },

  async messages() {
    return needPage().evaluate(() =>
      [...document.querySelectorAll('[data-testid="message"]')]
        .filter((el) => el.getClientRects().length > 0)
        .map((el) => ({
          seq: el.dataset.seq ? Number(el.dataset.seq) : null,
          from: el.dataset.from,
          text: el.querySelector('[data-testid="message-text"]')?.textContent ?? '',
          status: el.dataset.status ?? null,
        })),
    );
  },

  async files() {
    return needPage().evaluate(() =>
      [...document.querySelectorAll('#log [data-testid="file"]')].map((el) => ({
        seq: Number(el.dataset.seq),
        from: el.dataset.from,
        file_id: el.dataset.fileId,
        name: el.querySelector('[data-testid="file-name"]')?.textContent ?? '',
      })),
    );
  },

  /**
   * Paints a test pattern over the top of the page, which a shared tab shows: four
   * coloured quarters (red, green / blue, yellow) and a white marker moving across them.
   */
  async paint_pattern() {
    await needPage().evaluate(() => {
      const box = document.createElement('div');
      box.id = 'test-pattern';
      box.style.cssText =
        'position:fixed;left:0;top:0;width:100vw;height:60vh;z-index:2147483647;pointer-events:none;display:grid;grid-template:1fr 1fr/1fr 1fr';
      for (const colour of ['#ff0000', '#00ff00', '#0000ff', '#ffff00']) {
        const cell = document.createElement('div');
        cell.style.background = colour;
        box.append(cell);
      }
      const marker = document.createElement('div');
      marker.style.cssText = 'position:absolute;top:27vh;width:6vh;height:6vh;background:#ffffff';
      box.append(marker);
      document.body.append(box);
      let x = 0;
      const move = () => {
        x = (x + 7) % 90;
        marker.style.left = `${x}vw`;
        requestAnimationFrame(move);
      };
      move();
    });
    return null;
  },

  /**
   * Covers the page with a canvas for the screen-view bench. Its top row holds the
   * paint time (Date.now(), 42 bits as black and white cells) whenever the picture
   * changes. `mode`: `full` changes the whole picture every frame; `typing` is a text
   * editor gaining a character every 150 ms; `still` paints once and never again.
   */
  async paint_clock({ mode = 'full' }) {
    await needPage().evaluate((mode) => {
      document.getElementById('test-clock')?.remove();
      window.__clockStop?.();
      const canvas = document.createElement('canvas');
      canvas.id = 'test-clock';
      canvas.width = window.innerWidth;
      canvas.height = window.innerHeight;
      canvas.style.cssText = 'position:fixed;left:0;top:0;z-index:2147483647;pointer-events:none';
      document.body.append(canvas);
      const ctx = canvas.getContext('2d');
      const bits = 42;
      const cell = Math.floor(canvas.width / bits);
      const row = 40;
      const stamp = () => {
        const now = Date.now();
        for (let i = 0; i < bits; i += 1) {
          ctx.fillStyle = Math.floor(now / 2 ** i) % 2 ? '#ffffff' : '#000000';
          ctx.fillRect(i * cell, 0, cell, row);
        }
      };
      const text = 'The quick brown fox jumps over the lazy dog. Lorem ipsum dolor sit amet. ';
      let typed = 0;
      let hue = 0;
      let running = true;
      window.__clockStop = () => {
        running = false;
      };
      const page = () => {
        ctx.fillStyle = '#ffffff';
        ctx.fillRect(0, row, canvas.width, canvas.height - row);
        ctx.fillStyle = '#202020';
        ctx.font = '16px monospace';
        const shown = text.repeat(20).slice(0, typed);
        for (let line = 0; line * 90 < shown.length; line += 1) {
          ctx.fillText(shown.slice(line * 90, line * 90 + 90), 20, row + 30 + line * 22);
        }
      };
      if (mode === 'full') {
        const frame = () => {
          if (!running) return;
          hue = (hue + 23) % 360;
          const gradient = ctx.createLinearGradient(0, row, canvas.width, canvas.height);
          gradient.addColorStop(0, `hsl(${hue} 80% 50%)`);
          gradient.addColorStop(1, `hsl(${(hue + 180) % 360} 80% 40%)`);
          ctx.fillStyle = gradient;
          ctx.fillRect(0, row, canvas.width, canvas.height - row);
          for (let i = 0; i < 40; i += 1) {
            ctx.fillStyle = `hsl(${(hue + i * 9) % 360} 70% 60%)`;
            ctx.fillRect(
              (i * 97 + hue * 3) % canvas.width,
              row + ((i * 53 + hue) % (canvas.height - row)),
              60,
              30,
            );
          }
          stamp();
          requestAnimationFrame(frame);
        };
        frame();
      } else if (mode === 'typing') {
        page();
        stamp();
        const key = () => {
          if (!running) return;
          typed += 1;
          page();
          stamp();
          setTimeout(key, 150);
        };
        setTimeout(key, 150);
      } else {
        page();
        stamp();
      }
    }, mode);
    return null;
  },

  /** Allows the pending screen-view request and waits until the page shares. */
  async share_screen(_args, timeout) {
    const p = needPage();
    await visible('consent-prompt', timeout, 'the consent prompt');
    await p.locator(tid('consent-allow')).click({ timeout });
    await visible('share-bar', timeout, 'the sharing bar');
    return { text: ((await p.locator(tid('share-text')).textContent()) ?? '').trim() };
  },

  /**
   * Downloads the Lifeline app the page offers after control was allowed, with the
   * button for `platform` (default: the one the page recommends, first); where it saved.
   */
  async download_app({ platform }, timeout) {
    const p = needPage();
    await visible('app-offer', timeout, 'the app offer');
    const button = platform
      ? p.locator(tid(`app-download-${platform}`))
      : p.locator(`${tid('app-builds')} button`).first();
    await button.waitFor({ state: 'visible', timeout });
    const [download] = await Promise.all([
      p.waitForEvent('download', { timeout }),
      button.click({ timeout }),
    ]);
    const failure = await download.failure();
    if (failure) throw new Error(`the download failed: ${failure}`);
    downloadDir ??= await mkdtemp(path.join(tmpdir(), 'lifeline-enduser-'));
    const target = path.join(await mkdtemp(path.join(downloadDir, 'd-')), download.suggestedFilename());
    await download.saveAs(target);
    await visible('app-started', timeout, 'the hint to start the app');
    return {
      path: target,
      suggested_filename: download.suggestedFilename(),
      offer: ((await p.locator(tid('app-offer-text')).textContent()) ?? '').trim(),
    };
  },

  /** Stop sharing, in the page's bar. */
  async stop_sharing(_args, timeout) {
    await needPage().locator(tid('share-stop')).click({ timeout });
    await hidden('share-bar', timeout, 'the sharing bar to close');
    return null;
  },

  /** How many session events of each `type/by` the page has received over WebSockets. */
  /** The join page's screen-share counters (where the offered pictures went). */
  async share_stats() {
    return needPage().evaluate(() => window.__lifelineShareStats ?? null);
  },

  async received_events() {
    return { ...receivedEvents };
  },

  /** Whether the page is visible and has the focus, as a person looking at it. */
  async focus_state() {
    await needPage().bringToFront();
    return needPage().evaluate(() => ({
      visible: document.visibilityState === 'visible',
      focused: document.hasFocus(),
    }));
  },

  async secure_context() {
    return await needPage().evaluate(() => ({
      secure: window.isSecureContext,
      origin: window.location.origin,
    }));
  },

  async state() {
    return { description: await pageState(), session_id: page ? await sessionId() : null };
  },
};

let closing = false;

async function shutdown(code) {
  if (closing) return;
  closing = true;
  try {
    if (browser) await browser.close();
  } catch (err) {
    log('closing the browser:', err.message);
  }
  process.exit(code);
}

async function handle(line) {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch (err) {
    reply({ id: null, ok: false, error: `not JSON: ${err.message}` });
    return;
  }
  const id = msg?.id ?? null;
  const cmd = msg?.cmd;
  if (cmd === 'close') {
    reply({ id, ok: true, result: null });
    await shutdown(0);
    return;
  }
  const fn = Object.hasOwn(commands, cmd) ? commands[cmd] : null;
  if (!fn) {
    reply({ id, ok: false, error: `unknown command ${JSON.stringify(cmd)}` });
    return;
  }
  const timeout = Number.isFinite(msg.timeout_ms) && msg.timeout_ms > 0 ? msg.timeout_ms : DEFAULT_TIMEOUT_MS;
  const started = Date.now();
  try {
    if (page) page.setDefaultTimeout(timeout);
    const result = await fn(msg, timeout);
    log(`${cmd} ok in ${Date.now() - started} ms`);
    reply({ id, ok: true, result: result ?? null });
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    log(`${cmd} failed:`, err instanceof Error ? err.stack : err);
    reply({ id, ok: false, error: `${cmd}: ${message}` });
  }
}

// One command at a time, in order; on EOF finish what is queued, then close.
const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
let queue = Promise.resolve();
rl.on('line', (line) => {
  if (!line.trim()) return;
  queue = queue.then(() => handle(line));
});
rl.on('close', () => {
  queue.then(() => shutdown(0));
});
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(130));
