/* Keeps a job's page current: polls its status every second, and reloads the page when the
   job has finished so that the server shows the outcome and its links. Loaded as a file:
   the Content-Security-Policy allows no inline script. */
(function () {
  "use strict";

  var root = document.querySelector("[data-job-status-url]");
  if (!root) {
    return;
  }
  var url = root.getAttribute("data-job-status-url");
  var bar = root.querySelector("progress");
  var statusLabel = root.querySelector("[data-job-status]");
  var count = root.querySelector("[data-job-count]");
  var message = document.getElementById("job-message");
  var failures = 0;

  function number(n) {
    return n.toLocaleString("ja-JP");
  }

  function show(state) {
    if (state.percent === null) {
      bar.removeAttribute("value"); // indeterminate: working, total not known
      bar.textContent = "処理中";
    } else {
      bar.value = state.percent;
      bar.textContent = state.percent + "%";
    }
    statusLabel.textContent = state.status_label;
    count.textContent = state.total ? number(state.done) + " / " + number(state.total) + "（" + state.percent + "%）" : "";
    if (state.message !== null && message.textContent !== state.message) {
      message.textContent = state.message;
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") !== 0) {
          throw new Error("status " + response.status); // e.g. logged out: the login page came back
        }
        return response.json();
      })
      .then(function (state) {
        failures = 0;
        show(state);
        if (state.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        failures += 1;
        if (failures >= 5) {
          message.textContent = "処理の状況を取得できません。画面を再読み込みしてください。";
          return;
        }
        window.setTimeout(poll, 2000);
      });
  }

  window.setTimeout(poll, 1000);
})();
