// Parts of forms that htmx updates in place (participation/_support.html).
// - An answer with a message for the person (400, 429) is shown like any other where the element asks for it with
//   data-sc5-swap-errors; htmx drops 4xx answers otherwise.
// - The focus: htmx puts it back on the element with the same id (the button), and an error summary swapped in takes
//   it through its autofocus attribute. When the focused element is gone (a refused support has no button any
//   more), the focus goes to the message, or to the updated part, never to <body>.
(function () {
  "use strict";

  var focusWasInside = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var source = (event.detail.requestConfig && event.detail.requestConfig.elt) || event.target;
    if ((status === 400 || status === 429) && source.closest("[data-sc5-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
    var target = event.detail.target;
    focusWasInside = target && target.contains(document.activeElement) ? target : null;
  });

  document.addEventListener("htmx:afterSettle", function () {
    var target = focusWasInside;
    focusWasInside = null;
    if (!target || !target.isConnected || (document.activeElement && document.activeElement !== document.body)) {
      return;
    }
    var next = target.querySelector("[role=alert]") || target;
    if (!next.hasAttribute("tabindex")) {
      next.setAttribute("tabindex", "-1");
    }
    next.focus();
  });
})();
