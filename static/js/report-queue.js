// The triage queue: a header checkbox that ticks or clears every row's checkbox.
document.querySelectorAll("[data-select-all]").forEach((master) => {
  const name = master.dataset.selectAll;
  master.addEventListener("change", () => {
    master.form.querySelectorAll(`input[type=checkbox][name="${name}"]`).forEach((box) => {
      box.checked = master.checked;
    });
  });
});
