#!/usr/bin/env node
// Generates the libphonenumber reference corpus used by phone/reference_test.go.
//
// For every default region below it writes, under phone/testdata/reference/:
//   <REGION>.txt             input lines (region "" is written as ZZ.txt)
//   <REGION>.expected.jsonl  one JSON object per non-blank input line, computed
//                            with google-libphonenumber (the pinned version in
//                            package.json) and the same line hygiene as the Go side.
//
// The output is deterministic: all randomness comes from a seeded PRNG.
'use strict';

const fs = require('fs');
const path = require('path');
const lib = require('google-libphonenumber');

const util = lib.PhoneNumberUtil.getInstance();

// The same code with the metadata the Go side embeds (nyaruka/phonenumbers,
// written by `go run ./tools/refcorpus/gometa`): rows whose answer differs
// between the two metadata versions carry that answer too (goMetadata), so
// the Go test can hold the logic to libphonenumber's on every row.
const GO_METADATA = path.join(__dirname, 'nyaruka-metadata.json');
const goMetadata = JSON.parse(fs.readFileSync(GO_METADATA, 'utf8'));
const utilGoMeta = (() => {
  const own = { c: lib.metadata.countryToMetadata, r: lib.metadata.countryCodeToRegionCodeMap };
  if (JSON.stringify(goMetadata.countryCodeToRegionCodeMap) !== JSON.stringify(own.r)) {
    // Handled by nothing below: the calling code map is read at construction
    // and by region checks, so refuse rather than mix the two.
    throw new Error('nyaruka-metadata.json: calling code map differs from google-libphonenumber\'s');
  }
  const u = new lib.PhoneNumberUtil();
  lib.metadata.countryToMetadata = goMetadata.countryToMetadata;
  try {
    // PhoneNumberUtil reads region metadata once and keeps it: load all now.
    for (const r of u.getSupportedRegions()) u.getMetadataForRegion(r);
    for (const cc of u.getSupportedGlobalNetworkCallingCodes()) u.getMetadataForNonGeographicalRegion(cc);
  } finally {
    lib.metadata.countryToMetadata = own.c;
  }
  return u;
})();
const PNF = lib.PhoneNumberFormat;
const PNT = lib.PhoneNumberType;
const VR = lib.PhoneNumberUtil.ValidationResult;

const OUT_DIR = path.resolve(__dirname, '..', '..', 'phone', 'testdata', 'reference');
const SEED = 20240613;

// Default regions and the number of lines written for each ("" = no region, file ZZ).
const FILES = [
  { region: 'CH', lines: 8000 },
  { region: 'US', lines: 8000 },
  { region: 'GB', lines: 8000 },
  { region: 'DE', lines: 5000 },
  { region: '', lines: 5000 },
];

// ---------------------------------------------------------------------------
// Line hygiene, mirroring phone.IsBlank, phone.CleanLine and phone.TrimSpace.

// Exactly Go's unicode.IsSpace: \t \n \v \f \r space U+0085 U+00A0 and the
// Unicode White_Space characters U+1680 U+2000-U+200A U+2028 U+2029 U+202F
// U+205F U+3000. (JS \s and String.prototype.trim differ: they include U+FEFF
// and exclude U+0085.)
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const BLANK_RE = new RegExp('^[' + GO_SPACE + '\\uFEFF]*$');
const TRIM_RE = new RegExp('^[' + GO_SPACE + ']+|[' + GO_SPACE + ']+$', 'g');

function isBlank(raw) { return BLANK_RE.test(raw); }

function cleanLine(raw) {
  let s = raw;
  if (s.startsWith('\uFEFF')) s = s.slice(1);
  if (s.endsWith('\r')) s = s.slice(0, -1);
  return s;
}

function goTrimSpace(s) { return s.replace(TRIM_RE, ''); }

// ---------------------------------------------------------------------------
// Expected row, with the semantics of phone.Check.

const ERROR_REASONS = new Map([
  [lib.Error.INVALID_COUNTRY_CODE, 'INVALID_COUNTRY_CODE'],
  [lib.Error.NOT_A_NUMBER, 'NOT_A_NUMBER'],
  [lib.Error.TOO_SHORT_AFTER_IDD, 'TOO_SHORT_AFTER_IDD'],
  [lib.Error.TOO_SHORT_NSN, 'TOO_SHORT_NSN'],
  [lib.Error.TOO_LONG, 'TOO_LONG'],
]);

