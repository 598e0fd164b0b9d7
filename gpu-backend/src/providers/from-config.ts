/**
 * The backend's providers from its configuration. A provider that is enabled but lacks its
 * credentials is left out and reported as "not_configured" in each result, so a missing key is
 * visible to users without failing the start.
 */
import { CoverageIndex, type ImageryProviderName } from "@lanesegnet/shared";
import type { BackendConfig } from "../config.js";
import { buildIndexFromStore, readIndexFile } from "../coverage/store.js";
import { createEsriProvider } from "./esri.js";
import { createGeeProvider, NAIP_ASSET } from "./gee.js";
import { coverageIndexLookup, createLocalProvider } from "./local.js";
import { createMapboxProvider } from "./mapbox.js";
import type { ImageryProvider } from "./types.js";

export interface ConfiguredProviders {
  readonly providers: Map<ImageryProviderName, ImageryProvider>;
  /** Enabled but unusable, with the reason (never a secret). */
  readonly skipped: { provider: ImageryProviderName; reason: string }[];
  readonly localImages: number;
}

export async function providersFromConfig(config: BackendConfig["providers"]): Promise<ConfiguredProviders> {
  const providers = new Map<ImageryProviderName, ImageryProvider>();
  const skipped: ConfiguredProviders["skipped"] = [];
  let localImages = 0;
  const timeoutMs = config.timeoutMs;
  for (const name of config.enabled) {
    switch (name) {
      case "local": {
        const index = config.local.indexFile
          ? await readIndexFile(config.local.indexFile)
          : CoverageIndex.from((await buildIndexFromStore(config.local.dir)).buffer);
        localImages = index.size;
        providers.set(
          "local",
          createLocalProvider({ dir: config.local.dir, lookup: coverageIndexLookup(index), timeoutMs }),
        );
        break;
      }
      case "esri":
        providers.set("esri", createEsriProvider({ urlTemplate: config.esri.urlTemplate, timeoutMs }));
        break;
      case "mapbox":
        if (!config.mapbox.accessToken)
          skipped.push({ provider: "mapbox", reason: "MAPBOX_ACCESS_TOKEN is not set" });
        else
          providers.set(
            "mapbox",
            createMapboxProvider({
              urlTemplate: config.mapbox.urlTemplate,
              accessToken: config.mapbox.accessToken,
              timeoutMs,
            }),
          );
        break;
      case "gee":
        if (!config.gee.project || !config.gee.serviceAccountKey) {
          skipped.push({
            provider: "gee",
            reason: "GEE_PROJECT and GEE_SERVICE_ACCOUNT_KEY are not both set",
          });
        } else {
          providers.set(
            "gee",
            createGeeProvider({
              project: config.gee.project,
              serviceAccountKey: config.gee.serviceAccountKey,
              apiBaseUrl: config.gee.apiUrl,
              asset:
                config.gee.asset === NAIP_ASSET.id
                  ? NAIP_ASSET
                  : { kind: "collection", id: config.gee.asset, bands: ["R", "G", "B"] },
              nativeGroundResolutionM: config.gee.resolutionM,
              timeoutMs,
            }),
          );
        }
        break;
    }
  }
  return { providers, skipped, localImages };
}
