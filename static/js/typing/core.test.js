"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const Core = require("./core.js");

const T0 = 1_700_000_000_000;

function typeAll(state, text, now = T0, step = 100) {
  let t = now;
  for (const ch of text) {
    Core.applyKey(state, ch, t);
    t += step;
  }
  return t;
}

const QWERTY = {
  slug: "qwerty",
  label: "QWERTY (US)",
  rows: [
    row("Backquote Digit1 Digit2 Digit3 Digit4 Digit5 Digit6 Digit7 Digit8 Digit9 Digit0 Minus Equal",
      "`1234567890-=", "~!@#$%^&*()_+", "l5 l5 l4 l3 l2 l2 r2 r2 r3 r4 r5 r5 r5"),
    row("KeyQ KeyW KeyE KeyR KeyT KeyY KeyU KeyI KeyO KeyP BracketLeft BracketRight Backslash",
      "qwertyuiop[]\\", "QWERTYUIOP{}|", "l5 l4 l3 l2 l2 r2 r2 r3 r4 r5 r5 r5 r5"),
    row("KeyA KeyS KeyD KeyF KeyG KeyH KeyJ KeyK KeyL Semicolon Quote",
      "asdfghjkl;'", 'ASDFGHJKL:"', "l5 l4 l3 l2 l2 r2 r2 r3 r4 r5 r5"),
    row("KeyZ KeyX KeyC KeyV KeyB KeyN KeyM Comma Period Slash",
      "zxcvbnm,./", "ZXCVBNM<>?", "l5 l4 l3 l2 l2 r2 r2 r3 r4 r5"),
  ],
};

const JCUKEN = {
  slug: "jcuken",
  label: "ЙЦУКЕН (Russian)",
  rows: [
    row(QWERTY.rows[0].map((k) => k.code).join(" "), "ё1234567890-=", 'Ё!"№;%:?*()_+',
      "l5 l5 l4 l3 l2 l2 r2 r2 r3 r4 r5 r5 r5"),
    row(QWERTY.rows[1].map((k) => k.code).join(" "), "йцукенгшщзхъ\\", "ЙЦУКЕНГШЩЗХЪ/",
      "l5 l4 l3 l2 l2 r2 r2 r3 r4 r5 r5 r5 r5"),
    row(QWERTY.rows[2].map((k) => k.code).join(" "), "фывапролджэ", "ФЫВАПРОЛДЖЭ",
      "l5 l4 l3 l2 l2 r2 r2 r3 r4 r5 r5"),
    row(QWERTY.rows[3].map((k) => k.code).join(" "), "ячсмитьбю.", "ЯЧСМИТЬБЮ,",
      "l5 l4 l3 l2 l2 r2 r2 r3 r4 r5"),
  ],
};

function row(codes, base, shifted, fingers) {
  const c = codes.split(" ");
  const b = [...base];
  const s = [...shifted];
  const f = fingers.split(" ");
  return c.map((code, i) => ({ code, base: b[i], shifted: s[i], finger: f[i] }));
}

test("createState starts at 0 with nothing typed", () => {
  const s = Core.createState("hello world", false);
  assert.equal(s.pos, 0);
  assert.equal(s.length, 11);
  assert.equal(s.sessionId, null);
  assert.equal(s.startedAt, null);
  assert.deepEqual(s.unsent, []);
  assert.equal(Core.allAcked(s), true);
});

test("correct key advances and is recorded with t since the first key", () => {
  const s = Core.createState("abc", false);
  assert.equal(Core.applyKey(s, "a", T0).result, "correct");
  assert.equal(Core.applyKey(s, "b", T0 + 150).result, "correct");
  assert.equal(s.pos, 2);
  assert.equal(s.startedAt, T0);
  assert.deepEqual(s.unsent, [[0, "a", 0], [1, "b", 150]]);
});

