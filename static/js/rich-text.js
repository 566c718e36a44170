/* The Relazione's narrative texts in a rich-text editor (Quill 2, static/vendor/quill, from npm).
   Every textarea marked data-rich-text becomes an editor with the formats the server keeps (reports/sanitize.py:
   paragraphs, h3/h4, bold, italics, lists, links); on submit its HTML goes back into the textarea, and the server
   sanitises it again. Without JavaScript the textarea stays and takes the same HTML. No inline script or style:
   Quill adds no <style> element and sets positions through the CSSOM, which the Content-Security-Policy allows. */
(function () {
  "use strict";
  if (typeof window.Quill === "undefined") return;

  var TOOLBAR = [[{ header: [3, 4, false] }], ["bold", "italic"], [{ list: "ordered" }, { list: "bullet" }], ["link"], ["clean"]];
  var FORMATS = ["header", "bold", "italic", "list", "link"];
  var LABELS = {
    ".ql-bold": "Grassetto",
    ".ql-italic": "Corsivo",
    '.ql-list[value="ordered"]': "Elenco numerato",
    '.ql-list[value="bullet"]': "Elenco puntato",
    ".ql-link": "Collegamento",
    ".ql-clean": "Rimuovi la formattazione",
    ".ql-picker.ql-header .ql-picker-label": "Stile del paragrafo"
  };

  function semanticHtml(quill) {
    // Quill writes a space typed at the end of a run as &nbsp;: back to a plain space for the stored text.
    return quill.getSemanticHTML().replace(/&nbsp;/g, " ");
  }

  document.querySelectorAll("textarea[data-rich-text]").forEach(function (area) {
    var label = document.querySelector('label[for="' + area.id + '"]');
    var holder = document.createElement("div");
    holder.className = "rich-text";
    var box = document.createElement("div");
    holder.appendChild(box);
    area.insertAdjacentElement("afterend", holder);
    area.hidden = true;

    var quill = new window.Quill(box, { theme: "snow", modules: { toolbar: TOOLBAR }, formats: FORMATS });
    quill.setContents(quill.clipboard.convert({ html: area.value }), "silent");
    quill.history.clear();

    var editor = holder.querySelector(".ql-editor");
    editor.setAttribute("role", "textbox");
    editor.setAttribute("aria-multiline", "true");
    editor.setAttribute("data-testid", "editor-" + area.id);
    if (label) {
      if (!label.id) label.id = area.id + "-label";
      editor.setAttribute("aria-labelledby", label.id);
      label.addEventListener("click", function () { quill.focus(); });
    }
    if (area.disabled || area.closest("fieldset[disabled]")) quill.disable();
    Object.keys(LABELS).forEach(function (selector) {
      holder.querySelectorAll(selector).forEach(function (el) {
        el.setAttribute("aria-label", LABELS[selector]);
        el.setAttribute("title", LABELS[selector]);
      });
    });

    quill.on("text-change", function () { area.value = semanticHtml(quill); });
    var form = area.form;
    if (form) form.addEventListener("submit", function () { area.value = semanticHtml(quill); });
  });
})();
