// The running total of a participatory budget's ballot (participation/vote.html, _budget_sum.html): the sum of the
// ticked proposals' costs and what is left of the budget, updated as boxes are ticked. Without this script the
// "Calculate the total" button asks the server for the same figures; with it the button is not needed.
(function () {
  "use strict";

  var form = document.querySelector("form[data-sc5-budget]");
  if (!form) {
    return;
  }
  var cap = parseFloat(form.getAttribute("data-sc5-budget"));
  var boxes = form.querySelectorAll("input[type=checkbox][data-cost]");
  var sum = form.querySelector("[data-sc5-budget-sum]");
  var lang = document.documentElement.lang || "de";
  // Amounts as the server writes them in every language (smartcity5.money.format_eur): the number in the page's
  // language, then " €" ("100.000 €", "100,000 €"); the currency style would write "€100,000" in English.
  var numbers = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  var euros = {
    format: function (value) {
      return numbers.format(value) + " €";
    },
  };

  function text(selector, value) {
    var node = sum.querySelector(selector);
    if (node) {
      node.textContent = value;
    }
  }

  function show(selector, visible) {
    sum.querySelectorAll(selector).forEach(function (node) {
      node.hidden = !visible;
    });
  }

  function update() {
    var total = 0;
    var count = 0;
    boxes.forEach(function (box) {
      if (box.checked) {
        total += parseFloat(box.getAttribute("data-cost")) || 0;
        count += 1;
      }
    });
    var over = total > cap;
    text("dd[data-sc5-budget-count]", String(count));
    text("dd[data-sc5-budget-total]", euros.format(total));
    text("dd[data-sc5-budget-left]", euros.format(Math.max(cap - total, 0)));
    text("dd[data-sc5-budget-over]", euros.format(Math.max(total - cap, 0)));
    show("[data-sc5-budget-left]", !over);
    show("[data-sc5-budget-over]", over);
  }

  boxes.forEach(function (box) {
    box.addEventListener("change", update);
  });
  var recalculate = form.querySelector("[data-sc5-budget-recalculate]");
  if (recalculate) {
    recalculate.hidden = true;
  }
  update();
})();