test("wrong key keeps the cursor and is recorded as a keystroke", () => {
  const s = Core.createState("abc", false);
  const r = Core.applyKey(s, "x", T0);
  assert.equal(r.result, "wrong");
  assert.equal(r.expected, "a");
  assert.equal(s.pos, 0);
  assert.equal(s.errors, 1);
  assert.equal(s.keystrokes, 1);
  assert.deepEqual(s.unsent, [[0, "x", 0]]);
  assert.equal(Core.applyKey(s, "a", T0 + 50).result, "correct");
  assert.equal(s.pos, 1);
  assert.deepEqual(s.unsent, [[0, "x", 0], [0, "a", 50]]);
});

test("finishing the text reports done and later keys are ignored", () => {
  const s = Core.createState("ab", false);
  Core.applyKey(s, "a", T0);
  assert.equal(Core.applyKey(s, "b", T0 + 10).result, "done");
  assert.equal(s.done, true);
  assert.equal(Core.applyKey(s, "c", T0 + 20).result, "ignored");
  assert.equal(s.keystrokes, 2);
});

test("multi-character strings are ignored", () => {
  const s = Core.createState("abc", false);
  assert.equal(Core.applyKey(s, "Shift", T0).result, "ignored");
  assert.equal(Core.applyKey(s, "", T0).result, "ignored");
  assert.equal(s.keystrokes, 0);
  assert.equal(s.startedAt, null);
});

test("code mode skips indentation after a correct newline; skipped positions are not keystrokes", () => {
  const text = "if x:\n    y\nz";
  const s = Core.createState(text, true);
  typeAll(s, "if x:");
  const r = Core.applyKey(s, "\n", T0 + 1000);
  assert.equal(r.result, "correct");
  assert.equal(r.skipped, 4);
  assert.equal(s.pos, 10);
  assert.equal(s.chars[s.pos], "y");
  assert.equal(s.keystrokes, 6);
  assert.deepEqual(s.unsent.at(-1), [5, "\n", 1000]);
  assert.ok(!s.unsent.some(([pos]) => pos >= 6 && pos <= 9));
});

test("non-code mode types newline with Enter and does not skip spaces", () => {
  const s = Core.createState("ab\n  cd", false);
  typeAll(s, "ab");
  const r = Core.applyKey(s, "\n", T0 + 500);
  assert.equal(r.skipped, 0);
  assert.equal(s.pos, 3);
  assert.equal(Core.applyKey(s, " ", T0 + 600).result, "correct");
});

test("a wrong newline in code mode does not skip", () => {
  const s = Core.createState("a\n  b", true);
  Core.applyKey(s, "a", T0);
  Core.applyKey(s, "b", T0 + 1);
  assert.equal(s.pos, 1);
});

test("Cyrillic keys work and positions are code points", () => {
  const s = Core.createState("привет мир", false);
  const end = typeAll(s, "привет ми");
  assert.equal(Core.applyKey(s, "р", end).result, "done");
  assert.equal(s.errors, 0);
  assert.deepEqual(s.unsent[1].slice(0, 2), [1, "р"]);
  // Astral characters count as one position (as in the server's Python strings).
  const a = Core.createState("😀ab", false);
  Core.applyKey(a, "😀", T0);
  assert.equal(a.pos, 1);
  assert.deepEqual(a.unsent[0], [0, "😀", 0]);
});

test("t never decreases when the clock goes backwards", () => {
  const s = Core.createState("abcdef", false);
  Core.applyKey(s, "a", T0);
  Core.applyKey(s, "b", T0 + 500);
  Core.applyKey(s, "c", T0 + 200); // clock jumped back
  Core.applyKey(s, "d", T0 - 10_000);
  Core.applyKey(s, "e", T0 + 800);
  assert.deepEqual(s.unsent.map((k) => k[2]), [0, 500, 500, 500, 800]);
  assert.equal(Core.timeFor(s, T0 + 100), 800);
  assert.equal(Core.timeFor(s, T0 + 900), 900);
  assert.ok(s.unsent.every((k) => Number.isInteger(k[2])));
});

