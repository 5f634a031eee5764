// The job form: "Retries" shows only for onFailure=retry, "Fallback pipeline" only for fallback;
// choosing an application or a pipeline redraws the form so the selects offer the right ids.
(function () {
  var ONLY_FOR = { max_retries: "retry", fallback: "fallback" };

  function sync() {
    document.querySelectorAll("select[name$='-on_failure']").forEach(function (select) {
      var card = select.closest("fieldset");
      Object.keys(ONLY_FOR).forEach(function (name) {
        var field = card && card.querySelector("[data-field='" + name + "']");
        if (field) field.hidden = select.value !== ONLY_FOR[name];
      });
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("select[name$='-on_failure']")) sync();
    if (event.target.matches("[data-refresh]")) {
      var refresh = document.getElementById("job-refresh");
      if (refresh) refresh.click();
    }
  });
  document.addEventListener("DOMContentLoaded", sync);
  document.addEventListener("htmx:afterSettle", sync);
})();