const TYPE_NAMES = new Map([
  [PNT.FIXED_LINE, 'fixed_line'],
  [PNT.MOBILE, 'mobile'],
  [PNT.FIXED_LINE_OR_MOBILE, 'fixed_line_or_mobile'],
  [PNT.TOLL_FREE, 'toll_free'],
  [PNT.PREMIUM_RATE, 'premium_rate'],
  [PNT.SHARED_COST, 'shared_cost'],
  [PNT.VOIP, 'voip'],
  [PNT.PERSONAL_NUMBER, 'personal_number'],
  [PNT.PAGER, 'pager'],
  [PNT.UAN, 'uan'],
  [PNT.VOICEMAIL, 'voicemail'],
  [PNT.UNKNOWN, 'unknown'],
]);

const POSSIBLE_REASONS = new Map([
  [VR.IS_POSSIBLE, 'INVALID_BUT_POSSIBLE'],
  [VR.INVALID_COUNTRY_CODE, 'INVALID_COUNTRY_CODE'],
  [VR.TOO_SHORT, 'TOO_SHORT'],
  [VR.TOO_LONG, 'TOO_LONG'],
  [VR.INVALID_LENGTH, 'INVALID_LENGTH'],
  [VR.IS_POSSIBLE_LOCAL_ONLY, 'IS_POSSIBLE_LOCAL_ONLY'],
]);

function must(map, key, what) {
  if (!map.has(key)) throw new Error('unmapped ' + what + ': ' + String(key));
  return map.get(key);
}

// The JavaScript port keeps the national number in a JS number (an IEEE
// double), so national numbers above 2^53 (some of 16 digits, all of 17)
// lose their last digits, where Java (a long) and Go (a uint64) keep them. The
// parser computes the exact digits as a string and hands them to parseInt as
// its last step, so that string is recorded here; for such numbers
// getNationalSignificantNumber (which every validation and formatting method
// goes through) answers the exact digits instead of the rounded double.
let lastParseIntArg = null;
const nativeParseInt = globalThis.parseInt;
globalThis.parseInt = function parseIntRecorded(s, radix) {
  lastParseIntArg = s;
  return nativeParseInt(s, radix);
};
const utilProto = Object.getPrototypeOf(util);
const nativeGetNsn = utilProto.getNationalSignificantNumber;
let exactNsn = null; // { value, nsn } while computing one row
utilProto.getNationalSignificantNumber = function getNsnExact(n) {
  if (exactNsn !== null && n.getNationalNumber() === exactNsn.value) return exactNsn.nsn;
  return nativeGetNsn.call(this, n);
};

function parseExact(u, text, region) {
  lastParseIntArg = null;
  exactNsn = null;
  const num = u.parse(text, region);
  const value = num.getNationalNumber();
  if (!Number.isSafeInteger(value)) {
    const rounded = nativeGetNsn.call(u, num);
    const zeros = rounded.length - String(value).length; // Italian leading zeros
    const recorded = String(lastParseIntArg);
    if (!/^[0-9]+$/.test(recorded) || Number(recorded) !== value) {
      throw new Error('unexpected national number string ' + recorded + ' for ' + value);
    }
    const digits = BigInt(recorded).toString();
    exactNsn = { value, nsn: '0'.repeat(zeros) + digits };
  }
  return num;
}

const COLUMNS = ['Number', 'phoneCheck', 'Reason', 'Type', 'CountryCode', 'Region', 'International', 'National'];

function expectedRow(text, lineNo, region) {
  const row = { line: lineNo, ...computeRow(util, text, region) };
  const alt = computeRow(utilGoMeta, text, region);
  if (COLUMNS.some((c) => alt[c] !== row[c])) row.goMetadata = alt;
  return row;
}

function computeRow(u, text, region) {
  try {
    return computeColumns(u, text, region);
  } finally {
    exactNsn = null;
  }
}

function computeColumns(u, text, region) {
  const row = {
    Number: text, phoneCheck: 'invalid', Reason: '', Type: '',
    CountryCode: '', Region: '', International: '', National: '',
  };
  let num;
  try {
    num = parseExact(u, text, region || 'ZZ');
  } catch (e) {
    row.Reason = must(ERROR_REASONS, e.message, 'parse error');
    return row;
  }
  row.Number = u.format(num, PNF.E164);
  row.CountryCode = String(num.getCountryCode());
  const rc = u.getRegionCodeForNumber(num);
  row.Region = rc && rc !== 'ZZ' ? rc : '';
  row.Type = must(TYPE_NAMES, u.getNumberType(num), 'number type');
  if (u.isValidNumber(num)) {
    row.phoneCheck = 'valid';
    row.Reason = 'VALID';
  } else {
    row.Reason = must(POSSIBLE_REASONS, u.isPossibleNumberWithReason(num), 'validation result');
  }
  row.International = u.format(num, PNF.INTERNATIONAL);
  row.National = u.format(num, PNF.NATIONAL);
  return row;
}