test("keyFromEvent handles Enter, Escape, Backspace, combos, IME and modifiers", () => {
  assert.deepEqual(Core.keyFromEvent({ key: "a" }), { type: "char", ch: "a" });
  assert.deepEqual(Core.keyFromEvent({ key: "Enter" }), { type: "char", ch: "\n" });
  assert.deepEqual(Core.keyFromEvent({ key: "Escape" }), { type: "escape" });
  assert.deepEqual(Core.keyFromEvent({ key: "Backspace" }), { type: "backspace" });
  assert.deepEqual(Core.keyFromEvent({ key: "ж" }), { type: "char", ch: "ж" });
  assert.deepEqual(Core.keyFromEvent({ key: "😀" }), { type: "char", ch: "😀" });
  assert.equal(Core.keyFromEvent({ key: "Shift", shiftKey: true }), null);
  assert.equal(Core.keyFromEvent({ key: "c", ctrlKey: true }), null);
  assert.equal(Core.keyFromEvent({ key: "v", metaKey: true }), null);
  assert.equal(Core.keyFromEvent({ key: "f", altKey: true }), null);
  assert.equal(Core.keyFromEvent({ key: "a", isComposing: true }), null);
  assert.equal(Core.keyFromEvent({ key: "Process", keyCode: 229 }), null);
  assert.equal(Core.keyFromEvent({ key: "Dead" }), null);
  assert.deepEqual(Core.keyFromEvent({ key: "@", ctrlKey: true, altKey: true, altGraph: true }), {
    type: "char",
    ch: "@",
  });
});

test("a 20th key makes a batch due; seq increments", () => {
  const s = Core.createState("a".repeat(100), false);
  for (let i = 0; i < 19; i++) Core.applyKey(s, "a", T0 + i);
  assert.equal(Core.isBatchDue(s, T0 + 19), false);
  assert.equal(Core.takeBatch(s, T0 + 19), null);
  Core.applyKey(s, "a", T0 + 19);
  assert.equal(Core.isBatchDue(s, T0 + 19), true);
  const b0 = Core.takeBatch(s, T0 + 19);
  assert.equal(b0.seq, 0);
  assert.equal(b0.keys.length, 20);
  assert.deepEqual(b0.keys[0], [0, "a", 0]);
  assert.deepEqual(s.unsent, []);
  for (let i = 20; i < 40; i++) Core.applyKey(s, "a", T0 + i);
  const b1 = Core.takeBatch(s, T0 + 40);
  assert.equal(b1.seq, 1);
  assert.deepEqual(b1.keys[0], [20, "a", 20]);
  assert.equal(s.nextSeq, 2);
});

test("2 s after the first unsent key a partial batch is due", () => {
  const s = Core.createState("abcdef", false);
  Core.applyKey(s, "a", T0);
  Core.applyKey(s, "b", T0 + 1500);
  assert.equal(Core.batchDueAt(s), T0 + 2000);
  assert.equal(Core.isBatchDue(s, T0 + 1999), false);
  assert.equal(Core.isBatchDue(s, T0 + 2000), true);
  const b = Core.takeBatch(s, T0 + 2000);
  assert.deepEqual(b, { seq: 0, keys: [[0, "a", 0], [1, "b", 1500]] });
  assert.equal(Core.batchDueAt(s), null);
  // The 2 s clock restarts with the next key.
  Core.applyKey(s, "c", T0 + 3000);
  assert.equal(Core.batchDueAt(s), T0 + 5000);
});

test("force flushes a partial batch; nothing to flush gives null", () => {
  const s = Core.createState("abc", false);
  assert.equal(Core.takeBatch(s, T0, true), null);
  Core.applyKey(s, "a", T0);
  assert.equal(Core.takeBatch(s, T0, true).keys.length, 1);
});

