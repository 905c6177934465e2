// Store-time arithmetic: parsing ISO date-times with or without an offset, converting between
// instants and wall-clock time in an IANA time zone. Pure (Intl only); no clock is read here.

import type { Day } from './types.js';
import { DAYS } from './types.js';

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

export interface ParsedDateTime extends WallTime {
  /** Minutes east of UTC when the text carried an offset (Z = 0); null for wall-clock text. */
  offsetMinutes: number | null;
  dateOnly: boolean;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:\d{2})?)?$/;

/** Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM]`; null when malformed or not a real date. */
export function parseDateTime(text: string): ParsedDateTime | null {
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const dateOnly = m[4] === undefined;
  const hour = dateOnly ? 0 : Number(m[4]);
  const minute = dateOnly ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millisecond = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes: number | null = null;
  const off = m[8];
  if (off !== undefined) {
    if (off === 'Z' || off === 'z') offsetMinutes = 0;
    else {
      const sign = off[0] === '-' ? -1 : 1;
      const oh = Number(off.slice(1, 3));
      const om = Number(off.slice(4, 6));
      if (oh > 23 || om > 59) return null;
      offsetMinutes = sign * (oh * 60 + om);
    }
  }
  return { year, month, day, hour, minute, second, millisecond, offsetMinutes, dateOnly };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = zoneFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    zoneFormatters.set(timeZone, f);
  }
  return f;
}

/** True when the runtime knows the IANA zone. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    zoneFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Wall-clock fields of an instant in a zone, read from Intl (slow: a few microseconds). */
function intlWallTime(epochMs: number, timeZone: string): WallTime {
  const parts = zoneFormatter(timeZone).formatToParts(new Date(epochMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const ms = ((epochMs % 1000) + 1000) % 1000;
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour') % 24,
    minute: get('minute'),
    second: get('second'),
    millisecond: ms,
  };
}

function wallAsUtc(w: WallTime): number {
  if (w.year >= 100) return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.millisecond);
  // Date.UTC maps years 0-99 to 1900-1999; set the full year explicitly.
  const d = new Date(Date.UTC(2000, w.month - 1, w.day, w.hour, w.minute, w.second, w.millisecond));
  d.setUTCFullYear(w.year, w.month - 1, w.day);
  return d.getTime();
}

// Offsets are memoised per zone and 15-minute bucket, and only for buckets whose offset is the
// same at both ends (a bucket holding a transition is always computed exactly). This keeps Intl
// off the evaluation hot path without changing any result.
const BUCKET_MS = 15 * 60_000;
const MAX_CACHED = 100_000;
const offsetCache = new Map<string, Map<number, number>>();

function exactOffset(epochMs: number, timeZone: string): number {
  return wallAsUtc(intlWallTime(epochMs, timeZone)) - epochMs;
}

/** Offset of the zone from UTC at an instant, in milliseconds. */
function offsetAt(epochMs: number, timeZone: string): number {
  const bucket = Math.floor(epochMs / BUCKET_MS);
  let cache = offsetCache.get(timeZone);
  if (!cache) offsetCache.set(timeZone, (cache = new Map()));
  const hit = cache.get(bucket);
  if (hit !== undefined) return hit;
  const start = bucket * BUCKET_MS;
  const first = exactOffset(start, timeZone);
  if (first !== exactOffset(start + BUCKET_MS - 1000, timeZone)) return exactOffset(epochMs, timeZone);
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(bucket, first);
  return first;
}

/** Wall-clock fields of an instant in a zone. */
export function wallTimeAt(epochMs: number, timeZone: string): WallTime {
  const d = new Date(epochMs + offsetAt(epochMs, timeZone));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
  };
}

/**
 * The instant of a wall-clock time in a zone. Ambiguous times (clocks turned back) take the
 * earlier instant; times that do not exist (clocks turned forward) are moved forward by the gap
 * (the "compatible" rule of Temporal and RFC 5545).
 */
export function wallToEpoch(w: WallTime, timeZone: string): number {
  const local = wallAsUtc(w);
  const before = offsetAt(local - 86_400_000, timeZone);
  const after = offsetAt(local + 86_400_000, timeZone);
  if (before === after) return local - before;
  const a = local - before; // candidate with the earlier offset
  const b = local - after; // candidate with the later offset
  const aOk = offsetAt(a, timeZone) === before;
  const bOk = offsetAt(b, timeZone) === after;
  if (aOk && bOk) return Math.min(a, b);
  if (aOk) return a;
  if (bOk) return b;
  // In a gap: shift forward by the gap length.
  return local - before;
}

/** Instant of a parsed date-time: exact when it carries an offset, store wall-clock otherwise. */
export function toEpoch(p: ParsedDateTime, timeZone: string): number {
  if (p.offsetMinutes !== null) return wallAsUtc(p) - p.offsetMinutes * 60_000;
  return wallToEpoch(p, timeZone);
}

/** The calendar day after a date (for date-only schedule ends, which include the whole day). */
export function nextDay(w: WallTime): WallTime {
  const d = new Date(Date.UTC(2000, 0, 1));
  d.setUTCFullYear(w.year, w.month - 1, w.day + 1);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: 0, minute: 0, second: 0, millisecond: 0 };
}

export function dayOfWeek(w: WallTime): Day {
  const d = new Date(Date.UTC(2000, 0, 1));
  d.setUTCFullYear(w.year, w.month - 1, w.day);
  const js = d.getUTCDay(); // 0 = Sunday
  return DAYS[(js + 6) % 7];
}

export function previousDay(day: Day): Day {
  return DAYS[(DAYS.indexOf(day) + 6) % 7];
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function formatDate(w: WallTime): string {
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

/** "HH:MM" -> minutes after midnight. */
export function minutesOfDay(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}