// ---------------------------------------------------------------------------
// Seeded PRNG (mulberry32).

function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    int: (n) => Math.floor(next() * n), // 0..n-1
    range: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // lo..hi
    chance: (p) => next() < p,
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    // weighted: [[weight, value], ...]
    weighted: (pairs) => {
      let total = 0;
      for (const [w] of pairs) total += w;
      let x = next() * total;
      for (const [w, v] of pairs) {
        if ((x -= w) < 0) return v;
      }
      return pairs[pairs.length - 1][1];
    },
    shuffle: (arr) => {
      for (let i = arr.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [arr[i], arr[j]] = [arr[j], arr[i]];
      }
      return arr;
    },
  };
  return r;
}

function hashSeed(s) {
  let h = SEED >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

// ---------------------------------------------------------------------------
// Example numbers: every region and every type, plus every non-geographic entity.

const ALL_TYPES = [...TYPE_NAMES.keys()].filter((t) => t !== PNT.UNKNOWN);
const NON_GEO_DESCS = ['getFixedLine', 'getMobile', 'getTollFree', 'getPremiumRate', 'getSharedCost',
  'getVoip', 'getPersonalNumber', 'getPager', 'getUan', 'getVoicemail'];

function collectExamples() {
  const out = [];
  const seen = new Set();
  const add = (num, region, type) => {
    if (!num) return;
    const cc = num.getCountryCode();
    const nsn = util.getNationalSignificantNumber(num);
    const key = cc + ':' + nsn;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ cc, nsn, region, type });
  };
  for (const region of [...util.getSupportedRegions()].sort()) {
    for (const t of ALL_TYPES) add(util.getExampleNumberForType(region, t), region, t);
  }
  for (const cc of [...util.getSupportedGlobalNetworkCallingCodes()].sort((a, b) => a - b)) {
    add(util.getExampleNumberForNonGeoEntity(cc), '001', -1);
    const md = util.getMetadataForNonGeographicalRegion(cc);
    for (const g of NON_GEO_DESCS) {
      const d = md && md[g]();
      if (d && d.hasExampleNumber()) {
        try {
          add(util.parse('+' + cc + d.getExampleNumber(), 'ZZ'), '001', -1);
        } catch (e) { /* example not parseable: ignore */ }
      }
    }
  }
  return out;
}

const EXAMPLES = collectExamples();
const CALLING_CODES = [...util.getSupportedCallingCodes()].sort((a, b) => a - b);
const BAD_CALLING_CODES = ['999', '0', '00', '28', '289', '292', '383', '689', '801', '999', '990', '888', '42', '80', '87'];

// ---------------------------------------------------------------------------
// Building blocks for renderings.

const FULLWIDTH_DIGITS = '０１２３４５６７８９';
const ARABIC_INDIC = '٠١٢٣٤٥٦٧٨٩';
const EXT_ARABIC_INDIC = '۰۱۲۳۴۵۶۷۸۹';
const DEVANAGARI = '०१२३४५६७८९';
const THAI = '๐๑๒๓๔๕๖๗๘๙';
const MATH_BOLD = ['𝟎', '𝟏', '𝟐', '𝟑', '𝟒', '𝟓', '𝟔', '𝟕', '𝟖', '𝟗'];

function mapDigits(s, table) {
  return s.replace(/[0-9]/g, (d) => (Array.isArray(table) ? table[+d] : table.charAt(+d)));
}

function toFullWidth(s) {
  return s.replace(/[0-9+\-()./ ]/g, (c) => {
    if (c === ' ') return '\u3000';
    return String.fromCharCode(c.charCodeAt(0) + 0xFEE0);
  });
}

function randDigits(r, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += String(r.int(10));
  return s;
}

// Leading/trailing decoration white space (never \n; \v and \f would be
// turned into U+FFFD by CleanLine, so they only appear on blank lines).
const DECOR_SPACES = [' ', '  ', '\t', ' \t ', '\u00A0', '\u3000', '\u2003', '\u2009', '\u202F',
  '\u205F', '\u1680', '\u0085', '\u2028', '\u2029', '\u200A', '\u2000', ' \u00A0 '];
