// The jobs list (admin/office/job_list.html): each running job's row polls its progress
// JSON (office.views.job_progress) and moves its bar; when a job's status changes the page
// reloads so its result and file appear. A cancel button asks first.
(function () {
  "use strict";

  function poll(row) {
    const url = row.dataset.progressUrl;
    const started = row.dataset.status;
    const bar = row.querySelector("progress");
    const label = row.querySelector(".job-progress");
    const timer = setInterval(async function () {
      let state;
      try {
        state = await (await fetch(url, {credentials: "same-origin"})).json();
      } catch (error) {
        return; // a failed poll is tried again at the next tick
      }
      if (bar && state.total) { bar.max = state.total; bar.value = state.done; }
      if (label) { label.textContent = state.done + " / " + (state.total || "?"); }
      if (state.status !== started) {
        clearInterval(timer);
        window.location.reload();
      }
    }, 2000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("tr[data-progress-url]").forEach(poll);
    document.querySelectorAll("form.job-cancel").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
      });
    });
  });
})();
