// The record page: "Copy" buttons for the WMS addresses (the address stays selectable
// without JavaScript).
(function () {
  "use strict";
  function init() {
    for (const button of document.querySelectorAll("button.copy[data-copy]")) {
      const input = document.getElementById(button.dataset.copy);
      if (!input || !navigator.clipboard) continue;
      button.hidden = false;
      button.addEventListener("click", () => {
        navigator.clipboard.writeText(input.value).then(() => {
          button.textContent = button.dataset.done || button.textContent;
        });
      });
    }
  }
  document.addEventListener("DOMContentLoaded", init);
})();