// Characters that are white space in JS but not in Go (must survive trimming).
const NOT_GO_SPACES = ['\u200B', '\u180E', '\u2060'];

const EXT_FORMS = [
  (e) => ' ext. ' + e, (e) => ' ext ' + e, (e) => ' ext.' + e, (e) => 'ext' + e, (e) => ' x' + e,
  (e) => ' x ' + e, (e) => 'x' + e, (e) => ' #' + e, (e) => '#' + e, (e) => ' #' + e + '#',
  (e) => ' extension ' + e, (e) => ', ext. ' + e, (e) => ',' + e, (e) => ',,' + e, (e) => ';' + e,
  (e) => ' Ext: ' + e, (e) => ' EXT ' + e, (e) => ' anexo ' + e, (e) => ' доб ' + e,
  (e) => ' int ' + e, (e) => ' - ' + e + '#', (e) => ' ~' + e, (e) => ' ｘ' + e, (e) => ' extn ' + e,
];

const WRAPPERS = [
  (s) => 'Tel: ' + s, (s) => 'tel ' + s, (s) => 'Phone: ' + s, (s) => 'Mobile ' + s, (s) => '(' + s + ')',
  (s) => '[' + s + ']', (s) => '"' + s + '"', (s) => "'" + s, (s) => s + ';', (s) => s + ',',
  (s) => s + '.', (s) => s + '!', (s) => s + ' (office)', (s) => s + ' / ', (s) => '*' + s,
  (s) => s + ' é', (s) => s + ' 電話', (s) => s + ' mob.', (s) => s + ' ?', (s) => '<' + s + '>',
  (s) => s + '/x12', (s) => s + ' / x34', (s) => s + ' or 079 123 45 67', (s) => s + ' & 2',
  (s) => 'Nr. ' + s, (s) => s + ' -', (s) => s + '\u200B', (s) => '\u200B' + s, (s) => s + '\u00AD',
];

// ---------------------------------------------------------------------------
// Rendering a (cc, nsn) pair as a line of text.

function parseE164(cc, nsn) {
  try {
    return util.parse('+' + cc + nsn, 'ZZ');
  } catch (e) {
    return null;
  }
}

function separatorVariant(r, s) {
  switch (r.int(7)) {
    case 0: return s.replace(/ /g, '-');
    case 1: return s.replace(/ /g, '.');
    case 2: return s.replace(/ /g, '');
    case 3: return s.replace(/ /g, () => r.pick([' ', '-', '.', '', '  ', ' - ', '/']));
    case 4: { // parentheses around the first group after the country code
      const parts = s.split(' ');
      if (parts.length > 2 && parts[0].startsWith('+')) parts[1] = '(' + parts[1] + ')';
      else if (parts.length > 1) parts[0] = '(' + parts[0] + ')';
      return parts.join(' ');
    }
    case 5: { // "+41 (0)44 ..." trunk prefix in parentheses
      const parts = s.split(' ');
      if (parts.length > 1 && parts[0].startsWith('+')) parts[1] = '(0)' + parts[1];
      return parts.join(' ');
    }
    default: return s;
  }
}

function renderNumber(r, cc, nsn, home, defaultRegion) {
  const num = parseE164(cc, nsn);
  const region = home && home !== '001' ? home : util.getRegionCodeForCountryCode(cc);
  const ndd = region && region !== '001' && region !== 'ZZ' ? util.getNddPrefixForRegion(region, true) || '' : '';
  const idd = r.pick(['00', '00', '011', '011 ', '00 ', '0011', '810', '000', '+00', '001']);
  const kind = r.weighted([
    [10, 'e164'], [12, 'intl'], [10, 'national'], [5, 'nsn'], [5, 'ndd'], [6, 'idd'], [5, 'outOfCountry'],
    [5, 'rfc3966'], [2, 'ccNoPlus'], [2, 'plusSpaces'],
  ]);
  switch (kind) {
    case 'e164': return '+' + cc + nsn;
    case 'intl': return num ? separatorVariant(r, util.format(num, PNF.INTERNATIONAL)) : '+' + cc + ' ' + nsn;
    case 'national': return num ? separatorVariant(r, util.format(num, PNF.NATIONAL)) : ndd + nsn;
    case 'nsn': return nsn;
    case 'ndd': return ndd + nsn;
    case 'idd': return idd + cc + (r.chance(0.5) ? ' ' : '') + nsn;
    case 'outOfCountry': {
      const from = defaultRegion || r.pick(['US', 'CH', 'GB', 'DE', 'JP', 'AU', 'FR']);
      return num ? util.formatOutOfCountryCallingNumber(num, from) : idd + cc + nsn;
    }
    case 'rfc3966': return renderRfc3966(r, cc, nsn, num, ndd);
    case 'ccNoPlus': return cc + ' ' + nsn;
    case 'plusSpaces': return '+ ' + cc + ' ' + nsn.replace(/(\d{3})/g, '$1 ').trim();
    default: throw new Error(kind);
  }
}