test("queue: sequential, ack, allAcked", () => {
  const s = Core.createState("abcdef", false);
  Core.applyKey(s, "a", T0);
  Core.takeBatch(s, T0, true);
  Core.applyKey(s, "b", T0 + 1);
  Core.takeBatch(s, T0 + 1, true);
  assert.equal(Core.allAcked(s), false);
  assert.equal(Core.nextBatch(s, T0).seq, 0);
  assert.equal(Core.ack(s, 0), true);
  assert.equal(Core.nextBatch(s, T0).seq, 1);
  assert.equal(Core.ack(s, 1), true);
  assert.equal(Core.nextBatch(s, T0), null);
  assert.equal(Core.nextAttemptAt(s), null);
  assert.equal(Core.allAcked(s), true);
  Core.applyKey(s, "c", T0 + 2);
  assert.equal(Core.allAcked(s), false, "unsent keys are not acknowledged");
});

test("ack of an unknown seq is harmless", () => {
  const s = Core.createState("abc", false);
  Core.applyKey(s, "a", T0);
  Core.takeBatch(s, T0, true);
  const before = JSON.stringify(s);
  assert.equal(Core.ack(s, 7), false);
  assert.equal(Core.ack(s, -1), false);
  assert.equal(Core.fail(s, 7, T0), null);
  assert.equal(JSON.stringify(s), before);
  assert.equal(Core.allAcked(s), false);
});

test("failure: backoff grows, is capped at 30 s, and blocks until due", () => {
  const s = Core.createState("abc", false);
  Core.applyKey(s, "a", T0);
  Core.takeBatch(s, T0, true);
  const delays = [];
  for (let i = 0; i < 10; i++) delays.push(Core.fail(s, 0, T0));
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  assert.equal(Core.nextBatch(s, T0 + 29_999), null);
  assert.equal(Core.nextAttemptAt(s), T0 + 30_000);
  assert.equal(Core.nextBatch(s, T0 + 30_000).seq, 0);
  Core.retryNow(s);
  assert.equal(Core.nextBatch(s, T0).seq, 0);
  Core.ack(s, 0);
  assert.equal(s.batches[0].attempts, 0);
  assert.equal(Core.backoffDelay(100), 30000);
  const jittered = Core.backoffDelay(3, 0.5);
  assert.ok(jittered >= 1000 && jittered <= 2000);
});

test("markMissing re-queues known batches and reports unknown seqs", () => {
  const s = Core.createState("abcdef", false);
  for (const [i, ch] of [..."abc"].entries()) {
    Core.applyKey(s, ch, T0 + i);
    Core.takeBatch(s, T0 + i, true);
    Core.ack(s, i);
  }
  assert.equal(Core.allAcked(s), true);
  assert.deepEqual(Core.markMissing(s, [1, 9]), { known: 1, unknown: [9] });
  assert.equal(Core.allAcked(s), false);
  assert.equal(Core.nextBatch(s, T0).seq, 1);
});

test("live stats: WPM from correct chars, accuracy from keystrokes", () => {
  const s = Core.createState("a".repeat(50), false);
  assert.deepEqual(Core.stats(s, T0), { wpm: 0, accuracy: 100, elapsedMs: 0 });
  Core.applyKey(s, "a", T0);
  for (let i = 1; i < 10; i++) Core.applyKey(s, "a", T0 + i * 1000);
  Core.applyKey(s, "x", T0 + 9500);
  // 10 correct chars = 2 words in 12 s = 10 WPM; 10 of 11 keystrokes right = 91 %.
  assert.deepEqual(Core.stats(s, T0 + 12_000), { wpm: 10, accuracy: 91, elapsedMs: 12_000 });
});

test("stats freeze when the text is done", () => {
  const s = Core.createState("abcde", false);
  typeAll(s, "abcde", T0, 3000); // last key at 12 s
  assert.equal(Core.stats(s, T0 + 600_000).wpm, 5);
});

