/*
 * TypingCore — the pure logic of the typing widget (no DOM, no timers, no network).
 * Works as a browser classic script (window.TypingCore) and as a Node module.
 *
 * Positions are code-point indices into the lesson text (what the server's Python `str` uses),
 * so a lesson is handled as an array of code points, never as UTF-16 units.
 * Every function that depends on time takes `now` (epoch ms) as an argument.
 *
 * API
 *   createState(text, isCode) -> state
 *       Fresh state: pos 0, no session, nothing typed.
 *   keyFromEvent({key, ctrlKey, altKey, metaKey, isComposing, keyCode, altGraph})
 *       -> {type: "char", ch} | {type: "escape"} | {type: "backspace"} | null (ignore).
 *       Enter gives ch "\n"; combos with Ctrl/Alt/Meta (except AltGr) and IME events are null.
 *   applyKey(state, typed, now) -> {result, pos, from, to, skipped, expected}
 *       result: "correct" | "wrong" | "done" | "ignored". Records [pos, typed, t] for every
 *       keystroke (wrong ones too); on a wrong key the cursor stays. In code mode a correct
 *       "\n" skips the spaces that follow (not recorded). `from`..`to` is the range now typed.
 *   endEarly(state) -> bool
 *       A timed test's time is up: the session is done where the cursor is (false when it had
 *       not started or was done already). The server scores what was typed.
 *   timeLeft(state, limitMs, now) -> ms left of a timed test (limitMs before the first key).
 *   timeFor(state, now) -> t
 *       Integer ms since the first key, never lower than the last t (clock going backwards).
 *   batchDueAt(state) -> epoch ms when the unsent keys become due (2 s rule), or null.
 *   isBatchDue(state, now) -> true when 20 keys are unsent or the oldest waited 2 s.
 *   takeBatch(state, now, force) -> {seq, keys} | null
 *       Cuts the next batch (at most 20 keys) if due (or if `force` and anything is unsent)
 *       and adds it to the outbound queue.
 *   nextBatch(state, now) -> batch | null   First unacknowledged batch if its retry time came.
 *   nextAttemptAt(state) -> epoch ms | null  When the first unacknowledged batch may go.
 *   ack(state, seq) -> bool                  Unknown seq: false, nothing changes.
 *   fail(state, seq, now, rand?) -> delay ms | null   Backoff: 500 ms doubling, cap 30 s.
 *   backoffDelay(attempt, rand?) -> ms       attempt 1 -> 500, 2 -> 1000 ... <= 30000;
 *                                            rand in [0,1) optionally jitters to 50..100 %.
 *   retryNow(state)                          Every pending batch may go immediately.
 *   markMissing(state, seqs) -> {known, unknown}  Server lacks these: mark them unacked.
 *   allAcked(state) -> bool                  Nothing unsent and every batch acknowledged.
 *   stats(state, now) -> {wpm, accuracy, elapsedMs}   Live, cosmetic; rounded integers.
 *   serialize(state, now) -> string          JSON for localStorage (stamped with savedAt).
 *   restore(json, text, isCode, now) -> state | null
 *       null when unparsable, 30 min old or more (by savedAt), or the text length differs.
 *   storageKey(lessonId) -> "typing:lesson:<id>"
 *   indexLayout(layout) -> Map char -> key info; keyFor(index, ch) -> info | null
 *       info: {ch, code, shift, finger, fingerName, shiftCode, shiftFinger}; Space is
 *       {code: "Space", finger: "thumb"}, "\n" is {code: "Enter", finger: "r5"}. shiftCode is
 *       the Shift on the opposite hand ("ShiftLeft"/"ShiftRight") or null.
 *   describeKey(ch, info) -> caption, e.g. "Next: F — left index finger + right Shift".
 *   charsFromInput(inputType, data) -> [char, ...] | null
 *       What an `input`/`beforeinput` event (a phone's on-screen keyboard, Input.insertText)
 *       types: insertText gives its characters, a line break gives "\n", deletions give []
 *       (must-correct mode has no Backspace), paste/drop/autocorrect replacements give null.
 *   createComposition(deferred) -> comp;  compositionInput(comp, data, isEnd) -> [char, ...]
 *       Characters an IME composition adds. Phone keyboards compose whole words ("h", "he",
 *       "hel"), so each growth is typed at once; a rewrite (autocorrect) types nothing. A
 *       composition begun by a dead key (deferred) types only its final character, at the end.
 *   errorMarks(state) -> [pos, ...]   Ascending positions that took a wrong keystroke, read
 *       from the recorded keys, so a restored state shows the same marks as before the reload.
 *   typedLabel(ch) -> what to show for a typed character ("␣" for a space, "↵" for Enter).
 *   Constants: BATCH_SIZE, BATCH_DELAY_MS, MAX_AGE_MS, BACKOFF_BASE_MS, BACKOFF_MAX_MS,
 *   FINGER_NAMES.
 */