function renderRfc3966(r, cc, nsn, num, ndd) {
  const base = num ? util.format(num, PNF.RFC3966) : 'tel:+' + cc + '-' + nsn;
  switch (r.int(12)) {
    case 0: return base;
    case 1: return base + ';ext=' + randDigits(r, r.range(1, 5));
    case 2: return 'tel:' + nsn + ';phone-context=+' + cc;
    case 3: return 'tel:' + ndd + nsn + ';phone-context=+' + cc;
    case 4: return 'tel:' + nsn + ';phone-context=example.com';
    case 5: return 'tel:' + nsn + ';phone-context=';
    case 6: return 'tel:' + nsn + ';phone-context=+';
    case 7: return base + ';isub=' + randDigits(r, 4);
    case 8: return 'tel:' + nsn + ';ext=' + randDigits(r, 3) + ';phone-context=+' + cc;
    case 9: return base.replace('tel:', 'TEL:');
    case 10: return 'tel:' + nsn + ';phone-context=+' + cc + '-' + randDigits(r, 2) + ';foo=bar';
    default: return nsn + ';phone-context=' + r.pick(['+' + cc, 'a.b.c', '-bad', 'ex_ample.com', '1.2']);
  }
}

// Mutates a national significant number.
function mutateNsn(r, nsn) {
  const kind = r.weighted([[5, 'drop'], [5, 'add'], [6, 'change'], [8, 'tail'], [2, 'short'], [2, 'long'],
    [2, 'zero'], [1, 'dup']]);
  const i = r.int(nsn.length);
  switch (kind) {
    case 'drop': return nsn.length > 1 ? nsn.slice(0, i) + nsn.slice(i + 1) : nsn;
    case 'add': return nsn.slice(0, i) + String(r.int(10)) + nsn.slice(i);
    case 'change': return nsn.slice(0, i) + String((+nsn[i] + r.range(1, 9)) % 10) + nsn.slice(i + 1);
    case 'tail': { // keep a prefix, randomize the rest (same length): mostly valid numbers
      const keep = Math.min(nsn.length, r.range(1, 4));
      return nsn.slice(0, keep) + randDigits(r, nsn.length - keep);
    }
    case 'short': return nsn.slice(0, r.range(1, 4));
    case 'long': return nsn + randDigits(r, r.range(4, 12));
    case 'zero': return '0' + nsn;
    case 'dup': return nsn + nsn;
    default: throw new Error(kind);
  }
}

function numberLine(r, defaultRegion, homeExamples) {
  const ex = homeExamples.length && r.chance(0.45) ? r.pick(homeExamples) : r.pick(EXAMPLES);
  let cc = String(ex.cc);
  let nsn = ex.nsn;
  let home = ex.region;
  if (r.chance(0.55)) nsn = mutateNsn(r, nsn);
  if (r.chance(0.06)) { // wrong country code
    cc = r.chance(0.6) ? String(r.pick(CALLING_CODES)) : r.pick(BAD_CALLING_CODES);
    home = '';
  }
  let s = renderNumber(r, cc, nsn, home, defaultRegion);
  if (r.chance(0.12)) s += r.pick(EXT_FORMS)(randDigits(r, r.weighted([[6, 2], [4, 3], [2, 4], [1, 1], [1, 7], [1, 12]])));
  if (r.chance(0.08)) s = r.pick(WRAPPERS)(s);
  if (r.chance(0.03)) s = toFullWidth(s);
  else if (r.chance(0.015)) s = mapDigits(s, r.pick([ARABIC_INDIC, EXT_ARABIC_INDIC]));
  return s;
}

// ---------------------------------------------------------------------------
// Junk and edge cases.

