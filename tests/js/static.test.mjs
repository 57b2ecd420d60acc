// What can be read off the shipped text itself: a classic script, CSP-safe, old syntax.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { SRC } from './harness.mjs';

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
