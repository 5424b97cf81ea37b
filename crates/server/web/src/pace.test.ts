// The screen share's pace, run by `npm run test:rules` (node's test runner).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterAck, framesPerSecond, type Pace, slower, startPace } from './pace';

/** The pace after acknowledgements of `delays` ms, one every 33 ms from `at`. */
function acks(delays: number[], from: Pace = startPace, at = 0): Pace {
  return delays.reduce((pace, delay, i) => afterAck(pace, delay, at + i * 33), from);
}

test('quick acknowledgements keep the full rate', () => {
  assert.equal(framesPerSecond(acks([40, 60, 50, 45])), 30);
});

test('one slow acknowledgement (a keyframe) does not step the rate down', () => {
  assert.equal(framesPerSecond(acks([60, 60, 60, 450, 60, 60])), 30);
});

test('slow acknowledgements step down within a few pictures, then further', () => {
  const slow = acks([60, 300, 300, 300, 300]);
  assert.equal(framesPerSecond(slow), 15);
  const slower_ = acks(Array(12).fill(700), slow);
  assert.equal(framesPerSecond(slower_), 5);
  assert.equal(framesPerSecond(acks(Array(20).fill(3000), slower_)), 2);
});

test('the rate steps back up one step after fast acknowledgements held for two seconds', () => {
  const slowed = acks([300, 300, 300, 300, 300, 300]);
  assert.equal(framesPerSecond(slowed), 15);
  const fastForOneSecond = acks(Array(30).fill(20), slowed, 1000);
  assert.equal(framesPerSecond(fastForOneSecond), 15);
  const fastForThree = acks(Array(90).fill(20), slowed, 1000);
  assert.equal(framesPerSecond(fastForThree), 30);
});

test('a flood refusal slows at once, to the slowest rate at most', () => {
  assert.equal(framesPerSecond(slower(startPace)), 15);
  assert.equal(framesPerSecond(slower(slower(slower(slower(startPace))))), 2);
});
