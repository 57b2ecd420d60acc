// What can be read off the script's text itself: a classic script, CSP-safe, old syntax.
// Checked on the readable source and on the shipped build (the minifier must not bring
// in what the source avoids); the size budget applies to the build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import fs from 'node:fs';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { SRC, ASSET_PATH, SOURCE, SOURCE_PATH } from './harness.mjs';

// Comments and string contents removed, so words in them do not count.
const stripped = (text) =>
  text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:\\.|[^'\\\n])*'/g, "''")
    .replace(/"(?:\\.|[^"\\\n])*"/g, '""')
    .replace(/`(?:\\.|[^`\\])*`/g, '``');

const TEXTS = [
  ['source', SOURCE],
  ['build', SRC],
];

for (const [name, text] of TEXTS) {
  const code = stripped(text);

  test(`${name}: compiles as a classic script (not a module)`, () => {
    assert.doesNotThrow(() => new vm.Script(text, { filename: `auto-logout (${name})` }));
    assert.doesNotMatch(code, /^\s*(import|export)\b/m);
  });

  test(`${name}: nothing CSP forbids: no eval, no Function constructor, no string timers, no inline handlers or HTML`, () => {
    for (const bad of [/\beval\s*\(/, /\bFunction\s*\(/, /setTimeout\(\s*['"`]/, /\.innerHTML\b/, /\.outerHTML\b/,
      /insertAdjacentHTML/, /document\.write/, /\.on(click|keydown|load)\s*=/, /setAttribute\(\s*['"]on/]) {
      assert.doesNotMatch(text, bad, String(bad));
    }
  });

  test(`${name}: no inline styles anywhere (CSSOM properties only: the hidden announcement, the locked page)`, () => {
    // The uses of `.style`: Object.assign(element.style, {...}) for the announcement,
    // and `.style.visibility` read, set and restored for the page a lock covers.
    const uses = text.match(/\.style\b(\.\w+)?/g);
    assert.deepEqual(uses.filter((use) => use !== '.style.visibility'), ['.style']);
    assert.equal(uses.length, 4);
    assert.match(text, /Object\.assign\(\w+\.style,\{?/);
    assert.doesNotMatch(text, /style=/);
    assert.doesNotMatch(text, /['"]style['"]/);
    assert.doesNotMatch(text, /cssText|insertRule/);
  });

  test(`${name}: ES2017 at most: no syntax from later editions`, () => {
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

  test(`${name}: never navigates with reload(), assign() or a location.href write`, () => {
    assert.doesNotMatch(code, /\.reload\s*\(/);
    assert.doesNotMatch(code, /(?<!Object)\.assign\s*\(/);
    assert.doesNotMatch(code, /\.href\s*=[^=]/);
  });

  test(`${name}: safe to inline in a <script> element`, () => {
    const lower = text.toLowerCase();
    for (const bad of ['</script', '<!--', '<script']) assert.ok(!lower.includes(bad), bad);
    assert.doesNotMatch(text, /[^\x00-\x7f]/, 'ASCII only');
  });
}

test('size: the shipped build, gzip -9, with every feature (warning, lock, sign in again), is at most 4 KB', (t) => {
  const raw = fs.readFileSync(ASSET_PATH);
  const gz = zlib.gzipSync(raw, { level: 9 }).length;
  const source = fs.readFileSync(SOURCE_PATH);
  const sourceGz = zlib.gzipSync(source, { level: 9 }).length;
  t.diagnostic(`assets/auto-logout.min.js: ${raw.length} bytes raw, ${gz} bytes gzip -9 (limit 4096)`);
  t.diagnostic(`assets/auto-logout.js (source, not shipped): ${source.length} bytes raw, ${sourceGz} bytes gzip -9`);
  assert.ok(gz <= 4096, `${gz} bytes gzipped`);
});

test('the build names the source it was made from (sha256 in its first line)', () => {
  const hash = crypto.createHash('sha256').update(fs.readFileSync(SOURCE_PATH)).digest('hex');
  const banner = SRC.split('\n')[0];
  assert.match(banner, /^\/\*! auto-logout \| source sha256:[0-9a-f]{64} \*\/$/);
  assert.ok(banner.includes(hash), 'stale build: run `npm run build`');
});

test('the default stylesheet covers every class the script sets', () => {
  const css = fs.readFileSync(new URL('../../assets/auto-logout.css', import.meta.url), 'utf8');
  for (const cls of ['auto-logout-warning', 'auto-logout-warning__title', 'auto-logout-warning__text',
    'auto-logout-warning__time', 'auto-logout-warning__button', 'auto-logout-visually-hidden']) {
    assert.match(css, new RegExp(`\\.${cls}\\s*[{:,]`), cls);
  }
  for (const suffix of ['__title', '__text', '__time', '__button']) {
    assert.ok(SOURCE.includes(`'${suffix}'`), `source: ${suffix}`);
    assert.ok(SRC.includes(`"${suffix}"`) || SRC.includes(`'${suffix}'`), `build: ${suffix}`);
  }
  const hidden = css.slice(css.indexOf('.auto-logout-visually-hidden'));
  assert.match(hidden, /clip-path:\s*inset\(50%\)/);
  assert.match(hidden, /position:\s*absolute/);
  assert.doesNotMatch(hidden, /display:\s*none|visibility:\s*hidden/, 'must stay readable by screen readers');
});
