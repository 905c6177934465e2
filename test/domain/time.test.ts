import { describe, expect, it } from 'vitest';
import { dayOfWeek, isValidTimeZone, nextDay, parseDateTime, toEpoch, wallTimeAt, wallToEpoch } from '../../src/domain/time.js';

const LA = 'America/Los_Angeles';

describe('parseDateTime', () => {
  it('reads dates, wall-clock date-times and instants', () => {
    expect(parseDateTime('2026-11-20')).toMatchObject({ year: 2026, month: 11, day: 20, dateOnly: true, offsetMinutes: null });
    expect(parseDateTime('2026-11-20T16:30')).toMatchObject({ hour: 16, minute: 30, second: 0, offsetMinutes: null });
    expect(parseDateTime('2026-11-20T16:30:05.250Z')).toMatchObject({ second: 5, millisecond: 250, offsetMinutes: 0 });
    expect(parseDateTime('2026-11-20T16:30:00-08:00')?.offsetMinutes).toBe(-480);
  });
  it('rejects impossible dates and malformed text', () => {
    expect(parseDateTime('2026-02-30')).toBeNull();
    expect(parseDateTime('2026-13-01')).toBeNull();
    expect(parseDateTime('2026-11-20T24:00')).toBeNull();
    expect(parseDateTime('20 Nov 2026')).toBeNull();
    expect(parseDateTime('2028-02-29')).not.toBeNull();
  });
});

describe('store time', () => {
  it('converts wall-clock time in a zone to an instant and back', () => {
    const p = parseDateTime('2026-11-20T16:30:00')!;
    const ms = toEpoch(p, LA);
    expect(new Date(ms).toISOString()).toBe('2026-11-21T00:30:00.000Z');
    expect(wallTimeAt(ms, LA)).toMatchObject({ year: 2026, month: 11, day: 20, hour: 16, minute: 30 });
  });
  it('an offset is an exact instant whatever the zone', () => {
    expect(toEpoch(parseDateTime('2026-11-20T16:30:00Z')!, LA)).toBe(Date.UTC(2026, 10, 20, 16, 30));
  });
  it('resolves DST gaps forward and overlaps to the earlier instant', () => {
    // 2026-03-08 02:30 does not exist in Los Angeles (clocks jump 02:00 -> 03:00).
    const gap = wallToEpoch({ year: 2026, month: 3, day: 8, hour: 2, minute: 30, second: 0, millisecond: 0 }, LA);
    expect(new Date(gap).toISOString()).toBe('2026-03-08T10:30:00.000Z'); // 03:30 PDT
    // 2026-11-01 01:30 happens twice; the earlier (PDT, UTC-7) is chosen.
    const overlap = wallToEpoch({ year: 2026, month: 11, day: 1, hour: 1, minute: 30, second: 0, millisecond: 0 }, LA);
    expect(new Date(overlap).toISOString()).toBe('2026-11-01T08:30:00.000Z');
  });
  it('knows days of the week and the next day', () => {
    expect(dayOfWeek({ year: 2026, month: 11, day: 20, hour: 0, minute: 0, second: 0, millisecond: 0 })).toBe('fri');
    expect(nextDay({ year: 2026, month: 12, day: 31, hour: 5, minute: 0, second: 0, millisecond: 0 })).toMatchObject({ year: 2027, month: 1, day: 1, hour: 0 });
  });
  it('validates zone names', () => {
    expect(isValidTimeZone(LA)).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});

describe('memoised offsets', () => {
  // wallTimeAt memoises zone offsets per 15 minutes; it must agree with Intl at every instant,
  // including across transitions and in zones with 30- and 45-minute offsets.
  const intl = (ms: number, tz: string) => {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    }).formatToParts(new Date(ms));
    const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
    return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour') % 24, minute: get('minute'), second: get('second') };
  };
  for (const tz of ['America/Los_Angeles', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Europe/London', 'UTC']) {
    it(`agrees with Intl in ${tz} around the 2026 transitions`, () => {
      const starts = [Date.UTC(2026, 2, 7), Date.UTC(2026, 2, 28), Date.UTC(2026, 3, 4), Date.UTC(2026, 9, 3), Date.UTC(2026, 9, 24), Date.UTC(2026, 9, 31)];
      for (const start of starts) {
        for (let ms = start; ms < start + 3 * 86_400_000; ms += 7 * 60_000 + 13_000) {
          const { millisecond: _ms, ...w } = wallTimeAt(ms, tz);
          expect(w).toEqual(intl(ms, tz));
        }
      }
    });
  }
});

describe('years before 100', () => {
  it('are not taken for 19xx', () => {
    expect(new Date(toEpoch(parseDateTime('0050-06-01T12:00:00Z')!, 'UTC')).toISOString()).toBe('0050-06-01T12:00:00.000Z');
    expect(parseDateTime('0000-02-29')).toBeNull(); // there is no year 0 in dates we accept
    expect(parseDateTime('0001-01-01')).not.toBeNull();
    expect(dayOfWeek({ year: 50, month: 6, day: 1, hour: 0, minute: 0, second: 0, millisecond: 0 })).toBe('wed');
  });
});
