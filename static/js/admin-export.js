// The admin's export page (templates/admin/perfplan/export.html): «Seleziona tutti» toggles every field checkbox,
// bound here instead of django-import-export's inline onchange handler, which the site's CSP refuses.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".select-toggle").forEach((toggle) => {
    toggle.addEventListener("change", () => {
      document.querySelectorAll('.selectable-field-export-row input[type="checkbox"]').forEach((box) => {
        box.checked = toggle.checked;
      });
    });
  });
});