test("serialize/restore round trip keeps position, batches and ack status", () => {
  const text = "hello world, this is a test";
  const s = Core.createState(text, false);
  s.sessionId = "9a8b7c";
  s.token = "signed.token:value";
  s.tokenExpires = 1_900_000_000;
  typeAll(s, "hello");
  Core.applyKey(s, "x", T0 + 600);
  Core.takeBatch(s, T0 + 600, true);
  Core.ack(s, 0);
  Core.applyKey(s, " ", T0 + 700);
  Core.takeBatch(s, T0 + 700, true);
  Core.fail(s, 1, T0 + 800);
  Core.applyKey(s, "w", T0 + 900);
  const json = Core.serialize(s, T0 + 1000);
  const r = Core.restore(json, text, false, T0 + 60_000);
  assert.ok(r);
  assert.equal(r.sessionId, "9a8b7c");
  assert.equal(r.token, "signed.token:value");
  assert.equal(r.tokenExpires, 1_900_000_000);
  assert.equal(r.pos, 7);
  assert.equal(r.errors, 1);
  assert.equal(r.keystrokes, 8);
  assert.equal(r.lastT, 900);
  assert.equal(r.startedAt, T0);
  assert.deepEqual(r.unsent, [[6, "w", 900]]);
  assert.deepEqual(r.batches.map((b) => [b.seq, b.acked]), [[0, true], [1, false]]);
  // Pending batches are re-sent at once after a restore.
  assert.equal(Core.nextBatch(r, T0 + 60_000).seq, 1);
  assert.equal(r.nextSeq, 2);
  // Keeps going from where it was.
  Core.applyKey(r, "o", T0 + 61_000);
  assert.deepEqual(r.unsent.at(-1), [7, "o", 61_000]);
});

test("restore rejects expired, mismatched or broken state", () => {
  const text = "hello world";
  const s = Core.createState(text, false);
  Core.applyKey(s, "h", T0);
  const json = Core.serialize(s, T0);
  assert.ok(Core.restore(json, text, false, T0 + Core.MAX_AGE_MS - 1));
  assert.equal(Core.restore(json, text, false, T0 + Core.MAX_AGE_MS), null);
  assert.equal(Core.restore(json, text + "!", false, T0), null);
  assert.equal(Core.restore(json, "hello", false, T0), null);
  assert.equal(Core.restore("{not json", text, false, T0), null);
  assert.equal(Core.restore(null, text, false, T0), null);
  assert.equal(Core.restore(JSON.stringify({ v: 99 }), text, false, T0), null);
});

test("restore of a state with buffered keys but no session keeps the keys", () => {
  const text = "abcdef";
  const s = Core.createState(text, false);
  typeAll(s, "abc");
  const r = Core.restore(Core.serialize(s, T0 + 300), text, false, T0 + 400);
  assert.equal(r.sessionId, null);
  assert.equal(r.unsent.length, 3);
  assert.equal(r.startedAt, T0);
});

test("storageKey is per lesson", () => {
  assert.equal(Core.storageKey(12), "typing:lesson:12");
});

test("layout lookup: key code, finger, shift on the opposite hand", () => {
  const idx = Core.indexLayout(QWERTY);
  const f = Core.keyFor(idx, "f");
  assert.equal(f.code, "KeyF");
  assert.equal(f.finger, "l2");
  assert.equal(f.shift, false);
  assert.equal(f.shiftCode, null);
  const F = Core.keyFor(idx, "F");
  assert.equal(F.code, "KeyF");
  assert.equal(F.shift, true);
  assert.equal(F.shiftCode, "ShiftRight");
  assert.equal(F.shiftFinger, "r5");
  const colon = Core.keyFor(idx, ":");
  assert.equal(colon.code, "Semicolon");
  assert.equal(colon.shiftCode, "ShiftLeft");
  assert.equal(Core.keyFor(idx, " ").code, "Space");
  assert.equal(Core.keyFor(idx, " ").finger, "thumb");
  assert.equal(Core.keyFor(idx, "\n").code, "Enter");
  assert.equal(Core.keyFor(idx, "é"), null);
  assert.equal(Core.keyFor(idx, undefined), null);
  assert.equal(Core.describeKey("F", F), "Next: F — left index finger + right Shift");
  assert.equal(Core.describeKey("f", f), "Next: f — left index finger");
  assert.equal(Core.describeKey(" ", Core.keyFor(idx, " ")), "Next: Space — thumb");
  assert.equal(Core.describeKey("é", null), "Next: é");
});

