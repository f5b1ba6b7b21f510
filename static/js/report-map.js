// The map of reports (templates/reports/_map.html): each [data-report-map] element is drawn from
// the API's map of its selection (data-source): the hamlets' outlines with their counts, and the
// reports as clustered markers whose popup links to the report. The page's table carries the
// same counts, so nothing is lost when this script, Leaflet or the tiles do not load.
// Everything shown is built as DOM nodes with textContent: no HTML from the data is parsed.
(function () {
  "use strict";
  if (typeof L === "undefined") {
    return;
  }
  var VIETNAM = [16.0, 106.0];

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function popup(report, box) {
    var content = element("div", "by-map-popup");
    var link = element("a", "by-map-code", report.code);
    link.href = report.url;
    link.setAttribute("data-testid", "map-report-link");
    content.appendChild(link);
    [report.category_label, report.status_label, report.day].forEach(function (value) {
      content.appendChild(element("div", "small", value));
    });
    if (report.hamlet_centre) {
      content.appendChild(element("p", "small text-body-secondary mb-0", box.dataset.labelCentre));
    }
    var open = element("a", "btn btn-sm btn-primary mt-1 text-white", box.dataset.labelOpen);
    open.href = report.url;
    content.appendChild(open);
    return content;
  }

  function marker(report, box) {
    var dot = element("span");
    var icon = L.divIcon({
      className:
        "by-report-marker by-status-" + report.status + (report.hamlet_centre ? " by-centre" : ""),
      html: dot,
      iconSize: [28, 28],
    });
    var title = report.code + " · " + report.category_label + " · " + report.status_label;
    var item = L.marker([Number(report.latitude), Number(report.longitude)], {
      icon: icon,
      title: title,
      alt: title,
      keyboard: true,
    });
    item.bindPopup(popup(report, box));
    item.on("add", function () {
      var node = item.getElement();
      if (node) {
        node.setAttribute("data-testid", "map-marker");
        node.setAttribute("data-code", report.code);
      }
    });
    return item;
  }

  function hamletLabel(hamlet, box) {
    var label = element("span");
    label.appendChild(element("span", null, hamlet.name + ": "));
    label.appendChild(element("b", null, String(hamlet.count)));
    label.setAttribute("data-testid", "map-hamlet-count");
    label.setAttribute("data-hamlet", String(hamlet.id));
    label.setAttribute("data-count", String(hamlet.count));
    label.title = hamlet.count + " " + box.dataset.labelReports;
    return label;
  }

  function draw(map, box, data) {
    var bounds = L.latLngBounds([]);
    data.hamlets.forEach(function (hamlet) {
      var centre = null;
      if (hamlet.latitude !== null && hamlet.longitude !== null) {
        centre = L.latLng(Number(hamlet.latitude), Number(hamlet.longitude));
        bounds.extend(centre);
      }
      if (hamlet.boundary) {
        var outline = L.geoJSON(hamlet.boundary, {
          style: { color: "#0d6efd", weight: 1.5, fillOpacity: hamlet.count ? 0.12 : 0.03 },
          interactive: false,
        }).addTo(map);
        bounds.extend(outline.getBounds());
        centre = centre || outline.getBounds().getCenter();
      }
      if (centre) {
        L.tooltip({ permanent: true, direction: "top", offset: [0, -14], className: "by-hamlet-label" })
          .setLatLng(centre)
          .setContent(hamletLabel(hamlet, box))
          .addTo(map);
      }
    });
    var cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 });
    data.reports.forEach(function (report) {
      var item = marker(report, box);
      cluster.addLayer(item);
      bounds.extend(item.getLatLng());
    });
    map.addLayer(cluster);
    if (bounds.isValid()) {
      // At once, not animated: the map is ready (data-state) when it is drawn where it stays.
      map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16, animate: false });
    } else {
      map.setView(VIETNAM, 5);
    }
    box.setAttribute("data-state", "ready");
    box.setAttribute("data-markers", String(data.reports.length));
  }

  function start(box) {
    // maxZoom on the map itself: the clusters need it, and there may be no tile layer to say it.
    var map = L.map(box, { scrollWheelZoom: false, maxZoom: 19 });
    map.setView(VIETNAM, 5);
    if (box.dataset.tiles) {
      L.tileLayer(box.dataset.tiles, {
        maxZoom: 19,
        attribution: box.dataset.attribution || "",
      }).addTo(map);
    }
    fetch(box.dataset.source, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (data) {
        draw(map, box, data);
      })
      .catch(function (error) {
        box.setAttribute("data-state", "error");
        box.setAttribute("data-error", String(error));
      });
  }

  document.querySelectorAll("[data-report-map]").forEach(start);
})();
