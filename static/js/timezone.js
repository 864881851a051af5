// Signup: fills the form's hidden time_zone field with the browser's IANA time zone, so the
// learner's days and streaks start at their midnight. The server checks the name (unknown → UTC).
(function () {
  "use strict";
  var field = document.querySelector('input[type="hidden"][name="time_zone"]');
  if (!field) {
    return;
  }
  try {
    field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    field.value = "";
  }
})();