test("layout lookup works for Cyrillic (ЙЦУКЕН)", () => {
  const idx = Core.indexLayout(JCUKEN);
  const a = Core.keyFor(idx, "а");
  assert.equal(a.code, "KeyF");
  assert.equal(a.finger, "l2");
  const YO = Core.keyFor(idx, "Ё");
  assert.equal(YO.code, "Backquote");
  assert.equal(YO.shiftCode, "ShiftRight");
  const comma = Core.keyFor(idx, ",");
  assert.equal(comma.code, "Slash");
  assert.equal(comma.shift, true);
  assert.equal(comma.shiftCode, "ShiftLeft");
  // Typing Cyrillic through the state machine too.
  const s = Core.createState("Ёж", false);
  Core.applyKey(s, "Ё", T0);
  assert.equal(Core.applyKey(s, "ж", T0 + 1).result, "done");
});

test("a fresh state has no token, and a token without a session is not restored", () => {
  const text = "hello world";
  const s = Core.createState(text, false);
  assert.equal(s.token, null);
  assert.equal(s.tokenExpires, null);
  s.token = "stray";
  s.startedAt = T0;
  const r = Core.restore(Core.serialize(s, T0), text, false, T0 + 10);
  assert.equal(r.sessionId, null);
  assert.equal(r.token, null);
});

test("a saved state from before tokens restores with its keys and no token", () => {
  const text = "hello world";
  const s = Core.createState(text, false);
  s.sessionId = "abc";
  s.startedAt = T0;
  const saved = JSON.parse(Core.serialize(s, T0));
  delete saved.token;
  delete saved.tokenExpires;
  const r = Core.restore(JSON.stringify(saved), text, false, T0 + 10);
  assert.equal(r.sessionId, "abc");
  assert.equal(r.token, null);
});

test("a timed test ends early where the cursor is, ignores later keys and says no time is left", () => {
  const s = Core.createState("the quick brown fox", false);
  assert.equal(Core.endEarly(s), false); // not started
  assert.equal(Core.timeLeft(s, 60000, T0), 60000);
  typeAll(s, "the q", T0, 200);
  assert.equal(Core.timeLeft(s, 60000, T0 + 1000), 59000);
  assert.equal(Core.endEarly(s), true);
  assert.equal(s.done, true);
  assert.equal(s.doneT, 800);
  assert.equal(Core.timeLeft(s, 60000, T0 + 1000), 0);
  assert.equal(Core.applyKey(s, "u", T0 + 2000).result, "ignored");
  assert.equal(Core.endEarly(s), false); // once
  const batch = Core.takeBatch(s, T0 + 2000, true);
  assert.deepEqual(batch.keys.map((k) => k[0]), [0, 1, 2, 3, 4]);
});

test("a timed test that ended early is restored as done after a reload", () => {
  const s = Core.createState("the quick brown fox", false);
  typeAll(s, "the", T0, 200);
  Core.endEarly(s);
  const back = Core.restore(Core.serialize(s, T0 + 1000), "the quick brown fox", false, T0 + 2000);
  assert.equal(back.done, true);
  assert.equal(back.endedEarly, true);
  assert.equal(back.pos, 3);
  const unfinished = Core.createState("the quick brown fox", false);
  typeAll(unfinished, "the", T0, 200);
  const resumed = Core.restore(Core.serialize(unfinished, T0 + 1000), "the quick brown fox", false, T0 + 2000);
  assert.equal(resumed.done, false);
});
