// The screen share's frame rate against how fast the viewers acknowledge, as pure
// functions (node tests in pace.test.ts). The rate steps down through RATES when the
// acknowledgement delay passes SLOW_MS (RustDesk's steps), and back up one step after
// FAST_MS has held for STEP_UP_MS. The delay is smoothed first, so one slow
// acknowledgement (a keyframe, a pause) does not halve the rate for seconds.

/** Frame rates to step through, fastest first. */
export const RATES = [30, 15, 5, 2] as const;
/** Smoothed acknowledgement delays (ms) past which the rate steps down to the next one. */
const SLOW_MS = [200, 500, 1000] as const;
/** Below this smoothed delay (ms), held for STEP_UP_MS, the rate steps back up. */
const FAST_MS = 100;
const STEP_UP_MS = 2000;
/** Weight of the newest delay in the smoothed one (an exponential moving average). */
const SMOOTHING = 0.25;

export interface Pace {
  /** Index into RATES. */
  rate: number;
  /** The smoothed acknowledgement delay (ms); null before the first. */
  smoothed: number | null;
  /** Since when the delay has been fast, while it is. */
  fastSince: number | null;
}

export const startPace: Pace = { rate: 0, smoothed: null, fastSince: null };

/** The pace after an acknowledgement that took `delay` ms, at time `now` (ms). */
export function afterAck(pace: Pace, delay: number, now: number): Pace {
  const smoothed = pace.smoothed === null ? delay : pace.smoothed + SMOOTHING * (delay - pace.smoothed);
  const slowerThan = SLOW_MS.findIndex((limit) => smoothed < limit);
  const fitting = slowerThan === -1 ? RATES.length - 1 : slowerThan;
  if (fitting > pace.rate) return { rate: fitting, smoothed, fastSince: null };
  if (smoothed < FAST_MS && pace.rate > 0) {
    const since = pace.fastSince ?? now;
    if (now - since > STEP_UP_MS) return { rate: pace.rate - 1, smoothed, fastSince: null };
    return { rate: pace.rate, smoothed, fastSince: since };
  }
  return { rate: pace.rate, smoothed, fastSince: null };
}

/** One step slower at once (the service said the sender floods). */
export function slower(pace: Pace): Pace {
  return { ...pace, rate: Math.min(RATES.length - 1, pace.rate + 1), fastSince: null };
}

/** The frame rate the pace allows. */
export function framesPerSecond(pace: Pace): number {
  return RATES[pace.rate] ?? RATES[0];
}
