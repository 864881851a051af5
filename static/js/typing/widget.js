/*
 * Typing widget: DOM glue for [data-typing-widget]. Every decision that is not about the DOM,
 * timers or the network lives in core.js (window.TypingCore), which must be loaded first.
 * Reads its configuration from the element's data-* attributes and the JSON scripts
 * #lesson-text and #keyboard-layout; talks to the server with fetch (see the protocol in core.js
 * and the lesson template).
 */
(function () {
  "use strict";

  var Core = window.TypingCore;
  // Django's JavaScript catalog (/jsi18n/, loaded before this script); English without it.
  function gettext(s) {
    return typeof window.gettext === "function" ? window.gettext(s) : s;
  }
  var ERROR_HINT_KEY = "typing:error-hint-seen";
  var TYPED_SHOWN_MS = 650; // how long a wrong key's character stays over the expected one
  var OFFLINE = gettext("Offline — your typing is kept and will be sent when you're back.");
  var KEYBOARD_HIDDEN_KEY = "typing:keyboard-hidden";
  // Keys around the layout's rows, as on an ANSI board: [code, label, width class, finger].
  var ROW_START = [null, ["Tab", "Tab", "w150", "l5"], ["CapsLock", "Caps", "w175", "l5"],
    ["ShiftLeft", "Shift", "w225", "l5"]];
  var ROW_END = [["Backspace", "⌫", "w200", "r5"], null, ["Enter", "Enter", "w225", "r5"],
    ["ShiftRight", "Shift", "w275", "r5"]];

  var store = {
    get: function (k) {
      try { return window.localStorage.getItem(k); } catch (e) { return null; }
    },
    set: function (k, v) {
      try { window.localStorage.setItem(k, v); } catch (e) { /* full or disabled: keep going */ }
    },
    remove: function (k) {
      try { window.localStorage.removeItem(k); } catch (e) { /* ignore */ }
    },
  };

  function readJSON(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      return headers["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  /** POST JSON. With the practice token (`token`), batches go without cookies or CSRF (the
   * token is all they need); everything else sends the cookies and the CSRF header. */
  function post(url, body, extraHeaders, token, withCookies) {
    var headers = { "Content-Type": "application/json" };
    if (token) headers["X-Practice-Token"] = token;
    if (withCookies) headers["X-CSRFToken"] = csrfToken();
    Object.keys(extraHeaders || {}).forEach(function (k) { headers[k] = extraHeaders[k]; });
    return fetch(url, {
      method: "POST",
      credentials: withCookies ? "same-origin" : "omit",
      headers: headers,
      body: JSON.stringify(body),
    });
  }

  /** Network error (null), 5xx and 429 are worth retrying; anything else is an answer. */
  function transient(res) {
    return !res || res.status >= 500 || res.status === 429;
  }

  function errorMessage(res) {
    var fallback = gettext("The server refused the request (%(status)s).")
      .replace("%(status)s", String(res.status));
    return res.json().then(
      function (data) { return (data && data.error) || fallback; },
      function () { return fallback; }
    );
  }

  function sessionUrl(template, id) {
    var safe = encodeURIComponent(id);
    return template.replace("{session}", safe).replace("%7Bsession%7D", safe);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function initWidget(root) {
    var cfg = {
      lessonId: root.getAttribute("data-lesson-id"),
      isCode: root.getAttribute("data-code") === "true",
      startUrl: root.getAttribute("data-start-url"),
      keystrokesUrl: root.getAttribute("data-keystrokes-url"),
      completeUrl: root.getAttribute("data-complete-url"),
      tokenUrl: root.getAttribute("data-token-url") || "/sessions/{session}/token",
      // A timed test (the placement test): it ends this long after the first key.
      timeLimitMs: parseInt(root.getAttribute("data-time-limit-ms"), 10) || 0,
    };
    var roles = {};
    ["wpm", "accuracy", "time-left", "text", "hint", "status", "keyboard", "restart",
      "keyboard-toggle", "input", "error-hint"]
      .forEach(function (r) { roles[r] = root.querySelector('[data-role="' + r + '"]'); });
    var text = readJSON("lesson-text");
    var layout = readJSON("keyboard-layout");
    var storageKey = Core.storageKey(cfg.lessonId);
    var keyIndex = Core.indexLayout(layout);

    var state;
    var gen = 0; // bumped on restart/finish: answers to older requests are dropped
    var busy = false; // one request at a time: start, then batches in seq order, then complete
    var fatal = false;
    var finished = false;
    var offline = false;
    var stepAttempts = 0; // backoff for start/complete (batches keep theirs in the state)
    var stepRetryAt = 0;
    var conflicts = 0;
    var renewals = 0; // token renewals in a row without a batch getting through
    var tokenStale = false; // the server refused state.token (401): renew before sending
    var retryTimer = null;
    var batchTimer = null;
    var statsTimer = null;
    var timeLimitTimer = null;
    var spans = [];
    var cursorAt = -1;
    var keyEls = {};
    var highlighted = [];
    var caption = null;
    var input = roles.input; // the focus target: a visually hidden textarea (phone keyboards)
    var composition = null; // an IME/phone-keyboard composition in progress
    var deadKey = false; // the last keydown was a dead key: its composition types at the end
    var touch = !!(window.matchMedia && window.matchMedia("(pointer: coarse)").matches);
    var typedTimers = {};

    // ---- text ----------------------------------------------------------------------------

    function renderText() {
      var frag = document.createDocumentFragment();
      spans = state.chars.map(function (ch, i) {
        var span = el("span", "typing-char", ch === "\n" ? "↵" : ch);
        if (ch === "\n") span.classList.add("is-newline");
        if (ch === " ") span.classList.add("is-space");
        if (i < state.pos) span.classList.add("typed");
        frag.appendChild(span);
        if (ch === "\n") frag.appendChild(document.createElement("br"));
        return span;
      });
      // Marks survive a reload: they are read back from the recorded keystrokes.
      Core.errorMarks(state).forEach(function (pos) {
        spans[pos].classList.add(pos < state.pos ? "was-wrong" : "error");
      });
      roles.text.replaceChildren(frag);
      cursorAt = -1;
      showCursor();
    }

    function markTyped(from, to) {
      for (var i = from; i < to; i++) {
        var cl = spans[i].classList;
        cl.add("typed");
        if (cl.contains("error")) cl.replace("error", "was-wrong");
      }
    }

    function showCursor() {
      if (spans[cursorAt]) spans[cursorAt].classList.remove("current");
      cursorAt = state.pos;
      if (spans[cursorAt]) {
        spans[cursorAt].classList.add("current");
        keepInView(spans[cursorAt]);
      }
      updateKeyboard();
    }

    /** The wrong character shows over the expected one, then fades; the red mark stays. */
    function flashError(pos, typed) {
      var span = spans[pos];
      if (!span) return;
      span.classList.add("error");
      span.classList.remove("flash", "show-typed");
      span.setAttribute("data-typed", Core.typedLabel(typed));
      void span.offsetWidth; // restart the CSS animations
      span.classList.add("flash", "show-typed");
      window.clearTimeout(typedTimers[pos]);
      typedTimers[pos] = window.setTimeout(function () {
        delete typedTimers[pos];
        span.classList.remove("show-typed");
      }, TYPED_SHOWN_MS);
      showErrorHint();
    }

    /** Must-correct mode, explained once (per browser) at the first wrong key. */
    function showErrorHint() {
      var box = roles["error-hint"];
      if (!box || !box.hidden || store.get(ERROR_HINT_KEY)) return;
      store.set(ERROR_HINT_KEY, "1");
      box.textContent = gettext(
        "Wrong key — the cursor waits for the right one (no Backspace needed)."
      );
      box.hidden = false;
    }

    function hideErrorHint() {
      if (roles["error-hint"]) roles["error-hint"].hidden = true;
    }

    /** Scroll the text box (not the page) so the cursor stays about a third from the top. */
    function keepInView(span) {
      var box = roles.text;
      if (box.scrollHeight <= box.clientHeight) return;
      var top = span.offsetTop;
      var line = span.offsetHeight || 20;
      if (top < box.scrollTop + line || top + 2 * line > box.scrollTop + box.clientHeight) {
        box.scrollTop = Math.max(0, top - box.clientHeight / 3);
      }
    }

    // ---- on-screen keyboard ----------------------------------------------------------------

    function makeKey(code, finger, width, base, shifted) {
      var key = el("kbd", "typing-key finger-" + finger + (width ? " key-" + width : ""));
      if (shifted && base && shifted !== base && shifted !== base.toUpperCase()) {
        key.appendChild(el("span", "typing-key-shifted", shifted));
        key.appendChild(el("span", "typing-key-base", base));
      } else {
        key.appendChild(el("span", "typing-key-base", shifted || base));
      }
      keyEls[code] = key;
      return key;
    }

    function buildKeyboard() {
      var board = roles.keyboard;
      if (!board) return;
      board.replaceChildren();
      if (!layout || !Array.isArray(layout.rows)) {
        board.hidden = true;
        if (roles["keyboard-toggle"]) roles["keyboard-toggle"].hidden = true;
        return;
      }
      var grid = el("div", "typing-kb");
      grid.setAttribute("aria-hidden", "true");
      if (layout.label) grid.setAttribute("data-layout", layout.label);
      layout.rows.forEach(function (keys, r) {
        var row = el("div", "typing-kb-row");
        var extra = ROW_START[r];
        if (extra) row.appendChild(makeKey(extra[0], extra[3], extra[2] + " is-mod", extra[1]));
        keys.forEach(function (k) {
          var width = k.code === "Backslash" ? "w150" : "";
          row.appendChild(makeKey(k.code, k.finger, width, k.base, k.shifted));
        });
        extra = ROW_END[r];
        if (extra) row.appendChild(makeKey(extra[0], extra[3], extra[2] + " is-mod", extra[1]));
        grid.appendChild(row);
      });
      var spaceRow = el("div", "typing-kb-row");
      spaceRow.appendChild(makeKey("Space", "thumb", "space", gettext("Space")));
      grid.appendChild(spaceRow);
      caption = el("p", "typing-kb-caption");
      board.appendChild(grid);
      board.appendChild(caption);
      if (!board.id) board.id = "typing-keyboard-" + (cfg.lessonId || "0");
      if (roles["keyboard-toggle"]) roles["keyboard-toggle"].setAttribute("aria-controls", board.id);
      setKeyboardHidden(store.get(KEYBOARD_HIDDEN_KEY) === "1");
    }

    function updateKeyboard() {
      if (!caption) return;
      highlighted.forEach(function (k) { k.classList.remove("is-next", "is-next-shift"); });
      highlighted = [];
      var ch = state.done ? undefined : state.chars[state.pos];
      var info = Core.keyFor(keyIndex, ch);
      var nextKey = info && keyEls[info.code];
      var shiftKey = info && info.shiftCode && keyEls[info.shiftCode];
      if (nextKey) {
        nextKey.classList.add("is-next");
        highlighted.push(nextKey);
      }
      if (shiftKey) {
        shiftKey.classList.add("is-next-shift");
        highlighted.push(shiftKey);
      }
      caption.textContent = Core.describeKey(ch, info);
    }

    function setKeyboardHidden(hidden) {
      roles.keyboard.hidden = hidden;
      var toggle = roles["keyboard-toggle"];
      if (toggle) {
        toggle.setAttribute("aria-pressed", String(!hidden));
        toggle.textContent = hidden ? gettext("Show keyboard") : gettext("Hide keyboard");
      }
    }

    // ---- stats, hint, status ----------------------------------------------------------------

    function updateStats() {
      var s = Core.stats(state, Date.now());
      if (roles.wpm && roles.wpm.textContent !== String(s.wpm)) roles.wpm.textContent = s.wpm;
      if (roles.accuracy && roles.accuracy.textContent !== String(s.accuracy)) {
        roles.accuracy.textContent = s.accuracy;
      }
      if (cfg.timeLimitMs && roles["time-left"]) {
        var left = String(Math.ceil(Core.timeLeft(state, cfg.timeLimitMs, Date.now()) / 1000));
        if (roles["time-left"].textContent !== left) roles["time-left"].textContent = left;
      }
    }

    /** A timed test ends by itself: what was typed is sent and scored. */
    function armTimeLimit() {
      if (!cfg.timeLimitMs || timeLimitTimer || state.startedAt === null || state.done) return;
      timeLimitTimer = window.setTimeout(timeUp, Core.timeLeft(state, cfg.timeLimitMs, Date.now()));
    }

    function timeUp() {
      timeLimitTimer = null;
      if (finished || fatal || !Core.endEarly(state)) return;
      Core.takeBatch(state, Date.now(), true);
      showStatus("Time is up: your result is on its way."); // i18n
      stopStats();
      updateStats();
      updateKeyboard();
      updateHint();
      save();
      pump();
    }

    function startStats() {
      if (!statsTimer) statsTimer = window.setInterval(updateStats, 250);
    }

    function stopStats() {
      window.clearInterval(statsTimer);
      statsTimer = null;
    }

    function updateHint() {
      if (!roles.hint) return;
      var msg = "";
      if (state.done || fatal) msg = "";
      else if (document.activeElement !== input) {
        if (touch) {
          msg = state.startedAt === null ? gettext("Tap here to start typing")
            : gettext("Tap here to continue typing");
        } else {
          msg = state.startedAt === null ? gettext("Click here or press any key to start")
            : gettext("Click here or press any key to continue");
        }
      } else if (state.startedAt === null) {
        msg = gettext("Start typing — the clock starts with your first key.");
      }
      roles.hint.textContent = msg;
      roles.hint.hidden = !msg;
      // A phone has no Esc key: the button says only what it does.
      if (roles.restart && touch) roles.restart.textContent = gettext("Restart");
    }

    function showStatus(message, kind, withButton) {
      var box = roles.status;
      if (!box) return;
      box.classList.toggle("is-offline", kind === "offline");
      box.classList.toggle("is-error", kind === "error");
      box.replaceChildren(el("span", "typing-status-message", message));
      if (withButton) {
        var again = el("button", "typing-status-button", gettext("Start over"));
        again.type = "button";
        again.addEventListener("click", restart);
        box.appendChild(again);
      }
      box.hidden = false;
    }

    function hideStatus() {
      if (!roles.status) return;
      roles.status.hidden = true;
      roles.status.replaceChildren();
    }

    function setOffline(on) {
      if (fatal || finished || on === offline) return;
      offline = on;
      if (on) showStatus(OFFLINE, "offline");
      else hideStatus();
    }

    function setFatal(message) {
      fatal = true;
      offline = false;
      clearTimers();
      stopStats();
      store.remove(storageKey);
      showStatus(message, "error", true);
      updateHint();
    }

    // ---- persistence, batching, sending ---------------------------------------------------

    function save() {
      if (!finished && !fatal && state.startedAt !== null) {
        store.set(storageKey, Core.serialize(state, Date.now()));
      }
    }

    function clearTimers() {
      window.clearTimeout(retryTimer);
      window.clearTimeout(batchTimer);
      window.clearTimeout(timeLimitTimer);
      retryTimer = batchTimer = timeLimitTimer = null;
    }

    /** Cut a batch when 20 keys wait or 2 s after the first unsent one. */
    function armBatchTimer() {
      window.clearTimeout(batchTimer);
      batchTimer = null;
      var at = Core.batchDueAt(state);
      if (at === null) return;
      batchTimer = window.setTimeout(function () {
        batchTimer = null;
        if (Core.takeBatch(state, Date.now(), false)) save();
        armBatchTimer();
        pump();
      }, Math.max(0, at - Date.now()));
    }

    function wake(ms) {
      retryTimer = window.setTimeout(pump, Math.max(0, ms));
    }

    function retryStep() {
      stepAttempts += 1;
      stepRetryAt = Date.now() + Core.backoffDelay(stepAttempts, Math.random());
    }

    /** The single driver: start the session, send batches in order, then complete. */
    function pump() {
      window.clearTimeout(retryTimer);
      retryTimer = null;
      if (fatal || finished || busy || state.startedAt === null) return;
      var now = Date.now();
      if (!state.sessionId) {
        if (now < stepRetryAt) wake(stepRetryAt - now);
        else startSession();
        return;
      }
      if (!state.token || tokenStale) {
        // Expired (a 401) or never had one (a page saved before tokens): renew, then resend.
        if (now < stepRetryAt) wake(stepRetryAt - now);
        else renewToken();
        return;
      }
      var batch = Core.nextBatch(state, now);
      if (batch) return sendBatch(batch);
      var at = Core.nextAttemptAt(state);
      if (at !== null) return wake(at - now);
      if (state.done && Core.allAcked(state)) {
        if (now < stepRetryAt) wake(stepRetryAt - now);
        else complete();
      }
    }

    /** POST, then hand the response (null on a network error) to onAnswer; then pump again. */
    function send(url, body, headers, onAnswer, opts) {
      var myGen = gen;
      busy = true;
      if (navigator.onLine === false) setOffline(true);
      var options = opts || { cookies: true };
      post(url, body, headers, options.token, options.cookies)
        .catch(function () { return null; })
        .then(function (res) {
          if (myGen !== gen) return;
          setOffline(!res);
          if (res && res.redirected) return setFatal(gettext("You were signed out. Sign in, then start over."));
          return onAnswer(res);
        })
        .catch(function () {
          if (myGen === gen) setFatal(gettext("The server sent an answer the page did not understand."));
        })
        .then(function () {
          if (myGen !== gen) return;
          busy = false;
          save();
          pump();
        });
    }

    function failWith(res) {
      return errorMessage(res).then(setFatal);
    }

    function startSession() {
      send(cfg.startUrl, {}, null, function (res) {
        if (transient(res)) return retryStep();
        if (!res.ok) return failWith(res);
        return res.json().then(function (data) {
          if (!data || typeof data.session !== "string") throw new Error("no session id");
          state.sessionId = data.session;
          state.token = typeof data.token === "string" ? data.token : null;
          state.tokenExpires = data.expires | 0;
          stepAttempts = 0;
          stepRetryAt = 0;
        });
      });
    }

    /** A 401: the token expired (or the server no longer knows its key). The batch stays
     * unacknowledged, in localStorage; the token is renewed and it is sent again. */
    function tokenRefused(res) {
      return res.json().then(
        function (data) {
          renewals += 1;
          if (renewals > 3) {
            return setFatal((data && data.error) || gettext("This practice session can no longer be saved."));
          }
          tokenStale = true;
        },
        function () { return setFatal(gettext("The server refused the request (401).")); }
      );
    }

    function renewToken() {
      var url = sessionUrl(cfg.tokenUrl, state.sessionId);
      // The expired token if there is one, else the learner's cookies (with CSRF) prove it.
      send(url, {}, null, function (res) {
        if (transient(res)) return retryStep();
        if (!res.ok) return failWith(res);
        return res.json().then(function (data) {
          if (!data || typeof data.token !== "string") throw new Error("no token");
          state.token = data.token;
          state.tokenExpires = data.expires | 0;
          tokenStale = false;
          stepAttempts = 0;
          stepRetryAt = 0;
        });
      }, { token: state.token, cookies: true });
    }

    function sendBatch(batch) {
      var url = sessionUrl(cfg.keystrokesUrl, state.sessionId);
      var token = state.token;
      send(url, { seq: batch.seq, keys: batch.keys }, null, function (res) {
        if (transient(res)) Core.fail(state, batch.seq, Date.now(), Math.random());
        else if (res.status === 200 || res.status === 201) {
          Core.ack(state, batch.seq);
          renewals = 0;
        } else if (res.status === 401) {
          return tokenRefused(res);
        } else return failWith(res); // 409 (seq already used by another batch) and other 4xx
      }, { token: token, cookies: false });
    }

    function complete() {
      var url = sessionUrl(cfg.completeUrl, state.sessionId);
      var headers = { "HX-Request": "true", Accept: "text/html" };
      var token = state.token;
      send(url, { batches: state.nextSeq }, headers, function (res) {
        if (transient(res)) return retryStep();
        if (res.ok) return res.text().then(showResult);
        if (res.status === 401) {
          return tokenRefused(res);
        }
        if (res.status !== 409) return failWith(res);
        return res.json().then(function (data) {
          var missing = Core.markMissing(state, data && data.missing);
          conflicts += 1;
          if (!missing.known || missing.unknown.length || conflicts > 5) {
            setFatal((data && data.error) || gettext("Some of your typing could not be saved."));
          }
        });
      }, { token: token, cookies: true });
    }

    function resultTarget() {
      var next = root.nextElementSibling;
      if (next && next.getAttribute("data-role") === "result-target") return next;
      return document.querySelector('[data-role="result-target"]') || document.getElementById("lesson-result");
    }

    function showResult(html) {
      finished = true;
      gen += 1;
      clearTimers();
      stopStats();
      store.remove(storageKey);
      var target = resultTarget();
      if (!target) {
        target = el("div");
        root.parentNode.insertBefore(target, root.nextSibling);
      }
      target.innerHTML = html;
      root.hidden = true;
      if (window.htmx) window.htmx.process(target);
      var first = target.querySelector("[data-autofocus]") || target.querySelector("h1, h2, h3, h4, h5, h6, button");
      if (first) {
        if (/^H\d$/.test(first.tagName) && !first.hasAttribute("tabindex")) {
          first.setAttribute("tabindex", "-1");
        }
        first.focus();
      }
      target.dispatchEvent(new CustomEvent("typing:result", { bubbles: true }));
    }

    // ---- typing -------------------------------------------------------------------------

    function onChar(ch) {
      var now = Date.now();
      var first = state.startedAt === null;
      var r = Core.applyKey(state, ch, now);
      if (r.result === "ignored") return;
      if (r.result === "wrong") flashError(r.pos, ch);
      else {
        markTyped(r.from, r.to);
        showCursor();
      }
      Core.takeBatch(state, now, r.result === "done"); // the last keys go at once
      if (r.result === "done") {
        stopStats();
        hideErrorHint();
      } else if (first) {
        startStats();
        armTimeLimit();
      }
      armBatchTimer();
      save();
      updateStats();
      if (first || r.result === "done") updateHint();
      pump();
    }

    function typeChars(chars) {
      (chars || []).forEach(function (ch) {
        if (!fatal && !finished) onChar(ch);
      });
    }

    /** A phone's on-screen keyboard covers the lower half: keep the text above it. */
    function revealText() {
      var vv = window.visualViewport;
      var box = roles.text.getBoundingClientRect();
      var visible = vv ? vv.height : window.innerHeight;
      if (box.top < 0 || box.bottom > visible) roles.text.scrollIntoView({ block: "start" });
    }

    function focusInput() {
      if (input && document.activeElement !== input) input.focus({ preventScroll: true });
    }

    /** Physical keys. A key handled here is prevented, so it never reaches the textarea as
     * input too; a phone keyboard's keydown (key "Unidentified", keyCode 229) is left alone and
     * arrives as beforeinput/input below. */
    function onKeydown(e) {
      if (e.defaultPrevented || finished || root.hidden) return;
      var onBody = e.target === document.body || e.target === document.documentElement;
      if (e.target !== input && !onBody) return;
      deadKey = e.key === "Dead";
      if (onBody && document.querySelector("[data-typing-widget]") !== root) return;
      var key = Core.keyFromEvent({
        key: e.key, ctrlKey: e.ctrlKey, altKey: e.altKey, metaKey: e.metaKey,
        isComposing: e.isComposing, keyCode: e.keyCode,
        altGraph: !!(e.getModifierState && e.getModifierState("AltGraph")),
      });
      if (!key) return;
      e.preventDefault();
      if (key.type === "escape") return restart();
      if (onBody) focusInput();
      if (key.type === "char" && !fatal) onChar(key.ch);
    }

    /** On-screen keyboards and Input.insertText: typed text without a usable keydown. */
    function onBeforeInput(e) {
      if (e.isComposing || composition) return; // composition events handle it
      if (!e.cancelable) return; // it lands in the textarea; onInput reads it
      e.preventDefault(); // nothing lands in the textarea, so no input event follows
      if (!finished && !root.hidden) typeChars(Core.charsFromInput(e.inputType, e.data));
    }

    function onInput(e) {
      if (e.isComposing || composition) return;
      if (!finished && !root.hidden) typeChars(Core.charsFromInput(e.inputType, e.data));
      input.value = "";
    }

    function onCompositionStart() {
      composition = Core.createComposition(deadKey);
      deadKey = false;
    }

    function onCompositionUpdate(e) {
      if (composition && !finished) typeChars(Core.compositionInput(composition, e.data, false));
    }

    function onCompositionEnd(e) {
      var comp = composition || Core.createComposition(false);
      composition = null;
      if (!finished) typeChars(Core.compositionInput(comp, e.data, true));
      window.setTimeout(function () { if (!composition) input.value = ""; }, 0);
    }

    function restart() {
      gen += 1;
      busy = fatal = offline = false;
      stepAttempts = stepRetryAt = conflicts = 0;
      clearTimers();
      stopStats();
      store.remove(storageKey);
      state = Core.createState(text, cfg.isCode);
      hideStatus();
      hideErrorHint();
      renderText();
      updateStats();
      focusInput();
      updateHint();
    }

    // ---- start-up -------------------------------------------------------------------------

    if (typeof text !== "string" || !roles.text) {
      showStatus(gettext("This lesson could not be loaded. Please reload the page."), "error");
      return;
    }
    if (!roles.text.hasAttribute("aria-label")) roles.text.setAttribute("aria-label", gettext("Lesson text"));
    if (roles.status) roles.status.setAttribute("aria-live", "polite");
    if (roles.hint && !roles.hint.id) roles.hint.id = "typing-hint-" + (cfg.lessonId || "0");
    if (!input) {
      // An older template: make the hidden textarea here.
      input = el("textarea", "typing-input");
      input.setAttribute("aria-label", gettext("Type the lesson text here"));
      ["autocomplete", "autocorrect", "autocapitalize"].forEach(function (a) {
        input.setAttribute(a, "off");
      });
      input.setAttribute("spellcheck", "false");
      input.setAttribute("inputmode", "text");
      root.insertBefore(input, root.firstChild);
    }
    root.removeAttribute("tabindex");
    if (roles.hint) input.setAttribute("aria-describedby", roles.hint.id);

    var saved = store.get(storageKey);
    state = saved ? Core.restore(saved, text, cfg.isCode, Date.now()) : null;
    if (!state) {
      if (saved) store.remove(storageKey);
      state = Core.createState(text, cfg.isCode);
    }
    buildKeyboard();
    renderText();
    updateStats();
    updateHint();

    document.addEventListener("keydown", onKeydown);
    input.addEventListener("beforeinput", onBeforeInput);
    input.addEventListener("input", onInput);
    input.addEventListener("compositionstart", onCompositionStart);
    input.addEventListener("compositionupdate", onCompositionUpdate);
    input.addEventListener("compositionend", onCompositionEnd);
    input.addEventListener("focus", function () {
      root.classList.add("is-typing");
      updateHint();
    });
    input.addEventListener("blur", function () {
      root.classList.remove("is-typing");
      updateHint();
    });
    if (window.visualViewport) {
      window.visualViewport.addEventListener("resize", function () {
        if (touch && document.activeElement === input) revealText();
      });
    }
    root.addEventListener("pointerdown", function (e) {
      var wasTouch = touch;
      touch = e.pointerType === "touch" || e.pointerType === "pen";
      if (touch !== wasTouch) updateHint();
    });
    // A tap or click anywhere on the widget but its buttons focuses the textarea; on a phone
    // that opens the on-screen keyboard (it must happen inside the tap's own event).
    root.addEventListener("click", function (e) {
      if (finished || (e.target.closest && e.target.closest("button, a, select"))) return;
      focusInput();
    });
    if (roles.restart) roles.restart.addEventListener("click", restart);
    if (roles["keyboard-toggle"]) {
      roles["keyboard-toggle"].addEventListener("click", function (e) {
        if (!roles.keyboard) return;
        var hidden = !roles.keyboard.hidden;
        setKeyboardHidden(hidden);
        store.set(KEYBOARD_HIDDEN_KEY, hidden ? "1" : "0");
        if (e.detail > 0) focusInput(); // mouse: back to typing
      });
    }
    window.addEventListener("online", function () {
      Core.retryNow(state);
      stepRetryAt = 0;
      pump();
    });
    window.addEventListener("offline", function () {
      if (state.startedAt !== null && !(state.sessionId && Core.allAcked(state))) setOffline(true);
    });

    // Resumed: keep going where the learner left off (start the session if it never was).
    if (state.startedAt !== null) {
      if (state.done) Core.takeBatch(state, Date.now(), true);
      else {
        startStats();
        armTimeLimit(); // at once when the time ran out meanwhile
      }
      armBatchTimer();
      pump();
    }
  }

  function initAll() {
    if (!Core) return;
    Array.prototype.forEach.call(document.querySelectorAll("[data-typing-widget]"), function (w) {
      if (w.getAttribute("data-typing-ready")) return;
      w.setAttribute("data-typing-ready", "1");
      initWidget(w);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", initAll);
  else initAll();
})();
