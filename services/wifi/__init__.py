"""The Wifi4EU hotspots downtown: host reports, status and availability."""
