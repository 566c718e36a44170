/* Weight forms: the live sum of sibling weights, a warning when it is not 100 %, "distribuisci equamente". */
(function () {
  "use strict";
  function parse(text) {
    var t = String(text || "").trim().replace(/\s|%/g, "");
    if (!t) return null;
    t = t.replace(/\.(?=\d{3}(\D|$))/g, "").replace(",", ".");
    var n = Number(t);
    return isNaN(n) ? NaN : n;
  }
  function format(n) {
    return n.toLocaleString("it-IT", { minimumFractionDigits: 0, maximumFractionDigits: 2 });
  }
  function off(sum) { return Math.abs(sum - 100) > 0.05; }

  var group = document.querySelector("[data-weights-form]");
  if (group) {
    var inputs = Array.prototype.slice.call(group.querySelectorAll("input[name^=w_]"));
    var output = group.querySelector("[data-weight-sum]");
    var warning = group.querySelector("[data-weight-warning]");
    var update = function () {
      var sum = 0, bad = false;
      inputs.forEach(function (i) { var v = parse(i.value); if (v === null) return; if (isNaN(v)) bad = true; else sum += v; });
      output.textContent = bad ? "valore non valido" : format(sum) + " %";
      warning.classList.toggle("d-none", bad || !off(sum));
    };
    inputs.forEach(function (i) { i.addEventListener("input", update); });
    var distribute = group.querySelector("[data-distribute]");
    distribute.addEventListener("click", function () {
      var shares = distribute.getAttribute("data-shares").split(";");
      inputs.forEach(function (i, k) { i.value = shares[k]; });
      update();
    });
    update();
  }

  var single = document.querySelector("[data-weight-form]");
  if (single) {
    var field = single.querySelector("input[name=weight]");
    var note = single.querySelector("[data-weight-sum]");
    var others = Number(single.getAttribute("data-others")) || 0;
    var siblings = Number(single.getAttribute("data-siblings")) || 0;
    var refresh = function () {
      var v = parse(field.value);
      if (v !== null && isNaN(v)) { note.textContent = "Il peso deve essere un numero, es. 33,34."; return; }
      var sum = others + (v || 0);
      var text = "Somma dei pesi a questo livello (" + (siblings + 1) + " nodi): " + format(sum) + " %";
      if (off(sum)) text += " — non è 100 %: nel calcolo i pesi saranno normalizzati.";
      note.textContent = text;
      note.classList.toggle("text-warning-emphasis", off(sum));
    };
    field.addEventListener("input", refresh);
    refresh();
  }
})();
