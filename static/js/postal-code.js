/* The recipient forms: a postal code typed in is looked up on the server (Japan Post's data,
   offline; GET /letters/postal-codes/<code>, the URL is the form's data-postal-lookup with
   0000000 replaced). The area is shown beside the field and, when the address is still empty,
   written as its first line. A code that does not exist is said at once; the server refuses it
   again when the form is sent, so the form works the same without this script.
   Loaded as a file: the Content-Security-Policy allows no inline script. */
(function () {
  "use strict";

  function digits(value) {
    var text = value.replace(/[０-９]/g, function (ch) {
      return String.fromCharCode(ch.charCodeAt(0) - 0xfee0);
    });
    text = text.replace(/[〒\s\-‐‑–—―−ーｰ－]/g, "");
    return /^[0-9]{7}$/.test(text) ? text : null;
  }

  function attach(form) {
    var template = form.getAttribute("data-postal-lookup");
    var code = form.querySelector("[data-postal-code]");
    var address = form.querySelector("[data-postal-address]");
    var status = form.querySelector("[data-postal-status]");
    if (!template || !code || !address || !status) {
      return;
    }
    var asked = null;

    function lookup() {
      var wanted = digits(code.value);
      if (wanted === null) {
        status.textContent = code.value.trim() ? "郵便番号は7桁の数字で入力してください。" : "";
        return;
      }
      if (wanted === asked) {
        return;
      }
      asked = wanted;
      fetch(template.replace("0000000", wanted), {
        credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" }
      })
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (type.indexOf("application/json") === -1) {
            throw new Error("not json");
          }
          return response.json();
        })
        .then(function (answer) {
          if (asked !== wanted) {
            return; // another code was typed meanwhile
          }
          if (!answer.found) {
            status.textContent = answer.message;
            status.className = "field-error";
            return;
          }
          status.className = "";
          status.textContent = "〒" + answer.postal_code + "：" + answer.address;
          if (!address.value.trim()) {
            address.value = answer.address;
            address.focus();
            address.setSelectionRange(address.value.length, address.value.length);  // the block number next
          }
        })
        .catch(function () {
          asked = null;
          status.textContent = "";  // the server checks the code when the form is sent
        });
    }

    code.addEventListener("change", lookup);
    code.addEventListener("input", function () {
      if (digits(code.value) !== null) {
        lookup();
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-postal-lookup]"), attach);
})();
