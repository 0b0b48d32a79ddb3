/* The back office's one script (loaded deferred by templates/admin/base_site.html; no inline scripts).
   - Triage: when the department changes, refresh the assignee choices from the server (the same
     list the form validates against), keeping the current pick when it is still valid.
   - Complaint page: draw the pin on a small map with the vendored Leaflet when tiles are configured.
   Without JavaScript the pages still work: the form checks the pick, the page states the place in words. */
(function () {
  "use strict";

  function refreshAssignees(department, assignee) {
    var url = department.dataset.assigneesUrl;
    var keep = assignee.value;
    if (!department.value) { return; }
    fetch(url + "?department=" + encodeURIComponent(department.value), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var blank = assignee.querySelector("option[value='']");
        assignee.innerHTML = "";
        if (blank) { assignee.appendChild(blank); }
        data.assignees.forEach(function (person) {
          var option = document.createElement("option");
          option.value = String(person.id);
          option.textContent = person.label;
          if (option.value === keep) { option.selected = true; }
          assignee.appendChild(option);
        });
        assignee.dispatchEvent(new Event("assignees-refreshed", { bubbles: true }));
      });
  }

  function setUpTriage() {
    var department = document.querySelector("select[name=department][data-assignees-url]");
    var assignee = document.querySelector("select[name=assignee]");
    if (!department || !assignee) { return; }
    department.addEventListener("change", function () { refreshAssignees(department, assignee); });
  }

  function setUpMap() {
    var element = document.getElementById("complaint-map");
    if (!element || !window.L) { return; }
    var lat = parseFloat(element.dataset.lat);
    var lng = parseFloat(element.dataset.lng);
    if (isNaN(lat) || isNaN(lng)) { return; }
    var map = window.L.map(element, { scrollWheelZoom: false }).setView([lat, lng], 16);
    window.L.tileLayer(element.dataset.tileUrl, { attribution: element.dataset.attribution || "" }).addTo(map);
    window.L.marker([lat, lng]).addTo(map);
  }

  function start() { setUpTriage(); setUpMap(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
