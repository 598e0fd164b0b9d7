/** Attribution strings the providers' terms require next to the imagery (and in every result). */
export const ATTRIBUTION = {
  esri: "Esri, Maxar, Earthstar Geographics, and the GIS User Community",
  mapbox: "© Mapbox © OpenStreetMap © Maxar",
  geeNaip: "USDA National Agriculture Imagery Program (NAIP), via Google Earth Engine",
  gee: "Google Earth Engine",
  local: "Local imagery store",
} as const;
