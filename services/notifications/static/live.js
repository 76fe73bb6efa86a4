// The live page (served as /static/live.js: the page's CSP allows no inline script).
const STATUS = { up: "in Betrieb", degraded: "eingeschränkt", down: "ausgefallen", maintenance: "in Wartung" };
const hotspots = new Map();

function zeit(iso) {
  return new Date(iso).toLocaleString("de-DE", { timeZone: "Europe/Berlin", dateStyle: "short", timeStyle: "medium" });
}

function zeigeHotspot(id, name, status, since) {
  let li = document.getElementById("hotspot-" + id);
  if (!li) {
    li = document.createElement("li");
    li.id = "hotspot-" + id;
    li.dataset.hotspot = id;
    li.innerHTML = '<span class="name"></span><span class="status"></span>';
    document.getElementById("hotspots").appendChild(li);
  }
  const known = hotspots.get(id) || {};
  const entry = { name: name || known.name || id, status: status === undefined ? known.status : status };
  hotspots.set(id, entry);
  li.className = "hotspot " + (entry.status || "unbekannt");
  li.dataset.status = entry.status || "";
  li.querySelector(".name").textContent = entry.name;
  li.querySelector(".status").textContent = STATUS[entry.status] || "unbekannt";
  if (since) li.title = "seit " + zeit(since);
}

function beschreibe(e) {
  const d = e.data || {}, t = e.type.replace("de.bottrop.hallobot.", "");
  switch (t) {
    case "wifi.hotspot.status_changed":
      return "WLAN " + ((hotspots.get(d.hotspot_id) || {}).name || d.hotspot_id) + ": " +
             (STATUS[d.previous] || "unbekannt") + " → " + (STATUS[d.status] || d.status);
    case "wifi.hotspot.registered": return "Neuer WLAN-Hotspot: " + d.site_name;
    case "wifi.hotspot.incident_opened": return "Störung: " + d.hotspot_ids.length + " Hotspots ohne Meldung";
    case "wifi.hotspot.incident_resolved": return "Störung behoben";
    case "directory.business.published": return "Neu im Verzeichnis: " + d.name;
    case "directory.business.updated": return "Profil aktualisiert: " + d.name;
    case "events.event.published": return "Neue Veranstaltung: " + d.title + " am " + zeit(d.starts_at);
    case "events.event.updated": return "Veranstaltung geändert: " + d.title;
    case "events.event.cancelled": return "Veranstaltung abgesagt: " + d.title;
    case "fairtrade.criterion.met": return "Fairtrade-Kriterium erfüllt: " + d.criterion;
    case "fairtrade.criterion.lost": return "Fairtrade-Kriterium nicht mehr erfüllt: " + d.criterion;
    case "fairtrade.milestone.reached": return "Fairtrade-Meilenstein erreicht";
    default: return t;
  }
}

function zeitpunkt(iso) {
  // Microseconds since 1970: events often lie within one millisecond, and Date.parse keeps only those.
  const fraction = /\.(\d+)/.exec(iso);
  return Date.parse(iso) * 1000 + (fraction ? Number((fraction[1] + "000000").slice(3, 6)) : 0);
}

function zeigeEreignis(e) {
  const li = document.createElement("li");
  const time = document.createElement("time");
  time.dateTime = e.time; time.textContent = zeit(e.time);
  li.appendChild(time);
  li.appendChild(document.createTextNode(beschreibe(e)));
  const list = document.getElementById("ereignisse");
  // Newest first. The backlog arrives stream by stream, so each event goes in by its time.
  const at = zeitpunkt(e.time);
  let before = list.firstChild;
  while (before && zeitpunkt(before.firstChild.dateTime) > at) before = before.nextSibling;
  list.insertBefore(li, before);
  while (list.children.length > 50) list.removeChild(list.lastChild);
}

async function ladeHotspots() {
  const response = await fetch("/status/hotspots", { cache: "no-store" });
  for (const h of await response.json()) zeigeHotspot(h.hotspot_id, h.site_name, h.status, h.since);
}

let letzteId = "";

function verbinde() {
  // EventSource reconnects by itself and sends Last-Event-ID: the server replays what was missed
  // (the backlog only counts for the first connection, which has no id yet).
  const source = new EventSource(letzteId ? "/feed?last_event_id=" + encodeURIComponent(letzteId) : "/feed?backlog=20");
  const status = document.getElementById("verbindung");
  source.addEventListener("ready", (ready) => {
    letzteId = ready.lastEventId || letzteId;
    status.textContent = "Live verbunden"; status.dataset.state = "live";
  });
  source.onerror = () => {
    status.textContent = "Verbindung unterbrochen – verbinde neu …"; status.dataset.state = "offline";
    // A refused connection (503: this instance is full) is not retried by the browser: later, by us.
    if (source.readyState === EventSource.CLOSED) setTimeout(verbinde, 10000 + Math.random() * 10000);
  };
  source.onmessage = (message) => {
    letzteId = message.lastEventId || letzteId;
    const e = JSON.parse(message.data), d = e.data || {}, t = e.type.replace("de.bottrop.hallobot.", "");
    if (t === "wifi.hotspot.registered") zeigeHotspot(d.hotspot_id, d.site_name);
    if (t === "wifi.hotspot.status_changed") zeigeHotspot(d.hotspot_id, undefined, d.status, d.since);
    zeigeEreignis(e);
  };
}

ladeHotspots().finally(verbinde);
