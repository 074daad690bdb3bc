// The preview only (serve.py adds it to the pages it serves; a build never does): on an op-ed's page,
// each passage shows its id when hovered or focused, with a button that copies the ready-made
// proposal source, "op-ed-slug#passage-id".
(function () {
  "use strict";
  var found = /\/articles\/([a-z0-9-]+)\/$/.exec(window.location.pathname);
  if (!found) {
    return;
  }
  var slug = found[1];

  function copied(status, text) {
    status.textContent = "Copied " + text;
    window.setTimeout(function () { status.textContent = ""; }, 3000);
  }

  function copyWithSelection(text) {
    var field = document.createElement("textarea");
    field.value = text;
    field.setAttribute("readonly", "");
    field.className = "passage-id-copy-field";
    document.body.appendChild(field);
    field.select();
    var done = document.execCommand("copy");
    document.body.removeChild(field);
    return done;
  }

  function copy(status, text) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { copied(status, text); },
        function () { if (copyWithSelection(text)) { copied(status, text); } }
      );
    } else if (copyWithSelection(text)) {
      copied(status, text);
    }
  }

  var passages = document.querySelectorAll(".op-ed .prose [id]");
  Array.prototype.forEach.call(passages, function (passage) {
    if (!/^(P|H[2-6]|LI|BLOCKQUOTE)$/.test(passage.tagName) || passage.id.indexOf(":") !== -1) {
      return; // footnotes and their back-links have ids of their own, not passage ids
    }
    var source = slug + "#" + passage.id;
    var tool = document.createElement("span");
    tool.className = "passage-id";
    var id = document.createElement("code");
    id.textContent = "#" + passage.id;
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = "Copy source";
    button.setAttribute("aria-label", "Copy the proposal source " + source);
    var status = document.createElement("span");
    status.className = "passage-id-status";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () { copy(status, source); });
    tool.appendChild(id);
    tool.appendChild(button);
    tool.appendChild(status);
    passage.classList.add("has-passage-id");
    passage.appendChild(tool);
  });
})();
