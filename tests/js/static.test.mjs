// What can be read off the shipped text itself: a classic script, CSP-safe, old syntax.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { SRC, ASSET_PATH } from './harness.mjs';

// Comments and string contents removed, so words in them do not count.
const code = SRC.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '').replace(/'(?:\\.|[^'\\])*'/g, "''");

test('compiles as a classic script (not a module)', () => {
  assert.doesNotThrow(() => new vm.Script(SRC, { filename: 'auto-logout.js' }));
  assert.doesNotMatch(code, /^\s*(import|export)\b/m);
});

test('nothing CSP forbids: no eval, no Function constructor, no string timers, no inline handlers or HTML', () => {
  for (const bad of [/\beval\s*\(/, /\bFunction\s*\(/, /setTimeout\(\s*['"`]/, /\.innerHTML\b/, /\.outerHTML\b/,
    /insertAdjacentHTML/, /document\.write/, /\.on(click|keydown|load)\s*=/, /setAttribute\(\s*'on/]) {
    assert.doesNotMatch(SRC, bad, String(bad));
  }
});

test('no inline styles anywhere', () => {
  assert.doesNotMatch(SRC, /\.style\b/);
  assert.doesNotMatch(SRC, /style=/);
  assert.doesNotMatch(SRC, /['"]style['"]/);
  assert.doesNotMatch(SRC, /cssText|insertRule/);
});

test('ES2017 at most: no syntax from later editions', () => {
  for (const [what, re] of [
    ['optional chaining', /\?\.[^\d]/],
    ['nullish coalescing', /\?\?/],
    ['optional catch binding', /catch\s*\{/],
    ['object spread/rest', /\{\s*\.\.\./],
    ['class fields / private names', /#[a-zA-Z_]/],
    ['numeric separators', /\d_\d/],
    ['bigint literals', /\d+n\b/],
  ]) {
    assert.doesNotMatch(code, re, what);
  }
});

test('never navigates with reload(), assign() or a location.href write', () => {
  assert.doesNotMatch(code, /\.reload\s*\(/);
  assert.doesNotMatch(code, /\.assign\s*\(/);
  assert.doesNotMatch(code, /\.href\s*=[^=]/);
});

test('size: the shipped text, gzip -9, warning UI included, is at most 3 KB', (t) => {
  // The readable file as shipped; minifying first could only make it smaller.
  const raw = fs.readFileSync(ASSET_PATH);
  const gz = zlib.gzipSync(raw, { level: 9 }).length;
  t.diagnostic(`assets/auto-logout.js: ${raw.length} bytes raw, ${gz} bytes gzip -9 (limit 3072)`);
  assert.ok(gz <= 3072, `${gz} bytes gzipped`);
});

test('safe to inline in a <script> element', () => {
  const lower = SRC.toLowerCase();
  for (const bad of ['</script', '<!--', '<script']) assert.ok(!lower.includes(bad), bad);
  assert.doesNotMatch(SRC, /[^\x00-\x7f]/, 'ASCII only');
});

test('the default stylesheet covers every class the script sets', () => {
  const css = fs.readFileSync(new URL('../../assets/auto-logout.css', import.meta.url), 'utf8');
  for (const cls of ['auto-logout-warning', 'auto-logout-warning__title', 'auto-logout-warning__text',
    'auto-logout-warning__time', 'auto-logout-warning__button', 'auto-logout-visually-hidden']) {
    assert.match(css, new RegExp(`\\.${cls}\\s*[{:,]`), cls);
  }
  for (const suffix of ['__title', '__text', '__time', '__button']) assert.ok(SRC.includes(`'${suffix}'`), suffix);
  const hidden = css.slice(css.indexOf('.auto-logout-visually-hidden'));
  assert.match(hidden, /clip-path:\s*inset\(50%\)/);
  assert.match(hidden, /position:\s*absolute/);
  assert.doesNotMatch(hidden, /display:\s*none|visibility:\s*hidden/, 'must stay readable by screen readers');
});
