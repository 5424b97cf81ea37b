// Filling in and finding canned replies. Run by `npm run test:rules`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fillReply, matchReplies, type ReplyValues } from './replies';

const values: ReplyValues = {
  end_user: 'Erika',
  technician: 'Tina Tech',
  company: 'Acme IT',
  support_key: '482 913 605',
  join_link: 'https://support.example/join/482913605',
};
const reply = {
  text_en: 'Hello {end_user}, this is {technician} from {company}. Key {support_key}: {join_link}',
  text_de: 'Hallo {end_user}, hier ist {technician} von {company}. Schlüssel {support_key}: {join_link}',
};

test('the variables are filled in, in either language', () => {
  assert.equal(
    fillReply(reply, 'en', values),
    'Hello Erika, this is Tina Tech from Acme IT. Key 482 913 605: https://support.example/join/482913605',
  );
  assert.equal(
    fillReply(reply, 'de', values),
    'Hallo Erika, hier ist Tina Tech von Acme IT. Schlüssel 482 913 605: https://support.example/join/482913605',
  );
});

test('an empty language falls back to the other, and unknown braces stay', () => {
  assert.equal(
    fillReply({ text_en: 'Hi {end_user} {unknown}', text_de: ' ' }, 'de', values),
    'Hi Erika {unknown}',
  );
  assert.equal(fillReply({ text_en: '', text_de: 'Hallo {end_user}' }, 'en', values), 'Hallo Erika');
});

test('a value is inserted as it is, never read as a variable again', () => {
  assert.equal(
    fillReply({ text_en: '{end_user}', text_de: '' }, 'en', { ...values, end_user: '{technician}' }),
    '{technician}',
  );
});

test('typing after / finds titles first, then texts', () => {
  const replies = [
    { title: 'Restart', text_en: 'Please restart the printer', text_de: '' },
    { title: 'Printer queue', text_en: 'Clearing the queue', text_de: '' },
    { title: 'Greeting', text_en: 'Hello', text_de: 'Hallo' },
  ];
  assert.deepEqual(
    matchReplies(replies, 'print').map((r) => r.title),
    ['Printer queue', 'Restart'],
  );
  assert.deepEqual(
    matchReplies(replies, 'hallo').map((r) => r.title),
    ['Greeting'],
  );
  assert.equal(matchReplies(replies, '').length, 3);
});
