/* The survey's web form: when an answer changes, the server says which questions the branching
   reaches (POST data-reached: caseflow.surveys.questionnaire.reached, the one rule), and the others
   are hidden and disabled, so their answers are not sent. Without this script the form shows what
   the saved answers reach and the server refuses an answer the branching skips, with its 項番.
   Loaded as a file: the Content-Security-Policy allows no inline script. */
(function () {
  "use strict";

  function attach(form) {
    var url = form.getAttribute("data-reached");
    if (!url) {
      return;
    }
    var asked = 0;

    function refresh() {
      var mine = ++asked;
      var data = new FormData(form);
      data.delete("intent");  // hidden questions are disabled: their answers are not asked about, as not sent
      fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("refused");
          }
          return response.json();
        })
        .then(function (answer) {
          if (mine !== asked) {
            return;
          }
          var reached = {};
          answer.reached.forEach(function (key) { reached[key] = true; });
          form.querySelectorAll("fieldset[data-item]").forEach(function (fieldset) {
            var on = reached[fieldset.getAttribute("data-item")] === true;
            fieldset.hidden = !on;
            fieldset.disabled = !on;
          });
        })
        .catch(function () { /* the server checks again when the form is sent */ });
    }

    form.addEventListener("change", function (event) {
      if (event.target && /^answer-/.test(event.target.name || "")) {
        refresh();
      }
    });
  }

  document.querySelectorAll("form[data-reached]").forEach(attach);
}());