(function (root, factory) {
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.TypingCore = factory();
})(this, function () {
  "use strict";

  // Django's JavaScript catalog (/jsi18n/) defines gettext and interpolate in the browser;
  // without it (Node's tests, a page that lacks it) the English text is used as it is.
  function gettext(s) {
    return typeof globalThis.gettext === "function" ? globalThis.gettext(s) : s;
  }
  function gettext_noop(s) {
    return s;
  }
  function interpolate(fmt, obj) {
    return fmt.replace(/%\(\w+\)s/g, function (m) { return String(obj[m.slice(2, -2)]); });
  }

  var BATCH_SIZE = 20;
  var BATCH_DELAY_MS = 2000;
  var MAX_AGE_MS = 30 * 60 * 1000;
  var BACKOFF_BASE_MS = 500;
  var BACKOFF_MAX_MS = 30000;
  var VERSION = 1;

  // Marked for makemessages by gettext_noop, translated where shown (the catalog may load
  // after this script runs).
  var FINGER_NAMES = {
    l5: gettext_noop("left little finger"),
    l4: gettext_noop("left ring finger"),
    l3: gettext_noop("left middle finger"),
    l2: gettext_noop("left index finger"),
    r2: gettext_noop("right index finger"),
    r3: gettext_noop("right middle finger"),
    r4: gettext_noop("right ring finger"),
    r5: gettext_noop("right little finger"),
    thumb: gettext_noop("thumb"),
  };

  function codePoints(s) {
    return Array.from(s);
  }

  function isSingleChar(s) {
    return typeof s === "string" && s.length > 0 && codePoints(s).length === 1;
  }

  // ---- state -------------------------------------------------------------------------------

  function createState(text, isCode) {
    var chars = codePoints(text);
    return {
      chars: chars,
      length: chars.length,
      isCode: !!isCode,
      sessionId: null,
      token: null, // the session's practice token (X-Practice-Token), with its expiry
      tokenExpires: null, // epoch seconds
      startedAt: null, // epoch ms of the first key
      lastT: 0,
      pos: 0,
      keystrokes: 0,
      errors: 0,
      correct: 0,
      done: false,
      doneT: null,
      endedEarly: false, // a timed test whose time ran out before the end of the text
      unsent: [], // [[pos, typed, t], ...] not yet cut into a batch
      unsentSince: null, // epoch ms when the oldest unsent key was typed
      batches: [], // [{seq, keys, acked, attempts, nextAttemptAt}]
      nextSeq: 0,
    };
  }

  // ---- keys --------------------------------------------------------------------------------

  function keyFromEvent(e) {
    if (!e || typeof e.key !== "string") return null;
    if (e.isComposing || e.keyCode === 229) return null;
    if ((e.ctrlKey || e.altKey || e.metaKey) && !e.altGraph) return null;
    if (e.key === "Escape" || e.key === "Esc") return { type: "escape" };
    if (e.key === "Backspace") return { type: "backspace" };
    if (e.key === "Enter") return { type: "char", ch: "\n" };
    if (isSingleChar(e.key)) return { type: "char", ch: e.key.normalize("NFC") };
    return null;
  }

  function timeFor(state, now) {
    if (state.startedAt === null) return 0;
    var t = Math.floor(now - state.startedAt);
    if (!(t >= state.lastT)) t = state.lastT; // also catches NaN
    return t;
  }

  function applyKey(state, typed, now) {
    if (state.done || state.pos >= state.length || !isSingleChar(typed)) {
      return { result: "ignored", pos: state.pos };
    }
    if (state.startedAt === null) {
      state.startedAt = now;
      state.lastT = 0;
    }
    var t = timeFor(state, now);
    state.lastT = t;
    var pos = state.pos;
    var expected = state.chars[pos];
    if (state.unsent.length === 0) state.unsentSince = now;
    state.unsent.push([pos, typed, t]);
    state.keystrokes += 1;
    if (typed !== expected) {
      state.errors += 1;
      return { result: "wrong", pos: pos, expected: expected, typed: typed };
    }
    state.correct += 1;
    var to = pos + 1;
    var skipped = 0;
    if (state.isCode && typed === "\n") {
      while (to < state.length && state.chars[to] === " ") {
        to += 1;
        skipped += 1;
      }
    }
    state.pos = to;
    if (to >= state.length) {
      state.done = true;
      state.doneT = t;
    }
    return {
      result: state.done ? "done" : "correct",
      pos: to,
      from: pos,
      to: to,
      skipped: skipped,
      expected: expected,
    };
  }

  function endEarly(state) {
    if (state.startedAt === null || state.done) return false;
    state.done = true;
    state.doneT = state.lastT;
    state.endedEarly = true;
    return true;
  }

  function timeLeft(state, limitMs, now) {
    if (state.startedAt === null) return limitMs;
    var used = state.done ? state.doneT : now - state.startedAt;
    if (state.endedEarly) used = limitMs;
    return Math.max(0, limitMs - used);
  }

  // ---- batching ----------------------------------------------------------------------------

  function batchDueAt(state) {
    if (state.unsent.length === 0 || state.unsentSince === null) return null;
    return state.unsentSince + BATCH_DELAY_MS;
  }

  function isBatchDue(state, now) {
    if (state.unsent.length === 0) return false;
    if (state.unsent.length >= BATCH_SIZE) return true;
    return now >= batchDueAt(state);
  }

  function takeBatch(state, now, force) {
    if (state.unsent.length === 0) return null;
    if (!force && !isBatchDue(state, now)) return null;
    var keys = state.unsent.slice(0, BATCH_SIZE);
    state.unsent = state.unsent.slice(BATCH_SIZE);
    // Leftover keys (only possible if cutting was late) keep the old clock, so they go soon.
    if (state.unsent.length === 0) state.unsentSince = null;
    var batch = { seq: state.nextSeq, keys: keys, acked: false, attempts: 0, nextAttemptAt: 0 };
    state.nextSeq += 1;
    state.batches.push(batch);
    return { seq: batch.seq, keys: batch.keys };
  }

  // ---- outbound queue (sequential: the lowest unacknowledged seq goes first) -----------------

  function firstPending(state) {
    for (var i = 0; i < state.batches.length; i++) {
      if (!state.batches[i].acked) return state.batches[i];
    }
    return null;
  }

  function findBatch(state, seq) {
    for (var i = 0; i < state.batches.length; i++) {
      if (state.batches[i].seq === seq) return state.batches[i];
    }
    return null;
  }

  function nextBatch(state, now) {
    var b = firstPending(state);
    return b && b.nextAttemptAt <= now ? b : null;
  }

  function nextAttemptAt(state) {
    var b = firstPending(state);
    return b ? b.nextAttemptAt : null;
  }

  function ack(state, seq) {
    var b = findBatch(state, seq);
    if (!b) return false;
    b.acked = true;
    b.attempts = 0;
    b.nextAttemptAt = 0;
    return true;
  }

  function backoffDelay(attempt, rand) {
    var n = Math.max(1, attempt | 0);
    var delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * Math.pow(2, Math.min(n - 1, 30)));
    if (typeof rand === "number") delay = Math.round(delay * (0.5 + rand / 2));
    return delay;
  }

  function fail(state, seq, now, rand) {
    var b = findBatch(state, seq);
    if (!b) return null;
    b.attempts += 1;
    var delay = backoffDelay(b.attempts, rand);
    b.nextAttemptAt = now + delay;
    return delay;
  }

  function retryNow(state) {
    state.batches.forEach(function (b) {
      if (!b.acked) b.nextAttemptAt = 0;
    });
  }

  function markMissing(state, seqs) {
    var known = 0;
    var unknown = [];
    (seqs || []).forEach(function (seq) {
      var b = findBatch(state, seq);
      if (!b) {
        unknown.push(seq);
        return;
      }
      b.acked = false;
      b.attempts = 0;
      b.nextAttemptAt = 0;
      known += 1;
    });
    return { known: known, unknown: unknown };
  }

  function allAcked(state) {
    return state.unsent.length === 0 && firstPending(state) === null;
  }

  // ---- live stats --------------------------------------------------------------------------

  function stats(state, now) {
    var elapsed = 0;
    if (state.startedAt !== null) elapsed = state.done ? state.doneT : timeFor(state, now);
    var minutes = elapsed / 60000;
    var wpm = minutes > 0 ? Math.round(state.correct / 5 / minutes) : 0;
    var accuracy = state.keystrokes
      ? Math.round((100 * (state.keystrokes - state.errors)) / state.keystrokes)
      : 100;
    return { wpm: wpm, accuracy: accuracy, elapsedMs: elapsed };
  }

  // ---- persistence -------------------------------------------------------------------------

  function storageKey(lessonId) {
    return "typing:lesson:" + lessonId;
  }

  function serialize(state, now) {
    return JSON.stringify({
      v: VERSION,
      savedAt: now,
      textLength: state.length,
      isCode: state.isCode,
      sessionId: state.sessionId,
      token: state.token,
      tokenExpires: state.tokenExpires,
      startedAt: state.startedAt,
      lastT: state.lastT,
      pos: state.pos,
      keystrokes: state.keystrokes,
      errors: state.errors,
      correct: state.correct,
      done: state.done,
      doneT: state.doneT,
      endedEarly: state.endedEarly,
      unsent: state.unsent,
      unsentSince: state.unsentSince,
      nextSeq: state.nextSeq,
      batches: state.batches.map(function (b) {
        return { seq: b.seq, keys: b.keys, acked: b.acked };
      }),
    });
  }

  function isInt(n) {
    return typeof n === "number" && isFinite(n) && Math.floor(n) === n;
  }

  function restore(json, text, isCode, now) {
    if (typeof json !== "string" || !json) return null;
    var data;
    try {
      data = JSON.parse(json);
    } catch (e) {
      return null;
    }
    if (!data || data.v !== VERSION || !isInt(data.savedAt)) return null;
    if (now - data.savedAt >= MAX_AGE_MS) return null; // must be less than 30 min old
    var state = createState(text, isCode);
    if (data.textLength !== state.length || !!data.isCode !== state.isCode) return null;
    if (!isInt(data.pos) || data.pos < 0 || data.pos > state.length) return null;
    if (!Array.isArray(data.unsent) || !Array.isArray(data.batches)) return null;
    state.sessionId = typeof data.sessionId === "string" ? data.sessionId : null;
    // No token (a page saved before tokens): the widget renews it with the learner's cookies.
    state.token = state.sessionId && typeof data.token === "string" ? data.token : null;
    state.tokenExpires = state.token && isInt(data.tokenExpires) ? data.tokenExpires : null;
    state.startedAt = isInt(data.startedAt) ? data.startedAt : null;
    state.lastT = isInt(data.lastT) ? data.lastT : 0;
    state.pos = data.pos;
    state.keystrokes = data.keystrokes | 0;
    state.errors = data.errors | 0;
    state.correct = data.correct | 0;
    state.endedEarly = !!data.endedEarly && state.startedAt !== null;
    state.done = (state.pos >= state.length || state.endedEarly) && !!data.done;
    state.doneT = state.done ? data.doneT | 0 : null;
    state.unsent = data.unsent;
    state.unsentSince = state.unsent.length ? (isInt(data.unsentSince) ? data.unsentSince : now) : null;
    state.nextSeq = data.nextSeq | 0;
    state.batches = data.batches.map(function (b) {
      return { seq: b.seq, keys: b.keys, acked: !!b.acked, attempts: 0, nextAttemptAt: 0 };
    });
    if (state.startedAt === null && (state.unsent.length || state.batches.length)) return null;
    return state;
  }

  // ---- text input (on-screen keyboards, IME) ------------------------------------------------

  function charsFromInput(inputType, data) {
    if (inputType === "insertText" || inputType === undefined || inputType === "") {
      return typeof data === "string" && data ? codePoints(data.normalize("NFC")) : null;
    }
    if (inputType === "insertLineBreak" || inputType === "insertParagraph") return ["\n"];
    if (typeof inputType === "string" && inputType.indexOf("delete") === 0) return [];
    return null; // paste, drop, autocorrect replacement, formatting: not typing
  }

  function createComposition(deferred) {
    return { applied: [], deferred: !!deferred };
  }

  function compositionInput(comp, data, isEnd) {
    if (comp.deferred && !isEnd) return [];
    var next = codePoints(typeof data === "string" ? data.normalize("NFC") : "");
    var prev = comp.applied;
    comp.applied = next;
    if (next.length < prev.length) return []; // a deletion inside the composition
    for (var i = 0; i < prev.length; i++) {
      if (next[i] !== prev[i]) return []; // rewritten (autocorrect, IME candidate)
    }
    return next.slice(prev.length);
  }

  function errorMarks(state) {
    var seen = {};
    var marks = [];
    function scan(keys) {
      (keys || []).forEach(function (k) {
        if (!Array.isArray(k) || !isInt(k[0]) || seen[k[0]]) return;
        if (k[0] >= 0 && k[0] < state.length && k[1] !== state.chars[k[0]]) {
          seen[k[0]] = true;
          marks.push(k[0]);
        }
      });
    }
    state.batches.forEach(function (b) { scan(b.keys); });
    scan(state.unsent);
    return marks.sort(function (a, b) { return a - b; });
  }

  function typedLabel(ch) {
    if (ch === " ") return "␣";
    if (ch === "\n") return "↵";
    if (ch === "\t") return "⇥";
    return ch;
  }

  // ---- keyboard layout ---------------------------------------------------------------------

  function keyInfo(ch, code, shift, finger) {
    var shiftCode = null;
    if (shift) shiftCode = finger.charAt(0) === "l" ? "ShiftRight" : "ShiftLeft";
    return {
      ch: ch,
      code: code,
      shift: shift,
      finger: finger,
      fingerName: FINGER_NAMES[finger] ? gettext(FINGER_NAMES[finger]) : finger,
      shiftCode: shiftCode,
      shiftFinger: shiftCode === "ShiftRight" ? "r5" : shiftCode === "ShiftLeft" ? "l5" : null,
    };
  }

  /** Same precedence as the server: per key, base before shifted; earlier keys win. */
  function indexLayout(layout) {
    var index = new Map();
    ((layout && layout.rows) || []).forEach(function (row) {
      row.forEach(function (k) {
        if (k.base && !index.has(k.base)) index.set(k.base, keyInfo(k.base, k.code, false, k.finger));
        if (k.shifted && !index.has(k.shifted)) {
          index.set(k.shifted, keyInfo(k.shifted, k.code, true, k.finger));
        }
      });
    });
    if (!index.has(" ")) index.set(" ", keyInfo(" ", "Space", false, "thumb"));
    if (!index.has("\n")) index.set("\n", keyInfo("\n", "Enter", false, "r5"));
    return index;
  }

  function keyFor(index, ch) {
    return (ch !== undefined && index.get(ch)) || null;
  }

  function describeKey(ch, info) {
    if (ch === undefined || ch === null) return "";
    var label = ch === " " ? gettext("Space") : ch === "\n" ? gettext("Enter") : ch;
    if (!info) return interpolate(gettext("Next: %(key)s"), { key: label });
    var text = interpolate(gettext("Next: %(key)s — %(finger)s"),
      { key: label, finger: info.fingerName });
    if (info.shiftCode) {
      text += info.shiftCode === "ShiftRight" ? gettext(" + right Shift") : gettext(" + left Shift");
    }
    return text;
  }

  return {
    BATCH_SIZE: BATCH_SIZE,
    BATCH_DELAY_MS: BATCH_DELAY_MS,
    MAX_AGE_MS: MAX_AGE_MS,
    BACKOFF_BASE_MS: BACKOFF_BASE_MS,
    BACKOFF_MAX_MS: BACKOFF_MAX_MS,
    FINGER_NAMES: FINGER_NAMES,
    createState: createState,
    keyFromEvent: keyFromEvent,
    applyKey: applyKey,
    endEarly: endEarly,
    timeLeft: timeLeft,
    timeFor: timeFor,
    batchDueAt: batchDueAt,
    isBatchDue: isBatchDue,
    takeBatch: takeBatch,
    nextBatch: nextBatch,
    nextAttemptAt: nextAttemptAt,
    ack: ack,
    fail: fail,
    backoffDelay: backoffDelay,
    retryNow: retryNow,
    markMissing: markMissing,
    allAcked: allAcked,
    stats: stats,
    storageKey: storageKey,
    serialize: serialize,
    restore: restore,
    indexLayout: indexLayout,
    keyFor: keyFor,
    describeKey: describeKey,
    charsFromInput: charsFromInput,
    createComposition: createComposition,
    compositionInput: compositionInput,
    errorMarks: errorMarks,
    typedLabel: typedLabel,
  };
});