const JUNK = [
  'n/a', 'N/A', 'none', '-', '--', '?', 'unknown', 'null', 'undefined', 'TBD', '0', '00', '+', '++',
  '+-', '+ ', '#', '*', '()', 'tel:', 'tel:+', 'email@example.com', 'john.doe@example.ch', 'http://example.com',
  '1-800-FLOWERS', '1 800 FLOWERS', '+1-800-FLOWERS', '0800 FLOWERS', '+1 (800) GOT-JUNK', '1-800-MY-APPLE',
  '1-800-CALL-NOW-NOW', '+44 800 BUY STUFF', '+41 800 SWISS', 'ABC-DEFG', 'CALL ME', 'x123', 'ext. 12',
  '#12', ';ext=12', '1', '12', '123', '+1', '+12', '+123', '+1234', '+41', '+41 ', '+44', '+49 30',
  '0041', '00 41', '011', '011 41', '00', '0044 20', '+999 123 456 789', '+999123456789', '+0 123 456 789',
  '+00 41 44 668 18 00', '+800', '+800 1234', '+882 1', '+979 1', '+888', '12 34', '12-34-56',
  '12.34.56.78', '1/2/2024', '2024-01-31', '12:30', '3.14159', '1e10', '-41446681800', '+-41446681800',
  '++41446681800', '+ +41 44 668 18 00', '+41 44 668 18 00 +41 44 668 18 01', '0446681800 0446681801',
  'abc0446681800', '0446681800abc', 'Tel.+41(0)44/668.18.00', '+41-(0)-44-668-18-00', '41 44 668 18 00',
  '４１ ４４ ６６８ １８ ００', '＋４１　４４　６６８　１８　００', '＋１ ６５０ ２５３ ００００', '０４４ ６６８ １８ ００',
  '٠٤٤٦٦٨١٨٠٠', '+٤١٤٤٦٦٨١٨٠٠', '۰۷۹۱۲۳۴۵۶۷', '+۴۴۲۰۷۹۴۶۰۹۵۸',
  '०४४६६८१८००', '+४१४४६६८१८००', '๐๔๔๖๖๘๑๘๐๐', '+๔๑๔๔๖๖๘๑๘๐๐', '𝟎𝟒𝟒𝟔𝟔𝟖𝟏𝟖𝟎𝟎', '+𝟒𝟏𝟒𝟒𝟔𝟔𝟖𝟏𝟖𝟎𝟎',
  '+41 ४४ ६६८ १८ ००', '+1 ६५० २५३ ००००', '☎ +41 44 668 18 00', '📞 +44 20 7946 0958', '😀', '电话', 'Телефон',
  '+41 44 668 18 00 ☎', '+41 44 668 18 00 電話', '+41 44 668 18 00 é', '+41 44 668 18 00 Zürich',
  '+41\u200B44\u200B668\u200B18\u200B00', '+41\u00AD44 668 18 00', '+41\u206044 668 18 00',
  '+41\u2010 44\u2011668\u201218\u201300', '+41\u2212 44\u2015668\u30FC18\uFF0D00', '+41\u301C44',
  '+41 44 668 18 00\u2053', '0446681800~12', '+41 44 668 18 00 ~ 12', '\u180E+41446681800\u180E',
  '\u200B+41 44 668 18 00', '+41 44 668 18 00\u200B', '+41446681800\u2060', '\uFEFF+41446681800',
  '+41 44 668 18 00\uFEFF', '+41 44 668 18 00\u00A0ext\u00A012', '+41 44 668 18 00\text\t12',
  'tel:+41-44-668-18-00;phone-context=+41', 'tel:+41-44-668-18-00;ext=1;ext=2', 'tel:0446681800;phone-context=+41;ext=12',
  'tel:;phone-context=+41', ';phone-context=+41', 'x;phone-context=+41', 'tel:abc;phone-context=+41',
  'tel:0446681800;phone-context=+41;tel:', 'tel:0446681800;isub=12;phone-context=+41',
  'tel:+1-650-253-0000;phone-context=', 'tel:650-253-0000;phone-context=google.com', 'tel:650-253-0000;phone-context=+1-650',
  'tel:2530000;phone-context=+1-650', 'tel:+44-20-7946-0958;phone-context=+44', 'tel:07946 0958;phone-context=+44-20',
  '(530) 583-6985 x302/x2303', '(530) 583-6985 x302', '650 253 0000 ext 1234567890', '650 253 0000 x1234567890',
  '650 253 0000 #12345678901', '+1 650 253 0000 ext. 123456789012345678901', '+44 20 7946 0958 ,,12', '+44 20 7946 0958 ;12',
  '1 (650) 253-0000', '1-650-253-0000', '(650) 253-0000', '650.253.0000', '253-0000', '011 41 44 668 18 00',
  '011 44 20 7946 0958', '00 1 650 253 0000', '0011 61 2 9374 4000', '+61 (02) 9374 4000', '+39 06 698 12345',
  '+39 3123456789', '+7 (495) 123-45-67', '8 (495) 123-45-67', '+86 10 1234 5678', '+81 3-1234-5678',
  '+52 1 55 1234 5678', '+54 9 11 1234 5678', '+55 (11) 91234-5678', '+91 98765 43210', '+234 803 123 4567',
  '+979 1234 5678', '+870 773 111 632', '+881 6 12345678', '+882 34 123 4567', '+883 510 012345', '+888 123 456 789',
  '+800 1234 5678', '+808 1234 5678', '+878 101 234 5678', '+1 242 357 1234', '+1 671 300 1234', '+1 999 123 4567',
  '+1 123 456 7890', '+1 555 555 5555', '+44 7700 900123', '+44 1624 456789', '+44 1534 456789', '+44 1481 256789',
  '+47 79 12 34 56', '+590 690 00 12 34', '+262 269 61 12 34', '+599 9 123 4567', '+7 700 123 4567', '+212 5288 12345',
  '+358 18 1234567', '+61 8 9162 1234', '+64 3 123 4567', '+672 3 12345',
];

