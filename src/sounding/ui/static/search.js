// Search boxes with suggestions (the ARIA 1.2 combobox pattern): an <input role="combobox"
// data-suggest> whose listbox (aria-controls) htmx fills with role="option" items as the
// user types (templates/search/suggest.html). Arrow keys move through the options
// (aria-activedescendant keeps focus in the box), Enter opens the active option (its
// data-href) or submits the form when none is active, Escape closes the list.
(function () {
  "use strict";

  function listOf(input) {
    return document.getElementById(input.getAttribute("aria-controls"));
  }

  function options(list) {
    return list ? Array.prototype.slice.call(list.querySelectorAll('[role="option"]')) : [];
  }

  function setOpen(input, open) {
    var list = listOf(input);
    if (!list) return;
    open = open && options(list).length > 0;
    list.hidden = !open;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) setActive(input, null);
  }

  function setActive(input, option) {
    options(listOf(input)).forEach(function (o) {
      o.setAttribute("aria-selected", o === option ? "true" : "false");
    });
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      if (option.scrollIntoView) option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function active(input) {
    var id = input.getAttribute("aria-activedescendant");
    return id ? document.getElementById(id) : null;
  }

  function follow(option) {
    var href = option && option.getAttribute("data-href");
    if (href) window.location.assign(href);
  }

  function isBox(el) {
    return el && el.matches && el.matches("input[data-suggest]");
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!isBox(input)) return;
    var list = listOf(input);
    var items = options(list);
    var current = active(input);
    var index = current ? items.indexOf(current) : -1;
    switch (event.key) {
      case "ArrowDown":
      case "ArrowUp":
        if (!items.length) return;
        event.preventDefault();
        if (list.hidden) setOpen(input, true);
        if (event.key === "ArrowDown") index = index + 1 >= items.length ? 0 : index + 1;
        else index = index <= 0 ? items.length - 1 : index - 1;
        setActive(input, items[index]);
        break;
      case "Enter":
        if (current && !list.hidden) {
          event.preventDefault();
          follow(current);
        }
        break;
      case "Escape":
        if (!list.hidden) {
          event.preventDefault();
          setOpen(input, false);
        }
        break;
      default:
        break;
    }
  });

  // new options arrived: show them, nothing active yet (Enter still submits the words)
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.getAttribute("role") !== "listbox") return;
    var input = document.querySelector('[aria-controls="' + target.id + '"]');
    if (!input) return;
    setActive(input, null);
    setOpen(input, document.activeElement === input && input.value.trim() !== "");
  });

  // an emptied box asks the server nothing: close its list
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (isBox(input) && input.value.trim() === "") {
      var list = listOf(input);
      setOpen(input, false);
      if (list) list.textContent = "";
    }
  });

  // a pointer picks an option (mousedown: before the box loses focus and the list closes)
  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest('[role="option"][data-href]');
    if (!option) return;
    var list = option.closest('[role="listbox"]');
    var input = list && document.querySelector('[aria-controls="' + list.id + '"]');
    if (!isBox(input)) return;
    event.preventDefault();
    follow(option);
  });

  document.addEventListener("focusout", function (event) {
    if (isBox(event.target)) setOpen(event.target, false);
  });
  document.addEventListener("focusin", function (event) {
    var input = event.target;
    if (isBox(input) && input.value.trim() !== "") setOpen(input, true);
  });
})();
