import { fileURLToPath } from "node:url";

/**
 * The repository root (this file is two folders down). Its own module so that light tools (the
 * bundled bench:backend that runs on the GPU machine) can find repo files without loading the
 * whole dev stack (miniflare, workerd).
 */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