function junkLine(r) {
  switch (r.int(8)) {
    case 0: case 1: case 2: return r.pick(JUNK);
    case 3: { // random letters and digits
      const cs = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -+().';
      let s = '';
      for (let i = r.range(1, 30); i > 0; i--) s += cs[r.int(cs.length)];
      return s;
    }
    case 4: { // random punctuation
      const cs = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
      let s = '';
      for (let i = r.range(1, 12); i > 0; i--) s += cs[r.int(cs.length)];
      return s;
    }
    case 5: { // digits in unusual scripts
      const d = randDigits(r, r.range(6, 13));
      const t = r.pick([FULLWIDTH_DIGITS, ARABIC_INDIC, EXT_ARABIC_INDIC, DEVANAGARI, THAI, MATH_BOLD]);
      return (r.chance(0.5) ? r.pick(['+', '＋', '']) : '') + mapDigits(d, t);
    }
    case 6: { // alpha number
      const words = ['FLOWERS', 'GOTJUNK', 'CALLNOW', 'HELP', 'PIZZA', 'TAXI', 'HOTEL', 'abc', 'Ab', 'XYZW'];
      return r.pick(['1-800-', '+1 800 ', '0800 ', '+44 800 ', '+41 800 ', '1-888-', '']) + r.pick(words) +
        (r.chance(0.3) ? '-' + r.pick(words) : '');
    }
    default: { // random digit strings of every length
      const n = r.range(1, 24);
      return (r.chance(0.4) ? '+' : '') + randDigits(r, n);
    }
  }
}

function longLine(r, defaultRegion, homeExamples) {
  switch (r.int(8)) {
    case 0: return randDigits(r, r.range(251, 320));
    case 1: return '+' + randDigits(r, r.range(240, 260));
    case 2: { // a valid number followed by many spaces that trimming removes
      return numberLine(r, defaultRegion, homeExamples) + ' '.repeat(r.range(240, 300));
    }
    case 3: return '\t'.repeat(r.range(245, 260)) + '+41 44 668 18 00';
    case 4: { // a number padded with internal punctuation to just over 250
      const n = '+41 44 668 18 00';
      return n.replace(/ /g, () => '-'.repeat(r.range(40, 70)));
    }
    case 5: { // 230..260 chars: around the limit
      const n = '+44 20 7946 0958';
      return n + ' x' + '-'.repeat(r.range(230 - n.length, 258 - n.length)) + '12';
    }
    case 6: { // multi-byte characters: fewer than 250 UTF-16 units, more than 250 UTF-8 bytes
      const base = toFullWidth(r.pick(['+41 44 668 18 00', '+1 650 253 0000', '+44 20 7946 0958', '044 668 18 00']));
      return base.replace(/\u3000/g, () => '\u3000'.repeat(r.range(15, 30)));
    }
    default: return r.pick(['Lorem ipsum dolor sit amet ', 'Call +41 44 668 18 00 ', 'x ']).repeat(r.range(10, 30));
  }
}

