// The wizard's data aids. "Use this file" fills the row's path (then the match line and the
// sample follow); a column chip puts its column into its field: appended to a comma list,
// replacing a single column, or inserted at the cursor (metrics, join conditions).
(function () {
  function fire(input) {
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function pickFile(button) {
    var input = document.getElementById(button.dataset.input);
    if (!input) return;
    input.value = button.dataset.path;
    fire(input);
    var card = input.closest("fieldset");
    var slot = button.closest(".browse-slot");
    if (slot) slot.innerHTML = "";
    var sample = card && card.querySelector(".sample-button");
    if (sample) sample.click();
    input.focus();
  }

  function pickColumn(chip) {
    var picker = chip.closest(".column-picker");
    var input = document.getElementById(picker.dataset.input);
    if (!input) return;
    var name = chip.dataset.column, mode = picker.dataset.mode;
    if (mode === "single") {
      input.value = name;
    } else if (mode === "list") {
      var items = input.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
      if (items.indexOf(name) < 0) items.push(name);
      input.value = items.join(", ");
    } else {
      var at = input.selectionStart == null ? input.value.length : input.selectionStart;
      var end = input.selectionEnd == null ? at : input.selectionEnd;
      input.value = input.value.slice(0, at) + name + input.value.slice(end);
      input.setSelectionRange(at + name.length, at + name.length);
    }
    fire(input);
    input.focus();
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("button");
    if (!target) return;
    if (target.classList.contains("pick") && target.dataset.path) {
      event.preventDefault();
      pickFile(target);
    } else if (target.classList.contains("chip") && target.closest(".column-picker")) {
      event.preventDefault();
      pickColumn(target);
    } else if (target.classList.contains("close-panel")) {
      var slot = target.closest(".browse-slot");
      if (slot) slot.innerHTML = "";
    }
  });
})();
