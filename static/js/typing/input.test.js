"use strict";

// Phone keyboards (input events, compositions) and error marks: the pure parts in core.js.
const test = require("node:test");
const assert = require("node:assert/strict");
const Core = require("./core.js");

const T0 = 1_700_000_000_000;

test("an on-screen keyboard's insertText types its characters, as code points", () => {
  assert.deepEqual(Core.charsFromInput("insertText", "a"), ["a"]);
  assert.deepEqual(Core.charsFromInput("insertText", "ж"), ["ж"]);
  assert.deepEqual(Core.charsFromInput("insertText", "ab"), ["a", "b"]);
  assert.deepEqual(Core.charsFromInput("insertText", "e\u0301"), ["é"]); // NFC, like keys
  assert.deepEqual(Core.charsFromInput("insertText", "😀"), ["😀"]);
});

test("Enter on a phone types a newline; Backspace types nothing (must-correct mode)", () => {
  assert.deepEqual(Core.charsFromInput("insertLineBreak", null), ["\n"]);
  assert.deepEqual(Core.charsFromInput("insertParagraph", null), ["\n"]);
  assert.deepEqual(Core.charsFromInput("deleteContentBackward", null), []);
  assert.deepEqual(Core.charsFromInput("deleteWordBackward", null), []);
});

test("paste, drop and autocorrect replacements are not typing", () => {
  assert.equal(Core.charsFromInput("insertFromPaste", "asdf"), null);
  assert.equal(Core.charsFromInput("insertFromDrop", "asdf"), null);
  assert.equal(Core.charsFromInput("insertReplacementText", "the"), null);
  assert.equal(Core.charsFromInput("insertText", ""), null);
  assert.equal(Core.charsFromInput("insertText", null), null);
});

test("a phone keyboard's word composition types each new letter once, as it grows", () => {
  const comp = Core.createComposition(false);
  assert.deepEqual(Core.compositionInput(comp, "h", false), ["h"]);
  assert.deepEqual(Core.compositionInput(comp, "he", false), ["e"]);
  assert.deepEqual(Core.compositionInput(comp, "hel", false), ["l"]);
  // The end repeats the whole word: nothing is typed twice.
  assert.deepEqual(Core.compositionInput(comp, "hel", true), []);
});

test("a composition's last letter arriving only with compositionend is typed then", () => {
  const comp = Core.createComposition(false);
  assert.deepEqual(Core.compositionInput(comp, "as", false), ["a", "s"]);
  assert.deepEqual(Core.compositionInput(comp, "asd", true), ["d"]);
});

test("an autocorrect rewrite or a deletion inside a composition types nothing", () => {
  const comp = Core.createComposition(false);
  Core.compositionInput(comp, "teh", false);
  assert.deepEqual(Core.compositionInput(comp, "the", false), []);
  assert.deepEqual(Core.compositionInput(comp, "th", false), []);
  // Growth after a rewrite counts from the rewritten word.
  assert.deepEqual(Core.compositionInput(comp, "thy", false), ["y"]);
});

test("a dead-key composition types only the finished character", () => {
  const comp = Core.createComposition(true);
  assert.deepEqual(Core.compositionInput(comp, "´", false), []);
  assert.deepEqual(Core.compositionInput(comp, "é", true), ["é"]);
});

test("a whole phone-typed lesson scores like a keyboard-typed one", () => {
  const text = "sad lad";
  const phone = Core.createState(text, false);
  const comp = Core.createComposition(false);
  let t = T0;
  for (const word of ["s", "sa", "sad"]) {
    for (const ch of Core.compositionInput(comp, word, false)) Core.applyKey(phone, ch, (t += 100));
  }
  for (const ch of Core.compositionInput(comp, "sad", true)) Core.applyKey(phone, ch, (t += 100));
  for (const ch of Core.charsFromInput("insertText", " ")) Core.applyKey(phone, ch, (t += 100));
  for (const ch of "lad") Core.applyKey(phone, Core.charsFromInput("insertText", ch)[0], (t += 100));
  assert.equal(phone.done, true);
  assert.equal(phone.keystrokes, text.length);
  assert.equal(phone.errors, 0);
});

test("error marks come from the recorded keys: wrong positions, once each, in order", () => {
  const state = Core.createState("asdf jkl", false);
  let t = T0;
  Core.applyKey(state, "a", (t += 100));
  Core.applyKey(state, "x", (t += 100)); // wrong at 1
  Core.applyKey(state, "z", (t += 100)); // wrong again at 1
  Core.applyKey(state, "s", (t += 100));
  Core.takeBatch(state, t, true);
  Core.applyKey(state, "d", (t += 100));
  Core.applyKey(state, "g", (t += 100)); // wrong at 3, not yet put right
  assert.deepEqual(Core.errorMarks(state), [1, 3]);
  assert.deepEqual(Core.errorMarks(Core.createState("asdf", false)), []);
});

test("error marks survive serialize and restore (a reload)", () => {
  const state = Core.createState("asdf jkl", false);
  let t = T0;
  for (const ch of "aqsdf ") Core.applyKey(state, ch, (t += 100));
  Core.takeBatch(state, t, true);
  Core.ack(state, 0);
  Core.applyKey(state, "k", (t += 100)); // wrong at 5 ("j"), unsent
  const restored = Core.restore(Core.serialize(state, t), "asdf jkl", false, t + 1000);
  assert.equal(restored.pos, 5);
  assert.deepEqual(Core.errorMarks(restored), [1, 5]);
});

test("a typed space or Enter is shown as a visible sign", () => {
  assert.equal(Core.typedLabel(" "), "␣");
  assert.equal(Core.typedLabel("\n"), "↵");
  assert.equal(Core.typedLabel("q"), "q");
});
