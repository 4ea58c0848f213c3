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

  // Keep a draft on the server while a member writes (every few seconds, when something changed), so leaving
  // the page loses nothing; posting deletes it. Without JS, Preview keeps the draft.
  function setUpDraft(form) {
    var url = form.getAttribute("data-draft-url");
    var notice = form.previousElementSibling;
    var status = notice && notice.querySelector ? notice.querySelector("[data-draft-status]") : null;
    var names = ["title", "body", "tags", "board"];
    function value(name) {
      var field = form.elements[name];
      return field && typeof field.value === "string" ? field.value : "";
    }
    function snapshot() { return names.map(value).join("\u0000"); }
    var last = snapshot();
    var sending = false;
    var stopped = false;
    function save() {
      var now = snapshot();
      if (stopped || sending || now === last) return;
      sending = true;
      var data = new FormData();
      names.forEach(function (name) { data.append(name, value(name)); });
      data.append("question_id", form.getAttribute("data-draft-question") || "");
      data.append("csrf_token", csrfToken(form));
      fetch(url, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(form), "Accept": "application/json" }
      })
        .then(function (response) {
          if (!response.ok) return;
          last = now;
          if (status) status.textContent = status.getAttribute("data-saved-label") || "";
        })
        .catch(function () { /* the next round tries again */ })
        .then(function () { sending = false; });
    }
    form.addEventListener("submit", function () { stopped = true; });
    setInterval(save, 3000);
  }

  // Attach screenshots and logs: the file input uploads as soon as files are chosen, and so do files dropped
  // on or pasted into the text; the server answers with the Markdown that shows each, inserted at the cursor.
  // Without JS (or if this fails) the files go with the form.
  function setUpAttachments(form) {
    var url = form.getAttribute("data-upload-url");
    var input = form.querySelector("input[type=file][data-attach]");
    var textarea = form.querySelector("textarea[name=body]");
    if (!url || !input || !textarea) return;
    var problem = document.createElement("p");
    problem.className = "error";
    problem.setAttribute("role", "alert");
    problem.hidden = true;
    input.parentNode.appendChild(problem);

    function insert(text) {
      var start = textarea.selectionStart || textarea.value.length;
      var end = textarea.selectionEnd || start;
      var before = textarea.value.slice(0, start);
      // A paragraph of its own, so the image stands under the sentence that introduces it.
      var gap = !before || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
      textarea.value = before + gap + text + "\n\n" + textarea.value.slice(end);
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }
    function send(files) {
      if (!files || !files.length) return;
      var data = new FormData();
      for (var i = 0; i < files.length; i++) data.append("files", files[i], files[i].name || "pasted.png");
      data.append("csrf_token", csrfToken(form));
      fetch(url, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(form), "Accept": "application/json" }
      })
        .then(function (response) {
          return response.json().then(function (json) { return { ok: response.ok, json: json }; });
        })
        .then(function (answer) {
          if (!answer.ok) {
            problem.textContent = answer.json.error || "";
            problem.hidden = false;
            return;
          }
          problem.hidden = true;
          answer.json.attachments.forEach(function (file) { insert(file.markdown); });
          input.value = "";
        })
        .catch(function () { /* the files still go with the form */ });
    }
    input.addEventListener("change", function () { send(input.files); });
    textarea.addEventListener("dragover", function (event) {
      if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0) {
        event.preventDefault();
      }
    });
    textarea.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files.length) {
        event.preventDefault();
        send(event.dataTransfer.files);
      }
    });
    textarea.addEventListener("paste", function (event) {
      var pasted = event.clipboardData && event.clipboardData.files;
      if (pasted && pasted.length) {
        event.preventDefault();
        send(pasted);
      }
    });
  }

  // A refused form: move focus to its error summary, so a screen reader reads what went wrong first and the
  // summary's links lead to each field (without JS, the page simply starts at the top, with no autofocus).
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    Array.prototype.forEach.call(document.querySelectorAll("form[data-ask-form]"), setUpSimilar);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-ask-form]"), setUpPrivateHelpCheck);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-kudo]"), setUpKudo);
    Array.prototype.forEach.call(document.querySelectorAll("[data-preview-for]"), setUpPreview);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-draft-url]"), setUpDraft);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-upload-url]"), setUpAttachments);
    Array.prototype.forEach.call(document.querySelectorAll("form.stack-form, .answer-form form"), guardDoubleSubmit);
  });
})();
