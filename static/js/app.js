// Progressive enhancement only: every feature here also works without JavaScript.
"use strict";

(function () {
  function csrfToken(form) {
    var input = form && form.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  // Live Markdown preview: the server renders (the same sanitiser as on save), debounced.
  function setUpPreview(box) {
    var textarea = document.getElementById(box.getAttribute("data-preview-for"));
    var target = box.querySelector("[data-preview-body]");
    if (!textarea || !target) return;
    var form = textarea.form;
    var timer = null;
    var lastSent = null;

    function refresh() {
      var body = textarea.value;
      if (body === lastSent) return;
      lastSent = body;
      if (!body.trim()) {
        box.hidden = true;
        return;
      }
      var data = new FormData();
      data.append("body", body);
      data.append("csrf_token", csrfToken(form));
      fetch(box.getAttribute("data-preview-url"), {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(form), "Accept": "application/json" }
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (json) {
          if (!json || textarea.value !== body) return;
          target.innerHTML = json.html; // already sanitised by the server's allow-list
          box.hidden = false;
        })
        .catch(function () { /* preview is a nicety; the Preview button still works */ });
    }

    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 350);
    });
    if (textarea.value.trim()) refresh();
  }

  // A form that is being submitted can't be sent twice by a double click.
  function guardDoubleSubmit(form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-submitting") === "1") {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-submitting", "1");
      setTimeout(function () { form.removeAttribute("data-submitting"); }, 5000);
    });
  }

  // Kudos without a page reload (and without losing the reader's place); the form still works without JS.
  function setUpKudo(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      if (button.disabled) return;
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(form), "Accept": "application/json" }
      })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (json) {
          var given = json.given;
          form.action = form.getAttribute(given ? "data-withdraw-url" : "data-give-url");
          button.classList.toggle("is-given", given);
          button.setAttribute("aria-pressed", given ? "true" : "false");
          button.querySelector(".kudo-count").textContent = json.kudos;
          button.querySelector(".kudo-label").textContent =
            button.getAttribute(given ? "data-label-withdraw" : "data-label-give");
        })
        .catch(function () { form.submit(); }) // let the server explain (rate limit, expired session)
        .then(function () { button.disabled = false; });
    });
  }

  // While a member writes a question, suggest private help when it sounds like a billing/account matter.
  function setUpPrivateHelpCheck(form) {
    var box = document.getElementById("private-help-suggestion");
    if (!box) return;
    var title = form.querySelector('[name="title"]');
    var body = form.querySelector('[name="body"]');
    var timer = null;
    function check() {
      var data = new FormData();
      data.append("title", title ? title.value : "");
      data.append("body", body ? body.value : "");
      data.append("csrf_token", csrfToken(form));
      fetch(box.getAttribute("data-check-url"), {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(form), "Accept": "application/json" }
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (json) {
          if (!json) return;
          box.querySelector("[data-keywords]").textContent = json.keywords.join(", ");
          box.hidden = json.keywords.length === 0;
        })
        .catch(function () { /* the server asks again on submit */ });
    }
    [title, body].forEach(function (input) {
      if (!input) return;
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(check, 600);
      });
    });
  }

  // Similar existing questions while the title is typed (solved ones first): the answer may already exist.
  function setUpSimilar(form) {
    var box = document.getElementById("similar-questions");
    var title = form.querySelector('[name="title"]');
    if (!box || !title) return;
    var list = box.querySelector("[data-similar-list]");
    var timer = null;
    var lastAsked = null;
    function lookup() {
      var text = title.value.trim();
      if (text === lastAsked) return;
      lastAsked = text;
      if (text.length < 4) { box.hidden = true; return; }
      fetch(box.getAttribute("data-similar-url") + "?title=" + encodeURIComponent(text), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (json) {
          if (!json || title.value.trim() !== text) return;
          while (list.firstChild) list.removeChild(list.firstChild);
          json.questions.forEach(function (q) {
            var item = document.createElement("li");
            var link = document.createElement("a");
            link.href = q.url;
            link.textContent = q.title; // text, never HTML
            link.setAttribute("dir", "auto");
            if (q.language) link.setAttribute("lang", q.language);
            item.appendChild(link);
            if (q.solved) {
              var badge = document.createElement("span");
              badge.className = "badge badge-solved";
              badge.textContent = box.getAttribute("data-solved-label") || "Solved";
              item.appendChild(document.createTextNode(" "));
              item.appendChild(badge);
            }
            list.appendChild(item);
          });
          box.hidden = json.questions.length === 0;
          // The member has seen these: posting does not stop to show them again.
          var seen = form.querySelector('[name="similar_seen"]');
          if (seen) seen.value = json.questions.map(function (q) { return q.id; }).join(",");
        })
        .catch(function () { /* suggestions are optional */ });
    }
    title.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookup, 400);
    });
  }

  // A refused form: move focus to its error summary, so a screen reader reads what went wrong first and the
  // summary's links lead to each field (without JS, the page simply starts at the top, with no autofocus).
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  }

  // Beside a question: related questions from the search index (links built as text, never HTML).
  function showRelated(box) {
    var list = box.querySelector("[data-related-list]");
    fetch(box.getAttribute("data-related-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (json) {
        if (!json || !json.questions.length) return;
        json.questions.forEach(function (q) {
          var item = document.createElement("li");
          var link = document.createElement("a");
          link.href = q.url;
          link.textContent = q.title;
          link.setAttribute("dir", "auto");
          if (q.language) link.setAttribute("lang", q.language);
          item.appendChild(link);
          if (q.solved) {
            var badge = document.createElement("span");
            badge.className = "badge badge-solved";
            badge.textContent = box.getAttribute("data-solved-label") || "Solved";
            item.appendChild(document.createTextNode(" "));
            item.appendChild(badge);
          }
          list.appendChild(item);
        });
        box.hidden = false;
      })
      .catch(function () { /* related questions are optional */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    Array.prototype.forEach.call(document.querySelectorAll("[data-related-url]"), showRelated);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-ask-form]"), setUpSimilar);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-ask-form]"), setUpPrivateHelpCheck);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-kudo]"), setUpKudo);
    Array.prototype.forEach.call(document.querySelectorAll("[data-preview-for]"), setUpPreview);
    Array.prototype.forEach.call(document.querySelectorAll("form.stack-form, .answer-form form"), guardDoubleSubmit);
  });
})();
