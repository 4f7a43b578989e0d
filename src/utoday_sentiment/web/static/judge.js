// Keys for judging: 1 negative, 2 neutral, 3 positive, s skip. Each presses the matching button
// or link of the page (no label or probability ever reaches this page).
"use strict";
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) return;
  const control = document.querySelector(`[data-key="${CSS.escape(event.key.toLowerCase())}"]`);
  if (control) {
    event.preventDefault();
    control.click();
  }
});
