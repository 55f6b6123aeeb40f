// Drag and drop for the floor list (the HTML5 drag-and-drop API, no library):
// a dragged card moves among its siblings; on drop the new order of ids goes
// into the hidden order form, which HTMX posts; the answer replaces the list.
(function () {
  "use strict";
  var dragged = null;

  function listOf(el) { return el && el.closest ? el.closest("[data-content-sortable]") : null; }

  document.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest("[data-sort-id]");
    if (!item || !listOf(item)) { return; }
    dragged = item;
    item.classList.add("content-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.getAttribute("data-sort-id"));
  });

  document.addEventListener("dragover", function (event) {
    if (!dragged) { return; }
    var over = event.target.closest && event.target.closest("[data-sort-id]");
    if (!over || over === dragged || listOf(over) !== listOf(dragged)) { return; }
    event.preventDefault();
    var box = over.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });

  document.addEventListener("drop", function (event) {
    if (dragged) { event.preventDefault(); }
  });

  document.addEventListener("dragend", function () {
    if (!dragged) { return; }
    var list = listOf(dragged);
    dragged.classList.remove("content-dragging");
    dragged = null;
    var ids = Array.prototype.map.call(list.querySelectorAll(":scope > [data-sort-id]"), function (el) {
      return el.getAttribute("data-sort-id");
    });
    var form = document.getElementById(list.getAttribute("data-content-sortable"));
    form.querySelector("input[name=order]").value = ids.join(",");
    window.htmx.trigger(form, "content-reorder");
  });
})();