function blankLine(r) {
  return r.pick(['', '', '', ' ', '  ', '\t', '\u00A0', '\u3000', ' \u2003 ', '\u2028', '\u0085', '\u000B',
    '\u000C', ' \t\u000B\u000C ', '\u1680', '\u202F\u205F', '\uFEFF', ' \uFEFF ']);
}

// ---------------------------------------------------------------------------
// One corpus file.

function buildLines(region, count) {
  const r = prng(hashSeed(region || 'ZZ'));
  const homeExamples = region ? EXAMPLES.filter((e) => e.region === region) : [];
  const texts = [];

  // Every example number of every region and type, once, in E.164 or international format.
  for (const ex of EXAMPLES) {
    const num = parseE164(ex.cc, ex.nsn);
    texts.push(r.chance(0.5) || !num ? '+' + ex.cc + ex.nsn : util.format(num, PNF.INTERNATIONAL));
  }
  // The default region's own examples in every national rendering.
  for (const ex of homeExamples) {
    const num = parseE164(ex.cc, ex.nsn);
    texts.push(ex.nsn);
    texts.push(util.format(num, PNF.NATIONAL));
    texts.push(util.format(num, PNF.RFC3966));
    texts.push(util.formatOutOfCountryCallingNumber(num, region === 'US' ? 'CH' : 'US'));
  }
  // A fixed selection of junk and edge cases.
  for (const j of JUNK) texts.push(j);

  while (texts.length < count) {
    const kind = r.weighted([[70, 'number'], [14, 'junk'], [5, 'blank'], [1, 'long']]);
    if (kind === 'number') texts.push(numberLine(r, region, homeExamples));
    else if (kind === 'junk') texts.push(junkLine(r));
    else if (kind === 'blank') texts.push(null);
    else texts.push(longLine(r, region, homeExamples));
  }
  r.shuffle(texts);
  texts.length = count;

  const lines = texts.map((t) => {
    let s = t === null ? blankLine(r) : t;
    if (t !== null) {
      if (r.chance(0.08)) s = r.pick(DECOR_SPACES) + s;
      if (r.chance(0.08)) s += r.pick(DECOR_SPACES);
      if (r.chance(0.01)) s = r.pick(NOT_GO_SPACES) + s;
    }
    if (r.chance(0.1)) s += '\r'; // CRLF line ending
    return s;
  });
  lines[0] = '\uFEFF' + (texts[0] === null ? '+41 44 668 18 00' : texts[0]);
  return lines;
}

function checkLine(s, i, region) {
  // Lines must be free of \n and of control characters other than tab, except a
  // trailing CR; \v and \f are only allowed on blank lines (CleanLine would map
  // them to U+FFFD otherwise).
  const body = s.endsWith('\r') ? s.slice(0, -1) : s;
  const ctl = isBlank(s) ? /[\u0000-\u0008\n\r\u000E-\u001F\u007F]/ : /[\u0000-\u0008\n-\u001F\u007F]/;
  if (ctl.test(body)) throw new Error(`${region} line ${i + 1}: control character in ${JSON.stringify(s)}`);
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)) {
    throw new Error(`${region} line ${i + 1}: lone surrogate`);
  }
}

function main() {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  for (const { region, lines: count } of FILES) {
    const name = region || 'ZZ';
    const lines = buildLines(region, count);
    const rows = [];
    lines.forEach((raw, i) => {
      checkLine(raw, i, name);
      if (isBlank(raw)) return;
      const text = goTrimSpace(cleanLine(raw));
      rows.push(JSON.stringify(expectedRow(text, i + 1, region)));
    });
    fs.writeFileSync(path.join(OUT_DIR, name + '.txt'), lines.join('\n') + '\n');
    fs.writeFileSync(path.join(OUT_DIR, name + '.expected.jsonl'), rows.join('\n') + '\n');
    const counts = {};
    let alt = 0;
    for (const row of rows) {
      const o = JSON.parse(row);
      counts[o.Reason] = (counts[o.Reason] || 0) + 1;
      if (o.goMetadata) alt++;
    }
    console.log(`${name}: ${lines.length} lines, ${rows.length} non-blank, ${alt} depend on the metadata version`,
      JSON.stringify(counts));
  }
  console.log(`examples: ${EXAMPLES.length}; libphonenumber via google-libphonenumber ${require('google-libphonenumber/package.json').version}`);
}

main();
